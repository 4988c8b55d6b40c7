// What the page's words mean: the legend of the Stream view and the tooltips
// of its status cells and of the verdict's notes.

/** term → explanation; terms are the status words, report note codes and option names the page shows. */
export const LEGEND = {
  unchanged: 'The event left the sanitizer byte for byte as it came in.',
  held:
    'A text block that may still turn out blank waits until the sanitizer knows: its events (and anything arriving meanwhile) leave together, in order, when event #N arrives. Nothing about them changes.',
  dropped:
    'A blank text block was removed (its start, deltas and stop). Rule empty-text: "" or no text at all; whitespace-text: only whitespace, under the bedrock profile. A strict upstream refuses such a block when the stored turn is sent back.',
  renumbered:
    'After a dropped block, the later blocks of its message get a lower index so that indices stay 0, 1, 2… (the official SDK writes content[event.index]); only the index number changes in the bytes.',
  named:
    'Option eventNames: a Claude event sent as data only (no event: line) gets its event: line, so that the official SDK, which ignores events without a name, sees it. Nothing else in the frame changes.',
  placeholder:
    'Rule thinking-position: a blank text block before a thinking block keeps its place and gets a placeholder text_delta ("..."). Removing it would move the signed thinking block, and the API refuses a moved thinking block ("thinking or redacted_thinking blocks in the latest assistant message cannot be modified").',
  passed: 'Passed through undecided: a buffer limit (maxHeldBytes, maxEventBytes) was reached, or the last event was cut off.',
  'error event added': 'onTruncated: "error-event": the stream was cut before message_stop, and one Anthropic error event was appended so that every client raises an error instead of keeping a partial turn.',
  truncated: 'The stream ended early: inside a block, inside an event, or without message_stop. Clients keep a partial turn or fail.',
  'index-skew': 'A block event carries an index that does not match the open block (a start reusing an index, deltas with another). Passed through unchanged; no drop in that message from then on.',
  'index-reused':
    'A content_block_start reuses the index of a block that was dropped: it is a new block in that place, so nothing after it is renumbered for that drop.',
  'non-claude-event': 'An event that is not an Anthropic Messages event (no JSON type, or a type the API does not send): passed through unchanged.',
  'malformed-json': 'An event whose data is not valid JSON: passed through unchanged.',
  'error-event': 'The upstream sent an error event (overloaded_error, api_error…): passed through; clients raise it.',
  'unterminated-block': 'A content block that was started but never stopped.',
  'held-limit-exceeded': 'A held text block grew past maxHeldBytes: released undecided, passed through unchanged.',
  'data-only': 'A frame with data: lines only (no event: line): its type is read from the JSON. The official SDK ignores events without an event: name (see named).',
  strictFields: 'normalize() option: also remove every field that the block type\'s schema does not have (rule unknown-field).',
};

/** A short sentence for a report note code. */
export const noteText = (code) => LEGEND[code] ?? code;
