#!/usr/bin/env node
// Static server for the demo and the browser tests: 127.0.0.1 only, serves the
// project's www/, js/, pkg/ and tests/corpus/, plus /samples.json (the demo's
// sample list, built from the corpus at first request), nothing else.
//
//   node scripts/serve.js [--port N]      (default 8787; 0 picks a free port)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSamples } from './samples.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const allowed = ['www', 'js', 'pkg', 'tests/corpus'];
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.sse': 'text/event-stream; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
};

/** Starts the server; resolves to { url, close }. */
export function startServer({ port = 8787, host = '127.0.0.1' } = {}) {
  let samples;
  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path === '/samples.json') {
        samples ??= JSON.stringify(buildSamples());
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(samples);
        return;
      }
      if (path === '/') path = '/www/index.html';
      const rel = normalize(path).replace(/^[/\\]+/, '');
      if (rel.includes('..') || !allowed.some((dir) => rel === dir || rel.startsWith(dir + '/'))) {
        res.writeHead(404).end('not found');
        return;
      }
      let file = root + rel.split('/').join(sep);
      if ((await stat(file)).isDirectory()) file += `${sep}index.html`;
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': types[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ url: `http://${host}:${actual}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : Number(process.env.PORT ?? 8787);
  const { url } = await startServer({ port });
  console.log(`sse-sanitizer devtools demo: ${url}`);
  console.log('(Ctrl-C to stop)');
}
