// Runs a module Worker in real workerd through miniflare, on 127.0.0.1. The
// Worker source is bundled by esbuild the way wrangler does it: bare imports
// resolved through package.json `exports` with the `workerd` condition, .wasm
// imports kept as separate CompiledWasm modules.
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bundles `entry` (a file URL or path); returns miniflare `modules`. */
export async function bundleWorker(entry) {
  const wasmFiles = new Map();
  const result = await build({
    entryPoints: [entry instanceof URL ? fileURLToPath(entry) : entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker'],
    mainFields: ['module', 'main'],
    write: false,
    outfile: '/worker.js',
    logLevel: 'silent',
    plugins: [
      {
        name: 'wasm-modules',
        setup(b) {
          b.onResolve({ filter: /\.wasm$/ }, (args) => {
            const path = new URL(args.path, `file://${args.resolveDir}/`).pathname;
            wasmFiles.set(basename(path), path);
            return { path: `./${basename(path)}`, external: true };
          });
        },
      },
    ],
  });
  return [
    { type: 'ESModule', path: '/worker.js', contents: result.outputFiles[0].text },
    ...[...wasmFiles].map(([name, path]) => ({ type: 'CompiledWasm', path: `/${name}`, contents: readFileSync(path) })),
  ];
}

/** Starts workerd with the bundled Worker on 127.0.0.1; returns the Miniflare instance and its URL. */
export async function startWorker(entry, options = {}) {
  const mf = new Miniflare({
    modules: await bundleWorker(entry),
    modulesRoot: '/',
    compatibilityDate: '2025-09-01',
    host: '127.0.0.1',
    port: 0,
    ...options,
  });
  const url = await mf.ready;
  return { mf, url };
}
