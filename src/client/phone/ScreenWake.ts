import { TypedEmitter } from '../net/TypedEmitter.js';
import { KEEP_AWAKE_BY_DEFAULT, type WakeAction, WakePolicy, type WakeStatus } from './wakePolicy.js';

export interface ScreenWakeState {
  /** The person's choice (remembered on this device). */
  enabled: boolean;
  status: WakeStatus;
}

/** The parts of the page this needs, so a test can hand in its own. */
export interface WakeScope {
  wakeLock?: { request(type: 'screen'): Promise<WakeLockSentinel> };
  document: Pick<Document, 'visibilityState' | 'addEventListener'>;
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
}

const KEY = 'jamsesh.keepAwake';

/**
 * Screen Wake Lock while in a room (the browser adapter for WakePolicy): asks for it, lets it go,
 * and asks again when the page is shown, since browsers release it whenever the page is hidden.
 */
export class ScreenWake extends TypedEmitter<{ change: ScreenWakeState }> {
  readonly #policy: WakePolicy;
  readonly #scope: WakeScope;
  #sentinel: WakeLockSentinel | null = null;

  constructor(scope: WakeScope) {
    super();
    this.#scope = scope;
    const stored = safeRead(scope.storage, KEY);
    this.#policy = new WakePolicy({
      supported: typeof scope.wakeLock?.request === 'function',
      inRoom: false,
      enabled: stored === null ? KEEP_AWAKE_BY_DEFAULT : stored === '1',
      visible: scope.document.visibilityState === 'visible',
    });
    scope.document.addEventListener('visibilitychange', () =>
      this.#do(this.#policy.update({ visible: scope.document.visibilityState === 'visible' })),
    );
  }

  get state(): ScreenWakeState {
    return { enabled: this.#policy.inputs.enabled, status: this.#policy.status };
  }

  setInRoom(inRoom: boolean): void {
    if (inRoom !== this.#policy.inputs.inRoom) this.#do(this.#policy.update({ inRoom }));
  }

  /** From the toggle. */
  setEnabled(enabled: boolean): void {
    try {
      this.#scope.storage?.setItem(KEY, enabled ? '1' : '0');
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    this.#do(this.#policy.update({ enabled }));
  }

  #do(action: WakeAction): void {
    if (action === 'request') void this.#request();
    if (action === 'release') {
      const sentinel = this.#sentinel;
      this.#sentinel = null;
      // Its 'release' event tells the policy.
      void sentinel?.release().catch(() => {});
    }
    this.emit('change', this.state);
  }

  async #request(): Promise<void> {
    try {
      // One request at a time (the policy waits for its answer); a late grant is let go by #do.
      const sentinel = await (this.#scope.wakeLock as NonNullable<WakeScope['wakeLock']>).request('screen');
      this.#sentinel = sentinel;
      sentinel.addEventListener('release', () => {
        if (this.#sentinel === sentinel) this.#sentinel = null;
        this.#do(this.#policy.released(this.#scope.document.visibilityState === 'visible'));
      });
      this.#do(this.#policy.granted());
    } catch (err) {
      // NotAllowedError: battery saver, a permissions policy, or the page was hidden meanwhile.
      console.info('screen wake lock refused', err);
      this.#do(this.#policy.refused());
    }
  }
}

function safeRead(storage: WakeScope['storage'], key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}
