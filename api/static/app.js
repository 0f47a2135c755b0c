// The artflow dashboard: a plain ES module over the read API of the same server (no build step).
// It polls every POLL_MS with If-None-Match, so an unchanged answer is a 304 and nothing is
// redrawn; a changed one updates only the figures and charts that differ.

const POLL_MS = 2000;
const TOKEN_KEY = 'artflow.readToken';
const PAGE_LIMIT = 500;
const DAY_S = 86400;
const SCATTER_HEIGHT = 330; // px
const TREND_HEIGHT = 150; // px, each of the two trend charts

// Figures of a pipeline, in display order. `key` is the API's field; `id` is the stable
// data-figure name. A figure absent from the answer is not shown; a null one shows a dash.
const FIGURES = [
  { id: 'count', key: 'count', label: 'Counted', fmt: 'int', hint: 'lead times', title: 'Issues counted: done, with a known start, above the threshold' },
  { id: 'wip', key: 'wip', label: 'WIP', fmt: 'int', hint: 'in progress', title: 'Work in progress: started, not done' },
  { id: 'mean', key: 'mean_days', label: 'Mean', fmt: 'days' },
  { id: 'p50', key: 'p50_days', label: 'p50', fmt: 'days', hint: 'median' },
  { id: 'p70', key: 'p70_days', label: 'p70', fmt: 'days' },
  { id: 'p85', key: 'p85_days', label: 'p85', fmt: 'days' },
  { id: 'p95', key: 'p95_days', label: 'p95', fmt: 'days' },
  { id: 'stddev', key: 'stddev_days', label: 'Std dev', fmt: 'days' },
  { id: 'flow_efficiency', key: 'flow_efficiency', label: 'Efficiency', fmt: 'pct', hint: 'active ÷ lead', title: 'Flow efficiency: active time over lead time, over the counted issues' },
  { id: 'min', key: 'min_days', label: 'Shortest', fmt: 'days', issue: 'min_issue' },
  { id: 'max', key: 'max_days', label: 'Longest', fmt: 'days', issue: 'max_issue' },
];

const PERCENTILE_LINES = [
  { key: 'p50_days', label: 'p50', color: '#2f855a', dash: [6, 4] },
  { key: 'p85_days', label: 'p85', color: '#c05621', dash: [6, 4] },
  { key: 'p95_days', label: 'p95', color: '#c53030', dash: [2, 3] },
];

const NOT_COUNTED = {
  not_started: 'not started',
  never_active: 'straight to done',
  unknown_start: 'unknown start',
  invalid: 'invalid',
  below_threshold: 'below threshold',
  cancelled: 'cancelled',
};

const WINDOWS = { all: null, '90d': 90, '30d': 30 };

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// ---------------------------------------------------------------- formatting

function fmtDays(v) {
  if (v === null || v === undefined) return '—';
  return `${v.toFixed(v < 100 ? 1 : 0)} d`;
}

function fmtValue(v, fmt) {
  if (v === null || v === undefined) return '—';
  if (fmt === 'int') return Number(v).toLocaleString('en');
  if (fmt === 'pct') return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;
  return fmtDays(v);
}

function hms(date) {
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function daysAgo(n) {
  return isoDay(new Date(Date.now() - n * DAY_S * 1000));
}

function dayToSeconds(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

function timeToSeconds(t) {
  return Date.parse(t) / 1000;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, code, message, path) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

// Last good answer per path with its ETag: sent back as If-None-Match.
const cache = new Map();

function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

// GET a path relative to the page (so the dashboard also works under a path prefix).
// Returns { changed, body }: changed is false on a 304.
async function get(path) {
  const cached = cache.get(path);
  const headers = { Accept: 'application/json' };
  if (cached) headers['If-None-Match'] = cached.etag;
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let res;
  try {
    res = await fetch(path, { headers, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `the server does not answer (${e.message})`, path);
  }
  if (res.status === 304 && cached) return { changed: false, body: cached.body };
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText || 'request failed';
    try {
      const err = (await res.json()).error;
      if (err) {
        code = err.code ?? code;
        message = err.message ?? message;
      }
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(res.status, code, message, path);
  }
  let body;
  try {
    body = await res.json();
  } catch (e) {
    throw new ApiError(res.status, 'bad_json', `the answer is not JSON (${e.message})`, path);
  }
  const etag = res.headers.get('ETag');
  if (etag) cache.set(path, { etag, body });
  else cache.delete(path);
  return { changed: true, body };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Every counted issue of a configuration, following next_cursor. Only the first page is asked
// conditionally: when it is unchanged, so is the data version behind the rest.
const issueLists = new Map();

async function counted(abbr, code, from) {
  const base = `arts/${encodeURIComponent(abbr)}/issues`;
  const first = `${base}${query({ config: code, outcome: 'counted', completed_from: from, limit: PAGE_LIMIT })}`;
  const page = await get(first);
  const known = issueLists.get(first);
  if (!page.changed && known) return { changed: false, issues: known };
  const issues = [...(page.body.issues ?? [])];
  let cursor = page.body.next_cursor;
  let pages = 1;
  while (cursor) {
    if (++pages > 1000) throw new ApiError(0, 'paging', 'more than 1000 pages of issues', first);
    const next = await get(`${base}${query({ config: code, outcome: 'counted', completed_from: from, limit: PAGE_LIMIT, cursor })}`);
    issues.push(...(next.body.issues ?? []));
    cursor = next.body.next_cursor;
  }
  issueLists.set(first, issues);
  return { changed: true, issues };
}

// ---------------------------------------------------------------- location

function readHash() {
  const m = /^#\/([^?]*)(?:\?(.*))?$/.exec(location.hash);
  if (!m) return { abbr: null, window: 'all' };
  const params = new URLSearchParams(m[2] ?? '');
  const w = params.get('window');
  return { abbr: m[1] ? decodeURIComponent(m[1]) : null, window: w in WINDOWS ? w : 'all' };
}

function hashFor(abbr, window) {
  return `#/${encodeURIComponent(abbr)}${window === 'all' ? '' : `?window=${window}`}`;
}

// ---------------------------------------------------------------- state

const state = {
  arts: [],
  abbr: null,
  window: 'all',
  cards: new Map(), // code -> Card
  view: '', // abbr + window the cards belong to
  needsToken: false,
  lastChange: null,
  running: false,
  again: false,
};

// ---------------------------------------------------------------- notices

function showError(err) {
  const box = $('error');
  box.replaceChildren();
  const where = err.path ? ` (GET /${err.path.split('?')[0]})` : '';
  box.append(
    el('strong', { text: err.status ? `Error ${err.status} ${err.code}` : `Error: ${err.code ?? 'script'}` }),
    el('span', { text: `: ${err.message}${where}` }),
  );
  box.hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

function askForToken(refused) {
  state.needsToken = true;
  const form = $('token-form');
  $('token-hint').textContent = refused
    ? 'That token was refused: paste a valid one. It is kept in this browser tab only.'
    : 'Kept in this browser tab only (sessionStorage).';
  form.hidden = false;
  $('updated').textContent = 'Waiting for a read token';
  $('live').dataset.state = 'paused';
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  try {
    sessionStorage.setItem(TOKEN_KEY, value);
  } catch {
    // Storage refused (private mode): the token is lost on reload, nothing else changes.
  }
  $('token').value = '';
  $('token-form').hidden = true;
  state.needsToken = false;
  cache.clear();
  issueLists.clear();
  refreshSoon();
});

// ---------------------------------------------------------------- ART list

function renderArts() {
  const list = $('arts');
  list.replaceChildren(
    ...state.arts.map((art) => {
      const a = el(
        'a',
        {
          href: hashFor(art.abbreviation, state.window),
          'data-art': art.abbreviation,
          title: `${art.name}: ${(art.configs ?? []).join(', ') || 'no configuration'}`,
        },
        el('span', { class: 'abbr', text: art.abbreviation }),
        el('span', { class: 'name', text: art.name }),
      );
      if (art.abbreviation === state.abbr) a.setAttribute('aria-current', 'page');
      return el('li', {}, a);
    }),
  );
}

// The ART a hash names, in the API's spelling: `#/pup` is PUP (abbreviations match in any
// case). Rewrites the hash in place (no new history entry) when the spelling differs.
function canonicalArt() {
  if (!state.abbr) return;
  const wanted = state.abbr.toLowerCase();
  const art = state.arts.find((a) => a.abbreviation.toLowerCase() === wanted);
  if (art && art.abbreviation !== state.abbr) {
    state.abbr = art.abbreviation;
    history.replaceState(null, '', hashFor(state.abbr, state.window));
    markCurrentArt();
  }
}

function markCurrentArt() {
  for (const a of $('arts').querySelectorAll('a')) {
    if (a.dataset.art === state.abbr) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    a.setAttribute('href', hashFor(a.dataset.art, state.window));
  }
}

function renderArtHead() {
  const art = state.arts.find((a) => a.abbreviation === state.abbr);
  $('art-title').textContent = art ? `${art.name} (${art.abbreviation})` : state.abbr ?? 'Choose an ART';
  const meta = [];
  if (art) {
    meta.push(`Program project ${art.program_key ?? '—'}`);
    if (art.team_key) meta.push(`team project ${art.team_key}`);
    const n = (art.configs ?? []).length;
    meta.push(`${n} pipeline configuration${n === 1 ? '' : 's'}`);
  }
  $('art-meta').textContent = meta.join(' · ');
}

// ---------------------------------------------------------------- charts

const TZ_UTC = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

// Date axes tick on whole days at least: the data are days, not times of day.
const DAY_TICKS = [1, 2, 7, 14, 28, 91, 182, 364, 728].map((d) => d * DAY_S);
const DATE_AXIS = { stroke: '#4a5568', grid: { stroke: '#edf0f4' }, incrs: DAY_TICKS };

// The x range from the data itself, a day either side of a single value (uPlot's own padding
// of a single time value assumes milliseconds).
function xRange(u) {
  const xs = u.data[0];
  if (!xs || xs.length === 0) {
    const now = Date.now() / 1000;
    return [now - 30 * DAY_S, now];
  }
  const min = xs[0];
  const max = xs[xs.length - 1];
  if (max - min < DAY_S) return [min - DAY_S, max + DAY_S];
  const pad = (max - min) * 0.03;
  return [min - pad, max + pad];
}

function sizeOf(node, height) {
  return { width: Math.max(240, Math.floor(node.clientWidth || 480)), height };
}

function watchSize(plot, node, height) {
  const ro = new ResizeObserver(() => {
    const size = sizeOf(node, height);
    if (size.width !== plot.width) plot.setSize(size);
  });
  ro.observe(node);
  return ro;
}

// Horizontal percentile lines drawn over the plot area, labelled at the right edge.
function percentileLines(getLevels) {
  return (u) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    const gap = 13 * devicePixelRatio;
    let prev = null; // the last label drawn: { y, left }
    const levels = [...getLevels()].sort((a, b) => b.value - a.value);
    for (const line of levels) {
      const y = Math.round(u.valToPos(line.value, 'y', true));
      if (y < top || y > top + height) continue;
      ctx.strokeStyle = line.color;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.setLineDash(line.dash.map((d) => d * devicePixelRatio));
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      const text = `${line.label} ${fmtDays(line.value)}`;
      const w = ctx.measureText(text).width;
      // Beside the previous label when the lines are too close to stack the labels.
      const right = prev && Math.abs(y - prev.y) < gap ? prev.left - 10 * devicePixelRatio : left + width - 4 * devicePixelRatio;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(right - w - 2 * devicePixelRatio, y - gap, w + 4 * devicePixelRatio, gap - 2 * devicePixelRatio);
      ctx.fillStyle = line.color;
      ctx.fillText(text, right, y - 2 * devicePixelRatio);
      prev = { y, left: right - w };
    }
    ctx.restore();
  };
}

function scatterPlot(node, card) {
  const opts = {
    ...sizeOf(node, SCATTER_HEIGHT),
    tzDate: TZ_UTC,
    scales: { x: { time: true, range: xRange }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1) * 1.08] } },
    axes: [
      DATE_AXIS,
      { label: 'Lead time (days)', stroke: '#4a5568', grid: { stroke: '#edf0f4' }, size: 56 },
    ],
    cursor: { drag: { x: false, y: false }, points: { size: 10 } },
    legend: { live: true },
    series: [
      { label: 'Completed', value: (_u, v) => (v === null ? '—' : isoDay(new Date(v * 1000))) },
      {
        label: 'Issue',
        stroke: '#2b6cb0',
        fill: 'rgba(43,108,176,0.35)',
        paths: () => null,
        points: { show: true, size: 8, width: 1.5, stroke: '#2b6cb0', fill: 'rgba(43,108,176,0.35)' },
        value: (_u, v, _si, i) => (v === null || i === null ? '—' : `${card.scatterKeys[i]} · ${fmtDays(v)}`),
      },
    ],
    hooks: { draw: [percentileLines(() => card.percentiles)] },
  };
  return new uPlot(opts, [[], []], node);
}

// The daily trend: two small charts on the same days, issues above and days below (one axis
// each). A line whose figure the history rows do not carry is left out.
const TREND_CHARTS = [
  {
    axis: 'Issues',
    lines: [
      { key: 'count', label: 'Counted', stroke: '#2b6cb0', fmt: 'int' },
      { key: 'wip', label: 'WIP', stroke: '#805ad5', fmt: 'int' },
    ],
  },
  {
    axis: 'Days',
    lines: [
      { key: 'mean_days', label: 'Mean', stroke: '#2f855a', fmt: 'days' },
      { key: 'p85_days', label: 'p85', stroke: '#c05621', fmt: 'days' },
      { key: 'max_days', label: 'Longest', stroke: '#718096', dash: [3, 3], fmt: 'days' },
    ],
  },
];

function trendPlot(node, axis, lines) {
  const opts = {
    ...sizeOf(node, TREND_HEIGHT),
    tzDate: TZ_UTC,
    scales: {
      x: { time: true, range: xRange },
      y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1) * 1.15] },
    },
    axes: [DATE_AXIS, { label: axis, stroke: '#4a5568', grid: { stroke: '#edf0f4' }, size: 52 }],
    cursor: { drag: { x: false, y: false }, sync: { key: node.dataset.sync } },
    series: [
      { label: 'Day', value: (_u, v) => (v === null ? '—' : isoDay(new Date(v * 1000))) },
      ...lines.map((l) => ({
        label: l.label,
        stroke: l.stroke,
        width: 2,
        dash: l.dash,
        points: { show: true, size: 8 },
        value: (_u, v) => fmtValue(v, l.fmt),
      })),
    ],
  };
  return new uPlot(opts, [[], ...lines.map(() => [])], node);
}

// ---------------------------------------------------------------- cards

class Card {
  constructor(pipeline) {
    this.code = pipeline.code;
    this.percentiles = [];
    this.scatterKeys = [];
    this.scatterRange = null; // [first, last] completion day
    this.signatures = {};
    this.observers = [];
    const id = `card-${this.code.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    this.title = el('h3', { id: `${id}-title` });
    this.codeChip = el('span', { class: 'chip code', text: this.code });
    this.ruleChip = el('span', { class: 'chip rule' });
    this.figures = el('dl', { class: 'figures' });
    this.notCounted = el('p', { class: 'not-counted', 'data-figure': 'not_counted' });
    this.scatterNode = el('div', { class: 'plot', role: 'img' });
    this.scatterEmpty = el('p', { class: 'plot-empty', hidden: true, text: 'No counted issue in this window.' });
    this.scatter = el(
      'figure',
      { class: 'chart', 'data-chart': 'scatter', 'data-points': '0' },
      el('figcaption', {}, el('span', { class: 'cap', text: 'Lead time by completion date' }), el('span', { class: 'sub', text: 'one dot per counted issue; lines at p50, p85, p95' })),
      this.scatterNode,
      this.scatterEmpty,
    );
    this.trendNode = el('div', { class: 'trend-plots', role: 'img' });
    this.trendCharts = TREND_CHARTS.map((spec) => {
      const node = el('div', { class: 'plot small', 'data-sync': `trend-${this.code}` });
      this.trendNode.append(node);
      return { spec, node, plot: null, observer: null, keys: '' };
    });
    this.trendEmpty = el('p', { class: 'plot-empty', hidden: true, text: 'No daily history in this window yet.' });
    this.trendSub = el('span', { class: 'sub', text: 'the figures at the end of each day they changed' });
    this.trend = el(
      'figure',
      { class: 'chart', 'data-chart': 'trend', 'data-days': '0' },
      el('figcaption', {}, el('span', { class: 'cap', text: 'Daily trend' }), this.trendSub),
      this.trendNode,
      this.trendEmpty,
    );
    this.extras = el('div', { class: 'extras' });
    this.issueRows = el('tbody');
    this.issueSummary = el('summary');
    this.issues = el(
      'details',
      { class: 'issues' },
      this.issueSummary,
      el('div', { class: 'table-wrap' }, el('table', {},
        el('caption', { class: 'visually-hidden', text: `Counted issues of ${this.code}` }),
        el('thead', {}, el('tr', {},
          ...['Issue', 'Type', 'Start', 'End'].map((h) => el('th', { scope: 'col', text: h })),
          ...['Lead time', 'Active', 'Reopens'].map((h) => el('th', { scope: 'col', class: 'num', text: h })))),
        this.issueRows,
      )),
    );
    this.node = el(
      'article',
      { class: 'card', 'data-config': this.code, 'aria-labelledby': `${id}-title` },
      el('header', { class: 'card-head' }, this.title, this.codeChip, this.ruleChip),
      this.figures,
      this.notCounted,
      el('div', { class: 'charts' }, this.scatter, this.trend),
      this.extras,
      this.issues,
    );
    this.scatterPlot = null;
  }

  // Charts are made once the card is in the document (uPlot measures its container).
  mount() {
    this.scatterPlot = scatterPlot(this.scatterNode, this);
    this.observers.push(watchSize(this.scatterPlot, this.scatterNode, SCATTER_HEIGHT));
  }

  destroy() {
    for (const o of this.observers) o.disconnect();
    this.scatterPlot?.destroy();
    for (const c of this.trendCharts) {
      c.observer?.disconnect();
      c.plot?.destroy();
    }
    this.node.remove();
  }

  // True when `value` differs from what was last drawn under `name`.
  differs(name, value) {
    const sig = JSON.stringify(value);
    if (this.signatures[name] === sig) return false;
    this.signatures[name] = sig;
    return true;
  }

  update(p, animate) {
    if (this.differs('head', [p.name, p.rule])) {
      this.title.textContent = p.name;
      this.ruleChip.textContent = p.rule === 'field' ? 'field rule' : p.rule === 'status' ? 'status rule' : p.rule;
    }
    if (this.differs('figures', FIGURES.map((f) => [f.key in p, p[f.key], f.issue ? p[f.issue] : null]))) {
      this.renderFigures(p, animate);
    }
    if (this.differs('not_counted', p.not_counted ?? null)) this.renderNotCounted(p.not_counted);
    const levels = PERCENTILE_LINES.filter((l) => typeof p[l.key] === 'number').map((l) => ({ ...l, value: p[l.key] }));
    if (this.differs('percentiles', levels)) {
      this.percentiles = levels;
      this.scatterPlot?.redraw(false, false);
      this.describeScatter();
    }
    if (this.differs('extras', [p.throughput, p.aging, p.rework, p.distribution])) this.renderExtras(p);
  }

  renderFigures(p, animate) {
    const existing = new Map([...this.figures.children].map((n) => [n.dataset.figure, n]));
    const wanted = FIGURES.filter((f) => f.key in p);
    const nodes = wanted.map((f) => {
      const value = p[f.key];
      const raw = value === null || value === undefined ? '' : String(value);
      const issue = f.issue ? p[f.issue] ?? null : null;
      let node = existing.get(f.id);
      if (!node) {
        node = el('div', { class: 'figure', 'data-figure': f.id, title: f.title ?? null },
          el('dt', { text: f.label }),
          el('dd', {}, el('span', { class: 'value' }), el('span', { class: f.issue ? 'sub issue' : 'sub', text: f.hint ?? '' })));
        node.dataset.value = '\u0000'; // never equal to a real value: the first fill is no change
      }
      const changed = node.dataset.value !== raw || (f.issue && node.dataset.issue !== (issue ?? ''));
      if (changed) {
        const wasShown = node.dataset.value !== '\u0000';
        node.dataset.value = raw;
        node.querySelector('.value').textContent = fmtValue(value, f.fmt);
        if (f.issue) {
          node.dataset.issue = issue ?? '';
          node.querySelector('.issue').textContent = issue ?? '';
        }
        if (animate && wasShown) flash(node);
      }
      return node;
    });
    this.figures.replaceChildren(...nodes);
  }

  renderNotCounted(nc) {
    if (!nc) {
      this.notCounted.hidden = true;
      return;
    }
    const parts = Object.entries(nc)
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${NOT_COUNTED[k] ?? k.replaceAll('_', ' ')}`);
    this.notCounted.hidden = false;
    this.notCounted.textContent = parts.length ? `Not counted: ${parts.join(' · ')}` : 'Every finished issue is counted.';
  }

  renderExtras(p) {
    const blocks = [];
    if (p.throughput && Array.isArray(p.throughput.weeks)) blocks.push(throughputBlock(p.throughput.weeks));
    if (p.aging && Array.isArray(p.aging.issues)) blocks.push(agingBlock(p.aging));
    if (p.distribution && p.distribution.by_type) blocks.push(distributionBlock(p.distribution));
    if (p.rework && typeof p.rework === 'object') blocks.push(reworkBlock(p.rework));
    this.extras.replaceChildren(...blocks);
    this.extras.hidden = blocks.length === 0;
  }

  setIssues(issues) {
    const done = issues
      .filter((i) => i.end && typeof i.lead_days === 'number')
      .map((i) => ({ ...i, x: timeToSeconds(i.end) }))
      .sort((a, b) => a.x - b.x || a.key.localeCompare(b.key));
    if (!this.differs('issues', done.map((i) => [i.key, i.end, i.lead_days, i.type, i.active_days, i.reopens]))) return;
    this.scatterKeys = done.map((i) => i.key);
    this.scatter.dataset.points = String(done.length);
    this.scatterEmpty.hidden = done.length > 0;
    this.scatterNode.hidden = done.length === 0;
    this.scatterPlot?.setData([done.map((i) => i.x), done.map((i) => i.lead_days)]);
    this.scatterRange = done.length ? [done[0].end.slice(0, 10), done[done.length - 1].end.slice(0, 10)] : null;
    this.describeScatter();
    this.issueSummary.textContent = `${done.length} counted issue${done.length === 1 ? '' : 's'}`;
    const byLead = [...done].sort((a, b) => b.lead_days - a.lead_days || a.key.localeCompare(b.key));
    this.issueRows.replaceChildren(
      ...byLead.map((i) => el('tr', { 'data-issue': i.key },
        el('th', { scope: 'row', text: i.key }),
        el('td', { text: i.type ?? '' }),
        el('td', { text: i.start ? i.start.slice(0, 10) : '—' }),
        el('td', { text: i.end.slice(0, 10) }),
        el('td', { class: 'num', text: fmtDays(i.lead_days) }),
        el('td', { class: 'num', text: fmtDays(i.active_days) }),
        el('td', { class: 'num', text: String(i.reopens ?? 0) }),
      )),
    );
  }

  // The scatterplot in words, for screen readers (the table below lists every issue).
  describeScatter() {
    const n = Number(this.scatter.dataset.points);
    const lines = this.percentiles.map((l) => `${l.label} ${fmtDays(l.value)}`).join(', ');
    this.scatterNode.setAttribute('aria-label', this.scatterRange
      ? `Lead times of ${n} counted issues completed from ${this.scatterRange[0]} to ${this.scatterRange[1]}${lines ? `; ${lines}` : ''}`
      : 'No counted issue');
  }

  setHistory(rows, windowLabel) {
    const mine = rows.filter((r) => r.code === this.code).sort((a, b) => (a.day < b.day ? -1 : 1));
    this.trendSub.textContent = `the figures at the end of each day they changed (${windowLabel})`;
    if (!this.differs('history', mine)) return;
    this.trend.dataset.days = String(mine.length);
    const last = mine[mine.length - 1];
    this.trendNode.setAttribute('aria-label', last
      ? `Daily figures on ${mine.length} day${mine.length === 1 ? '' : 's'} from ${mine[0].day} to ${last.day}; on ${last.day}: ${last.count} counted, ${last.wip} in progress, mean ${fmtDays(last.mean_days)}`
      : 'No daily history');
    this.trendEmpty.hidden = mine.length > 0;
    this.trendNode.hidden = mine.length === 0;
    if (mine.length === 0) return;
    const days = mine.map((r) => dayToSeconds(r.day));
    for (const c of this.trendCharts) {
      const lines = c.spec.lines.filter((l) => mine.some((r) => l.key in r));
      const keys = lines.map((l) => l.key).join();
      if (!c.plot || c.keys !== keys) {
        c.observer?.disconnect();
        c.plot?.destroy();
        c.plot = trendPlot(c.node, c.spec.axis, lines);
        c.observer = watchSize(c.plot, c.node, TREND_HEIGHT);
        c.keys = keys;
      }
      c.plot.setData([days, ...lines.map((l) => mine.map((r) => r[l.key] ?? null))]);
    }
  }
}

function flash(node) {
  node.classList.remove('changed');
  void node.offsetWidth; // restart the animation
  node.classList.add('changed');
}

function extraBlock(name, title, ...content) {
  return el('section', { class: 'extra', 'data-figure': name }, el('h4', { text: title }), ...content);
}

// Bars of the last 26 weeks (the API lists every week, those without completions as 0), with
// the count above and the week below ("W47"; the year under the first label and where it
// changes). With many bars only every n-th is labelled, counted back from the latest week;
// every bar's tooltip has its week and count.
const MAX_WEEK_LABELS = 9;

function throughputBlock(weeks) {
  const recent = weeks.slice(-26);
  const max = Math.max(1, ...recent.map((w) => w.count ?? 0));
  const every = Math.max(1, Math.ceil(recent.length / MAX_WEEK_LABELS));
  let shownYear = null;
  return extraBlock('throughput', 'Throughput per week',
    recent.length
      ? el('ol', { class: 'bars', 'aria-label': 'Issues completed per week' },
        ...recent.map((w, i) => {
          const count = w.count ?? 0;
          const bar = el('span', { class: 'bar' });
          bar.style.height = `${Math.round((count / max) * 100)}%`;
          const [year, week] = String(w.week).split('-');
          const item = el('li', { title: `${w.week}: ${count}`, 'aria-label': `${w.week}: ${count}`, 'data-week': w.week }, bar);
          if ((recent.length - 1 - i) % every === 0) {
            bar.append(el('span', { class: 'bar-count', text: String(count) }));
            const label = el('span', { class: 'bar-week', text: week ?? String(w.week) });
            if (year !== shownYear) label.append(el('span', { class: 'bar-year', text: year }));
            shownYear = year;
            item.append(label);
          }
          return item;
        }))
      : el('p', { class: 'muted', text: 'No completed week.' }));
}

function agingBlock(aging) {
  const items = aging.issues;
  const top = items.slice(0, 8); // the API lists the oldest first
  const sle = aging.sle_days == null ? '' : ` · ${aging.over_sle} older than the p85 of ${fmtDays(aging.sle_days)}`;
  return extraBlock('aging', `Aging work in progress (${items.length}${sle})`,
    top.length
      ? el('ul', { class: 'aging' }, ...top.map((i) => el('li', { class: i.over_sle ? 'over' : null, 'data-issue': i.key },
        el('span', { class: 'key', text: i.key }),
        el('span', { class: 'age', text: fmtDays(i.age_days) }),
        i.over_sle ? el('span', { class: 'flag', text: 'over p85' }) : null)))
      : el('p', { class: 'muted', text: 'Nothing in progress.' }));
}

function distributionBlock(d) {
  const chips = Object.entries(d.by_type).map(([type, n]) => el('li', { class: 'chip', text: `${type} ${n}` }));
  if (d.cancelled) chips.push(el('li', { class: 'chip', text: `cancelled ${d.cancelled}` }));
  return extraBlock('distribution', 'Completed by type',
    chips.length ? el('ul', { class: 'chips' }, ...chips) : el('p', { class: 'muted', text: 'Nothing completed.' }));
}

function reworkBlock(rework) {
  const label = (k) => k.replaceAll('_', ' ');
  const show = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return extraBlock('rework', 'Rework',
    el('dl', { class: 'kv' }, ...Object.entries(rework).flatMap(([k, v]) => [el('dt', { text: label(k) }), el('dd', { text: show(v) })])));
}

// ---------------------------------------------------------------- refresh

function windowFrom() {
  const n = WINDOWS[state.window];
  return n ? daysAgo(n) : null;
}

function windowLabel() {
  const n = WINDOWS[state.window];
  return n ? `last ${n} days` : 'last 90 days';
}

function resetCards() {
  for (const card of state.cards.values()) card.destroy();
  state.cards.clear();
  $('cards').replaceChildren();
}

function renderPipelines(pipelines, animate) {
  const wanted = new Set(pipelines.map((p) => p.code));
  for (const [code, card] of state.cards) {
    if (!wanted.has(code)) {
      card.destroy();
      state.cards.delete(code);
    }
  }
  const container = $('cards');
  let prev = null;
  for (const p of pipelines) {
    let card = state.cards.get(p.code);
    const fresh = !card;
    if (fresh) {
      card = new Card(p);
      state.cards.set(p.code, card);
    }
    const expected = prev ? prev.nextSibling : container.firstChild;
    if (expected !== card.node) container.insertBefore(card.node, expected);
    if (fresh) card.mount();
    card.update(p, animate && !fresh);
    prev = card.node;
  }
  const empty = $('empty');
  empty.hidden = pipelines.length > 0;
  empty.textContent = pipelines.length ? '' : 'This ART has no pipeline configuration yet.';
}

async function refresh() {
  if (state.needsToken) return;
  const arts = await get('arts');
  if (arts.changed) {
    state.arts = arts.body.arts ?? [];
    if (!state.abbr && state.arts.length) {
      state.abbr = state.arts[0].abbreviation;
      history.replaceState(null, '', hashFor(state.abbr, state.window));
    }
    renderArts();
  }
  canonicalArt();
  renderArtHead();
  if (!state.abbr) {
    $('empty').hidden = false;
    $('empty').textContent = 'No ART is configured yet: apply a configuration (artflow config apply FILE).';
    return false;
  }
  const view = `${state.abbr}|${state.window}`;
  const firstOfView = state.view !== view;
  if (firstOfView) {
    resetCards();
    state.view = view;
  }
  const abbr = encodeURIComponent(state.abbr);
  const from = windowFrom();
  const eff = await get(`arts/${abbr}/pipeline-efficiency${query({ completed_from: from })}`);
  if (state.view !== view) return false; // the user moved on meanwhile
  if (eff.changed || firstOfView) renderPipelines(eff.body.pipelines ?? [], !firstOfView);
  if (eff.body.as_of) $('live').title = `Data as of ${eff.body.as_of}`;

  const hist = await get(`arts/${abbr}/pipeline-efficiency/history${query({ from: from ?? daysAgo(90), to: isoDay(new Date()) })}`);
  if (state.view !== view) return false;
  for (const card of state.cards.values()) card.setHistory(hist.body.days ?? [], windowLabel());

  let changed = arts.changed || eff.changed || hist.changed;
  for (const card of [...state.cards.values()]) {
    const list = await counted(state.abbr, card.code, from);
    if (state.view !== view) return false;
    card.setIssues(list.issues);
    changed ||= list.changed;
  }
  return changed;
}

async function tick() {
  if (state.running) {
    state.again = true;
    return;
  }
  state.running = true;
  try {
    do {
      state.again = false;
      try {
        const changed = await refresh();
        if (!state.needsToken) {
          clearError();
          const now = new Date();
          if (changed || !state.lastChange) state.lastChange = now;
          $('updated').textContent = `Live · updated ${hms(state.lastChange)}`;
          $('live').dataset.state = 'live';
          $('live').dataset.checked = now.toISOString();
          $('live').dataset.updated = state.lastChange.toISOString();
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          askForToken(Boolean(token()));
          cache.clear();
          issueLists.clear();
        } else {
          showError(err instanceof ApiError ? err : new ApiError(0, 'script', err.message ?? String(err), null));
          $('live').dataset.state = 'error';
          $('updated').textContent = state.lastChange ? `Retrying · last update ${hms(state.lastChange)}` : 'Retrying…';
          if (!(err instanceof ApiError)) console.error(err);
        }
      }
    } while (state.again);
  } finally {
    state.running = false;
  }
}

function refreshSoon() {
  tick();
}

function onLocation() {
  const { abbr, window } = readHash();
  state.abbr = abbr ?? state.abbr;
  state.window = window;
  for (const input of document.querySelectorAll('input[name="window"]')) input.checked = input.value === state.window;
  canonicalArt();
  markCurrentArt();
  renderArtHead();
  refreshSoon();
}

$('window').addEventListener('change', (e) => {
  if (e.target.name !== 'window' || !state.abbr) return;
  location.hash = hashFor(state.abbr, e.target.value);
});

window.addEventListener('hashchange', onLocation);

function start() {
  const { abbr, window } = readHash();
  state.abbr = abbr;
  state.window = window;
  for (const input of document.querySelectorAll('input[name="window"]')) input.checked = input.value === state.window;
  const poll = async () => {
    if (!document.hidden) await tick();
    setTimeout(poll, POLL_MS);
  };
  poll();
}

start();
