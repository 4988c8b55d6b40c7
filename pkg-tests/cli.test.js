// The `sse-sanitizer` command, run as a user runs it: a child process with
// files, stdin and stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sanitize, accumulate, normalize, SseParser, validateStream } from '../js/node.js';
import { corpusStreams } from './corpus.js';

const cli = new URL('../js/cli.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the CLI; `stdin` is bytes or an async iterable of chunks. `stdout`: a
 * file descriptor to write to instead of a pipe; `closeAfter`: bytes of
 * stdout after which the pipe is closed (as `| head -c N` does).
 */
function run(args, stdin, { onPid, stdout, closeAfter } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', stdout ?? 'pipe', 'pipe'] });
    onPid?.(child.pid);
    const out = [];
    let outBytes = 0;
    const err = [];
    child.stdout?.on('data', (c) => {
      outBytes += c.length;
      if (out.length < 64) out.push(c);
      if (outBytes >= closeAfter) child.stdout.destroy();
    });
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), outBytes, stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    (async () => {
      if (stdin === undefined) return child.stdin.end();
      if (stdin instanceof Uint8Array || typeof stdin === 'string') return child.stdin.end(stdin);
      for await (const c of stdin) if (!child.stdin.write(c)) await new Promise((r) => child.stdin.once('drain', r));
      child.stdin.end();
    })().catch(reject);
  });
}

const streams = corpusStreams();
const dirty = streams.find((s) => sanitize(s.bytes).report.blocksDropped.length > 0 && /message_stop[^]*\n\n$/.test(Buffer.from(s.bytes).toString()));

test('clean: file and stdin give the sanitized stream; --report on stderr', async () => {
  const file = join(dir, 'dirty.sse');
  writeFileSync(file, dirty.bytes);
  const expected = sanitize(dirty.bytes);
  const a = await run(['clean', file, '--report']);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(new Uint8Array(a.stdout), expected.output);
  assert.deepEqual(JSON.parse(a.stderr), expected.report);
  const b = await run(['clean'], dirty.bytes);
  assert.deepEqual(new Uint8Array(b.stdout), expected.output);
  const bedrock = await run(['clean', '--profile', 'bedrock', file]);
  assert.deepEqual(new Uint8Array(bedrock.stdout), sanitize(dirty.bytes, { profile: 'bedrock' }).output);
  // The old flag still works and means the default profile.
  const keep = await run(['clean', '--keep-whitespace', file]);
  assert.deepEqual(new Uint8Array(keep.stdout), expected.output);
});

test('clean keeps a blank block before a thinking block, with the placeholder', async () => {
  const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude-opus-4-6","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}\n\n';
  const text = (i, d) =>
    `event: content_block_start\ndata: {"type":"content_block_start","index":${i},"content_block":{"type":"text","text":""}}\n\n` +
    (d ? `event: content_block_delta\ndata: {"type":"content_block_delta","index":${i},"delta":{"type":"text_delta","text":${JSON.stringify(d)}}}\n\n` : '') +
    `event: content_block_stop\ndata: {"type":"content_block_stop","index":${i}}\n\n`;
  const thinking =
    'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n' +
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"sig"}}\n\n' +
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n';
  const end = 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
  const input = start + text(0, '\n\n') + thinking + text(2, 'answer') + end;
  for (const args of [['clean'], ['clean', '--profile', 'bedrock'], ['clean', '--placeholder', '(thinking)']]) {
    const r = await run([...args, '--report'], Buffer.from(input));
    assert.equal(r.code, 0, r.stderr);
    const message = await accumulate(r.stdout);
    const placeholder = args[1] === '--placeholder' ? '(thinking)' : '...';
    assert.equal(message.content[0].text, `\n\n${placeholder}`, args.join(' '));
    assert.equal(message.content[1].signature, 'sig');
    assert.deepEqual(JSON.parse(r.stderr).blocksReplaced.map((b) => [b.index, b.rule]), [[0, 'thinking-position']]);
  }
  const bad = await run(['clean', '--placeholder', ' '], Buffer.from(input));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.toString(), /invalid-option: invalid option `placeholderText`/);
});

test('events and accumulate', async () => {
  const ev = await run(['events'], dirty.bytes);
  assert.equal(ev.code, 0);
  const parser = new SseParser();
  const expected = parser.feed(dirty.bytes);
  assert.deepEqual(ev.stdout.toString().trim().split('\n').map((l) => JSON.parse(l)), expected);
  const acc = await run(['accumulate', '-'], dirty.bytes);
  assert.equal(acc.code, 0, acc.stderr);
  assert.deepEqual(JSON.parse(acc.stdout), await accumulate(dirty.bytes));
});

test('normalize and validate: JSON out, violations, exit codes', async () => {
  const body = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
  const file = join(dir, 'request.json');
  writeFileSync(file, JSON.stringify(body));
  const n = await run(['normalize', file, '--report']);
  assert.equal(n.code, 0);
  assert.deepEqual(JSON.parse(n.stdout), normalize(body).body);
  assert.equal(JSON.parse(n.stderr)[0].rule, 'empty-text');
  const v = await run(['validate', file]);
  assert.equal(v.code, 1);
  assert.deepEqual(JSON.parse(v.stdout.toString().trim().split('\n')[0]).message, 'messages: text content blocks must be non-empty');
  const clean = await run(['validate', '--profile', 'bedrock'], n.stdout);
  assert.equal(clean.code, 0, clean.stdout.toString());
  assert.match(clean.stderr, /clean under bedrock/);
});

test('check: the stream verdict as JSON lines, exit 1 on anomalies, 0 when clean, 2 on bad input', async () => {
  const clean = streams.find((s) => validateStream(s.bytes).length === 0);
  const ok = await run(['check'], clean.bytes);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.length, 0);
  assert.match(ok.stderr, /clean: no anomaly/);

  const spliced = streams.find((s) => s.name.endsWith('vercel-ai__spliced-message-start.sse'));
  const file = join(dir, 'spliced.sse');
  writeFileSync(file, spliced.bytes);
  const bad = await run(['check', file]);
  assert.equal(bad.code, 1, bad.stderr);
  const lines = bad.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, validateStream(spliced.bytes));
  assert.ok(lines.some((a) => a.code === 'second-message-start' && a.sdk === 'raises'));
  assert.match(bad.stderr, /the official SDK fails: Unexpected event order/);

  // A data-only relay: the SDK skips every frame, the verdict says so.
  const unnamed = await run(['check'], 'data: {"type":"message_start","message":{"content":[]}}\n\ndata: {"type":"message_stop"}\n\n');
  assert.equal(unnamed.code, 1);
  assert.match(unnamed.stdout.toString(), /"code":"unnamed-event"/);
  assert.match(unnamed.stdout.toString(), /"code":"no-message".*"sdk":"raises"/);

  const missing = await run(['check', join(dir, 'nope.sse')]);
  assert.equal(missing.code, 2);
  const huge = await run(['check'], `data: ${'x'.repeat(9 << 20)}\n\n`);
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /max-buffer-exceeded/);
});

test('bad input and usage: exit 2 with a clear message', async () => {
  const cases = [
    [['normalize'], '{"messages": [', /invalid-json: invalid JSON/],
    [['validate'], '{"model": 1}', /invalid-shape/],
    [['clean', join(dir, 'missing.sse')], undefined, /missing\.sse: no such file/],
    [['frobnicate'], undefined, /unknown command frobnicate/],
    [['validate', '--profile', 'openai'], '{}', /--profile: invalid option `profile`: expected "anthropic", "bedrock" or "bedrock-invoke"/],
    [['clean', '--colour'], undefined, /unknown option --colour/],
    [['accumulate'], 'not sse at all', /no-message/],
  ];
  for (const [args, stdin, message] of cases) {
    const r = await run(args, stdin);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /Usage: sse-sanitizer <command>/);
  assert.match(help.stdout.toString(), /^  check +SSE capture/m);
});

test('clean streams 1 GiB of real events with flat memory', async (t) => {
  // Real events (every clean corpus stream, concatenated), repeated to 1 GiB.
  const unit = Buffer.concat(streams.filter((s) => sanitize(s.bytes).report.blocksDropped.length === 0).map((s) => s.bytes));
  const block = Buffer.concat(Array.from({ length: Math.ceil((4 << 20) / unit.length) }, () => unit));
  const total = 1 << 30;
  async function* source() {
    for (let sent = 0; sent < total; sent += block.length) yield block;
  }
  let pid;
  let peakKb = 0;
  const samples = [];
  const timer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
      samples.push(Number(/VmRSS:\s+(\d+)/.exec(status)[1]));
    } catch {}
  }, 50);
  const started = Date.now();
  const r = await run(['clean'], source(), { onPid: (p) => (pid = p) });
  clearInterval(timer);
  assert.equal(r.code, 0, r.stderr);
  const sent = Math.ceil(total / block.length) * block.length;
  assert.equal(r.outBytes, sent, 'every byte through, none added or lost');
  const early = samples[Math.floor(samples.length / 4)];
  const late = samples.at(-2) ?? early;
  t.diagnostic(`1 GiB in ${((Date.now() - started) / 1000).toFixed(1)} s; peak RSS ${(peakKb / 1024).toFixed(0)} MiB; RSS at 1/4: ${(early / 1024).toFixed(0)} MiB, at the end: ${(late / 1024).toFixed(0)} MiB`);
  assert.ok(peakKb < 200 * 1024, `peak RSS ${peakKb} KiB`);
  assert.ok(Math.abs(late - early) < 32 * 1024, `RSS flat: ${early} → ${late} KiB`);
});

/** Exit 2 and one line on stderr matching `message`: no stack trace. */
function assertOneLine(r, message, what) {
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, message, what);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, what);
}

/** A request with `n` empty text blocks: n violations, n changes. */
function blankBlocks(n) {
  const content = Array.from({ length: n }, () => ({ type: 'text', text: '' }));
  return JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: [...content, { type: 'text', text: 'hi' }] }] });
}

test('a directory argument: exit 2, one line', async () => {
  for (const command of ['clean', 'events', 'accumulate', 'normalize', 'validate']) {
    assertOneLine(await run([command, dir]), /is a directory/, command);
  }
});

test('stdout on /dev/full: exit 2, one line', async () => {
  const file = join(dir, 'blank.json');
  writeFileSync(file, blankBlocks(2000));
  const sse = join(dir, 'dirty.sse');
  writeFileSync(sse, dirty.bytes);
  for (const args of [['clean', sse], ['events', sse], ['accumulate', sse], ['normalize', file], ['validate', file]]) {
    const fd = openSync('/dev/full', 'w');
    try {
      assertOneLine(await run(args, undefined, { stdout: fd }), /no space left on device/i, args[0]);
    } finally {
      closeSync(fd);
    }
  }
});

test('stdout closed early (| head -c 10): exit 2, one line', async () => {
  const file = join(dir, 'many.json');
  writeFileSync(file, blankBlocks(50_000));
  const long = join(dir, 'long.json');
  writeFileSync(long, JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x'.repeat(8 << 20) }] }));
  const sse = join(dir, 'big.sse');
  writeFileSync(sse, Buffer.concat(Array.from({ length: Math.ceil((8 << 20) / dirty.bytes.length) }, () => dirty.bytes)));
  for (const args of [['validate', file], ['normalize', long], ['clean', sse], ['events', sse]]) {
    assertOneLine(await run(args, undefined, { closeAfter: 10 }), /stdout closed/, args[0]);
  }
});

test('a file over 2 GiB (and over the body limit): exit 2, one line, nothing read', async () => {
  const file = join(dir, 'huge.json');
  writeFileSync(file, '');
  truncateSync(file, 2 ** 31 + 1); // sparse: no disk space used
  for (const command of ['normalize', 'validate']) {
    const started = Date.now();
    assertOneLine(await run([command, file]), /body-too-large/, command);
    assert.ok(Date.now() - started < 5000, `${command} took ${Date.now() - started} ms`);
  }
});

test('stdin over the body limit: reading stops there (exit 2, one line, bounded memory)', async (t) => {
  const piece = Buffer.from('y\n'.repeat(1 << 19)); // 1 MiB
  let sent = 0;
  async function* endless() {
    for (; sent < 256 << 20; sent += piece.length) yield piece;
  }
  let pid;
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    } catch {}
  }, 20);
  const r = await run(['normalize'], endless(), { onPid: (p) => (pid = p) });
  clearInterval(timer);
  assertOneLine(r, /body-too-large/, 'normalize');
  t.diagnostic(`sent ${sent >> 20} MiB before the CLI stopped reading; its peak RSS ${(peakKb / 1024).toFixed(0)} MiB`);
  assert.ok(peakKb < 200 * 1024, `peak RSS ${peakKb} KiB`);
  assert.ok(sent < 96 << 20, `the CLI read ${sent >> 20} MiB`);
});
