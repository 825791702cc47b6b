import { describe, expect, it } from 'vitest';
import { APPLE_UNREPORTED_MS, unreportedOutputLatencyMs } from './platformLatency.js';

const UA = {
  iPhoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
  iPhoneChrome:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/138.0.7204.119 Mobile/15E148 Safari/604.1',
  iPadFirefox:
    'Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/140.0 Mobile/15E148 Safari/605.1.15',
  macSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15',
  macChrome:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
  macFirefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:146.0) Gecko/20100101 Firefox/146.0',
  macEdge:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0',
  linuxChromium:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36',
  androidChrome:
    'Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36',
  androidFirefox: 'Mozilla/5.0 (Android 15; Mobile; rv:146.0) Gecko/146.0 Firefox/146.0',
  linuxWebKitGtk:
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
} as const;

describe('the output latency a platform does not report', () => {
  it('is 100 ms for every browser on an iPhone or iPad: all of them are WebKit', () => {
    expect(unreportedOutputLatencyMs(UA.iPhoneSafari)).toBe(APPLE_UNREPORTED_MS);
    expect(unreportedOutputLatencyMs(UA.iPhoneChrome)).toBe(APPLE_UNREPORTED_MS);
    expect(unreportedOutputLatencyMs(UA.iPadFirefox)).toBe(APPLE_UNREPORTED_MS);
  });

  it('is 100 ms for Safari on a Mac (and an iPad asking for the desktop site), not for other Mac browsers', () => {
    expect(unreportedOutputLatencyMs(UA.macSafari)).toBe(APPLE_UNREPORTED_MS);
    expect(unreportedOutputLatencyMs(UA.macChrome)).toBe(0);
    expect(unreportedOutputLatencyMs(UA.macFirefox)).toBe(0);
    expect(unreportedOutputLatencyMs(UA.macEdge)).toBe(0);
  });

  it('is 0 on Linux and Android, WebKitGTK included (its figure is not Apple’s)', () => {
    expect(unreportedOutputLatencyMs(UA.linuxChromium)).toBe(0);
    expect(unreportedOutputLatencyMs(UA.androidChrome)).toBe(0);
    expect(unreportedOutputLatencyMs(UA.androidFirefox)).toBe(0);
    expect(unreportedOutputLatencyMs(UA.linuxWebKitGtk)).toBe(0);
    expect(unreportedOutputLatencyMs('')).toBe(0);
  });
});
