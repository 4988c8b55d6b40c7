// History view: normalize() and validate() on a request body, per profile,
// with the rules catalog the changes link to.
import { normalize, rules, validate } from '/js/browser.js';
import { $, copy, download, el } from './util.js';

const PROFILES = ['anthropic', 'bedrock'];
let current;

/** A line diff (LCS) of two texts: [{ op: ' ' | '-' | '+', line }]. */
function lineDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > 4e6) return [...x.map((line) => ({ op: '-', line })), ...y.map((line) => ({ op: '+', line }))];
  const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push({ op: ' ', line: x[i++] });
      j++;
    } else if (j < y.length && (i === x.length || lcs[i][j + 1] >= lcs[i + 1][j])) out.push({ op: '+', line: y[j++] });
    else out.push({ op: '-', line: x[i++] });
  }
  return out;
}

function verdictCell(violations) {
  if (violations.length === 0) return el('td', { class: 'verdict-clean' }, 'clean: accepted');
  return el(
    'td',
    { class: 'verdict-bad' },
    el('strong', {}, `rejected (${violations.length})`),
    el('ul', {}, ...violations.map((v) => el('li', {}, el('code', {}, v.message), ` — ${v.rule} at ${v.path}`))),
  );
}

/** Renders the view for `body` (an object); returns what it showed. */
export function showHistory(body) {
  const profile = $('profile').value;
  const strictFields = $('strict').checked;
  const verdicts = {};
  const tbody = $('verdict').tBodies[0];
  tbody.replaceChildren();
  for (const p of PROFILES) {
    const before = validate(body, { profile: p });
    const after = validate(normalize(body, { profile: p, strictFields }).body, { profile: p });
    verdicts[p] = { before, after };
    tbody.append(el('tr', {}, el('th', { scope: 'row' }, p), verdictCell(before), verdictCell(after)));
  }
  const { body: normalized, changes } = normalize(body, { profile, strictFields });
  current = normalized;
  $('changes').tBodies[0].replaceChildren(
    ...(changes.length
      ? changes.map((c) =>
          el(
            'tr',
            {},
            el('td', {}, el('a', { href: `#rule-${c.rule}`, onclick: () => ($('catalog').open = true) }, c.rule)),
            el('td', {}, c.path),
            el('td', {}, c.action),
            el('td', {}, c.detail),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 4 }, 'no change: the body is already safe under this profile'))]),
  );
  const diff = $('diff');
  diff.replaceChildren(
    ...lineDiff(JSON.stringify(body, null, 2), JSON.stringify(normalized, null, 2)).map(({ op, line }) =>
      op === ' ' ? `  ${line}\n` : el('span', { class: op === '-' ? 'del' : 'ins' }, `${op} ${line}\n`),
    ),
  );
  return { verdicts, changes };
}

export function initHistory(getBody) {
  $('rules').replaceChildren(
    ...rules().flatMap((r) => [
      el('dt', { id: `rule-${r.id}` }, r.id, ` (${r.profiles.join(', ')})`),
      el('dd', {}, r.fix ? `fix: ${r.fix}` : 'validator only (no safe automatic fix)'),
      el('dd', {}, 'prevents: ', el('code', {}, r.message)),
    ]),
  );
  for (const id of ['profile', 'strict']) $(id).addEventListener('change', () => getBody() && showHistory(getBody()));
  for (const id of ['copy-history', 'download-history']) $(id).dataset.label = $(id).textContent;
  $('copy-history').addEventListener('click', (e) => current && copy(JSON.stringify(current, null, 2), e.currentTarget));
  $('download-history').addEventListener('click', () => current && download('normalized.json', JSON.stringify(current, null, 2), 'application/json'));
}
