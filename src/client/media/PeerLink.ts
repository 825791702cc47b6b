import type { IceServer, SignalPayload } from '../../protocol/index.js';
import { AUDIO_CHANNEL, CLOCK_CHANNEL, CONTROL_CHANNEL } from '../../protocol/media.js';
import { TypedEmitter } from '../net/TypedEmitter.js';

export type LinkRole = 'host' | 'listener';

export interface PeerLinkEvents {
  /** The three data channels are open: media can flow. */
  open: undefined;
  /** The link is gone for good (closed, or failed past recovery). */
  closed: undefined;
  state: RTCPeerConnectionState;
  control: string;
}

/**
 * How a link finds its way. `relayOnly`: only through the server's TURN relay (the device's own
 * addresses are never offered to the other side; needs a TURN server in `servers`). Fixed for the
 * life of a connection: Chromium does not apply a changed iceTransportPolicy to an existing one,
 * not even after an ICE restart (checked here), so a change means a new connection.
 */
export interface IceOptions {
  servers: IceServer[];
  relayOnly: boolean;
}

/** Whether these ICE servers include a TURN relay (relay-only links need one). */
export function hasTurn(servers: IceServer[]): boolean {
  return servers.some((s) => s.urls.some((u) => /^turns?:/.test(u)));
}

function rtcConfiguration(ice: IceOptions): RTCConfiguration {
  return {
    iceServers: ice.servers,
    bundlePolicy: 'max-bundle',
    iceTransportPolicy: ice.relayOnly && hasTurn(ice.servers) ? 'relay' : 'all',
  };
}

/**
 * The host restarts ICE once a link has been `disconnected` this long (ms), and again this often
 * while it stays down. Chromium calls a path `failed` only after ~30 s without consent; a phone that
 * moved to another network, or a NAT that forgot the mapping, needs new candidates long before.
 */
export const ICE_RESTART_AFTER_MS = 3000;
/**
 * The host also restarts ICE when nothing has come from the listener for this long (ms; its clock
 * probes come every 500 ms): the app hears a dead path seconds before Chromium calls it
 * `disconnected` (measured here: 6-7 s after a NAT forgot the listener).
 */
export const LINK_SILENT_MS = 2000;

/** Takes a link's audio and clock channels at birth (the media worker: MediaWorker.handOver). */
export type HandOver = (audio: RTCDataChannel, clock: RTCDataChannel) => void;

/**
 * One WebRTC peer connection between the host and one listener, with three negotiated data channels
 * (ids fixed, so neither side waits for the other's `datachannel` event):
 * audio (unordered, no retransmits), clock (unordered, no retransmits), control (reliable).
 * Audio and clock are handed over to the media worker as soon as they exist; the page keeps the
 * connection, its signaling and the control channel.
 * The host makes the offer; signaling goes through the server (`signal` messages).
 */
export class PeerLink extends TypedEmitter<PeerLinkEvents> {
  readonly pc: RTCPeerConnection;
  readonly #control: RTCDataChannel;
  #closed = false;
  #opened = false;
  #pendingCandidates: RTCIceCandidateInit[] = [];
  /** The transport policy this connection was born with (Chromium keeps it for good). */
  readonly #relayOnly: boolean;
  readonly #ice: () => IceOptions;
  /** Host: the next ICE restart while the path is down. */
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** Host: ICE restarts so far (diagnostics). */
  iceRestarts = 0;
  #lastRestartAt = Number.NEGATIVE_INFINITY;

  /** Names this connection in every signal it sends (the host picks it; the listener adopts it). */
  readonly linkId: string;
  readonly #send: (payload: SignalPayload) => void;

  constructor(
    readonly peerId: string,
    readonly role: LinkRole,
    /** The ICE settings now: read at birth and again at an ICE restart, for fresh TURN credentials. */
    ice: () => IceOptions,
    sendSignal: (payload: SignalPayload) => void,
    handOver: HandOver,
    linkId?: string,
  ) {
    super();
    this.linkId = linkId ?? Math.random().toString(36).slice(2, 12);
    this.#send = (payload) => sendSignal({ ...payload, link: this.linkId });
    this.#ice = ice;
    const first = ice();
    this.#relayOnly = first.relayOnly;
    this.pc = new RTCPeerConnection(rtcConfiguration(first));
    const audio = this.pc.createDataChannel(AUDIO_CHANNEL, {
      negotiated: true,
      id: 0,
      ordered: false,
      maxRetransmits: 0,
    });
    const clock = this.pc.createDataChannel(CLOCK_CHANNEL, {
      negotiated: true,
      id: 1,
      ordered: false,
      maxRetransmits: 0,
    });
    handOver(audio, clock);
    this.#control = this.pc.createDataChannel(CONTROL_CHANNEL, { negotiated: true, id: 2, ordered: true });
    // The three open together (one SCTP association): the control channel stands for them all.
    this.#control.onopen = () => {
      this.#opened = true;
      this.emit('open', undefined);
    };
    this.#control.onclose = () => this.close();
    this.#control.onmessage = (e) => {
      if (typeof e.data === 'string') this.emit('control', e.data);
    };
    this.pc.onicecandidate = (e) => {
      const c = e.candidate;
      this.#send({
        kind: 'candidate',
        candidate: c
          ? {
              candidate: c.candidate,
              sdpMid: c.sdpMid,
              sdpMLineIndex: c.sdpMLineIndex,
              usernameFragment: c.usernameFragment,
            }
          : null,
      });
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      this.emit('state', state);
      if (state === 'failed' || state === 'disconnected')
        this.#watchPath(state === 'failed' ? 0 : ICE_RESTART_AFTER_MS);
      else this.#stopWatching();
      if (state === 'closed') this.close();
    };
    if (role === 'host') void this.#offer(false);
  }

  get isOpen(): boolean {
    return this.#opened && !this.#closed;
  }

  async handleSignal(payload: SignalPayload): Promise<void> {
    if (this.#closed) return;
    try {
      if (payload.kind === 'description') {
        const description = payload.description;
        if (description.type === 'offer' && this.role === 'listener') {
          // A second offer is an ICE restart: gather with the newest TURN credentials.
          if (this.pc.remoteDescription) this.#refreshIceServers();
          await this.pc.setRemoteDescription(description);
          await this.#flushCandidates();
          await this.pc.setLocalDescription();
          const local = this.pc.localDescription;
          if (local) this.#send({ kind: 'description', description: { type: 'answer', sdp: local.sdp } });
        } else if (description.type === 'answer' && this.role === 'host') {
          await this.pc.setRemoteDescription(description);
          await this.#flushCandidates();
        }
      } else if (payload.candidate) {
        if (this.pc.remoteDescription) await this.pc.addIceCandidate(payload.candidate);
        else this.#pendingCandidates.push(payload.candidate);
      }
    } catch (err) {
      console.warn('peer link: signaling step failed', err);
    }
  }

  /**
   * Host: a new offer with fresh ICE credentials, when the path failed. (New ICE *settings* need a
   * new connection: see IceOptions.)
   */
  /**
   * Host: nothing has come from the listener for `silentMs` (the media worker's count). Past
   * LINK_SILENT_MS the path is taken for dead and ICE restarted, at most every ICE_RESTART_AFTER_MS.
   */
  heardFrom(silentMs: number): void {
    if (this.role !== 'host' || !this.#opened || this.#closed || silentMs < LINK_SILENT_MS) return;
    if (performance.now() - this.#lastRestartAt < ICE_RESTART_AFTER_MS) return;
    this.#restartIce();
  }

  #restartIce(): void {
    if (this.role !== 'host' || this.#closed) return;
    this.iceRestarts++;
    this.#lastRestartAt = performance.now();
    this.#refreshIceServers();
    void this.#offer(true);
  }

  /** Host: the path is down; restart ICE in `ms`, and every ICE_RESTART_AFTER_MS while it stays down. */
  #watchPath(ms: number): void {
    if (this.role !== 'host' || this.#closed) return;
    if (this.#restartTimer && ms > 0) return; // already watching
    this.#stopWatching();
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      const state = this.pc.connectionState;
      if (state !== 'disconnected' && state !== 'failed') return;
      this.#restartIce();
      this.#watchPath(ICE_RESTART_AFTER_MS);
    }, ms);
  }

  #stopWatching(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  /**
   * The ICE servers changed (the server sent fresh TURN credentials): the next ICE restart gathers
   * with them. The path in use stays as it is.
   */
  refreshIceServers(): void {
    if (!this.#closed) this.#refreshIceServers();
  }

  /**
   * The newest TURN credentials (the server sends fresh ones before the last expire, and with every
   * rejoin): the ones this connection was born with may have expired by the time its path fails,
   * and coturn then refuses a new allocation.
   */
  #refreshIceServers(): void {
    try {
      const config = rtcConfiguration({ servers: this.#ice().servers, relayOnly: this.#relayOnly });
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: config.iceServers ?? [] });
    } catch (err) {
      console.warn('peer link: new ICE servers refused', err);
    }
  }

  sendControl(text: string): void {
    if (this.#control.readyState === 'open') this.#control.send(text);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching();
    this.pc.close();
    this.emit('closed', undefined);
  }

  async #offer(iceRestart: boolean): Promise<void> {
    try {
      const offer = await this.pc.createOffer({ iceRestart });
      await this.pc.setLocalDescription(offer);
      const local = this.pc.localDescription;
      if (local) this.#send({ kind: 'description', description: { type: 'offer', sdp: local.sdp } });
    } catch (err) {
      console.warn('peer link: offer failed', err);
    }
  }

  async #flushCandidates(): Promise<void> {
    const pending = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const c of pending) await this.pc.addIceCandidate(c).catch(() => {});
  }
}
