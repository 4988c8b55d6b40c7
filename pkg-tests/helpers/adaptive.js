// The two shapes adaptive thinking (Opus 4.6+, Sonnet 4.6+) streams, built from
// a real recorded thinking + tool_use stream of the corpus (its thinking and
// tool_use frames kept byte for byte, only their `index` moved):
//
//   WHITESPACE_FIRST  ["\n\n", thinking, text, tool_use]   (a recorded Opus 4.6 shape)
//   EMPTY_SEPARATOR   [thinking, "", thinking, text, tool_use]
//
// The strict upstream re-signs the thinking blocks for their positions
// (`signThinking`), so a replay that moves one is refused as the API refuses it.
import { readFileSync } from 'node:fs';

const RECORDED = readFileSync(
  new URL('../../tests/corpus/streams/fantasy__TestAnthropicCommon_thinking-streaming-claude-sonnet-4.0.sse', import.meta.url),
  'utf8',
);

const frames = RECORDED.split('\n\n').filter((f) => f !== '');
const dataOf = (frame) => JSON.parse(frame.split('\n').find((l) => l.startsWith('data:')).slice(5));
const blockFrames = (index) => frames.filter((f) => dataOf(f).index === index);
const [messageStart] = frames.filter((f) => dataOf(f).type === 'message_start');
const tail = frames.filter((f) => ['message_delta', 'message_stop'].includes(dataOf(f).type));
const THINKING = blockFrames(0);
const TOOL_USE = blockFrames(1);
if (dataOf(THINKING[0]).content_block.type !== 'thinking' || dataOf(TOOL_USE[0]).content_block.type !== 'tool_use') {
  throw new Error('the recorded stream is not [thinking, tool_use]');
}
/** The recorded tool_use id, for the tool_result of the next turn. */
export const TOOL_USE_ID = dataOf(TOOL_USE[0]).content_block.id;

const at = (index, block) => block.map((f) => f.replace(/"index":\s*\d+/, `"index":${index}`));

function text(index, deltas) {
  return [
    `event: content_block_start\ndata: {"type":"content_block_start","index":${index},"content_block":{"type":"text","text":""}}`,
    ...deltas.map(
      (d) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":${JSON.stringify(d)}}}`,
    ),
    `event: content_block_stop\ndata: {"type":"content_block_stop","index":${index}}`,
  ];
}

const stream = (...blocks) => Buffer.from([messageStart, ...blocks.flat(), ...tail].join('\n\n') + '\n\n');

export const WHITESPACE_FIRST = stream(text(0, ['\n\n']), at(1, THINKING), text(2, ['Let me check the weather.']), at(3, TOOL_USE));
export const EMPTY_SEPARATOR = stream(at(0, THINKING), text(1, []), at(2, THINKING), text(3, ['Checking now.']), at(4, TOOL_USE));

/** Indices of the thinking blocks in each shape, as the API sent them. */
export const THINKING_AT = new Map([
  [WHITESPACE_FIRST, [1]],
  [EMPTY_SEPARATOR, [0, 2]],
]);

/** The first request of the adaptive-thinking tool loop: one weather tool, one question. */
export function weatherAsk(model) {
  return {
    model,
    max_tokens: 1024,
    thinking: { type: 'adaptive' },
    tools: [{ name: 'weather', description: 'Current weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
    messages: [{ role: 'user', content: 'What is the weather in Florence?' }],
  };
}

/** The second request: `ask`, the assistant turn's `content` as stored, and the tool's result. */
export function replayWeather(ask, content, result = '18°C, sunny') {
  return {
    ...ask,
    messages: [...ask.messages, { role: 'assistant', content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: TOOL_USE_ID, content: result }] }],
  };
}
