/**
 * Renders the app's PNG icons from the hand-written SVG (src/client/public/icons/icon.svg) with
 * Debian's Chromium, offline: `npx tsx scripts/icons.ts`. The PNGs are committed; run this again
 * only when the SVG changes.
 *
 * - icon-192.png, icon-512.png: the SVG as it is (rounded corners transparent), purpose "any".
 * - icon-maskable-512.png: full-bleed background with the mark inside the central 80 % circle that
 *   every launcher mask keeps (https://www.w3.org/TR/appmanifest/#icon-masks), purpose "maskable".
 * - apple-touch-icon.png (180): full-bleed too; iOS fills transparency with black and rounds it itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/support/chromium.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = path.join(ROOT, 'src/client/public');
const BACKGROUND = '#111318';

interface Render {
  file: string;
  size: number;
  /** The mark's share of the square: 1 for the SVG as drawn. */
  scale: number;
  fullBleed: boolean;
}

const RENDERS: Render[] = [
  { file: 'icons/icon-192.png', size: 192, scale: 1, fullBleed: false },
  { file: 'icons/icon-512.png', size: 512, scale: 1, fullBleed: false },
  // The SVG's disc has a radius of 176/512 of the side; at 0.8 that is 0.275, inside the 0.4 safe circle.
  { file: 'icons/icon-maskable-512.png', size: 512, scale: 0.8, fullBleed: true },
  { file: 'apple-touch-icon.png', size: 180, scale: 0.9, fullBleed: true },
];

const svg = readFileSync(path.join(PUBLIC, 'icons/icon.svg'));
const src = `data:image/svg+xml;base64,${svg.toString('base64')}`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  for (const r of RENDERS) {
    const page = await browser.newPage({ viewport: { width: r.size, height: r.size }, deviceScaleFactor: 1 });
    const side = Math.round(r.size * r.scale);
    await page.setContent(
      `<html><body style="margin:0;width:${r.size}px;height:${r.size}px;display:grid;place-items:center;background:${r.fullBleed ? BACKGROUND : 'transparent'}">` +
        `<img src="${src}" width="${side}" height="${side}" alt=""></body></html>`,
    );
    await page.locator('img').evaluate((img: HTMLImageElement) => img.decode());
    await page.screenshot({ path: path.join(PUBLIC, r.file), omitBackground: !r.fullBleed });
    await page.close();
    console.log(`${r.file}: ${r.size}x${r.size}`);
  }
} finally {
  await browser.close();
}
