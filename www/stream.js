// Stream view: one row per SSE block as the sanitizer's trace reports it
// (virtualized), filters, and the selected block raw vs sanitized with its
// neighbours and its data as a JSON tree. The trace decides; this displays.
import { SseParser } from '/js/browser.js';
import { $, fill, VirtualTable, copy, decoder, download, el, formatBytes, jsonTree, plural } from './util.js';
import { DATA_ONLY, HELD, NOTED, PLACEHOLDER } from './analyze.js';
import { LEGEND, noteText } from './legend.js';

const ROW_HEIGHT = 24;
const CONTEXT = 3;
const SHOWN_BYTES = 16 * 1024;

/** Marks the differing middle of two strings: [prefix, middle, suffix] each. */
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

/** Text with break opportunities after JSON commas and colons, so long data lines wrap between members, not inside words. */
function wrappable(text) {
  const out = [];
  for (const part of text.split(/(?<=[,:])/)) out.push(part, document.createElement('wbr'));
  return out;
}

export function createStreamView() {
  let input = null;
  let data = null;
  let search = null;
  const filters = { query: '', type: '', changedOnly: false };

  const table = new VirtualTable({
    scroller: $('events-scroll'),
    table: $('events'),
    rowHeight: ROW_HEIGHT,
    renderRow,
    onSelect: (id) => select(id),
  });

  // ---- what each row says ----
  const action = (id) => data.cols.actions[data.cols.action[id]];
  const changed = (id) => data.cols.action[id] !== 0 || (data.cols.flags[id] & (PLACEHOLDER | NOTED)) !== 0;

  /** [class, label, tooltip] of a row's status. */
  function status(id) {
    const { cols } = data;
    const flags = cols.flags[id];
    const rule = cols.rule[id];
    switch (action(id)) {
      case 'dropped':
        return ['dropped', `dropped: blank text block (${rule})`, LEGEND.dropped];
      case 'renumbered':
        return ['renumbered', `renumbered: index ${cols.index[id]} → ${cols.newIndex[id]}`, LEGEND.renumbered];
      case 'inserted':
        return rule === 'thinking-position'
          ? ['placeholder', `added: placeholder text, ${data.reasons.get(`${cols.message[id]}:${cols.index[id]}`) ?? 'a thinking block follows'} (thinking-position)`, LEGEND.placeholder]
          : ['inserted', `added: error event (${rule || 'sanitizer'})`, LEGEND['error event added']];
      case 'named':
        return ['named', `named: its “event: ${cols.name[id]}” line added (eventNames)`, LEGEND.named];
      case 'passed':
        return ['passed', 'passed through undecided', LEGEND.passed];
      case 'truncated':
        return ['passed', 'trace stops here (1,048,576 entries)', LEGEND.truncated];
      case 'kept': {
        if (flags & PLACEHOLDER) return ['placeholder', 'kept in place: blank, before a thinking block (thinking-position)', LEGEND.placeholder];
        if (flags & NOTED) {
          const codes = data.notes.get(cols.event[id]) ?? [];
          return ['noted', `unchanged; note: ${codes.join(', ')}`, codes.map(noteText).join(' ')];
        }
        if (flags & HELD) return ['held', `unchanged (held until #${cols.heldUntil[id] >= data.eventCount ? 'the end' : cols.heldUntil[id]})`, LEGEND.held];
        return ['', 'unchanged', LEGEND.unchanged];
      }
      default:
        // An action of a newer sanitizer (a repair): shown by its name and rule.
        return ['inserted', `${action(id)}${rule ? ` (${rule})` : ''}`, LEGEND[action(id)] ?? action(id)];
    }
  }

  function indexText(id) {
    const { cols } = data;
    if (cols.index[id] < 0) return '';
    if (action(id) === 'dropped') return `${cols.index[id]} → ∅`;
    if (cols.newIndex[id] >= 0) return `${cols.index[id]} → ${cols.newIndex[id]}`;
    return String(cols.index[id]);
  }

  function bytesOf(id) {
    const { cols } = data;
    return cols.inStart[id] >= 0 ? cols.inEnd[id] - cols.inStart[id] : cols.outEnd[id] - cols.outStart[id];
  }

  function renderRow(id, tr) {
    const { cols } = data;
    const [cls, label, tip] = status(id);
    if (cls) tr.className = cls;
    const name = cols.name[id];
    tr.append(
      el('td', { class: 'num' }, cols.event[id] >= 0 ? String(cols.event[id]) : action(id) === 'inserted' ? '+' : ''),
      el('td', {}, name, cols.flags[id] & DATA_ONLY ? el('span', { class: 'tag', title: LEGEND['data-only'] }, 'data-only') : ''),
      el('td', { class: 'index' }, indexText(id)),
      el('td', {}, cols.block[id]),
      el('td', { class: 'num' }, `${action(id) === 'inserted' ? '+' : ''}${bytesOf(id)}`),
      el('td', { class: 'status', title: tip }, label),
    );
  }

  // ---- filters and search ----

  /**
   * Text of the whole input and each row's start in it (UTF-16 units), built
   * once. NOTE: valid UTF-8 is counted: one unit per byte that does not
   * continue a sequence, two for a 4-byte sequence (a surrogate pair); an
   * input with invalid bytes (U+FFFD in the text) is decoded row by row.
   */
  function searchIndex() {
    if (search) return search;
    const { cols } = data;
    const { bytes } = input.stream;
    const text = decoder.decode(bytes);
    const n = cols.action.length;
    const withInput = [];
    for (let id = 0; id < n; id++) if (cols.inStart[id] >= 0) withInput.push(id);
    let start = cols.inStart;
    if (text.length !== bytes.length) {
      start = new Float64Array(n).fill(-1);
      const exact = !text.includes('\uFFFD');
      let at = 0;
      for (const id of withInput) {
        start[id] = at;
        const [from, to] = [cols.inStart[id], cols.inEnd[id]];
        if (!exact) at += decoder.decode(bytes.subarray(from, to)).length;
        else for (let i = from; i < to; i++) at += (bytes[i] & 0xc0) !== 0x80 ? (bytes[i] >= 0xf0 ? 2 : 1) : 0;
      }
    }
    search = { text, start, withInput };
    return search;
  }

  /** Rows whose raw text (or added text) contains `query`, case-insensitive. */
  function matching(query) {
    const { text, start, withInput } = searchIndex();
    const hit = new Uint8Array(data.cols.action.length);
    const re = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    for (let m = re.exec(text); m; m = re.exec(text)) {
      // The row holding this position: the last with a start at or before it.
      let lo = 0;
      let hi = withInput.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (start[withInput[mid]] <= m.index) lo = mid;
        else hi = mid - 1;
      }
      const id = withInput[lo];
      hit[id] = 1;
      // Skip to the next row: one hit per row is enough.
      re.lastIndex = lo + 1 < withInput.length ? Math.max(re.lastIndex, start[withInput[lo + 1]]) : text.length;
      if (m[0].length === 0) re.lastIndex++;
    }
    const q = query.toLowerCase();
    for (let id = 0; id < hit.length; id++) {
      if (data.cols.inStart[id] < 0 && data.cols.outStart[id] >= 0) {
        hit[id] = Number(decoder.decode(input.stream.result.output.subarray(data.cols.outStart[id], data.cols.outEnd[id])).toLowerCase().includes(q));
      }
    }
    return hit;
  }

  function applyFilters() {
    const { cols } = data;
    const n = cols.action.length;
    const hit = filters.query ? matching(filters.query) : null;
    const ids = [];
    for (let id = 0; id < n; id++) {
      if (filters.type && cols.name[id] !== filters.type) continue;
      if (filters.changedOnly && !changed(id)) continue;
      if (hit && !hit[id]) continue;
      ids.push(id);
    }
    table.setRows(Int32Array.from(ids));
    $('stream-count').textContent = ids.length === n ? plural(n, 'row') : `${ids.length.toLocaleString('en')} of ${plural(n, 'row')}`;
  }

  // ---- the selected row, raw vs sanitized, with neighbours ----

  function blockText(bytes, start, end) {
    if (start < 0) return null;
    const shown = Math.min(end, start + SHOWN_BYTES);
    const text = decoder.decode(bytes.subarray(start, shown));
    return shown < end ? `${text}\n… ${formatBytes(end - shown)} more` : text;
  }

  function pair(id, selected) {
    const { cols } = data;
    const raw = blockText(input.stream.bytes, cols.inStart[id], cols.inEnd[id]);
    const clean = blockText(input.stream.result.output, cols.outStart[id], cols.outEnd[id]);
    const [cls, label] = status(id);
    let left;
    let right;
    if (raw !== null && clean !== null && raw !== clean) {
      const [[a1, a2, a3], [b1, b2, b3]] = middle(raw, clean);
      left = [wrappable(a1), el('del', {}, a2), wrappable(a3)];
      right = [wrappable(b1), el('ins', {}, b2), wrappable(b3)];
    } else {
      left = raw === null ? el('span', { class: 'none' }, '(not in the input)') : action(id) === 'dropped' ? el('del', {}, raw) : wrappable(raw);
      right = clean === null ? el('span', { class: 'none' }, `(${label})`) : action(id) === 'inserted' ? el('ins', {}, clean) : wrappable(clean);
    }
    return el(
      'div',
      { class: `pair ${cls} ${selected ? 'selected' : ''}`, 'data-id': String(id), title: selected ? null : 'select this event' },
      el('pre', { class: 'code' }, left),
      el('pre', { class: 'code' }, right),
    );
  }

  function eventData(id) {
    const { cols } = data;
    const [bytes, start, end] = cols.inStart[id] >= 0 ? [input.stream.bytes, cols.inStart[id], cols.inEnd[id]] : [input.stream.result.output, cols.outStart[id], cols.outEnd[id]];
    if (start < 0) return null;
    const parser = new SseParser();
    const [event] = parser.feed(bytes.subarray(start, end));
    parser.finish();
    if (!event) return null;
    try {
      return { value: JSON.parse(event.data) };
    } catch {
      return { text: event.data };
    }
  }

  function renderSelection(id) {
    const box = $('selection');
    if (id < 0) return box.replaceChildren();
    const { cols } = data;
    const n = cols.action.length;
    const neighbours = [];
    for (let k = Math.max(0, id - CONTEXT); k < Math.min(n, id + CONTEXT + 1); k++) neighbours.push(pair(k, k === id));
    const [, label, tip] = status(id);
    const value = eventData(id);
    fill(box,
      el('h2', {}, `${cols.event[id] >= 0 ? `Event #${cols.event[id]}` : 'Block'}: ${cols.name[id] || '(no event)'}`, ' — ', el('span', { class: 'status', title: tip }, label)),
      el('div', { class: 'pair head' }, el('span', {}, 'raw (input bytes)'), el('span', {}, 'sanitized (output bytes)')),
      el('div', { class: 'pairs', tabindex: '0', role: 'region', 'aria-label': 'The selected event and its neighbours, raw and sanitized (click one to select it)', onclick: (e) => pickPair(e) }, neighbours),
      value ? el('h3', {}, 'data') : null,
      value ? (value.value !== undefined ? jsonTree(value.value, { open: 3 }) : el('pre', { class: 'code' }, value.text)) : null,
    );
  }

  function pickPair(e) {
    const div = e.target.closest('.pair[data-id]');
    if (div && !div.classList.contains('selected')) select(Number(div.dataset.id));
  }

  function select(id, { later = false } = {}) {
    if (!data || id < 0) return;
    if (table.position(id) < 0) {
      // A filter hides it: show everything again.
      Object.assign(filters, { query: '', type: '', changedOnly: false });
      $('search').value = '';
      $('type-filter').value = '';
      $('changed-only').checked = false;
      applyFilters();
    }
    table.select(id);
    if (!later) return renderSelection(id);
    // The verdict and the table paint first; the selected event follows.
    const mine = data;
    requestAnimationFrame(() => data === mine && table.selected === id && renderSelection(id));
  }

  // ---- wiring ----
  $('search').addEventListener('input', (e) => {
    filters.query = e.target.value;
    if (data) applyFilters();
  });
  $('type-filter').addEventListener('change', (e) => {
    filters.type = e.target.value;
    if (data) applyFilters();
  });
  $('changed-only').addEventListener('change', (e) => {
    filters.changedOnly = e.target.checked;
    if (data) applyFilters();
  });
  $('jump').addEventListener('click', () => data && select(data.firstChange >= 0 ? data.firstChange : 0));
  $('copy-stream').addEventListener('click', (e) => input && copy(decoder.decode(input.stream.result.output), e.currentTarget));
  $('download-stream').addEventListener('click', () => input && download(`${input.name.replace(/\.[a-z]+$/i, '')}.sanitized.sse`, input.stream.result.output, 'text/event-stream'));
  fill($('legend-list'), ...Object.entries(LEGEND).flatMap(([term, text]) => [el('dt', {}, term), el('dd', {}, text)]));
  const lazy = (box, target, value) => {
    box.ontoggle = () => box.open && !target.firstChild && target.append(jsonTree(value(), { open: 2 }));
  };

  return {
    render(next) {
      const has = Boolean(next.stream);
      $('view-stream').querySelector('.stream-body').hidden = !has;
      $('stream-empty').hidden = has;
      if (!has) {
        table.setRows(new Int32Array(0));
        input = data = null;
        $('stream-empty').textContent = `The loaded input (${next.name}) has no event stream${next.request ? ': it is a request body, see the History view' : ''}.`;
        return;
      }
      input = next;
      search = null;
      const { result } = next.stream;
      const notes = new Map();
      for (const note of result.report.notes) notes.set(note.event, [...(notes.get(note.event) ?? []), note.code]);
      const reasons = new Map(result.report.blocksReplaced.map((b) => [`${b.message}:${b.index}`, b.reason === 'thinking-follows' ? 'a thinking block follows' : 'a thinking block came earlier']));
      data = { cols: result.cols, eventCount: result.eventCount, firstChange: result.firstChange, notes, reasons };
      const types = new Map();
      for (const name of result.cols.name) if (name) types.set(name, (types.get(name) ?? 0) + 1);
      fill($('type-filter'),
        el('option', { value: '' }, 'all events'),
        [...types].sort((a, b) => b[1] - a[1]).map(([name, count]) => el('option', { value: name }, `${name} (${count.toLocaleString('en')})`)),
      );
      if (!types.has(filters.type)) filters.type = '';
      $('type-filter').value = filters.type;
      applyFilters();
      for (const box of [$('message-box'), $('report-box')]) {
        box.open = false;
        box.querySelector('div').replaceChildren();
      }
      lazy($('message-box'), $('message'), () => result.verdict.message ?? { turns: result.verdict.turns.length, note: 'several turns: the History view shows them all, stored one after the other' });
      lazy($('report-box'), $('report'), () => result.report);
      select(data.firstChange >= 0 ? data.firstChange : 0, { later: true });
      // NOTE: the text a search scans is decoded while the page is idle, so the first search is quick too.
      const mine = data;
      requestIdleCallback(() => data === mine && searchIndex());
    },
    select,
  };
}
