// Node, CommonJS: require() of the ESM package (no top-level await anywhere).
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { normalize, sanitize } = require('sse-sanitizer');
const stream = require('sse-sanitizer/stream');
const worker = require('sse-sanitizer/worker').default;

const bytes = readFileSync(`${__dirname}/stream.sse`);
const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
console.log(JSON.stringify({
  full: createHash('sha256').update(sanitize(bytes).output).digest('hex'),
  stream: createHash('sha256').update(stream.sanitize(bytes).output).digest('hex'),
  changes: normalize(history).changes.map((c) => c.rule),
  worker: typeof worker.fetch,
}));
