import { fileURLToPath } from 'node:url';
import { constants } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

// The Flask app serves the built pages from ../public (index.html at /,
// moderate.html at /moderate); in development the Vite server proxies the API
// to Flask (make run, on port 3000 unless API_URL says).
const api = process.env.API_URL || 'http://localhost:3000';

export default defineConfig({
  plugins: [
    react(),
    // Precompressed copies beside each built file (app.js.gz, app.js.br), made once
    // here at the highest levels, so the server never compresses the page's files.
    compression({
      algorithms: [
        defineAlgorithm('gzip', { level: 9 }),
        defineAlgorithm('brotliCompress', { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      ],
      threshold: 1024,
      logLevel: 'silent',
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../public', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: {
      // The code the pages share (React, the Markdown renderer) is one chunk.
      output: { chunkFileNames: 'assets/shared-[hash].js' },
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        moderate: fileURLToPath(new URL('moderate.html', import.meta.url)),
        docs: fileURLToPath(new URL('docs.html', import.meta.url)),
      },
    },
  },
  server: {
    proxy: {
      '/api': api,
      '/healthz': api,
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test-setup.js'],
    restoreMocks: true,
    // Generous ceilings, not expectations: the machine may be busy with other work.
    testTimeout: 30_000,
  },
});
