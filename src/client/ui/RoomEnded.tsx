import { describeEnd, type EndReason } from '../text/words.js';

/** The jam is over for us: say why, and offer the way back. */
export function RoomEnded({
  reason,
  wasHost,
  onBack,
}: {
  reason: EndReason;
  wasHost: boolean;
  onBack: () => void;
}) {
  return (
    <main class="centered">
      <section class="card ended" data-testid="room-ended" aria-live="polite">
        <div class="ended-mark" aria-hidden="true">
          ■
        </div>
        <p class="ended-reason">{describeEnd(reason, wasHost)}</p>
        <button type="button" class="primary" data-testid="back-button" onClick={onBack}>
          Back to start
        </button>
      </section>
    </main>
  );
}

/** After a reload, while the server is asked for our place back. */
export function Rejoining({ onCancel }: { onCancel: () => void }) {
  return (
    <main class="centered">
      <section class="card ended" aria-busy="true">
        <div class="spinner" aria-hidden="true" />
        <p class="ended-reason">Getting you back into your jam...</p>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </section>
    </main>
  );
}
