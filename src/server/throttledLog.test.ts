import { describe, expect, it } from 'vitest';
import { ThrottledLog } from './throttledLog.js';

describe('ThrottledLog', () => {
  it('writes at most one line per 10 s and counts the ones it left out', () => {
    const lines: Record<string, unknown>[] = [];
    const log = new ThrottledLog(10_000, (f) => lines.push(f));
    for (let t = 0; t < 25_000; t += 100) log.note(t, { origin: `o${t}` });
    expect(lines).toEqual([
      { origin: 'o0' },
      { origin: 'o10000', suppressed: 99 },
      { origin: 'o20000', suppressed: 99 },
    ]);
  });
});
