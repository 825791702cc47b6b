import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/app.js';
import { startTestServer } from '../support/server.js';

/**
 * "Add to Home Screen": the built app (dist/client, as people run it) served by the real server
 * names a web app manifest that parses, opens the app at /, and whose icons are there, each with
 * the content type and size it claims. Chromium's own view of it: tests/e2e/phone.spec.ts.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let server: RunningServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ STATIC_DIR: path.join(ROOT, 'dist/client') });
  base = `http://127.0.0.1:${server.httpPort}`;
});
afterAll(async () => {
  await server.close();
});

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

/** The `href` of `<link rel="...">` in a page. */
function linkHref(html: string, rel: string): string | undefined {
  const tag = [...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]).find((t) => t.includes(`rel="${rel}"`));
  return tag ? /href="([^"]+)"/.exec(tag)?.[1] : undefined;
}

/** Width and height from a PNG's IHDR chunk (bytes 16-23). */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

async function manifestOf(page: string): Promise<{ href: string; manifest: Record<string, unknown> }> {
  const html = await (await fetch(`${base}${page}`)).text();
  const href = linkHref(html, 'manifest');
  expect(href, `a manifest link on ${page}`).toBeDefined();
  const res = await fetch(new URL(href as string, `${base}${page}`));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/manifest+json');
  return { href: href as string, manifest: (await res.json()) as Record<string, unknown> };
}

describe('the installable app (dist/client)', () => {
  it('names a manifest that parses and opens the app at / in its own window', async () => {
    const { manifest } = await manifestOf('/');
    expect(manifest).toMatchObject({
      name: 'JamSesh',
      short_name: 'JamSesh',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#111318',
      background_color: '#111318',
    });
  });

  it('has every icon it lists, as the type and size it says, including a maskable one and an SVG', async () => {
    const { manifest } = await manifestOf('/');
    const icons = manifest.icons as ManifestIcon[];
    expect(icons.map((i) => `${i.sizes} ${i.purpose ?? 'any'}`)).toEqual(
      expect.arrayContaining(['any any', '192x192 any', '512x512 any', '512x512 maskable']),
    );
    for (const icon of icons) {
      const res = await fetch(new URL(icon.src, base));
      expect(res.status, icon.src).toBe(200);
      expect(res.headers.get('content-type'), icon.src).toBe(icon.type);
      const bytes = Buffer.from(await res.arrayBuffer());
      if (icon.type === 'image/png') expect(pngSize(bytes), icon.src).toBe(icon.sizes);
      else expect(bytes.toString('utf8'), icon.src).toContain('<svg');
    }
  });

  it('gives iOS its home-screen icon and the theme colour', async () => {
    const html = await (await fetch(`${base}/`)).text();
    expect(html).toContain('<meta name="theme-color" content="#111318"');
    const href = linkHref(html, 'apple-touch-icon');
    const res = await fetch(new URL(href as string, base));
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(pngSize(Buffer.from(await res.arrayBuffer()))).toBe('180x180');
  });

  it('serves the same app and manifest at a join link, so one opened from the home screen still works', async () => {
    const res = await fetch(`${base}/join/K7Q4MZ`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const { href, manifest } = await manifestOf('/join/K7Q4MZ');
    // Absolute, so it resolves to the same file from any depth of path.
    expect(href).toBe('/manifest.webmanifest');
    expect(manifest.start_url).toBe('/');
  });
});
