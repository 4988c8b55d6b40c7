// The TypeScript surface: js/index.d.ts and js/worker.d.ts compile under
// `strict` and accept/refuse what pkg-tests/types/usage.ts says, and they name
// exactly what the package exports at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import * as api from '../js/node.js';
import * as streamApi from '../js/stream-node.js';

const root = new URL('..', import.meta.url).pathname;
const dts = readFileSync(new URL('../js/index.d.ts', import.meta.url), 'utf8');

test('tsc --noEmit of the usage file passes (every @ts-expect-error still errors)', async () => {
  const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  const run = promisify(execFile)(process.execPath, [tsc, '-p', 'pkg-tests/types'], { cwd: root });
  await assert.doesNotReject(run, (err) => {
    throw new Error(`tsc failed:\n${err.stdout}${err.stderr}`);
  });
});

test('index.d.ts and stream.d.ts declare exactly the runtime exports of every entry', () => {
  const declared = [...dts.matchAll(/^export declare (?:function|class|const) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(api).sort(), [...new Set(declared)].sort());
  const streamDts = readFileSync(new URL('../js/stream.d.ts', import.meta.url), 'utf8');
  const own = [...streamDts.matchAll(/^export declare (?:function|class|const) (\w+)/gm)].map((m) => m[1]);
  const reexported = streamDts.match(/^export \{([^}]*)\} from '\.\/index\.js';/m)[1].match(/\w+/g);
  assert.deepEqual(Object.keys(streamApi).sort(), [...own, ...reexported.filter((name) => declared.includes(name))].sort());
  // The browser and workerd entries cannot load in Node; they must re-export
  // the same modules as the Node entry, which is checked above.
  const exportsOf = (entry) =>
    readFileSync(new URL(`../js/${entry}`, import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('export'));
  for (const entry of ['browser.js', 'workerd.js']) assert.deepEqual(exportsOf(entry), exportsOf('node.js'), entry);
  for (const entry of ['stream-browser.js', 'stream-workerd.js']) {
    assert.deepEqual(exportsOf(entry), exportsOf('stream-node.js'), entry);
  }
});

test('RuleId lists exactly the ids of the rules catalog', () => {
  const union = dts.slice(dts.indexOf('export type RuleId'), dts.indexOf('export interface NormalizeOptions'));
  const typed = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(typed, api.rules().map((r) => r.id).sort());
});

test('StreamAnomalyCode lists exactly the codes of the anomaly catalog', () => {
  const union = dts.slice(dts.indexOf('export type StreamAnomalyCode'), dts.indexOf('export interface StreamAnomaly '));
  const typed = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(typed, api.anomalies().map((a) => a.code).sort());
});

test('WorkerEnv in worker.d.ts names exactly the bindings worker.js reads', () => {
  const source = readFileSync(new URL('../js/worker.js', import.meta.url), 'utf8');
  const read = [...new Set([...source.matchAll(/\benv\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
  const types = readFileSync(new URL('../js/worker.d.ts', import.meta.url), 'utf8');
  const iface = types.slice(types.indexOf('interface WorkerEnv'), types.indexOf('\n}', types.indexOf('interface WorkerEnv')));
  const typed = [...iface.matchAll(/^\s+([A-Z_]+)\??:/gm)].map((m) => m[1]).sort();
  assert.deepEqual(typed, read);
});
