import { describe, expect, it } from 'vitest';
import { ClockOffsetEstimator } from './ClockOffset.js';

describe('ClockOffsetEstimator', () => {
  it('knows nothing before the first sample and then assumes the clocks agree', () => {
    const clock = new ClockOffsetEstimator();
    expect(clock.offset).toBeUndefined();
    expect(clock.serverNow(1000)).toBe(1000);
  });

  it('puts the server stamp at the midpoint of the round trip', () => {
    // Sent at 1000, answered at 1100 (local); the server said 5050: it is 4000 ms ahead.
    const clock = new ClockOffsetEstimator();
    clock.add({ sentAt: 1000, receivedAt: 1100, serverTime: 5050 });
    expect(clock.offset).toBe(4000);
    expect(clock.roundTrip).toBe(100);
    expect(clock.serverNow(2000)).toBe(6000);
    expect(clock.toLocal(6000)).toBe(2000);
  });

  it('trusts the sample with the lowest round trip, since queuing only adds delay', () => {
    const clock = new ClockOffsetEstimator();
    // True offset 4000. A slow exchange, queued on the way back, suggests 4090 ...
    clock.add({ sentAt: 0, receivedAt: 300, serverTime: 4240 });
    // ... a quick one is off by at most 10.
    clock.add({ sentAt: 1000, receivedAt: 1020, serverTime: 5012 });
    clock.add({ sentAt: 2000, receivedAt: 2200, serverTime: 6010 });
    expect(clock.offset).toBe(4002);
    expect(clock.roundTrip).toBe(20);
  });

  it('forgets samples older than its window, so it follows a clock that was stepped', () => {
    const clock = new ClockOffsetEstimator(3);
    clock.add({ sentAt: 0, receivedAt: 10, serverTime: 1005 });
    for (let i = 1; i <= 3; i++)
      clock.add({ sentAt: i * 100, receivedAt: i * 100 + 50, serverTime: i * 100 + 2025 });
    expect(clock.offset).toBe(2000);
  });

  it('ignores a sample whose local clock ran backwards', () => {
    const clock = new ClockOffsetEstimator();
    clock.add({ sentAt: 1000, receivedAt: 900, serverTime: 0 });
    expect(clock.offset).toBeUndefined();
  });
});
