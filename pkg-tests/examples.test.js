// The runnable examples in examples/, run as a reader runs them (`node
// examples/<name>.mjs`, the package imported by its name), with their output
// checked against what the library computes directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sanitize } from '../js/node.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-examples-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** `{ code, stdout, stderr }` of `node examples/<name> ...args`, run from the project root. */
async function example(name, ...args) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [`examples/${name}`, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (typeof err.code !== 'number') throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('sanitize-stream: the default web-search stream loses its two whitespace-only blocks under bedrock', async () => {
  const file = 'tests/corpus/streams/vercel-ai__anthropic-web-search-tool.1.sse';
  const { output, report } = sanitize(readFileSync(join(root, file)), { profile: 'bedrock' });
  const { code, stdout } = await example('sanitize-stream.mjs', file, '64', 'bedrock');
  assert.equal(code, 0);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], `read ${readFileSync(join(root, file)).length} bytes in 64-byte chunks, wrote ${output.length}`);
  assert.equal(lines[1], `events: ${report.eventsSeen} seen, ${report.eventsChanged} changed`);
  assert.deepEqual(
    lines.filter((l) => l.startsWith('dropped: ')),
    report.blocksDropped.map((d) => `dropped: message ${d.message} block ${d.index} (${d.reason}, ${d.bytes} bytes)`),
  );
  assert.equal(report.blocksDropped.length, 2);
  assert.match(lines.at(-1), /^final message: 19 blocks: server_tool_use, web_search_tool_result, text/);
  // Under the default profile they are accepted upstream and stay.
  const kept = await example('sanitize-stream.mjs', file, '64');
  assert.match(kept.stdout.trim().split('\n').at(-1), /^final message: 21 blocks/);
});

test('sanitize-stream: a stream with an error event exits 1 with the typed error', async () => {
  const file = join(dir, 'error.sse');
  writeFileSync(
    file,
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n' +
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
  );
  const { code, stdout } = await example('sanitize-stream.mjs', file);
  assert.equal(code, 1);
  assert.match(stdout, /note: event 1: error-event: overloaded_error: Overloaded/);
  assert.match(stdout, /no final message: upstream-error: /);
});

test('sanitize-stream: a missing file or a bad chunk size exits 2 with a message', async () => {
  const missing = await example('sanitize-stream.mjs', join(dir, 'missing.sse'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*missing\.sse: ENOENT/);
  const usage = await example('sanitize-stream.mjs', 'tests/corpus/streams/vercel-ai__anthropic-web-search-tool.1.sse', '0');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^usage: /);
});

test('normalize-history: three defects found with the exact upstream texts, fixed, clean after', async () => {
  const { code, stdout } = await example('normalize-history.mjs');
  assert.equal(code, 0);
  assert.match(stdout, /^anthropic: 3 problem\(s\) before$/m);
  assert.match(stdout, /empty-text at \/messages\/1\/content\/0: messages: text content blocks must be non-empty/);
  assert.match(stdout, /tool-input-string at \/messages\/1\/content\/1\/input: messages\.1\.content\.1\.tool_use\.input: Input should be a valid dictionary/);
  assert.match(stdout, /^normalize: 3 change\(s\)$/m);
  assert.match(stdout, /^anthropic: 0 problem\(s\) after$/m);

  const bedrock = await example('normalize-history.mjs', '--profile', 'bedrock');
  assert.equal(bedrock.code, 0);
  assert.match(bedrock.stdout, /^bedrock: 1 problem\(s\) after\n {2}tools-required at \/tools: .*\(no automatic fix\)$/m);
});

test('normalize-history: a file that is not JSON exits 2 with the typed error', async () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{"messages":');
  const { code, stderr } = await example('normalize-history.mjs', file);
  assert.equal(code, 2);
  assert.match(stderr, /^cannot read the request: invalid-json: /);
});

test('sdk-strict-upstream: turn 2 is refused with the plain fetch and accepted through sanitizingFetch', async () => {
  const { code, stdout, stderr } = await example('sdk-strict-upstream.mjs');
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split('\n'), [
    'plain fetch: turn 1 content [{"type":"text","text":""}]',
    'plain fetch: turn 2 refused: 400 messages: text content blocks must be non-empty',
    'sanitizingFetch: turn 1 content []',
    'sanitizingFetch: turn 2 accepted',
    '  request changes: none; dropped from the reply: empty-text block 0',
    '  request changes: empty-message at /messages/1; dropped from the reply: empty-text block 0',
  ]);
  assert.equal(stderr, '');
});
