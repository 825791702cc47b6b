import { encode } from 'uqr';

/** ISO/IEC 18004 asks for 4 light modules around the symbol; scanners struggle with less. */
export const QUIET_ZONE = 4;

/**
 * One SVG path for the dark modules of a QR matrix: a rectangle per horizontal run, offset by
 * `margin` modules. One <path> instead of hundreds of <rect>s keeps the DOM small.
 */
export function modulesToPath(modules: readonly (readonly boolean[])[], margin: number): string {
  let d = '';
  modules.forEach((row, y) => {
    let x = 0;
    while (x < row.length) {
      if (!row[x]) {
        x++;
        continue;
      }
      let run = 1;
      while (row[x + run]) run++;
      d += `M${x + margin} ${y + margin}h${run}v1h-${run}z`;
      x += run;
    }
  });
  return d;
}

/** A QR code of `text` as a path in a square of `size` modules (the quiet zone included). */
export function qrShape(text: string): { size: number; d: string } {
  // ECC level M (15 % recoverable) stays readable off a scratched or glary phone screen.
  const qr = encode(text, { ecc: 'M', border: 0 });
  return { size: qr.data.length + 2 * QUIET_ZONE, d: modulesToPath(qr.data, QUIET_ZONE) };
}
