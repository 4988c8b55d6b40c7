// The README's setup: the dev server's dependency pre-bundling would move the
// package's JavaScript away from its .wasm, so the package is left out of it.
// Two pages: the whole package and sse-sanitizer/stream.
export default {
  optimizeDeps: { exclude: ['sse-sanitizer'] },
  build: { rollupOptions: { input: ['index.html', 'stream.html'] } },
};
