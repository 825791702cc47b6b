import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type ChatMessage, LIMITS } from '../../protocol/index.js';
import { linkify } from '../text/linkify.js';
import { formatClock } from '../text/time.js';

interface ChatPanelProps {
  messages: ChatMessage[];
  selfId: string;
  /** A server timestamp on this device's clock. */
  toLocalTime: (serverTime: number) => number;
  /** Returns false when the line could not be sent; the draft is kept then. */
  onSend: (text: string) => boolean;
  error: string | null;
  /** A line the server refused, offered back into an empty box. */
  rejected: { text: string; seq: number } | null;
  disabled: boolean;
}

/** Within this many pixels of the bottom counts as "reading the newest": new lines scroll into view. */
const STICKY_PX = 48;

export function ChatPanel({
  messages,
  selfId,
  toLocalTime,
  onSend,
  error,
  rejected,
  disabled,
}: ChatPanelProps) {
  const [draft, setDraft] = useState('');
  const logRef = useRef<HTMLOListElement>(null);
  const stickRef = useRef(true);
  const last = messages[messages.length - 1];

  // Keep the newest line in view, unless the reader scrolled up to read older ones (their own line
  // always scrolls into view: they just sent it).
  useLayoutEffect(() => {
    const log = logRef.current;
    if (log && (stickRef.current || last?.from === selfId)) log.scrollTop = log.scrollHeight;
  }, [last?.id, selfId]);

  useEffect(() => {
    if (rejected) setDraft((current) => (current === '' ? rejected.text : current));
  }, [rejected]);

  const send = () => {
    if (draft.trim() === '' || disabled) return;
    if (onSend(draft)) setDraft('');
  };

  return (
    <section class="card chat" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat</h2>
      <ol
        class="chat-log"
        data-testid="chat-log"
        ref={logRef}
        aria-live="polite"
        onScroll={(e) => {
          const log = e.currentTarget;
          stickRef.current = log.scrollHeight - log.scrollTop - log.clientHeight < STICKY_PX;
        }}
      >
        {messages.length === 0 && <li class="chat-empty">No messages yet. Say hi!</li>}
        {messages.map((m) => (
          <li key={m.id} class={`chat-message${m.from === selfId ? ' mine' : ''}`} data-testid="chat-message">
            <div class="chat-meta">
              <span class="chat-name">{m.name}</span>
              <time dateTime={new Date(toLocalTime(m.at)).toISOString()}>
                {formatClock(toLocalTime(m.at))}
              </time>
            </div>
            <p class="chat-text">
              {linkify(m.text).map((segment, i) =>
                segment.kind === 'link' ? (
                  <a key={i} href={segment.href} target="_blank" rel="noopener noreferrer">
                    {segment.text}
                  </a>
                ) : (
                  segment.text
                ),
              )}
            </p>
          </li>
        ))}
      </ol>
      {error && (
        <p class="error" data-testid="error" role="alert">
          {error}
        </p>
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <textarea
          data-testid="chat-input"
          value={draft}
          rows={Math.min(5, draft.split('\n').length)}
          maxLength={LIMITS.chatMaxLength}
          placeholder="Say something..."
          aria-label="Chat message"
          enterkeyhint="send"
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter sends, Shift+Enter is a new line; never while an input method is composing.
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        <div class="composer-side">
          <span class={`counter${draft.length > LIMITS.chatMaxLength * 0.9 ? ' near' : ''}`}>
            {draft.length}/{LIMITS.chatMaxLength}
          </span>
          <button
            type="submit"
            class="primary"
            data-testid="chat-send"
            disabled={disabled || draft.trim() === ''}
          >
            Send
          </button>
        </div>
      </form>
    </section>
  );
}
