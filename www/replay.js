// Replay view: the capture through createSanitizerStream(), chunk by chunk, at
// a chosen size and pace, listing which events each chunk completed (in) and
// which the sanitizer released after it (out).
import { SseParser, createSanitizerStream, sanitize } from '/js/browser.js';
import { $, el, parseJson } from './util.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function label(event) {
  const data = parseJson(event.data);
  return data && 'index' in data ? `${event.type}[${data.index}]` : event.type;
}

let running = false;

/** Plays `bytes`; resolves to { chunks, in, out, held } when done. */
export async function replay(bytes, { chunkBytes, delayMs, dropWhitespaceOnlyText }) {
  if (running) return null;
  running = true;
  const tbody = $('replay').tBodies[0];
  tbody.replaceChildren();
  const status = $('replay-status');
  try {
    const stream = createSanitizerStream({ dropWhitespaceOnlyText });
    const writer = stream.writable.getWriter();
    const inParser = new SseParser();
    const outParser = new SseParser();
    let chunk = -1;
    const released = [];
    // NOTE: transform() enqueues synchronously, so everything read before the
    // next write belongs to the chunk just written.
    const pump = stream.readable.pipeTo(
      new WritableStream({ write: (out) => released.push(...outParser.feed(out).map((e) => ({ e, chunk }))) }),
    );
    const totals = { chunks: 0, in: 0, out: 0, held: 0 };
    // The events the sanitizer keeps, in order: the k-th event out is the k-th
    // of these, so an event is late when it leaves after the chunk that completed it.
    const dropped = new Set(sanitize(bytes, { dropWhitespaceOnlyText }).report.blocksDropped.map((b) => `${b.message}:${b.index}`));
    let message = -1;
    const keptIn = [];
    for (let at = 0; at < bytes.length; at += chunkBytes) {
      chunk++;
      const piece = bytes.subarray(at, at + chunkBytes);
      const completed = inParser.feed(piece);
      for (const e of completed) {
        const data = parseJson(e.data);
        if (data?.type === 'message_start') message++;
        const isBlock = typeof data?.type === 'string' && data.type.startsWith('content_block_');
        if (!(isBlock && dropped.has(`${Math.max(message, 0)}:${data.index}`))) keptIn.push(chunk);
      }
      await writer.write(piece);
      await sleep(delayMs);
      const out = released.splice(0);
      totals.chunks++;
      totals.in += completed.length;
      totals.out += out.length;
      if (completed.length === 0 && out.length === 0) continue;
      const lateOnes = out.filter(() => keptIn.length && keptIn.shift() < chunk).length;
      totals.held += lateOnes;
      tbody.append(
        el(
          'tr',
          { class: lateOnes ? 'held' : undefined },
          el('td', {}, String(chunk)),
          el('td', {}, completed.map(label).join(' ')),
          el('td', { class: lateOnes ? 'status' : undefined }, out.map(({ e }) => label(e)).join(' ') + (lateOnes ? `  (${lateOnes} held back until now)` : '')),
        ),
      );
      status.textContent = `chunk ${chunk + 1} of ${Math.ceil(bytes.length / chunkBytes)}`;
    }
    await writer.close();
    await pump;
    const tail = released.splice(0);
    totals.out += tail.length;
    if (tail.length) tbody.append(el('tr', {}, el('td', {}, 'end'), el('td', {}, ''), el('td', {}, tail.map(({ e }) => label(e)).join(' '))));
    status.textContent = `done: ${totals.chunks} chunks, ${totals.in} events in, ${totals.out} out, ${totals.held} released after their own chunk`;
    return totals;
  } finally {
    running = false;
  }
}
