import { describe, expect, it } from 'vitest';
import { KEEP_AWAKE_BY_DEFAULT, type WakeInputs, WakePolicy } from './wakePolicy.js';

const lobby: WakeInputs = { supported: true, inRoom: false, enabled: true, visible: true };

describe('keeping the screen on', () => {
  it('is on by default, and asks for the lock when the device enters a room, not before', () => {
    expect(KEEP_AWAKE_BY_DEFAULT).toBe(true);
    const p = new WakePolicy(lobby);
    expect(p.status).toBe('off');
    expect(p.update({ inRoom: true })).toBe('request');
    expect(p.status).toBe('waiting');
    // Asked once: more changes while the answer is pending ask nothing more.
    expect(p.update({ visible: true })).toBeNull();
    expect(p.granted()).toBeNull();
    expect(p.status).toBe('held');
  });

  it('asks again when the page is shown after the browser released the lock on hiding it', () => {
    const p = new WakePolicy({ ...lobby, inRoom: true });
    p.update({});
    p.granted();
    expect(p.update({ visible: false })).toBe('release');
    // The browser released it on hiding: nothing to ask while hidden.
    expect(p.released(false)).toBeNull();
    expect(p.status).toBe('waiting');
    expect(p.update({ visible: true })).toBe('request');
    p.granted();
    expect(p.status).toBe('held');
  });

  it('asks again at once if the browser releases the lock while the page stays in view', () => {
    const p = new WakePolicy({ ...lobby, inRoom: true });
    p.update({});
    p.granted();
    expect(p.released(true)).toBe('request');
  });

  it('does not ask again when the browser releases the lock on hiding, before visibilitychange says so', () => {
    const p = new WakePolicy({ ...lobby, inRoom: true });
    p.update({});
    p.granted();
    expect(p.released(false)).toBeNull();
    expect(p.update({ visible: false })).toBeNull();
    expect(p.update({ visible: true })).toBe('request');
  });

  it('lets go when turned off or on leaving the room, and a grant that comes too late is let go', () => {
    const p = new WakePolicy({ ...lobby, inRoom: true });
    p.update({});
    p.granted();
    expect(p.update({ enabled: false })).toBe('release');
    p.released(true);
    expect(p.status).toBe('off');
    expect(p.update({ enabled: true })).toBe('request');
    expect(p.update({ inRoom: false })).toBeNull();
    expect(p.granted()).toBe('release');
  });

  it('after a refusal asks again only when the page is shown again or the toggle is turned', () => {
    const p = new WakePolicy({ ...lobby, inRoom: true });
    p.update({});
    expect(p.refused()).toBeNull();
    expect(p.status).toBe('refused');
    expect(p.update({})).toBeNull();
    expect(p.update({ visible: false })).toBeNull();
    expect(p.update({ visible: true })).toBe('request');
    p.refused();
    p.update({ enabled: false });
    expect(p.update({ enabled: true })).toBe('request');
  });

  it('says so when the browser has no Screen Wake Lock, and never asks', () => {
    const p = new WakePolicy({ ...lobby, supported: false });
    expect(p.update({ inRoom: true })).toBeNull();
    expect(p.status).toBe('unsupported');
    // Turned off, it is just off.
    p.update({ enabled: false });
    expect(p.status).toBe('off');
  });
});
