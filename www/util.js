// Small DOM and text helpers shared by the views.

export const $ = (id) => document.getElementById(id);

/** `el('td', { class: 'x' }, 'text', child)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

export const decoder = new TextDecoder();
export const encoder = new TextEncoder();

/**
 * The SSE blocks of a text, each up to and including the blank line that ends
 * it (CRLF, LF or CR line ends, as the parser reads them); a last unterminated
 * block is kept as is.
 */
export function splitBlocks(text) {
  const blocks = [];
  const lineEnd = /\r\n|\r|\n/g;
  let start = 0;
  let lineStart = 0;
  for (let m = lineEnd.exec(text); m; m = lineEnd.exec(text)) {
    const empty = m.index === lineStart;
    lineStart = m.index + m[0].length;
    if (empty) {
      blocks.push(text.slice(start, lineStart));
      start = lineStart;
    }
  }
  if (start < text.length) blocks.push(text.slice(start));
  return blocks;
}

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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

export async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed (clipboard blocked)';
  }
  setTimeout(() => (button.textContent = button.dataset.label), 1500);
}

/** MB/s of `fn` over `bytes`, repeated for at least 30 ms. */
export function throughput(bytes, fn) {
  const start = performance.now();
  let runs = 0;
  let elapsed = 0;
  do {
    fn();
    runs++;
    elapsed = performance.now() - start;
  } while (elapsed < 30);
  return { mbps: (bytes * runs) / 1e6 / (elapsed / 1000), ms: elapsed / runs };
}
