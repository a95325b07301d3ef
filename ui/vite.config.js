import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Flask app serves the built page from ../public; in development the Vite
// server proxies the API to Flask (make run, on port 3000 unless API_URL says).
const api = process.env.API_URL || 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../public', import.meta.url)),
    emptyOutDir: true,
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
  },
});
