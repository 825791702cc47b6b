import { defineConfig } from 'vite';

// The browser app lives in src/client and imports the shared protocol from src/protocol.
export default defineConfig({
  root: 'src/client',
  publicDir: 'public',
  build: {
    outDir: '../../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    // `npm run dev`: Vite serves the app, the Node server (npm run dev:server) the WebSocket.
    proxy: { '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
});
