/** A listener for one event; it receives the event's payload. */
export type Listener<T> = (payload: T) => void;

/**
 * A small event emitter typed by an event map (event name -> payload type), so a typo in an event
 * name or a wrong payload is a type error. A listener that throws is reported and skipped: one broken
 * subscriber must not stop the others from hearing an event, nor break the state machine that emits
 * it (the idea of mediasoup's `safeEmit`).
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  /** Calls every listener of `event` in subscription order; exceptions are logged, not thrown. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    // A copy: a listener may unsubscribe itself (or others) while we iterate.
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (err) {
        console.error(`a "${String(event)}" listener threw`, err);
      }
    }
  }
}
