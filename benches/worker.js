// The Worker filter (js/worker.js in real workerd, through miniflare) against
// the strict upstream on 127.0.0.1, compared with the same requests sent
// straight to the upstream, through a bare workerd proxy and through one that
// only copies the reply through a JS TransformStream: requests/s, time per streamed reply and
// time-to-first-byte, and where the first text delta leaves the Worker
// relative to the upstream's end of stream. Then the load test: 200
// concurrent streams and 2,000 sequential ones, workerd's RSS and wasm memory
// at the start, the peak and the end, against a bare proxy Worker, and the
// memory per request body size.
import { readdirSync, readFileSync } from 'node:fs';
import { startWorker } from '../pkg-tests/helpers/workerd.js';
import { startStrictUpstream } from '../pkg-tests/helpers/strict-upstream.js';
import { sanitize } from '../js/node.js';
import { table, fmt } from './util.js';

const KEY = 'sk-bench-0001';
// A real 68 KB stream with two whitespace-only text blocks to drop.
const STREAM = new Uint8Array(readFileSync(new URL('../tests/corpus/streams/vercel-ai__anthropic-web-search-tool.1.sse', import.meta.url)));
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'Search the web.' }] });
const TEXT_DELTA = new TextEncoder().encode('"text_delta"');
const EVENT_END = new TextEncoder().encode('\n\n');

function indexOf(haystack, needle) {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * One streamed reply: { total, ttfb, firstEvent, firstDelta } in ms from the
 * request start. `firstEvent` is when the first whole event had arrived: what
 * an SSE consumer can act on (the sanitizer emits whole events, so its first
 * byte comes when the upstream's first event is complete).
 */
async function once(base) {
  const start = performance.now();
  const res = await fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    body: BODY,
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  let ttfb;
  let firstEvent;
  let firstDelta;
  let tail = new Uint8Array(0);
  for await (const chunk of res.body) {
    ttfb ??= performance.now() - start;
    if (firstDelta === undefined) {
      // NOTE: keep the previous chunk's tail so a marker split across chunks is found.
      const joined = new Uint8Array(tail.length + chunk.length);
      joined.set(tail);
      joined.set(chunk, tail.length);
      if (firstEvent === undefined && indexOf(joined, EVENT_END) !== -1) firstEvent = performance.now() - start;
      if (indexOf(joined, TEXT_DELTA) !== -1) firstDelta = performance.now();
      tail = joined.subarray(Math.max(0, joined.length - TEXT_DELTA.length));
    }
  }
  return { start, total: performance.now() - start, ttfb, firstEvent, firstDelta };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** Requests/s with `concurrency` clients looping for `ms`. */
async function rate(base, concurrency, ms) {
  let n = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once(base);
        n++;
      }
    }),
  );
  return n / (ms / 1000);
}

/** The workerd processes this process started. */
function workerdPids() {
  const pids = new Set();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [, comm, ppid] = /^\d+ \((.*)\) \S (\d+)/.exec(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (comm === 'workerd' && Number(ppid) === process.pid) pids.add(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** startWorker(), plus the pid of the workerd process it started. */
async function startMeasured(entry, options) {
  const before = workerdPids();
  const started = await startWorker(entry, options);
  const [pid] = [...workerdPids()].filter((p) => !before.has(p));
  return { ...started, pid };
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Runs `fn` while sampling `pid`'s RSS every 10 ms; returns [result, peak MiB]. */
async function peakDuring(pid, fn) {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 10);
  try {
    return [await fn(), Math.max(peak, rssMiB(pid))];
  } finally {
    clearInterval(timer);
  }
}

/** One streamed reply, read whole; whether it is byte for byte `expected`. */
async function exact(base, expected, body = BODY) {
  const res = await fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    body,
  });
  const got = Buffer.from(await res.arrayBuffer());
  return res.status === 200 && got.equals(expected);
}

/** A Messages body of about `bytes` bytes: alternating turns of ~1 KB text blocks. */
function bodyOf(bytes) {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(23);
  const count = Math.floor(bytes / (text.length + 60));
  const messages = Array.from({ length: count | 1 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text }] }));
  return JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages });
}

/**
 * The load test of issue 14: 200 concurrent streams, then 2,000 one after
 * the other, through js/worker.js and through the bare proxy Worker, with
 * workerd's RSS at the start, at the peak of the concurrent run, after 1,000
 * and after 2,000; then request bodies of 1 to 32 MiB (RSS after each).
 */
async function loadTest(upstream, bindings) {
  const filter = await startMeasured(new URL('./fixtures/measured-worker.js', import.meta.url), { bindings });
  const wasmMiB = async () => (await (await fetch(`${filter.url.origin}/__wasm-memory`)).json()).bytes / 2 ** 20;
  const bare = await startMeasured(new URL('./fixtures/proxy-worker.js', import.meta.url), { bindings });
  const targets = [
    ['worker', filter, sanitize(STREAM).output],
    ['bare proxy', bare, STREAM],
  ];
  try {
    const rows = [];
    const wasm = [];
    for (const [name, { url, pid }, expected] of targets) {
      const base = url.origin;
      await exact(base, expected);
      if (name === 'worker') wasm.push(fmt(await wasmMiB(), 1));
      const start = rssMiB(pid);
      Object.assign(upstream.options, { chunkBytes: 256, delayMs: 2 });
      const [concurrent, peak] = await peakDuring(pid, () => Promise.all(Array.from({ length: 200 }, () => exact(base, expected))));
      Object.assign(upstream.options, { chunkBytes: 1024, delayMs: 0 });
      let wrong = concurrent.filter((ok) => !ok).length;
      let middle;
      const began = performance.now();
      for (let i = 0; i < 2000; i++) {
        if (!(await exact(base, expected))) wrong++;
        if (i === 999) middle = rssMiB(pid);
      }
      const seconds = (performance.now() - began) / 1000;
      rows.push([name, fmt(start, 0), fmt(peak, 0), fmt((peak - start) / 200, 2), fmt(middle, 0), fmt(rssMiB(pid), 0), fmt(2000 / seconds, 0), wrong]);
      if (name === 'worker') wasm.push(fmt(await wasmMiB(), 1));
    }
    table(
      `worker load: ${(STREAM.length / 1e3).toFixed(0)} KB streams, 200 concurrent (paced 256 B / 2 ms) then 2,000 sequential; workerd RSS in MiB`,
      ['target', 'start', 'peak (200 open)', 'per open stream', 'after 1,000', 'after 2,000', 'sequential req/s', 'not byte-exact'],
      rows,
    );
    console.log(`worker wasm memory: ${wasm[0]} MiB at the start, ${wasm[1]} MiB after the load (it never shrinks: the high-water mark)`);

    const sizes = [];
    for (const mib of [1, 4, 16, 32]) {
      const body = bodyOf(mib * 2 ** 20 - 4096);
      const row = [`${mib} MiB`];
      for (const [name, { url, pid }, expected] of targets) {
        const [ok, peak] = await peakDuring(pid, () => exact(url.origin, expected, body));
        row.push(ok ? fmt(peak, 0) : 'failed');
        if (name === 'worker') row.push(fmt(await wasmMiB(), 1));
      }
      sizes.push(row);
    }
    table(
      'worker request bodies (ordinary turns of 1 KB text blocks), one at a time, growing: peak RSS and wasm memory in MiB (neither shrinks)',
      ['body', 'worker RSS', 'worker wasm', 'bare proxy RSS'],
      sizes,
    );
  } finally {
    for (const started of [filter, bare]) await started.mf.dispose();
  }
}

export async function run() {
  const upstream = await startStrictUpstream({ stream: STREAM, auth: { mode: 'either', key: KEY }, chunkBytes: 1024, delayMs: 0 });
  const bindings = { UPSTREAM_URL: upstream.url, UPSTREAM_AUTH: 'bearer' };
  const fixture = new URL('./fixtures/proxy-worker.js', import.meta.url);
  const proxy = await startWorker(fixture, { bindings });
  const copy = await startWorker(fixture, { bindings: { ...bindings, TRANSFORM: 'copy' } });
  const worker = await startWorker(new URL('../js/worker.js', import.meta.url), { bindings });
  const targets = {
    direct: upstream.url,
    'workerd proxy': proxy.url.origin,
    'proxy + JS copy transform': copy.url.origin,
    worker: worker.url.origin,
  };
  const bases = Object.keys(targets).filter((name) => name !== 'worker');
  try {
    // Unpaced: the cost of the Worker itself (1 KB chunks, no delays).
    for (const base of Object.values(targets)) for (let i = 0; i < 20; i++) await once(base);
    const rows = [];
    const totals = {};
    for (const [name, base] of Object.entries(targets)) {
      const runs = [];
      for (let i = 0; i < 100; i++) runs.push(await once(base));
      totals[name] = runs.map((r) => r.total);
      rows.push([name, fmt(await rate(base, 1, 1500), 0), fmt(await rate(base, 8, 1500), 0), fmt(quantile(totals[name], 0.5), 2), fmt(quantile(totals[name], 0.9), 2)]);
    }
    for (const base of bases) {
      rows.push([
        `worker added vs ${base}`,
        '',
        '',
        fmt(quantile(totals.worker, 0.5) - quantile(totals[base], 0.5), 2),
        fmt(quantile(totals.worker, 0.9) - quantile(totals[base], 0.9), 2),
      ]);
    }
    table(
      `worker: ${(STREAM.length / 1e3).toFixed(0)} KB streamed reply in 1 KB chunks; straight to the local upstream, through bare workerd proxies, through js/worker.js`,
      ['target', 'req/s (1 client)', 'req/s (8 clients)', 'ms/reply p50', 'ms/reply p90'],
      rows,
    );

    // Paced like a model (256 B every 2 ms): time to first byte, and whether the
    // first text delta leaves the Worker before the upstream has finished.
    Object.assign(upstream.options, { chunkBytes: 256, delayMs: 2 });
    const ttfb = {};
    const tfe = {};
    let early = 0;
    let count = 0;
    for (const [name, base] of Object.entries(targets)) {
      ttfb[name] = [];
      tfe[name] = [];
      for (let i = 0; i < 30; i++) {
        const r = await once(base);
        ttfb[name].push(r.ttfb);
        tfe[name].push(r.firstEvent);
        if (name === 'worker') {
          count++;
          if (r.firstDelta < upstream.requests.at(-1).finished) early++;
        }
      }
    }
    const q = (xs, p) => fmt(quantile(xs, p), 2);
    const row = (name) => [name, q(ttfb[name], 0.5), q(ttfb[name], 0.9), q(tfe[name], 0.5), q(tfe[name], 0.9)];
    const diff = (a, b, p) => fmt(quantile(a, p) - quantile(b, p), 2);
    const added = (base) => [
      `worker added vs ${base}`,
      diff(ttfb.worker, ttfb[base], 0.5),
      diff(ttfb.worker, ttfb[base], 0.9),
      diff(tfe.worker, tfe[base], 0.5),
      diff(tfe.worker, tfe[base], 0.9),
    ];
    table(
      'worker: time to first byte and to the first whole event, upstream paced at 256 B / 2 ms, ms',
      ['target', 'first byte p50', 'p90', 'first event p50', 'p90'],
      [...Object.keys(targets).map(row), ...bases.map(added)],
    );
    console.log(`first text delta out of the Worker before the upstream finished: ${early}/${count} replies`);
    if (early !== count) throw new Error('the Worker held a reply back until the upstream finished');
    await loadTest(upstream, bindings);
  } finally {
    for (const started of [proxy, copy, worker]) await started.mf.dispose();
    await upstream.close();
  }
}
