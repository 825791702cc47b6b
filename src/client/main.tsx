import { render } from 'preact';
import { App } from './App.js';
import { AudioSession } from './media/AudioSession.js';
import { SignalingClient, signalingUrl } from './net/SignalingClient.js';
import { PhoneSession } from './phone/PhoneSession.js';
import { JamClient } from './state/JamClient.js';
import { browserStore, PlaceStore } from './state/PlaceStore.js';
import './styles.css';

// The E2E tests' and benchmark's build (`vite build --mode test`) loads the test hooks before
// anything starts, so it sees every step; in the build people run this is `null` and the hooks'
// code is not in it at all (tests/integration/build.test.ts).
const testHooks = import.meta.env.MODE === 'test' ? await import('./media/testHooks.js') : null;

const signaling = new SignalingClient({ url: signalingUrl(location) });
const jam = new JamClient({
  signaling,
  store: new PlaceStore(browserStore('sessionStorage'), browserStore('localStorage')),
  initialPath: location.pathname,
  origin: location.origin,
  navigate: (path) => {
    // Keep the query: it carries options such as ?latency=playback (see docs/sync.md).
    if (location.pathname !== path) history.replaceState(null, '', path + location.search);
  },
});

// The browser knows before our timers do: retry at once when the network is back, and check the
// socket when a phone brings the page back from the background (it may have died meanwhile).
window.addEventListener('online', () => signaling.reconnectNow());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') signaling.probe();
});

const audio = new AudioSession(jam, signaling);
// Phones hide the page when the screen locks: the app says how it comes back in step.
let hiddenAt: number | null = document.visibilityState === 'visible' ? null : performance.now();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') {
    hiddenAt ??= performance.now();
    return;
  }
  audio.wake(hiddenAt === null ? 0 : performance.now() - hiddenAt);
  hiddenAt = null;
});
const phone = new PhoneSession(audio, jam);
testHooks?.installTestHooks(audio);

const root = document.getElementById('app');
if (root) render(<App jam={jam} audio={audio} phone={phone} />, root);
