// Replay view: the loaded capture through an incremental StreamSanitizer, one
// push() per chunk (as createSanitizerStream() does), at a chosen size and
// pace. Which events a chunk completed and which it released are read off the
// analysis trace's byte ranges; the live output is checked against it.
import { StreamSanitizer } from '/js/browser.js';
import { $, VirtualTable, el, nextFrame } from './util.js';

// NOTE: at delay 0, chunks are pushed in batches of this many milliseconds of
// work per animation frame, so the page stays responsive and a 5 MB capture
// plays in about a second instead of one chunk per frame.
const FRAME_BUDGET_MS = 8;
// A replay stopped because another input came leaves nothing behind.
const NEW_INPUT = 'another input was loaded';

/** The rows whose `end` column is in (from, to]: [first, last) positions in `order` (ascending by end). */
function between(order, end, from, to) {
  const search = (x) => {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (end[order[mid]] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [search(from), search(to)];
}

export function createReplayView() {
  let input = null;
  let run = null;
  let rows = [];
  const table = new VirtualTable({
    scroller: $('replay-scroll'),
    table: $('replay'),
    rowHeight: 24,
    renderRow: (id, tr) => {
      const row = rows[id];
      if (row.late) tr.className = 'held';
      tr.append(
        el('td', { class: 'num' }, row.chunk),
        el('td', { class: 'num' }, String(row.bytesOut)),
        el('td', {}, row.in),
        el('td', { class: row.late ? 'status' : null, title: row.late ? 'events of a text block that waited until the sanitizer knew it was not blank' : null }, row.out + (row.late ? `  (${row.late} held back until now)` : '')),
      );
    },
    onSelect: (id) => table.select(id),
  });

  function label(cols, id) {
    const name = cols.name[id] || '(comment)';
    const index = cols.newIndex[id] >= 0 ? cols.newIndex[id] : cols.index[id];
    return index >= 0 ? `${name}[${index}]` : name;
  }

  function setRunning(on) {
    $('play').disabled = on;
    $('stop').disabled = !on;
  }

  async function play() {
    if (!input || run) return;
    const { bytes } = input.stream;
    const { cols, output } = input.stream.result;
    const chunkBytes = Math.max(1, Math.floor(Number($('chunk').value)) || 64);
    const delayMs = Math.max(0, Number($('delay').value) || 0);
    const mine = { cancelled: false };
    run = mine;
    setRunning(true);
    rows = [];
    table.setRows(new Int32Array(0));
    const status = $('replay-status');
    const ids = Array.from({ length: cols.action.length }, (_, i) => i);
    const byIn = ids.filter((id) => cols.inEnd[id] >= 0).sort((a, b) => cols.inEnd[a] - cols.inEnd[b]);
    const byOut = ids.filter((id) => cols.outEnd[id] >= 0).sort((a, b) => cols.outEnd[a] - cols.outEnd[b]);
    const sanitizer = new StreamSanitizer({ profile: $('profile').value });
    const totals = { chunks: 0, in: 0, out: 0, late: 0 };
    const chunks = Math.ceil(bytes.length / chunkBytes);
    let outAt = 0;
    let identical = true;
    let frameStart = performance.now();
    const take = (chunk, inFrom, inTo, out) => {
      if (identical && (out.length > output.length - outAt || out.some((b, k) => b !== output[outAt + k]))) identical = false;
      const [i0, i1] = between(byIn, cols.inEnd, inFrom, inTo);
      const [o0, o1] = between(byOut, cols.outEnd, outAt, outAt + out.length);
      outAt += out.length;
      const completed = byIn.slice(i0, i1);
      const released = byOut.slice(o0, o1);
      // Released after the chunk that completed it: held back.
      const late = released.filter((id) => cols.inEnd[id] >= 0 && cols.inEnd[id] <= inFrom).length;
      totals.in += completed.filter((id) => cols.event[id] >= 0).length;
      totals.out += released.filter((id) => cols.event[id] >= 0 || cols.actions[cols.action[id]] === 'inserted').length;
      totals.late += late;
      if (completed.length || released.length) {
        rows.push({ chunk, bytesOut: out.length, in: completed.map((id) => label(cols, id)).join(' '), out: released.map((id) => label(cols, id)).join(' '), late });
      }
    };
    try {
      for (let k = 0; k < chunks; k++) {
        if (mine.cancelled) break;
        const from = k * chunkBytes;
        const piece = bytes.subarray(from, from + chunkBytes);
        take(String(k), from, from + piece.length, sanitizer.push(piece));
        totals.chunks++;
        if (delayMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        } else if (performance.now() - frameStart < FRAME_BUDGET_MS) {
          continue;
        } else {
          await nextFrame();
          frameStart = performance.now();
        }
        if (mine.cancelled) break;
        table.setRows(Int32Array.from(rows.keys()));
        status.textContent = `chunk ${(k + 1).toLocaleString('en')} of ${chunks.toLocaleString('en')}`;
      }
      if (mine.cancelled === NEW_INPUT) return null;
      if (mine.cancelled) {
        status.textContent = `stopped at chunk ${totals.chunks.toLocaleString('en')} of ${chunks.toLocaleString('en')} (${mine.cancelled})`;
        return { ...totals, stopped: true };
      }
      take('end', bytes.length, bytes.length, sanitizer.finish().output);
      table.setRows(Int32Array.from(rows.keys()));
      identical &&= outAt === output.length;
      status.textContent =
        `done: ${totals.chunks} chunks, ${totals.in} events in, ${totals.out} out, ${totals.late} released after their own chunk; ` +
        (identical ? 'the live output is byte-identical to sanitize()' : 'the live output DIFFERS from sanitize()');
      return totals;
    } finally {
      if (run === mine) {
        run = null;
        setRunning(false);
        $('play').disabled = !input;
      }
    }
  }

  function cancel(reason) {
    if (run) run.cancelled = reason;
  }

  $('play').addEventListener('click', play);
  $('stop').addEventListener('click', () => cancel('Stop pressed'));

  return {
    render(next) {
      cancel(NEW_INPUT);
      const has = Boolean(next.stream);
      input = has ? next : null;
      $('replay-empty').hidden = has;
      $('replay-scroll').hidden = !has;
      $('play').disabled = !has;
      rows = [];
      table.setRows(new Int32Array(0));
      $('replay-status').textContent = '';
      if (!has) $('replay-empty').textContent = `The loaded input (${next.name}) has no event stream to replay.`;
    },
    /** Stops a replay in progress (a new input is coming). */
    cancel: () => cancel(NEW_INPUT),
  };
}
