import { defineConfig } from 'vite';

/**
 * The browser app lives in src/client and imports the shared protocol from src/protocol.
 * `vite build` is the app people run (dist/client). `vite build --mode test` adds the test hooks
 * (`window.__jamsesh`, the click probe, the simulated speaker delay) for the E2E tests and the
 * benchmark, into dist/client-test; the code that loads them is dropped from the default build.
 */
export default defineConfig(({ mode }) => ({
  root: 'src/client',
  publicDir: 'public',
  build: {
    outDir: mode === 'test' ? '../../dist/client-test' : '../../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  // The media worker is a module worker; ES output lets it load the WebAssembly Opus decoder as a
  // chunk of its own, fetched only by a device that decodes with it (worker/WasmOpus.ts).
  worker: { format: 'es' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    // `npm run dev`: Vite serves the app, the Node server (npm run dev:server) the WebSocket.
    proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
}));
