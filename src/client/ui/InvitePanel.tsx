import { useEffect, useRef, useState } from 'preact/hooks';
import { QrCode } from './QrCode.js';

type CopyState = 'idle' | 'copied' | 'manual';

/** The join link to share: as text, as a QR code, and a button that copies it. */
export function InvitePanel({ link }: { link: string }) {
  const [copy, setCopy] = useState<CopyState>('idle');
  const linkRef = useRef<HTMLElement>(null);

  useEffect(() => {
    if (copy === 'idle') return;
    const timer = setTimeout(() => setCopy('idle'), copy === 'copied' ? 2500 : 6000);
    return () => clearTimeout(timer);
  }, [copy]);

  const onCopy = async () => {
    try {
      // Missing outside secure contexts (a LAN address over plain http), and may be refused.
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(link);
      setCopy('copied');
    } catch {
      selectText(linkRef.current);
      setCopy('manual');
    }
  };

  const local = isLoopback(new URL(link).hostname);
  return (
    <section class="card invite" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite friends</h2>
      <div class="invite-body">
        <QrCode text={link} label="QR code of the join link" />
        <div class="invite-link">
          <code class="join-link" data-testid="join-link" ref={linkRef}>
            {link}
          </code>
          <button type="button" data-testid="copy-link" onClick={() => void onCopy()}>
            Copy link
          </button>
          <span class="copy-note" aria-live="polite">
            {copy === 'copied' && 'Copied!'}
            {copy === 'manual' && 'Link selected - copy it with Ctrl+C or a long press.'}
          </span>
        </div>
      </div>
      {local && (
        <p class="hint">
          This link only works on this computer. To invite other devices, open JamSesh at this computer's
          network address (the server prints it when it starts).
        </p>
      )}
    </section>
  );
}

function selectText(element: HTMLElement | null): void {
  if (!element) return;
  const selection = window.getSelection();
  if (!selection) return;
  const range = document.createRange();
  range.selectNodeContents(element);
  selection.removeAllRanges();
  selection.addRange(range);
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.startsWith('127.') || hostname === '[::1]';
}
