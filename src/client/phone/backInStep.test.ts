import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../protocol/media.js';
import { advance, describeBack, SHOW_IN_STEP_MS, shown } from './backInStep.js';

const status = (inSync: boolean): SyncStatus => ({
  syncErrorMs: inSync ? 0.4 : 30,
  delayMs: 120,
  bufferMs: 80,
  clockUncertaintyMs: 0.2,
  rttMs: 4,
  lateFrames: 0,
  underrunMs: 0,
  inSync,
});

describe('back from the background', () => {
  it('says nothing after a blink, but catching up after a real absence', () => {
    expect(shown(300, 10_000)).toBeNull();
    const back = shown(8000, 10_000);
    expect(back).toEqual({ shownAt: 10_000, inStepAt: null });
    expect(describeBack(back as NonNullable<typeof back>)).toMatch(/catching up/);
  });

  it('says back in step, and how long it took, once the device is in sync, then goes away', () => {
    let back = shown(8000, 10_000);
    back = advance(back, status(false), 10_400);
    expect(back?.inStepAt).toBeNull();
    back = advance(back, status(true), 10_800);
    expect(back).toEqual({ shownAt: 10_000, inStepAt: 10_800 });
    expect(describeBack(back as NonNullable<typeof back>)).toBe(
      'Back in step with the room (0.8 s after the page was shown).',
    );
    // Out of sync again later does not turn it back into "catching up".
    expect(advance(back, status(false), 12_000)).toEqual(back);
    expect(advance(back, status(true), 10_800 + SHOW_IN_STEP_MS + 1)).toBeNull();
  });

  it('keeps saying catching up while there is no status yet', () => {
    const back = shown(5000, 0);
    expect(advance(back, null, 3000)).toEqual(back);
    expect(advance(null, status(true), 3000)).toBeNull();
  });
});
