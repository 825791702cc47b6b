/**
 * How every browser in the tests and the benchmark is started: Debian's Chromium (never a downloaded
 * one) with the flags that proved necessary on these machines.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these, Chromium keeps trying to reach Google's servers, which this network refuses.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // With only loopback, WebRTC gathers no candidates without this.
  '--allow-loopback-in-peer-connection',
];
