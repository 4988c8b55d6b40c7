// esbuild: the browser bundle with the .wasm as a file (its URL imported and
// given to init()), and Node bundles (ESM and CommonJS) with the .wasm as
// bytes (target node20: esbuild inlines them with Uint8Array.fromBase64 for
// esnext, which Node 20 lacks), plus one that leaves the package external.
import { build } from 'esbuild';

const common = { bundle: true, logLevel: 'warning' };
const pages = { main: 'main-esbuild.js', 'main-stream': 'main-esbuild-stream.js' };
await build({ ...common, entryPoints: pages, outdir: 'dist', format: 'esm', platform: 'browser', loader: { '.wasm': 'file' } });
for (const format of ['esm', 'cjs']) {
  await build({ ...common, entryPoints: ['node-main.js'], outfile: `out/bundled.${format === 'esm' ? 'mjs' : 'cjs'}`, format, platform: 'node', target: 'node20', loader: { '.wasm': 'binary' } });
}
await build({ ...common, entryPoints: ['node-external.js'], outfile: 'out/external.mjs', format: 'esm', platform: 'node', packages: 'external' });
