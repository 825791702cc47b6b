import { open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { requestPath } from './requestPath.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Headers on every response. COOP/COEP make the page cross-origin isolated, which the audio engine
 * needs for SharedArrayBuffer between the decoder and the AudioWorklet. The CSP allows only our own
 * scripts, so a chat line can never become code even if a rendering bug slipped through;
 * `connect-src 'self'` covers our own ws:/wss: too (CSP3), and no other socket.
 * 'wasm-unsafe-eval' lets our own scripts compile WebAssembly (the Opus decoder for browsers
 * without WebCodecs audio, whose wasm comes inside our script) and nothing more: no eval, no
 * Function(), no script from anywhere else.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; media-src 'self' blob: mediastream:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/**
 * Serves the built app from `root`. Paths without a file extension (/, /join/K7Q4MZ) get
 * index.html so the app can route them itself; hashed assets are cached for a year.
 */
export function createStaticHandler(root: string) {
  const resolvedRoot = path.resolve(root);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let pathname: string;
    try {
      const raw = requestPath(req.url);
      if (raw === null) throw new Error('not a URL');
      pathname = decodeURIComponent(raw);
    } catch {
      res.writeHead(400).end('Bad Request');
      return;
    }
    const wantsFile = path.extname(pathname) !== '';
    const file = wantsFile
      ? path.resolve(resolvedRoot, `.${path.posix.normalize(pathname)}`)
      : path.join(resolvedRoot, 'index.html');
    if (!file.startsWith(resolvedRoot + path.sep)) {
      res.writeHead(404).end('Not Found');
      return;
    }
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      // A link inside the root may lead anywhere: serve only files that really lie inside it.
      const [real, realRoot] = await Promise.all([realpath(file), realpath(resolvedRoot)]);
      if (!real.startsWith(realRoot + path.sep)) throw new Error('outside the root');
      // Opened once and read through that handle: a file removed or replaced after this still
      // gives the bytes (and the size) it had, never a reply cut short.
      handle = await open(real, 'r');
      const info = await handle.stat();
      if (!info.isFile()) throw new Error('not a file');
      const immutable = pathname.startsWith('/assets/');
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    } catch {
      await handle?.close().catch(() => {});
      if (!wantsFile) {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('The app is not built yet: run `npm run build` (npm start does it for you).\n');
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found');
      return;
    }
    if (req.method === 'HEAD') {
      await handle.close().catch(() => {});
      res.end();
      return;
    }
    // The stream closes the handle; a client gone mid-reply ends the pipeline, not the process.
    await pipeline(handle.createReadStream(), res).catch(() => res.destroy());
  };
}
