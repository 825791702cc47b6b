import { render } from 'preact';
import { App } from './App.js';
import { AudioSession } from './media/AudioSession.js';
import { installTestHooks } from './media/testHooks.js';
import { SignalingClient, signalingUrl } from './net/SignalingClient.js';
import { JamClient } from './state/JamClient.js';
import { browserStore, PlaceStore } from './state/PlaceStore.js';
import './styles.css';

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
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') audio.wake();
});
installTestHooks(audio);

const root = document.getElementById('app');
if (root) render(<App jam={jam} audio={audio} />, root);
