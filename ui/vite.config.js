import { fileURLToPath } from 'node:url';
import { constants } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

// The Flask app serves the built pages from ../public (index.html at /,
// moderate.html at /moderate); in development the Vite server proxies the API
// to Flask (make run, on port 3000 unless API_URL says).
const api = process.env.API_URL || 'http://localhost:3000';

// The pages run on Preact: 'react' and 'react-dom' are the few lines of src/preact/ over
// Preact's own core and hooks, a tenth of React's weight (docs/page.md, "What the page
// weighs"). The tests run on them too, so what they check is what ships.
const own = (path) => fileURLToPath(new URL(path, import.meta.url));
const preact = [
  { find: /^react-dom\/test-utils$/, replacement: 'preact/test-utils' },
  { find: /^react-dom(\/client)?$/, replacement: own('src/preact/react-dom.js') },
  { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
  { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
  { find: /^react$/, replacement: own('src/preact/react.js') },
];

// Not in the shared chunk: the pages' entries, the modules only /moderate and /api/docs use,
// embed.js, which stands alone, the German and French catalogs (each loaded by the page that
// speaks it), the forms (loaded once the comments show: src/forms.js) and the event stream
// (loaded after the first page: src/stream.js).
const OWN_PAGES = new RegExp(
  [
    'main\\.jsx',
    'docs[\\\\/]',
    'moderat',
    'Moderation',
    'useModeration',
    'ThreadControls',
    'embed[\\\\/](host|frame)',
    'messages[\\\\/]',
    'formParts',
    'CommentForm',
    'CommentFields',
    'EmailFields',
    'EditForm',
    'ConfirmDelete',
    'writes',
    'stream',
  ]
    .map((name) => `[\\\\/]src[\\\\/]${name}`)
    .join('|'),
);

export default defineConfig({
  resolve: { alias: preact },
  plugins: [
    react(),
    // Precompressed copies beside each built file (app.js.gz, app.js.br), made once
    // here at the highest levels, so the server never compresses the page's files.
    compression({
      algorithms: [
        defineAlgorithm('gzip', { level: 9 }),
        defineAlgorithm('brotliCompress', { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      ],
      // Every file, however small: the server then answers every coding from a file.
      threshold: 0,
      logLevel: 'silent',
    }),
  ],
  build: {
    // Every browser the page supports has modulepreload: no polyfill in the first script.
    modulePreload: { polyfill: false },
    outDir: fileURLToPath(new URL('../public', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: {
      // The code the pages share (Preact, the Markdown renderer) is one chunk. The script
      // other sites include keeps one name, /embed.js (served with a short lifetime).
      output: {
        chunkFileNames: 'assets/[name]-[hash].js',
        // What the comment box needs is one file, so that brotli packs it as one: the widget's
        // first comment waits for one script (1 KB less than in three). Moderation's and the
        // API reference's own modules stay with their pages.
        manualChunks: (id) => (/[\\/](node_modules|src)[\\/]/.test(id) && !OWN_PAGES.test(id) ? 'shared' : undefined),
        entryFileNames: (chunk) => (chunk.name === 'embed' ? 'embed.js' : 'assets/[name]-[hash].js'),
      },
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        moderate: fileURLToPath(new URL('moderate.html', import.meta.url)),
        docs: fileURLToPath(new URL('docs.html', import.meta.url)),
        widget: fileURLToPath(new URL('widget.html', import.meta.url)),
        embed: fileURLToPath(new URL('src/embed/host.js', import.meta.url)),
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
    // Testing Library imports react-dom itself: its ES module, bundled with the tests, gets
    // Preact too (its CommonJS main, which Node would load, would bring React back).
    alias: [
      {
        find: /^@testing-library\/react$/,
        replacement: own('node_modules/@testing-library/react/dist/@testing-library/react.esm.js'),
      },
    ],
    server: { deps: { inline: [/@testing-library/] } },
    // Generous ceilings, not expectations: the machine may be busy with other work.
    testTimeout: 30_000,
  },
});
