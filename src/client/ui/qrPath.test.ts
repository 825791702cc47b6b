import { describe, expect, it } from 'vitest';
import { modulesToPath, QUIET_ZONE, qrShape } from './qrPath.js';

describe('modulesToPath', () => {
  it('draws one rectangle per horizontal run of dark modules, offset by the margin', () => {
    const modules = [
      [true, true, false],
      [false, true, true],
      [true, false, true],
    ];
    expect(modulesToPath(modules, 0)).toBe('M0 0h2v1h-2zM1 1h2v1h-2zM0 2h1v1h-1zM2 2h1v1h-1z');
    expect(modulesToPath([[false, true]], 4)).toBe('M5 4h1v1h-1z');
  });

  it('draws nothing for an all-light matrix', () => {
    expect(modulesToPath([[false, false]], 4)).toBe('');
  });
});

describe('qrShape', () => {
  it('makes a square with a four-module quiet zone around a version 3+ symbol for a join link', () => {
    const { size, d } = qrShape('http://192.168.1.20:8080/join/K7Q4MZ');
    // A QR symbol is 17 + 4 * version modules wide.
    const symbol = size - 2 * QUIET_ZONE;
    expect((symbol - 17) % 4).toBe(0);
    expect(symbol).toBeGreaterThanOrEqual(29);
    // The top-left finder pattern starts with a run of 7 dark modules at the quiet zone's corner.
    expect(d.startsWith(`M${QUIET_ZONE} ${QUIET_ZONE}h7v1h-7z`)).toBe(true);
  });

  it('gives a different pattern for a different link', () => {
    expect(qrShape('http://x/join/AAAAAA').d).not.toBe(qrShape('http://x/join/BBBBBB').d);
  });
});
