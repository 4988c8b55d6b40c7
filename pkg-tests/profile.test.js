// `npm run profile` (benches/profile.js): the profiler runs and attributes
// normalize's samples to functions. Here on the built pkg/ (names stripped:
// functions show as indices); scripts/profile.sh gives it a build with names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('the wasm profiler samples normalize on a crafted body and ranks functions', () => {
  const out = execFileSync(process.execPath, ['benches/profile.js', `${root}pkg`, 'tool ids', '1', '3'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.match(out, /^tool ids to rewrite, 1 MiB \(\d+ B\): normalize [\d.]+ ms a call, 3 calls sampled/);
  const [, own, all] = out.split(/\n\n(?:by itself|with what it calls)[^\n]*\n/);
  const shares = (text) => text.trim().split('\n').map((line) => Number(line.trim().split('%')[0]));
  assert.ok(shares(own).length > 5 && shares(own).every((p) => p >= 0 && p <= 100), own);
  assert.ok(shares(own).reduce((a, b) => a + b, 0) <= 100.5, 'self shares add up to at most the whole');
  assert.match(all, /normalize/, 'the call is on the sampled stacks');
});

test('the profiler names the shapes when asked for one it does not have', () => {
  assert.throws(
    () => execFileSync(process.execPath, ['benches/profile.js', `${root}pkg`, 'no such shape'], { cwd: root, stdio: 'pipe' }),
    (e) => e.status === 2 && /shapes: blank blocks in one message/.test(String(e.stderr)),
  );
});

test('compare times two builds side by side: normalize shapes, then parse, sanitize and accumulate of both entries', () => {
  // NOTE: the repository against itself, one round: every row, with a ratio.
  const out = execFileSync(process.execPath, ['benches/compare.js', root, root, 'all', 'tool ids', '1', '1'], {
    cwd: root,
    encoding: 'utf8',
  });
  const rows = out.trim().split('\n').slice(1);
  assert.match(rows[0], /^normalize: tool ids to rewrite\s/);
  assert.equal(rows.length, 1 + 3 * 4 + 2, out);
  for (const line of rows) {
    const [ta, tb, ratio] = line.trim().split(/\s+/).slice(-3).map(Number);
    assert.ok(ta > 0 && tb > 0 && Math.abs(ratio - tb / ta) < 0.01, line);
  }
  assert.match(out, /sanitize \(stream entry\), 16384 B chunks/);
  assert.match(out, /accumulate \(stream entry\), \d+ streams/);
});

test('compare refuses a shape it does not have and a bad mode, exit 2', () => {
  for (const args of [[root, root, 'normalize', 'no such shape'], [root, root, 'everything']]) {
    assert.throws(
      () => execFileSync(process.execPath, ['benches/compare.js', ...args], { cwd: root, stdio: 'pipe' }),
      (e) => e.status === 2 && /shapes: |usage: /.test(String(e.stderr)),
    );
  }
});
