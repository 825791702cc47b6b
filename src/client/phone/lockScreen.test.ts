import { describe, expect, it } from 'vitest';
import type { NowPlaying } from '../../protocol/media.js';
import { lockScreenState, NO_LOCK_SCREEN } from './lockScreen.js';

const file = (over: Partial<NowPlaying> = {}): NowPlaying => ({
  source: 'file',
  title: 'Click Song',
  artist: 'Test Artist',
  durationMs: 40_000,
  positionMs: 10_000,
  at: 1_000,
  playing: true,
  ...over,
});
const listener = { code: 'K7Q4MZ', role: 'listener' as const, hasFileQueue: false };
const host = { code: 'K7Q4MZ', role: 'host' as const, hasFileQueue: true };

describe('the lock screen, from what plays', () => {
  it('shows nothing outside a room', () => {
    expect(lockScreenState(null, file(), 0)).toEqual(NO_LOCK_SCREEN);
  });

  it("shows a file's title and artist, and the room where the album goes", () => {
    const s = lockScreenState(listener, file(), 1_000);
    expect(s.info).toEqual({ title: 'Click Song', artist: 'Test Artist', album: 'JamSesh · K7Q 4MZ' });
    expect(s.playback).toBe('playing');
  });

  it('names a source without a title, and says when nothing plays yet', () => {
    expect(lockScreenState(listener, { source: 'test', at: 0, playing: true }, 0).info?.title).toBe(
      'Click track',
    );
    const waiting = lockScreenState(listener, null, 0);
    expect(waiting.info).toEqual({
      title: 'Waiting for the host to play something',
      artist: '',
      album: 'JamSesh · K7Q 4MZ',
    });
    expect(waiting.playback).toBe('none');
    expect(lockScreenState(listener, { source: 'none', at: 0, playing: false }, 0).playback).toBe('none');
  });

  it('is paused when the host paused', () => {
    expect(lockScreenState(listener, file({ playing: false }), 5_000).playback).toBe('paused');
  });

  it("moves a playing file's position on from the host's report, and holds a paused one", () => {
    expect(lockScreenState(listener, file(), 3_000).position).toEqual({ durationS: 40, positionS: 12 });
    expect(lockScreenState(listener, file({ playing: false }), 3_000).position).toEqual({
      durationS: 40,
      positionS: 10,
    });
    // Never past the end, and none for a source without a length.
    expect(lockScreenState(listener, file(), 100_000).position?.positionS).toBe(40);
    expect(lockScreenState(listener, { source: 'tab', at: 0, playing: true }, 0).position).toBeNull();
  });

  it("gives the host's file queue play, pause, next and previous, and a listener none", () => {
    expect(lockScreenState(host, file(), 0).actions).toEqual(['play', 'pause', 'nexttrack', 'previoustrack']);
    expect(lockScreenState(listener, file(), 0).actions).toEqual([]);
    // A host whose browser cannot play files has no queue to drive.
    expect(lockScreenState({ ...host, hasFileQueue: false }, file(), 0).actions).toEqual([]);
    // Nor while another source plays: "play" must not swap the host's tab for the queue.
    expect(lockScreenState(host, { source: 'tab', at: 0, playing: true }, 0).actions).toEqual([]);
  });
});
