// Fix a stored conversation before sending it again: what a strict upstream
// would refuse (with its exact error text), what normalize() changes, and the
// verdict afterwards.
//
//   node examples/normalize-history.mjs [request.json] [--profile anthropic|bedrock|bedrock-invoke]
//
// Without a file it uses a history with three defects real clients produce: an
// empty text block kept from a streamed turn, a tool input stored as a JSON
// string, and a tool_result after the user's text.
import { readFileSync } from 'node:fs';
import { normalize, SanitizerError, validate } from 'sse-sanitizer';

const args = process.argv.slice(2);
const at = args.indexOf('--profile');
const profile = at === -1 ? 'anthropic' : args.splice(at, 2)[1];

const request = args[0]
  ? readFileSync(args[0])
  : {
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: '' },
            { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: '{"city":"Paris"}' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here you go:' },
            { type: 'tool_result', tool_use_id: 'toolu_01', content: '18°C, cloudy' },
          ],
        },
      ],
    };

try {
  const before = validate(request, { profile });
  console.log(`${profile}: ${before.length} problem(s) before`);
  for (const v of before) console.log(`  ${v.rule} at ${v.path}: ${v.message}`);

  const { changes, body } = normalize(request, { profile });
  console.log(`normalize: ${changes.length} change(s)`);
  for (const c of changes) console.log(`  ${c.rule} at ${c.path}`);

  const after = validate(body, { profile });
  console.log(`${profile}: ${after.length} problem(s) after`);
  for (const v of after) console.log(`  ${v.rule} at ${v.path}: ${v.message} (no automatic fix)`);
} catch (err) {
  if (!(err instanceof SanitizerError)) throw err;
  console.error(`cannot read the request: ${err.code}: ${err.message}`);
  process.exit(2);
}
