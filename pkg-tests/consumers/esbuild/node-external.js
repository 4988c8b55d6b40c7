// Bundled for Node with packages left external: no setup.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { normalize, sanitize } from 'sse-sanitizer';

const bytes = readFileSync(process.argv[2]);
const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
console.log(JSON.stringify({
  full: createHash('sha256').update(sanitize(bytes).output).digest('hex'),
  changes: normalize(history).changes.map((c) => c.rule),
}));
