// Stream view: every number on it comes from the library (sanitize, SseParser,
// StreamSanitizer, accumulate); the page only lines the results up.
import { SseParser, StreamSanitizer, accumulate, sanitize } from '/js/browser.js';
import { $, copy, decoder, download, el, encoder, parseJson, splitBlocks, throughput } from './util.js';

const MAX_ROWS = 3000;

/** The event a lone block dispatches (undefined for comments and blank blocks). */
function blockEvent(block) {
  const parser = new SseParser();
  const [event] = parser.feed(block.endsWith('\n') || block.endsWith('\r') ? block : `${block}\n\n`);
  return event;
}

/**
 * Lines up raw and sanitized blocks: `[{ raw, clean, event, data, status }]`
 * with status `kept`, `dropped` or `changed`; null when they cannot be aligned.
 */
function align(rawBlocks, cleanBlocks, report) {
  const dropped = new Set(report.blocksDropped.map((b) => `${b.message}:${b.index}`));
  const rows = [];
  let message = -1;
  let j = 0;
  for (const raw of rawBlocks) {
    const event = blockEvent(raw);
    const data = event && parseJson(event.data);
    if (data?.type === 'message_start') message++;
    const isBlock = typeof data?.type === 'string' && data.type.startsWith('content_block_');
    if (raw === cleanBlocks[j]) {
      rows.push({ raw, clean: raw, event, data, message, status: 'kept' });
      j++;
    } else if (isBlock && dropped.has(`${Math.max(message, 0)}:${data.index}`)) {
      rows.push({ raw, clean: null, event, data, message, status: 'dropped' });
    } else if (j < cleanBlocks.length) {
      rows.push({ raw, clean: cleanBlocks[j], event, data, message, status: 'changed' });
      j++;
    } else {
      return null;
    }
  }
  return j === cleanBlocks.length ? rows : null;
}

/**
 * Which kept blocks a live sanitizer holds back: pushes the stream block by
 * block and records, for each block, the push that released it.
 */
function releases(rawBlocks, rows, options) {
  const sanitizer = new StreamSanitizer(options);
  const pending = [];
  const releasedAt = new Array(rawBlocks.length).fill(null);
  const take = (bytes, at) => {
    let n = splitBlocks(decoder.decode(bytes)).length;
    while (n-- > 0 && pending.length) releasedAt[pending.shift()] = at;
  };
  rawBlocks.forEach((block, i) => {
    // NOTE: dropped blocks never come out, so only kept ones wait in line.
    if (rows?.[i].status !== 'dropped') pending.push(i);
    take(sanitizer.push(encoder.encode(block)), i);
  });
  take(sanitizer.finish().output, rawBlocks.length);
  return releasedAt;
}

/** Marks the differing middle of two strings: [prefix, middle, suffix]. */
function middle(a, b) {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return [
    [a.slice(0, p), a.slice(p, a.length - s), a.slice(a.length - s)],
    [b.slice(0, p), b.slice(p, b.length - s), b.slice(b.length - s)],
  ];
}

let current;

/** Analyses `bytes` and renders the stream view; returns the summary numbers. */
export async function showStream(bytes, { dropWhitespaceOnlyText = true } = {}) {
  const options = { dropWhitespaceOnlyText };
  const { output, report } = sanitize(bytes, options);
  current = { output, name: 'sanitized.sse' };
  const speed = throughput(bytes.length, () => sanitize(bytes, options));
  const rawBlocks = splitBlocks(decoder.decode(bytes));
  const cleanBlocks = splitBlocks(decoder.decode(output));
  const rows = align(rawBlocks, cleanBlocks, report);
  const releasedAt = releases(rawBlocks, rows, options);

  const tbody = $('events').tBodies[0];
  const rawPre = $('raw');
  const cleanPre = $('clean');
  tbody.replaceChildren();
  rawPre.replaceChildren();
  cleanPre.replaceChildren();
  const counts = { events: 0, dropped: 0, renumbered: 0, held: 0 };
  const blockTypes = new Map();
  if (rows) {
    rows.forEach((row, i) => {
      const { event, data, status } = row;
      const after = row.clean ? parseJson(blockEvent(row.clean)?.data ?? '') : undefined;
      if (data?.type === 'content_block_start') blockTypes.set(`${row.message}:${data.index}`, data.content_block?.type);
      const held = status !== 'dropped' && releasedAt[i] !== null && releasedAt[i] > i;
      const renumbered = status === 'changed' && data && after && data.index !== after.index;
      if (event) counts.events++;
      if (status === 'dropped') counts.dropped++;
      if (renumbered) counts.renumbered++;
      if (held) counts.held++;
      const labels = [];
      if (status === 'dropped') labels.push('dropped');
      else if (renumbered) labels.push('renumbered');
      else if (status === 'changed') labels.push('changed');
      if (held) labels.push(`held back until #${releasedAt[i] < rawBlocks.length ? releasedAt[i] : 'end'}`);
      if (i < MAX_ROWS) {
        const index = data && 'index' in data ? (status === 'dropped' ? `${data.index} → ∅` : renumbered ? `${data.index} → ${after.index}` : String(data.index)) : '';
        tbody.append(
          el(
            'tr',
            { class: [status === 'dropped' ? 'dropped' : '', renumbered ? 'renumbered' : '', held ? 'held' : ''].join(' ').trim() || undefined },
            el('td', {}, String(i)),
            el('td', {}, event ? event.type : '(comment)'),
            el('td', { class: 'index' }, index),
            el('td', {}, data?.content_block?.type ?? blockTypes.get(`${row.message}:${data?.index}`) ?? data?.delta?.type ?? ''),
            el('td', {}, String(encoder.encode(row.raw).length)),
            el('td', { class: 'status' }, labels.join(', ') || 'unchanged'),
          ),
        );
      }
      if (status === 'dropped') {
        rawPre.append(el('del', {}, row.raw));
      } else if (status === 'changed') {
        const [[a1, a2, a3], [b1, b2, b3]] = middle(row.raw, row.clean);
        rawPre.append(a1, el('del', {}, a2), a3);
        cleanPre.append(b1, el('ins', {}, b2), b3);
      } else {
        rawPre.append(row.raw);
        cleanPre.append(row.raw);
      }
    });
    if (rows.length > MAX_ROWS) tbody.append(el('tr', {}, el('td', { colspan: 6 }, `… ${rows.length - MAX_ROWS} more rows`)));
  } else {
    rawPre.textContent = decoder.decode(bytes);
    cleanPre.textContent = decoder.decode(output);
  }

  $('report').textContent = JSON.stringify(report, null, 2);
  try {
    $('message').textContent = JSON.stringify(await accumulate(output), null, 2);
  } catch (err) {
    $('message').textContent = `${err.code ?? err.name}: ${err.message}`;
  }
  $('stream-summary').textContent =
    `${counts.events} events · ${report.blocksDropped.length} blank text block(s) dropped (${counts.dropped} events) · ` +
    `${counts.renumbered} renumbered · ${counts.held} held back · ${bytes.length} → ${output.length} bytes` +
    (report.truncated ? ' · truncated stream' : '');
  $('throughput').textContent = `last run: sanitize ${(bytes.length / 1e6).toFixed(3)} MB in ${speed.ms.toFixed(2)} ms (${speed.mbps.toFixed(0)} MB/s)`;
  return { ...counts, blocksDropped: report.blocksDropped.length };
}

export function initStreamActions() {
  for (const id of ['copy-stream', 'download-stream']) $(id).dataset.label = $(id).textContent;
  $('copy-stream').addEventListener('click', (e) => current && copy(decoder.decode(current.output), e.currentTarget));
  $('download-stream').addEventListener('click', () => current && download(current.name, current.output, 'text/event-stream'));
}
