// What `npm pack` puts in the tarball: exactly the runtime files, both
// licenses and the README, whose links and file mentions resolve inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));

async function packList() {
  // NOTE: --ignore-scripts: the suite runs on a fresh build; prepack would build again.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  return JSON.parse(stdout)[0].files.map((f) => f.path).sort();
}

test('npm pack --dry-run lists exactly the runtime files, the licenses, the notices and the README', async () => {
  const expected = [
    'LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'THIRD-PARTY-NOTICES.md', 'package.json',
    'js/browser.js', 'js/cli.js', 'js/core.js', 'js/fetch.js', 'js/index.d.ts', 'js/load.js', 'js/node.js', 'js/proxy.js',
    'js/stream-api.js', 'js/stream-browser.js', 'js/stream-node.js', 'js/stream-workerd.js', 'js/stream.d.ts',
    'js/stream.js', 'js/util.js', 'js/wasm-full.js', 'js/wasm-stream.js', 'js/worker.d.ts', 'js/worker.js',
    'js/workerd.js',
    'pkg/sse_sanitizer.wasm', 'pkg/sse_sanitizer_stream.wasm', 'pkg/sse_sanitizer_accumulate.wasm',
  ].sort();
  assert.deepEqual(await packList(), expected);
});

test('every exports target, bin and typesVersions path is in the tarball', async () => {
  const files = new Set(await packList());
  const targets = [];
  const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v).forEach(walk));
  walk(pkg.exports);
  walk(pkg.bin);
  walk(pkg.typesVersions);
  targets.push(pkg.types);
  for (const t of targets) assert.ok(files.has(t.replace(/^\.\//, '')), t);
});

test('the licenses are the standard MIT and Apache-2.0 texts, as package.json and Cargo.toml declare', () => {
  assert.equal(pkg.license, 'MIT OR Apache-2.0');
  assert.match(readFileSync(new URL('../Cargo.toml', import.meta.url), 'utf8'), /^license = "MIT OR Apache-2\.0"$/m);
  const mit = readFileSync(new URL('../LICENSE-MIT', import.meta.url), 'utf8');
  assert.match(mit, /^MIT License\n\nCopyright \(c\) the sse-sanitizer authors\n/);
  assert.match(mit, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  const apache = readFileSync(new URL('../LICENSE-APACHE', import.meta.url), 'utf8');
  assert.match(apache, /Apache License\s+Version 2\.0, January 2004/);
  assert.match(apache, /END OF TERMS AND CONDITIONS/);
  assert.ok(apache.length > 11000);
});

test('prepack builds pkg/ (so npm pack and npm publish never ship a stale or missing build)', () => {
  assert.equal(pkg.scripts.prepack, 'bash scripts/build.sh');
  const build = readFileSync(new URL('../scripts/build.sh', import.meta.url), 'utf8');
  for (const f of pkg.files.filter((f) => f.startsWith('pkg/'))) {
    const name = f.slice(4).replace(/\.wasm$/, '');
    assert.match(build, new RegExp(`build ${name}\\b`), f);
  }
});

test('README links and the repository files it names resolve in the tarball (the registry page shows it alone)', async () => {
  const files = new Set(await packList());
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  for (const link of links) {
    if (/^(https?:|#)/.test(link)) continue;
    assert.ok(files.has(link.replace(/^\.\//, '')), `README links to ${link}, which is not in the tarball`);
  }
  // NOTE: the part before "## Development" is for users of the package; the
  // development part names files of the source repository on purpose.
  const userPart = readme.slice(0, readme.indexOf('\n## Development'));
  assert.ok(userPart.length > 0 && userPart.length < readme.length);
  for (const [, path] of userPart.matchAll(/`([\w./-]+)`/g)) {
    const local = path.replace(/^node_modules\/sse-sanitizer\//, '');
    if (!/\//.test(local) || !existsSync(new URL(`../${local}`, import.meta.url))) continue;
    assert.ok(files.has(local) || [...files].some((f) => f.startsWith(`${local.replace(/\/$/, '')}/`)), `README names ${path}, not in the tarball`);
  }
});

test('THIRD-PARTY-NOTICES.md names every crate of the wasm dependency tree, every module', async () => {
  const notices = readFileSync(new URL('../THIRD-PARTY-NOTICES.md', import.meta.url), 'utf8');
  // Crate names in the notices' tables: `name` in a row's first cell.
  const listed = new Set(
    notices.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...l.split('|')[1].matchAll(/`([a-z0-9_-]+)`/g)].map((m) => m[1])),
  );
  // NOTE: the features of scripts/build.sh's three modules (scripts/wasm.sh).
  const stream = (part) => ['--no-default-features', '--features', `${part},small-alloc`];
  for (const features of [[], stream('sanitize'), stream('accumulate')]) {
    const { stdout } = await promisify(execFile)(
      'cargo',
      ['tree', '--locked', '--target', 'wasm32-unknown-unknown', '-e', 'normal', '--prefix', 'none', ...features],
      { cwd: root },
    );
    const crates = new Set(stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]));
    crates.delete(pkg.name.replaceAll('-', '_'));
    assert.ok(crates.size > 5, `cargo tree listed ${[...crates]}`);
    const missing = [...crates].filter((c) => !listed.has(c));
    assert.deepEqual(missing, [], `crates of the wasm build (${features.join(' ') || 'default features'}) not in THIRD-PARTY-NOTICES.md`);
  }
});
