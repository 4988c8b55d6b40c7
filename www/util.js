// DOM helpers shared by the views: element builder, clipboard and download,
// a collapsible JSON tree and a virtualized table.

export const $ = (id) => document.getElementById(id);

const present = (c) => c !== undefined && c !== null && c !== false;

/** Replaces the children of `node` (nested arrays flattened; null, undefined and false skipped). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter(present));
  return node;
}

/** `el('td', { class: 'x', onclick }, 'text', child)`; children as in {@link fill}. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.flat(Infinity).filter(present));
  return node;
}

export const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
export const encoder = new TextEncoder();

export const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

/** Offers `data` as a file download. */
export function download(name, data, type) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Copies `text`, saying so on `button` for a moment. */
export async function copy(text, button) {
  button.dataset.label ??= button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed (clipboard blocked)';
  }
  setTimeout(() => (button.textContent = button.dataset.label), 1500);
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
export { nextFrame };

// ---------------------------------------------------------------------------
// JSON tree: objects and arrays as nested <details>, children built when opened.

const CHILDREN_SHOWN = 200;

function scalar(value) {
  const kind = value === null ? 'null' : typeof value;
  return el('span', { class: `j-${kind}` }, JSON.stringify(value));
}

function node(key, value, depth, open) {
  const label = key === undefined ? [] : [el('span', { class: 'j-key' }, typeof key === 'number' ? String(key) : JSON.stringify(key)), ': '];
  if (value === null || typeof value !== 'object') return el('div', { class: 'j-row' }, ...label, scalar(value));
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [l, r] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return el('div', { class: 'j-row' }, ...label, `${l}${r}`);
  const summary = el('summary', {}, ...label, `${l} `, el('span', { class: 'j-count' }, `${entries.length} ${Array.isArray(value) ? 'items' : 'keys'}`), ` ${r}`);
  const details = el('details', { class: 'j-node' }, summary);
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const body = el('div', { class: 'j-body' });
    const show = (from) => {
      for (const [k, v] of entries.slice(from, from + CHILDREN_SHOWN)) body.append(node(k, v, depth + 1, depth + 1 < open));
      if (from + CHILDREN_SHOWN < entries.length) {
        const more = el('button', { type: 'button', class: 'j-more' }, `show ${Math.min(CHILDREN_SHOWN, entries.length - from - CHILDREN_SHOWN)} more of ${entries.length - from - CHILDREN_SHOWN}`);
        more.addEventListener('click', () => {
          more.remove();
          show(from + CHILDREN_SHOWN);
        });
        body.append(more);
      }
    };
    show(0);
    details.append(body);
  };
  details.addEventListener('toggle', () => details.open && build());
  if (open) {
    build();
    details.open = true;
  }
  return details;
}

/** A collapsible, pretty-printed view of `value`, opened `open` levels deep. */
export function jsonTree(value, { open = 2 } = {}) {
  return el('div', { class: 'json' }, node(undefined, value, 0, open > 0));
}

// ---------------------------------------------------------------------------
// Virtualized table: only the rows in view are in the DOM.

export class VirtualTable {
  /**
   * `scroller`: the focusable scrolling element holding `table`; `renderRow(id, tr)`
   * fills a <tr> (cells and class) for row `id`; `onSelect(id)` on click or keys.
   */
  constructor({ scroller, table, rowHeight, renderRow, onSelect }) {
    Object.assign(this, { scroller, table, rowHeight, renderRow, onSelect });
    this.ids = new Int32Array(0);
    this.selected = -1;
    this.body = table.tBodies[0];
    this.frame = 0;
    scroller.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(scroller);
    this.body.addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-id]');
      if (tr) this.onSelect(Number(tr.dataset.id));
    });
    scroller.addEventListener('keydown', (e) => this.key(e));
  }

  /** Shows rows `ids` (in order), keeping the selection when it is still among them. */
  setRows(ids) {
    this.ids = ids;
    this.table.setAttribute('aria-rowcount', String(ids.length + 1));
    this.render();
  }

  /** Position of row `id` in the shown list, or -1. */
  position(id) {
    // NOTE: ids are ascending, so a binary search finds the position.
    let lo = 0;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ids[mid] === id) return mid;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Marks `id` selected and scrolls it into view (centred when it was out of view). */
  select(id) {
    this.selected = id;
    const at = this.position(id);
    if (at >= 0) {
      const top = at * this.rowHeight;
      const view = this.scroller.clientHeight - this.headHeight();
      if (top < this.scroller.scrollTop || top + this.rowHeight > this.scroller.scrollTop + view) {
        this.scroller.scrollTop = Math.max(0, top - view / 2);
      }
    }
    this.render();
  }

  headHeight() {
    return this.table.tHead?.offsetHeight ?? 0;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const { ids, rowHeight } = this;
    const height = Math.max(this.scroller.clientHeight, rowHeight * 10);
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / rowHeight) - 5);
    const last = Math.min(ids.length, first + Math.ceil(height / rowHeight) + 10);
    const rows = [];
    const columns = this.table.tHead.rows[0].cells.length;
    if (first > 0) rows.push(spacer(first * rowHeight, columns));
    for (let at = first; at < last; at++) {
      const id = ids[at];
      const tr = document.createElement('tr');
      tr.dataset.id = String(id);
      tr.setAttribute('aria-rowindex', String(at + 2));
      this.renderRow(id, tr);
      if (id === this.selected) {
        tr.classList.add('selected');
        tr.setAttribute('aria-current', 'true');
      }
      rows.push(tr);
    }
    if (last < ids.length) rows.push(spacer((ids.length - last) * rowHeight, columns));
    this.body.replaceChildren(...rows);
  }

  key(e) {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10, Home: -Infinity, End: Infinity }[e.key];
    if (step === undefined || this.ids.length === 0) return;
    e.preventDefault();
    const at = this.position(this.selected);
    const next = at < 0 ? 0 : Math.max(0, Math.min(this.ids.length - 1, at + step));
    this.onSelect(this.ids[next]);
  }
}

function spacer(height, columns) {
  const tr = el('tr', { class: 'spacer', 'aria-hidden': 'true' }, el('td', { colspan: String(columns) }));
  tr.style.height = `${height}px`;
  return tr;
}
