/**
 * At most one line per `everyMs` for a message anyone can trigger at will (a refused origin), with
 * the count of those left out since the last line, so a flood cannot fill the disk through the log.
 */
export class ThrottledLog {
  #last = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(
    readonly everyMs: number,
    readonly write: (fields: Record<string, unknown>) => void,
  ) {}

  note(now: number, fields: Record<string, unknown>): void {
    if (now - this.#last < this.everyMs) {
      this.#suppressed++;
      return;
    }
    this.#last = now;
    this.write(this.#suppressed > 0 ? { ...fields, suppressed: this.#suppressed } : fields);
    this.#suppressed = 0;
  }
}
