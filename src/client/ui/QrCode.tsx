import { useMemo } from 'preact/hooks';
import { qrShape } from './qrPath.js';

/** A scannable QR code, always dark on white (inverted codes fail on many phone cameras). */
export function QrCode({ text, label }: { text: string; label: string }) {
  const { size, d } = useMemo(() => qrShape(text), [text]);
  return (
    <svg
      class="qr"
      data-testid="qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shape-rendering="crispEdges"
    >
      <title>{label}</title>
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
