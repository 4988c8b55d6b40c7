// `npm run bench [-- section…]`: each comparison (ours beside its peer) in one
// Node process, printed as MB/s and ratios. Sections: size, parse, sanitize,
// normalize, shapes, worker.
// NOTE: two or more sections run one after the other, each in a Node process
// of its own: after the sanitize section's 1 GB run the heap is ~2 GB and the
// parse ratios measured next in the same process fell from ~1.4/1.0/1.1 to
// ~0.9/0.6/0.6 (both parsers slowed, ours more).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const sections = {
  size: () => import('./size.js'),
  parse: () => import('./parse.js'),
  sanitize: () => import('./sanitize.js'),
  normalize: () => import('./normalize.js'),
  shapes: () => import('./shapes.js'),
  worker: () => import('./worker.js'),
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(sections);
const unknown = names.filter((name) => !sections[name]);
if (unknown.length) {
  console.error(`unknown section ${unknown.join(', ')}; known: ${Object.keys(sections).join(', ')}`);
  process.exit(2);
}
if (names.length === 1) {
  await (await sections[names[0]]()).run();
} else {
  for (const name of names) {
    const { status, signal } = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name], { stdio: 'inherit' });
    if (status !== 0) {
      console.error(`bench section ${name} failed (${signal ?? `exit ${status}`})`);
      process.exit(status || 1);
    }
  }
}
