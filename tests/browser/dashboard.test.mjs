#!/usr/bin/env node
// Browser test of the artflow dashboard, in Debian's headless Chromium driven by playwright-core.
//
//   node tests/browser/dashboard.test.mjs --base http://127.0.0.1:PORT --secret SECRET \
//        --screenshots DIR [--read-token TOKEN]
//
// (or ARTFLOW_BASE_URL, ARTFLOW_WEBHOOK_SECRET, ARTFLOW_SCREENSHOTS, ARTFLOW_READ_TOKEN).
// The server must already hold data (tests/tests/browser.rs loads ../shared/data/jira-real).
// The test reads the expected figures from the server's own API, opens the dashboard, checks that
// it shows every ART and, for one ART, a card per configuration with the API's figures; then it
// posts a signed Jira webhook that completes an issue in progress (built from what the server
// holds) and waits, without reloading, for the card's count to go up and its WIP down.
// Screenshots before.png and after.png go to the screenshots folder. Exit status 0 means passed.

import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Bounded waits: the page polls every 2 s; these only stop a broken run from hanging.
const WAIT_MS = 30_000;
const WHOLE_RUN_MS = 180_000;

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string', default: process.env.ARTFLOW_BASE_URL },
    secret: { type: 'string', default: process.env.ARTFLOW_WEBHOOK_SECRET },
    screenshots: { type: 'string', default: process.env.ARTFLOW_SCREENSHOTS },
    'read-token': { type: 'string', default: process.env.ARTFLOW_READ_TOKEN },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});

function usage(problem) {
  console.error(`dashboard.test.mjs: ${problem}
usage: node dashboard.test.mjs --base URL --secret WEBHOOK_SECRET --screenshots DIR [--read-token T]`);
  process.exit(2);
}
if (!opts.base) usage('no --base URL (or ARTFLOW_BASE_URL)');
if (!opts.secret) usage('no --secret (or ARTFLOW_WEBHOOK_SECRET)');
if (!opts.screenshots) usage('no --screenshots folder (or ARTFLOW_SCREENSHOTS)');

const base = opts.base.replace(/\/+$/, '');
const readToken = opts['read-token'] || null;
const shots = resolve(opts.screenshots);
mkdirSync(shots, { recursive: true });

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}
function step(message) {
  console.log(`· ${message}`);
}

// ------------------------------------------------------------------ the API, from Node

// GET a path of the API: { status, body } (body parsed when JSON).
async function apiAnswer(path) {
  const headers = { Accept: 'application/json' };
  if (readToken) headers.Authorization = `Bearer ${readToken}`;
  const res = await fetch(`${base}${path}`, { headers });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the message.
  }
  return { status: res.status, body, text };
}

async function api(path) {
  const { status, body, text } = await apiAnswer(path);
  check(status === 200, `GET ${path} answered ${status}: ${text.slice(0, 300)}`);
  return body;
}

async function allIssues(abbr, code) {
  const issues = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ config: code, limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const page = await api(`/arts/${encodeURIComponent(abbr)}/issues?${q}`);
    issues.push(...page.issues);
    cursor = page.next_cursor;
  } while (cursor);
  return issues;
}

async function pipelines(abbr, query = '') {
  const body = await api(`/arts/${encodeURIComponent(abbr)}/pipeline-efficiency${query}`);
  return new Map(body.pipelines.map((p) => [p.code, p]));
}

const DAY_MS = 86_400_000;
const jiraTime = (ms) => new Date(ms).toISOString().replace('Z', '+0000'); // 2016-01-05T10:00:00.000+0000
const isWip = (outcome) => /progress|wip/i.test(String(outcome));

// A configuration's status rule: `spec` of GET /arts/{abbr}, its TOML table as written
// (`{rule: "status", stages, start, done, active, ...}`).
const statusRule = (config) => (config.rule === 'status' ? config.spec ?? null : null);

// An issue in progress under a status-rule configuration, with a known start, and what moving
// it to the configuration's first done status takes.
async function findIssueToComplete(arts) {
  // The ART with the most configurations first (more cards to check), then in the API's order.
  const order = [...arts].sort((a, b) => b.configs.length - a.configs.length);
  for (const art of order) {
    const detail = await api(`/arts/${encodeURIComponent(art.abbreviation)}`);
    for (const config of detail.configs) {
      if (!statusRule(config)?.done?.length) continue;
      const wip = (await allIssues(art.abbreviation, config.code))
        .filter((i) => isWip(i.outcome) && i.start)
        .sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
      for (const issue of wip) {
        const timeline = (await api(`/issues/${encodeURIComponent(issue.key)}/timeline`)).issues.find((t) => !t.deleted);
        if (!timeline) continue;
        if (statusRule(config).done.includes(timeline.status)) continue;
        return { art, config, issue, timeline };
      }
    }
  }
  return null;
}

function webhookFor({ config, issue, timeline }) {
  const last = Math.max(
    Date.parse(timeline.created),
    Date.parse(issue.start),
    ...timeline.transitions.map((t) => Date.parse(t.at)),
  );
  const threshold = (config.spec.min_lead_time_days ?? 0) * DAY_MS;
  const end = Math.max(last + DAY_MS, Date.parse(issue.start) + threshold + DAY_MS);
  const done = statusRule(config).done[0];
  const ids = timeline.transitions.map((t) => Number(t.history_id)).filter(Number.isFinite);
  const historyId = String(Math.max(9_000_000, ...ids) + 1);
  const body = {
    timestamp: end,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: { displayName: 'artflow browser test' },
    issue: {
      id: String(timeline.jira_id),
      self: `${timeline.site}/rest/api/2/issue/${timeline.jira_id}`,
      key: timeline.key,
      fields: {
        issuetype: { name: timeline.type },
        project: { key: timeline.project },
        status: { name: done },
        created: jiraTime(Date.parse(timeline.created)),
        updated: jiraTime(end),
      },
    },
    changelog: {
      id: historyId,
      items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: null, fromString: timeline.status, to: null, toString: done }],
    },
  };
  return { body: JSON.stringify(body), end, done };
}

async function postWebhook(body) {
  const signature = createHmac('sha256', opts.secret).update(body).digest('hex');
  const res = await fetch(`${base}/webhooks/jira`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature': `sha256=${signature}` },
    body,
  });
  const text = await res.text();
  check(res.status === 202, `POST /webhooks/jira answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

// ------------------------------------------------------------------ the page

const FIGURE_KEYS = {
  count: 'count', wip: 'wip', mean: 'mean_days', p50: 'p50_days', p70: 'p70_days', p85: 'p85_days',
  p95: 'p95_days', stddev: 'stddev_days', flow_efficiency: 'flow_efficiency', min: 'min_days', max: 'max_days',
};

// The figures a card shows: { figure: data-value } plus the min/max issue keys.
function cardFigures(page, code) {
  return page.evaluate((code) => {
    const card = document.querySelector(`[data-config="${CSS.escape(code)}"]`);
    if (!card) return null;
    const out = {};
    for (const f of card.querySelectorAll('.figures [data-figure]')) {
      out[f.dataset.figure] = f.dataset.value;
      if (f.dataset.issue !== undefined) out[`${f.dataset.figure}_issue`] = f.dataset.issue;
    }
    const scatter = card.querySelector('[data-chart="scatter"]');
    const trend = card.querySelector('[data-chart="trend"]');
    out.points = scatter?.dataset.points;
    out.days = trend?.dataset.days;
    out.visible = card.getBoundingClientRect().height > 0;
    out.canvases = card.querySelectorAll('canvas').length;
    return out;
  }, code);
}

// What the card should show for pipeline `p` of the API (null shows as an empty data-value).
function expectedFigures(p) {
  const out = {};
  for (const [figure, key] of Object.entries(FIGURE_KEYS)) {
    if (!(key in p)) continue;
    out[figure] = p[key] === null ? '' : String(p[key]);
  }
  if ('min_issue' in p) out.min_issue = p.min_issue ?? '';
  if ('max_issue' in p) out.max_issue = p.max_issue ?? '';
  return out;
}

async function waitFor(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 200 });
  } catch (e) {
    const error = await page.$eval('#error', (n) => (n.hidden ? '' : n.textContent)).catch(() => '');
    throw new Failure(`${what}: not seen within ${WAIT_MS / 1000} s${error ? ` (the page shows: ${error})` : ''}`);
  }
}

async function expectCards(page, abbr, want, label) {
  const codes = [...want.keys()];
  await waitFor(page, `${label}: cards ${codes.join(', ')} with their figures`,
    ([codes, expected]) => codes.every((c) => {
      const card = document.querySelector(`[data-config="${CSS.escape(c)}"]`);
      if (!card) return false;
      return Object.entries(expected[c]).every(([fig, v]) => {
        const [name, issue] = fig.endsWith('_issue') ? [fig.slice(0, -6), true] : [fig, false];
        const node = card.querySelector(`.figures [data-figure="${name}"]`);
        return node && (issue ? node.dataset.issue : node.dataset.value) === v;
      }) && card.querySelector('[data-chart="scatter"]').dataset.points === String(expected[c].count ?? '');
    }),
    [codes, Object.fromEntries(codes.map((c) => [c, expectedFigures(want.get(c))]))]);
  const shown = await page.$$eval('[data-config]', (ns) => ns.map((n) => n.dataset.config));
  check(JSON.stringify(shown) === JSON.stringify(codes), `${label}: cards ${shown.join(', ')}, expected ${codes.join(', ')} in that order`);
  for (const code of codes) {
    const f = await cardFigures(page, code);
    check(f.visible && f.canvases >= 2, `${label}: card ${code} has no drawn charts (${JSON.stringify(f)})`);
  }
}

async function main() {
  const arts = (await api('/arts')).arts;
  check(arts.length > 0, 'GET /arts lists no ART: load data into the server first');
  step(`API lists ${arts.length} ARTs: ${arts.map((a) => a.abbreviation).join(', ')}`);
  const target = await findIssueToComplete(arts);
  check(target, 'no issue in progress under a status-rule configuration with a known start: nothing a webhook could complete');
  const abbr = target.art.abbreviation;
  const code = target.config.code;
  step(`will complete ${target.issue.key} (${target.timeline.status} → ${statusRule(target.config).done[0]}) under ${code} of ${abbr}`);

  const userDataDir = mkdtempSync(join(tmpdir(), 'artflow-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: opts.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  const problems = [];
  const statuses = [];
  let awaitingToken = Boolean(readToken);
  const refusedStatuses = new Set(); // statuses the API is known to answer right now
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // The browser logs every refused request; a 401 is expected until the token is given.
      if (awaitingToken && /status of 401/.test(m.text())) return;
      if ([...refusedStatuses].some((s) => m.text().includes(`status of ${s}`))) return;
      problems.push(`console error: ${m.text()}`);
    });
    page.on('response', (r) => statuses.push({ url: r.url(), status: r.status() }));
    // Nothing outside the server: the page must work offline.
    await page.route((url) => !url.href.startsWith(base), (route) => {
      problems.push(`request outside the server: ${route.request().url()}`);
      return route.abort();
    });

    step(`open ${base}/`);
    await page.goto(`${base}/`, { waitUntil: 'load' });

    if (readToken) {
      await waitFor(page, 'the read-token field after a 401', () => !document.getElementById('token-form').hidden);
      await page.fill('#token', `${readToken}-wrong`);
      await page.click('#token-form button[type="submit"]');
      await waitFor(page, 'the token field again, saying the token was refused',
        () => !document.getElementById('token-form').hidden && /refused/.test(document.getElementById('token-hint').textContent));
      await page.fill('#token', readToken);
      await page.click('#token-form button[type="submit"]');
      await waitFor(page, 'the token field to go away', () => document.getElementById('token-form').hidden
        && document.getElementById('live').dataset.state === 'live');
      awaitingToken = false;
      step('a wrong read token is refused, the right one accepted');
    }

    // The ART list shows every ART of the API.
    const abbrs = arts.map((a) => a.abbreviation);
    await waitFor(page, `the ART list ${abbrs.join(', ')}`,
      (abbrs) => JSON.stringify([...document.querySelectorAll('#arts a[data-art]')].map((a) => a.dataset.art)) === JSON.stringify(abbrs), abbrs);
    for (const art of arts) {
      const text = await page.textContent(`#arts a[data-art="${art.abbreviation}"]`);
      check(text.includes(art.name), `the ART link of ${art.abbreviation} does not show its name ${art.name}: "${text}"`);
    }
    step('ART list shows every ART');

    // The first ART is chosen by default and named in the URL.
    await page.waitForURL(`**/#/${encodeURIComponent(abbrs[0])}`, { timeout: WAIT_MS });

    // Choose the ART of the issue: its cards show the API's figures.
    await page.click(`#arts a[data-art="${abbr}"]`);
    await page.waitForURL(`**/#/${encodeURIComponent(abbr)}`, { timeout: WAIT_MS });
    const current = await page.getAttribute(`#arts a[data-art="${abbr}"]`, 'aria-current');
    check(current === 'page', `the chosen ART's link is not marked aria-current (${current})`);
    const before = await pipelines(abbr);
    check(JSON.stringify([...before.keys()]) === JSON.stringify(target.art.configs),
      `pipeline-efficiency lists ${[...before.keys()]}, /arts lists ${target.art.configs}`);
    await expectCards(page, abbr, before, `ART ${abbr}`);
    step(`cards ${[...before.keys()].join(', ')} show the API's figures`);

    // Throughput: a bar per week of the API's last 26 (zeros included), the latest one labelled
    // with its week ("W07") and every label a week.
    const weeks = (before.get(code)?.throughput?.weeks ?? []).slice(-26);
    if (weeks.length) {
      await waitFor(page, `the throughput bars of ${code}`, ([code, n]) => document.querySelectorAll(
        `[data-config="${CSS.escape(code)}"] [data-figure="throughput"] li[data-week]`).length === n, [code, weeks.length]);
      const labels = await page.evaluate((code) => [...document.querySelectorAll(
        `[data-config="${CSS.escape(code)}"] [data-figure="throughput"] li[data-week]`)]
        .map((li) => [li.dataset.week, li.querySelector('.bar-week')?.firstChild?.textContent ?? null]), code);
      const last = labels[labels.length - 1];
      check(last[1] === last[0].split('-')[1], `the latest throughput bar ${last[0]} is labelled ${last[1]}`);
      for (const [week, label] of labels) {
        check(label === null || label === week.split('-')[1], `throughput bar ${week} is labelled ${label}`);
      }
      check(labels.filter(([, l]) => l !== null).length <= 9, `more than 9 week labels: ${labels.map(([, l]) => l)}`);
      step(`throughput of ${code}: ${weeks.length} weekly bars with week labels`);
    }

    // A hash in another letter case names the same ART, and is rewritten to its spelling.
    await page.evaluate((h) => { location.hash = h; }, `#/${encodeURIComponent(abbr.toLowerCase())}`);
    await page.waitForURL(`**/#/${encodeURIComponent(abbr)}`, { timeout: WAIT_MS });
    await waitFor(page, `the title naming ${target.art.name}`,
      (name) => document.getElementById('art-title').textContent.includes(name), target.art.name);
    check(await page.getAttribute(`#arts a[data-art="${abbr}"]`, 'aria-current') === 'page',
      `#/${abbr.toLowerCase()} does not mark the ${abbr} link current`);
    step(`#/${abbr.toLowerCase()} shows ${abbr} (${target.art.name})`);

    // The window selector: the last 30 days come from completed_from; then back to all time.
    const from = new Date(Date.now() - 30 * DAY_MS).toISOString().slice(0, 10);
    const windowed = await apiAnswer(`/arts/${encodeURIComponent(abbr)}/pipeline-efficiency?completed_from=${from}`);
    check(windowed.status === 200, `pipeline-efficiency?completed_from answered ${windowed.status}: ${windowed.text}`);
    await page.check('input[name="window"][value="30d"]');
    await page.waitForURL(`**/#/${encodeURIComponent(abbr)}?window=30d`, { timeout: WAIT_MS });
    await expectCards(page, abbr, new Map(windowed.body.pipelines.map((p) => [p.code, p])), 'last 30 days');
    step('window selector: the last 30 days show the API figures for completed_from');
    await page.check('input[name="window"][value="all"]');
    await page.waitForURL(`**/#/${encodeURIComponent(abbr)}`, { timeout: WAIT_MS });
    await expectCards(page, abbr, before, 'all time again');
    await waitFor(page, 'the error notice cleared', () => document.getElementById('error').hidden);
    refusedStatuses.clear();
    step('window selector: back to all time, with the API figures');

    const trendDays = Number((await cardFigures(page, code)).days);
    check(trendDays >= 1, `card ${code} shows no daily history row (data-days ${trendDays}); the import made one today`);

    // Polling with ETags: while nothing changes, every poll is answered 304 Not Modified.
    const nextCheck = async (prev) => {
      await waitFor(page, 'the next poll', (prev) => document.getElementById('live').dataset.checked !== prev, prev);
      return page.getAttribute('#live', 'data-checked');
    };
    let checked = await nextCheck(await page.getAttribute('#live', 'data-checked'));
    const seen = statuses.length;
    checked = await nextCheck(await nextCheck(checked));
    const polled = statuses.slice(seen);
    check(polled.length > 0, 'no request in two polls');
    check(polled.every((s) => s.status === 304), `unchanged data but some polls were not 304: ${JSON.stringify(polled.filter((s) => s.status !== 304))}`);
    step(`polls with If-None-Match: ${polled.length} requests in two polls, all 304`);

    const beforeShot = join(shots, 'before.png');
    await page.screenshot({ path: beforeShot, fullPage: true });
    step(`screenshot ${beforeShot}`);

    // A webhook completes the issue; the card changes without a reload.
    await page.evaluate(() => { window.__artflowNoReload = true; });
    const updatedBefore = await page.getAttribute('#live', 'data-updated');
    const hook = webhookFor(target);
    const answer = await postWebhook(hook.body);
    step(`webhook accepted (delivery ${answer.delivery_id}): ${target.issue.key} → ${hook.done} at ${new Date(hook.end).toISOString()}`);

    const after = await pipelines(abbr);
    const was = before.get(code);
    const now = after.get(code);
    check(now.count === was.count + 1 && now.wip === was.wip - 1,
      `the API did not change as the webhook should have: count ${was.count} → ${now.count}, wip ${was.wip} → ${now.wip}`);
    await waitFor(page, `card ${code}: count ${was.count} → ${now.count}, WIP ${was.wip} → ${now.wip}`,
      ([code, count, wip]) => {
        const card = document.querySelector(`[data-config="${CSS.escape(code)}"]`);
        const v = (f) => card?.querySelector(`.figures [data-figure="${f}"]`)?.dataset.value;
        return v('count') === String(count) && v('wip') === String(wip);
      }, [code, now.count, now.wip]);
    await expectCards(page, abbr, after, 'after the webhook');
    check(await page.evaluate(() => window.__artflowNoReload === true), 'the page was reloaded');
    const f = await cardFigures(page, code);
    check(f.points === String(now.count), `card ${code} plots ${f.points} issues, expected ${now.count}`);
    const updatedAfter = await page.getAttribute('#live', 'data-updated');
    check(updatedAfter && updatedAfter !== updatedBefore, `the "updated" time did not move (${updatedBefore} → ${updatedAfter})`);
    const flashed = await page.$$eval(`[data-config="${code}"] .figure.changed`, (ns) => ns.map((n) => n.dataset.figure));
    check(flashed.includes('count') && flashed.includes('wip'), `the changed figures are not highlighted (${flashed})`);
    step(`card ${code} changed without a reload: count ${was.count} → ${now.count}, WIP ${was.wip} → ${now.wip}; highlighted ${flashed.join(', ')}`);

    const afterShot = join(shots, 'after.png');
    await page.screenshot({ path: afterShot, fullPage: true });
    step(`screenshot ${afterShot}`);

    const errorShown = await page.$eval('#error', (n) => (n.hidden ? '' : n.textContent));
    check(!errorShown, `the page shows an error: ${errorShown}`);
    check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

const guard = setTimeout(() => {
  console.error(`FAILED: the whole run took over ${WHOLE_RUN_MS / 1000} s`);
  process.exit(1);
}, WHOLE_RUN_MS);
guard.unref();

try {
  await main();
  console.log('PASSED dashboard browser test');
} catch (e) {
  console.error(`FAILED: ${e instanceof Failure ? e.message : e.stack ?? e}`);
  process.exitCode = 1;
}
