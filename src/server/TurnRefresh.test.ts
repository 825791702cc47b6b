import { describe, expect, it } from 'vitest';
import { type IceServer, turnUsernameExpiry } from '../protocol/index.js';
import type { Clock } from './Hub.js';
import { refreshDelayMs, TurnRefresh } from './TurnRefresh.js';
import type { IceConfig } from './turn.js';

const T0 = 1_700_000_000_000;
const TTL = 3600;
const CONFIG: IceConfig = {
  stunUrls: ['stun:s.example.org:3478'],
  turnUrls: ['turn:t.example.org:3478?transport=udp'],
  turnSecret: 'a-secret-of-at-least-thirty-two-characters',
  turnTtlSeconds: TTL,
};

/** Time that moves only when the test says so; timers fire in order as it passes them. */
class FakeClock implements Clock {
  #now = T0;
  #nextId = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }
}

/** A TurnRefresh whose deliveries are recorded, and whose members can be made unreachable. */
function setup(config: IceConfig = CONFIG) {
  const clock = new FakeClock();
  const delivered: { peerId: string; at: number; servers: IceServer[] }[] = [];
  const away = new Set<string>();
  const refresh = new TurnRefresh(config, clock, (peerId, servers) => {
    if (away.has(peerId)) return false;
    delivered.push({ peerId, at: clock.now(), servers });
    return true;
  });
  const expiryOf = (servers: IceServer[]) => turnUsernameExpiry(servers[1]?.username ?? '');
  return { clock, delivered, away, refresh, expiryOf };
}

describe('refreshDelayMs', () => {
  it('is three quarters of the TTL for a credential minted on a whole second', () => {
    expect(refreshDelayMs(3600, T0)).toBe(2_700_000);
    expect(refreshDelayMs(8, T0)).toBe(6000);
  });

  it('counts from the expiry in the username, which is rounded down to whole seconds', () => {
    // Minted at T0 + 0.9 s, the credential expires at T0 + 8 s, not T0 + 8.9 s.
    expect(refreshDelayMs(8, T0 + 900)).toBe(5100);
  });

  it('leaves a short TTL a quarter of its life too', () => {
    expect(refreshDelayMs(5, T0 + 999)).toBe(2751);
  });
});

describe('TurnRefresh', () => {
  it('hands a member fresh TURN credentials when its last ones have a quarter of their life left', () => {
    const { clock, delivered, refresh } = setup();
    refresh.sent('pA');
    clock.advance(2_700_000 - 1);
    expect(delivered).toEqual([]);
    clock.advance(1);
    expect(delivered.map((d) => [d.peerId, d.at - T0])).toEqual([['pA', 2_700_000]]);
    const servers = delivered[0]?.servers ?? [];
    expect(servers[0]).toEqual({ urls: CONFIG.stunUrls });
    expect(servers[1]?.urls).toEqual(CONFIG.turnUrls);
    // Minted then, for this member: valid for a full TTL from the refresh.
    expect(servers[1]?.username).toBe(`${(T0 + 2_700_000) / 1000 + TTL}:pA`);
  });

  it('keeps doing so for as long as the member stays, so it always holds a valid credential', () => {
    const { clock, delivered, refresh, expiryOf } = setup();
    refresh.sent('pA');
    const firstExpiry = T0 / 1000 + TTL;
    clock.advance(10 * TTL * 1000);
    expect(delivered).toHaveLength(13);
    let held = firstExpiry;
    for (const d of delivered) {
      // Each arrives before the one held expires, with a quarter of its life left.
      expect(held * 1000 - d.at).toBe((TTL * 1000) / 4);
      held = expiryOf(d.servers) as number;
    }
  });

  it('gives every member its own schedule and its own credential', () => {
    const { clock, delivered, refresh } = setup();
    refresh.sent('pA');
    clock.advance(60_000);
    refresh.sent('pB');
    clock.advance(2_700_000);
    expect(delivered.map((d) => [d.peerId, d.at - T0])).toEqual([
      ['pA', 2_700_000],
      ['pB', 2_760_000],
    ]);
    expect(delivered[0]?.servers[1]?.credential).not.toBe(delivered[1]?.servers[1]?.credential);
  });

  it('starts over when the member is handed credentials another way (a rejoin)', () => {
    const { clock, delivered, refresh } = setup();
    refresh.sent('pA');
    clock.advance(2_000_000);
    refresh.sent('pA');
    clock.advance(2_699_999);
    expect(delivered).toEqual([]);
    clock.advance(1);
    expect(delivered.map((d) => d.at - T0)).toEqual([4_700_000]);
  });

  it('stops for a member it cannot reach, until it is handed credentials again', () => {
    const { clock, delivered, away, refresh } = setup();
    refresh.sent('pA');
    away.add('pA');
    clock.advance(2_700_000);
    expect(refresh.pending).toBe(0);
    clock.advance(10 * TTL * 1000);
    expect(delivered).toEqual([]);
    away.delete('pA');
    refresh.sent('pA');
    expect(refresh.pending).toBe(1);
  });

  it('sends nothing more to a member it was told to forget, and holds no timer for it', () => {
    const { clock, delivered, refresh } = setup();
    refresh.sent('pA');
    refresh.sent('pB');
    refresh.forget('pA');
    expect(refresh.pending).toBe(1);
    expect(clock.timers.size).toBe(1);
    clock.advance(2_700_000);
    expect(delivered.map((d) => d.peerId)).toEqual(['pB']);
  });

  it('does nothing without TURN: STUN servers have no credential that expires', () => {
    const { clock, delivered, refresh } = setup({ ...CONFIG, turnUrls: [] });
    refresh.sent('pA');
    expect(clock.timers.size).toBe(0);
    clock.advance(10 * TTL * 1000);
    expect(delivered).toEqual([]);
  });

  it('with a TTL of a few seconds, each credential arrives before the previous one expires', () => {
    const { clock, delivered, refresh, expiryOf } = setup({ ...CONFIG, turnTtlSeconds: 6 });
    clock.advance(700);
    refresh.sent('pA');
    let held = Math.floor((T0 + 700) / 1000) + 6;
    clock.advance(60_000);
    expect(delivered.length).toBeGreaterThanOrEqual(13);
    for (const d of delivered) {
      expect(held * 1000 - d.at).toBe(1500);
      held = expiryOf(d.servers) as number;
    }
  });
});
