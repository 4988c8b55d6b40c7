// The README's setup: the dev server's dependency pre-bundling would move the
// package's JavaScript away from its .wasm, so the package is left out of it.
export default {
  optimizeDeps: { exclude: ['sse-sanitizer'] },
};
