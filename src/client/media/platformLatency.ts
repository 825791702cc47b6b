/**
 * How much later than its browser reports a device's sound leaves it, before any calibration, by
 * platform (ms). Safari and every iOS browser (all WebKit on CoreAudio) under-report their output
 * latency by about 100 ms (measured by the Sendspin project, sendspin-js PR #171, 2026): without
 * this, an iPhone plays ~100 ms behind the room until someone calibrates. Elsewhere the browser's
 * own figure stands (measured here for Chromium; docs/browsers.md).
 */
export const APPLE_UNREPORTED_MS = 100;

/** From the page's `navigator.userAgent`: 100 ms on Apple's WebKit, 0 elsewhere. */
export function unreportedOutputLatencyMs(userAgent: string): number {
  // Every browser on iOS and iPadOS is WebKit, whatever its name (CriOS, FxiOS, EdgiOS).
  if (/\b(iPhone|iPad|iPod)\b/.test(userAgent)) return APPLE_UNREPORTED_MS;
  // Desktop Safari (and iPadOS asking for the desktop site, which says "Macintosh"): WebKit's
  // "Version/x Safari/y" with none of the other engines' or shells' names.
  const safari = /\bVersion\/[\d.]+.*\bSafari\//.test(userAgent);
  const other = /\b(Chrome|Chromium|CriOS|Edg|EdgiOS|Firefox|FxiOS|OPR)\//.test(userAgent);
  if (/\bMacintosh\b/.test(userAgent) && safari && !other) return APPLE_UNREPORTED_MS;
  return 0;
}
