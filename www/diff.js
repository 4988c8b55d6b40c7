// Line diff for the History view (runs in the worker): Myers' O((n+m)·D)
// algorithm on the lines between the common prefix and suffix, shown as
// unified hunks with a few lines of context.

const CONTEXT = 3;
// NOTE: past this many differing lines the edit script costs more than it
// shows; the middle is then reported as all removed, then all added.
const MAX_D = 1000;

/**
 * Shortest edit script of `a` → `b` (arrays of lines): [{ op: ' ' | '-' | '+', line }],
 * or null when they differ in more than MAX_D lines.
 */
function myers(a, b) {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_D);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d]: the furthest x per diagonal k before step d, at k + d + 1.
  const trace = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace);
    }
  }
  return null;
}

function backtrack(a, b, trace) {
  const out = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const at = (k) => trace[d][k + d + 1];
    const k = x - y;
    const pk = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    while (x > px && y > py) {
      out.push({ op: ' ', line: a[--x] });
      y--;
    }
    if (d === 0) break;
    if (x === px) out.push({ op: '+', line: b[--y] });
    else out.push({ op: '-', line: a[--x] });
  }
  return out.reverse();
}

/**
 * Unified diff of two texts: [{ op: ' ' | '-' | '+', line } | { op: '…', count }],
 * unchanged runs longer than the context collapsed into one `…` entry.
 */
export function unifiedDiff(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middleA = a.slice(head, a.length - tail);
  const middleB = b.slice(head, b.length - tail);
  const ops = [
    ...a.slice(0, head).map((line) => ({ op: ' ', line })),
    ...(myers(middleA, middleB) ?? [...middleA.map((line) => ({ op: '-', line })), ...middleB.map((line) => ({ op: '+', line }))]),
    ...a.slice(a.length - tail).map((line) => ({ op: ' ', line })),
  ];
  const out = [];
  for (let i = 0; i < ops.length; ) {
    if (ops[i].op !== ' ') {
      out.push(ops[i++]);
      continue;
    }
    let j = i;
    while (j < ops.length && ops[j].op === ' ') j++;
    const keepHead = i === 0 ? 0 : CONTEXT;
    const keepTail = j === ops.length ? 0 : CONTEXT;
    if (j - i > keepHead + keepTail + 1) {
      out.push(...ops.slice(i, i + keepHead), { op: '…', count: j - i - keepHead - keepTail }, ...ops.slice(j - keepTail, j));
    } else out.push(...ops.slice(i, j));
    i = j;
  }
  return out;
}
