import type { Page } from '@playwright/test';

/**
 * Sends all of a page's WebRTC traffic through an impairment relay (src/netem/UdpRelay.ts) that
 * stands in front of coturn: the page's connections use only the TURN relay, reached at the relay's
 * port instead of coturn's. The app is not changed: its RTCPeerConnection is wrapped before it loads.
 */
export async function routeThroughRelay(page: Page, turnPort: number, relayPort: number): Promise<void> {
  await page.addInitScript(
    ({ from, to }) => {
      const Native = window.RTCPeerConnection;
      const rewrite = (config?: RTCConfiguration): RTCConfiguration => ({
        ...config,
        iceTransportPolicy: 'relay',
        iceServers: (config?.iceServers ?? []).map((s) => ({
          ...s,
          urls: ([] as string[]).concat(s.urls).map((u) => u.replace(`:${from}?`, `:${to}?`)),
        })),
      });
      class Impaired extends Native {
        constructor(config?: RTCConfiguration) {
          super(rewrite(config));
        }
        override setConfiguration(config?: RTCConfiguration): void {
          super.setConfiguration(rewrite(config));
        }
      }
      window.RTCPeerConnection = Impaired;
    },
    { from: turnPort, to: relayPort },
  );
}
