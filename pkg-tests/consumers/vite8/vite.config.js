// No setup for sse-sanitizer; two pages: the whole package and sse-sanitizer/stream.
export default {
  build: { rollupOptions: { input: ['index.html', 'stream.html'] } },
};
