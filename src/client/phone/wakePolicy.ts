/**
 * When this device asks the browser to keep its screen on (Screen Wake Lock), as a pure state
 * machine: the adapter (ScreenWake.ts) feeds it what happened and does what it answers.
 *
 * The lock is wanted while in a room, turned on, and the page is visible: browsers release it
 * themselves when the page is hidden, so it is asked for again each time the page is shown. A
 * refusal (battery saver, a policy) is not retried in a loop: only when the page is shown again
 * or the person turns the toggle.
 */
export type WakeAction = 'request' | 'release' | null;

/**
 * off: not in a room, or turned off. unsupported: the browser has no Screen Wake Lock. held: the
 * screen stays on. waiting: wanted, asked for or the page is hidden. refused: the browser said no.
 */
export type WakeStatus = 'off' | 'unsupported' | 'held' | 'waiting' | 'refused';

export interface WakeInputs {
  supported: boolean;
  inRoom: boolean;
  enabled: boolean;
  visible: boolean;
}

/**
 * On by default for everyone in a room. A listener's phone that sleeps stops its sound (iOS
 * suspends Web Audio on lock); a host's that sleeps stops the music for the whole room, which is
 * worse. On a computer the lock only keeps the display on while the app's own tab is in front.
 */
export const KEEP_AWAKE_BY_DEFAULT = true;

export class WakePolicy {
  #in: WakeInputs;
  #held = false;
  #pending = false;
  #refused = false;

  constructor(inputs: WakeInputs) {
    this.#in = { ...inputs };
  }

  get inputs(): Readonly<WakeInputs> {
    return this.#in;
  }

  get status(): WakeStatus {
    if (!this.#in.inRoom || !this.#in.enabled) return 'off';
    if (!this.#in.supported) return 'unsupported';
    if (this.#held) return 'held';
    return this.#refused ? 'refused' : 'waiting';
  }

  /** Something changed: the room, the toggle, the page's visibility. */
  update(patch: Partial<WakeInputs>): WakeAction {
    const before = this.#in;
    this.#in = { ...before, ...patch };
    // Shown again, or turned on again by hand: worth asking once more after a refusal.
    if ((this.#in.visible && !before.visible) || (this.#in.enabled && !before.enabled)) this.#refused = false;
    return this.#next();
  }

  /** The browser granted the request. */
  granted(): WakeAction {
    this.#pending = false;
    this.#held = true;
    return this.#next();
  }

  /** The browser refused the request. */
  refused(): WakeAction {
    this.#pending = false;
    this.#refused = true;
    return null;
  }

  /**
   * The lock ended: we released it, or the browser did. `visible` is the page's visibility now:
   * a browser releases the lock as it hides the page, which may come before its visibilitychange.
   */
  released(visible: boolean): WakeAction {
    this.#held = false;
    this.#in = { ...this.#in, visible };
    return this.#next();
  }

  #wanted(): boolean {
    const i = this.#in;
    return i.supported && i.inRoom && i.enabled && i.visible;
  }

  #next(): WakeAction {
    if (this.#wanted()) {
      if (this.#held || this.#pending || this.#refused) return null;
      this.#pending = true;
      return 'request';
    }
    return this.#held ? 'release' : null;
  }
}
