import { useEffect, useRef, useState } from 'preact/hooks';
import type { FileQueue, QueueItem } from '../media/FileQueue.js';
import './QueuePanel.css';

/** The position is redrawn this often while playing: smooth enough for m:ss and a slider. */
const REDRAW_MS = 250;
/** Errors shown at once; older ones give way. */
const MAX_ERRORS = 3;

/** The host's music from this device: add files (button or drop), the queue, transport and seek. */
export function QueuePanel({ queue, isHost }: { queue: FileQueue | null; isHost: boolean }) {
  if (!isHost || !queue) return null;
  return <QueueCard queue={queue} />;
}

function QueueCard({ queue }: { queue: FileQueue }) {
  useQueueChanges(queue);
  const state = queue.state;
  useRedrawWhile(state.playing);
  const { errors, dismiss } = useQueueErrors(queue);
  const [adding, setAdding] = useState(0);
  const [dragging, setDragging] = useState(false);
  /** The slider's value while the person drags it; the queue seeks when they let go. */
  const [scrubMs, setScrubMs] = useState<number | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const addFiles = (list: FileList | null | undefined) => {
    const files = list ? Array.from(list) : [];
    if (files.length === 0) return;
    setAdding((n) => n + files.length);
    void queue
      .add(files)
      .catch(() => {})
      .finally(() => setAdding((n) => Math.max(0, n - files.length)));
  };

  const items = queue.items;
  const current = queue.current;
  const hasTrack = current >= 0;
  const durationMs = state.durationMs;
  const positionMs = scrubMs ?? state.positionMs;

  return (
    <section
      class={`card queue${dragging ? ' dragging' : ''}`}
      aria-labelledby="queue-title"
      data-testid="queue-panel"
      onDragEnter={(e) => {
        if (hasFiles(e)) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragOver={(e) => {
        if (hasFiles(e)) {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        }
      }}
      onDragLeave={(e) => {
        // Leaving for a child of the panel is not leaving the panel.
        const to = e.relatedTarget;
        if (!(to instanceof Node && e.currentTarget.contains(to))) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        addFiles(e.dataTransfer?.files);
      }}
    >
      <div class="queue-head">
        <h2 id="queue-title">
          Music from this device {items.length > 0 && <span class="count">{items.length}</span>}
        </h2>
        <button
          type="button"
          class={items.length === 0 ? 'primary' : 'small'}
          data-testid="file-add"
          onClick={() => inputRef.current?.click()}
        >
          Add files
        </button>
        <input
          ref={inputRef}
          type="file"
          multiple
          accept="audio/*,.mp3,.ogg,.opus,.flac,.wav,.m4a"
          hidden
          data-testid="file-input"
          onChange={(e) => {
            addFiles(e.currentTarget.files);
            // Lets the same file be picked again.
            e.currentTarget.value = '';
          }}
        />
      </div>

      {errors.length > 0 && (
        <ul class="queue-errors" aria-live="polite">
          {errors.map((err) => (
            <li key={err.id} class="error" data-testid="queue-error">
              <span>{err.message}</span>
              <button type="button" class="small subtle" aria-label="Dismiss" onClick={() => dismiss(err.id)}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}

      {adding > 0 && (
        <p class="hint" role="status">
          Adding {adding === 1 ? 'a file' : `${adding} files`}...
        </p>
      )}

      {items.length === 0 ? (
        <p class="queue-empty hint">
          Add music files, or drop them here. Everyone in the jam hears them in sync, you too.
        </p>
      ) : (
        <ol class="queue-list" data-testid="queue-list">
          {items.map((item, i) => (
            <QueueRow
              key={item.id}
              item={item}
              index={i}
              count={items.length}
              current={i === current}
              playing={i === current && state.playing}
              queue={queue}
            />
          ))}
        </ol>
      )}

      {items.length > 0 && (
        <div class="transport">
          <input
            type="range"
            class="queue-seek"
            min={0}
            max={Math.max(1, Math.round(durationMs ?? 0))}
            step={1000}
            value={Math.round(Math.min(positionMs, durationMs ?? positionMs))}
            disabled={!hasTrack || durationMs === undefined}
            aria-label="Position in the track"
            aria-valuetext={`${formatTrackTime(positionMs)} of ${formatTrackTime(durationMs)}`}
            data-testid="file-seek"
            onInput={(e) => setScrubMs(Number(e.currentTarget.value))}
            onChange={(e) => {
              queue.seek(Number(e.currentTarget.value));
              setScrubMs(null);
            }}
          />
          <div class="transport-row">
            <span class="queue-position" data-testid="file-position">
              {formatTrackTime(positionMs)} / {formatTrackTime(durationMs)}
            </span>
            <div class="transport-buttons">
              <button
                type="button"
                class="icon"
                aria-label="Previous"
                data-testid="file-previous"
                disabled={!hasTrack}
                onClick={() => queue.previous()}
              >
                <Icon name="previous" />
              </button>
              <button
                type="button"
                class="primary icon play"
                aria-label={state.playing ? 'Pause' : 'Play'}
                data-testid="file-play"
                onClick={() => (state.playing ? queue.pause() : queue.play())}
              >
                <Icon name={state.playing ? 'pause' : 'play'} />
              </button>
              <button
                type="button"
                class="icon"
                aria-label="Next"
                data-testid="file-next"
                disabled={current + 1 >= items.length}
                onClick={() => queue.next()}
              >
                <Icon name="next" />
              </button>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

function QueueRow({
  item,
  index,
  count,
  current,
  playing,
  queue,
}: {
  item: QueueItem;
  index: number;
  count: number;
  current: boolean;
  playing: boolean;
  queue: FileQueue;
}) {
  return (
    <li
      class={`queue-item${current ? ' current' : ''}`}
      data-testid="queue-item"
      aria-current={current ? 'true' : undefined}
    >
      <button
        type="button"
        class="queue-track"
        title={item.fileName}
        aria-label={`Play ${item.title}${item.artist ? ` by ${item.artist}` : ''}`}
        onClick={() => queue.playIndex(index)}
      >
        <span class="queue-marker" aria-hidden="true">
          {playing ? '♪' : current ? '▸' : index + 1}
        </span>
        <span class="queue-text">
          <span class="queue-title">{item.title}</span>
          {item.artist && <span class="queue-artist">{item.artist}</span>}
        </span>
        <span class="queue-duration">{formatTrackTime(item.durationMs)}</span>
      </button>
      <div class="queue-actions">
        <button
          type="button"
          class="small subtle"
          aria-label={`Move ${item.title} up`}
          data-testid="queue-up"
          disabled={index === 0}
          onClick={() => queue.move(index, index - 1)}
        >
          ↑
        </button>
        <button
          type="button"
          class="small subtle"
          aria-label={`Move ${item.title} down`}
          data-testid="queue-down"
          disabled={index === count - 1}
          onClick={() => queue.move(index, index + 1)}
        >
          ↓
        </button>
        <button
          type="button"
          class="small subtle remove"
          aria-label={`Remove ${item.title}`}
          data-testid="queue-remove"
          onClick={() => queue.remove(index)}
        >
          ✕
        </button>
      </div>
    </li>
  );
}

/** Transport icons as SVG: the Unicode media symbols are missing from many system fonts. */
const ICON_PATHS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 5h4v14H6zM14 5h4v14h-4z',
  previous: 'M6 6h2v12H6zM9.5 12 18 18V6z',
  next: 'M16 6h2v12h-2zM6 18l8.5-6L6 6z',
} as const;

function Icon({ name }: { name: keyof typeof ICON_PATHS }) {
  return (
    <svg class="transport-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d={ICON_PATHS[name]} fill="currentColor" />
    </svg>
  );
}

/** "3:07", "1:02:03"; "--:--" while not known. */
export function formatTrackTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '--:--';
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

/** Re-renders on every 'change' of the queue. */
function useQueueChanges(queue: FileQueue): void {
  const [, setVersion] = useState(0);
  useEffect(() => queue.on('change', () => setVersion((v) => v + 1)), [queue]);
}

/** Re-renders every REDRAW_MS while `active`, for the moving position. */
function useRedrawWhile(active: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setTick((t) => t + 1), REDRAW_MS);
    return () => clearInterval(timer);
  }, [active]);
}

type ShownError = { id: number; message: string };

/** The queue's latest errors, newest last, each dismissable. */
function useQueueErrors(queue: FileQueue): { errors: ShownError[]; dismiss: (id: number) => void } {
  const [errors, setErrors] = useState<ShownError[]>([]);
  const nextId = useRef(0);
  useEffect(
    () =>
      queue.on('error', (err) => {
        const id = ++nextId.current;
        setErrors((list) => [...list, { id, message: err.message }].slice(-MAX_ERRORS));
      }),
    [queue],
  );
  return { errors, dismiss: (id) => setErrors((list) => list.filter((e) => e.id !== id)) };
}
