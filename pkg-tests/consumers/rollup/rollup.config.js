// Rollup leaves `new URL(…, import.meta.url)` alone; this plugin copies the .wasm.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { importMetaAssets } from '@web/rollup-plugin-import-meta-assets';

export default {
  // The two pages' scripts: the whole package and sse-sanitizer/stream.
  input: ['main.js', 'main-stream.js'],
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true }), importMetaAssets()],
};
