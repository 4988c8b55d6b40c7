// `npm run bench [-- section…]`: every comparison in one Node process, printed
// as MB/s and ratios. Sections: size, parse, sanitize, normalize, shapes, worker.
const sections = {
  size: () => import('./size.js'),
  parse: () => import('./parse.js'),
  sanitize: () => import('./sanitize.js'),
  normalize: () => import('./normalize.js'),
  shapes: () => import('./shapes.js'),
  worker: () => import('./worker.js'),
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  if (!sections[name]) {
    console.error(`unknown section ${name}; known: ${Object.keys(sections).join(', ')}`);
    process.exit(2);
  }
  await (await sections[name]()).run();
}
