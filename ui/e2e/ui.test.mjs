// Browser tests of the UI against a running Tracery (TRACERY_URL, default
// http://127.0.0.1:16686) or the fixture server (npm run e2e:fixture).
// Assertions take names from the API, never from fixture data, so they hold
// against live demo traffic. Screenshots go to $ARTIFACTS_DIR.
// TRACERY_LARGE_TRACE_ID, when set, names a very large trace to check that the
// timeline stays virtualised and responsive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.TRACERY_URL || 'http://127.0.0.1:16686').replace(/\/$/, '');
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const DURATION = /\d+(\.\d+)?\s*(µs|ms|s|m)\b/;
fs.mkdirSync(ARTIFACTS, { recursive: true });

let browser;
let page;
const consoleErrors = [];

async function getJson(p) {
  const res = await fetch(BASE + p);
  assert.equal(res.status, 200, `${p} answered HTTP ${res.status}`);
  return (await res.json()).data;
}
const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});
after(async () => {
  await browser?.close();
});

let firstTraceId;
let services;

test('search lists traces of a service with their durations', async () => {
  services = await getJson('/api/services');
  assert.ok(services.length > 0, 'the backend knows no services');
  // The service whose recent traces exist: ask the API, as a person would by trying.
  let service;
  for (const s of services) {
    const found = await getJson(`/api/traces?service=${encodeURIComponent(s)}&lookback=1h&limit=2`);
    if (found.length >= 2) {
      service = s;
      break;
    }
  }
  assert.ok(service, 'no service has two traces in the last hour');
  await page.goto(`${BASE}/search`);
  await page.selectOption('#sf-service', service);
  await page.click('button[type=submit]');
  await page.waitForSelector('.result');
  assert.match(page.url(), new RegExp(`service=${encodeURIComponent(service)}`), 'the URL reflects the form');
  const first = page.locator('.result').first();
  assert.match(await first.locator('.result-duration').innerText(), DURATION);
  assert.match(await first.locator('.span-count').innerText(), /^\d+ spans?$/);
  assert.ok((await page.locator('svg.scatter circle.dot').count()) >= 1, 'scatter plot shows the results');
  firstTraceId = await first.getAttribute('data-trace-id');
  await shot('search');
});

test('trace view lists spans with durations and opens span details', async () => {
  await page.locator('.result .result-name').first().click();
  await page.waitForSelector('.tl-row');
  assert.match(page.url(), new RegExp(`/trace/${firstTraceId}`));
  const trace = (await getJson(`/api/traces/${firstTraceId}`))[0];
  assert.equal(await page.locator('[data-test=span-total]').innerText(), trace.spans.length.toLocaleString('en-US'));
  const rows = page.locator('.tl-row');
  assert.equal(await rows.count(), Math.min(trace.spans.length, await rows.count()));
  assert.match(await rows.first().locator('.tl-dur').innerText(), DURATION);
  const rootOp = await rows.first().locator('.tl-op').innerText();
  assert.ok(trace.spans.some((s) => s.operationName === rootOp), 'the first row is a span of the trace');
  await rows.first().click();
  await page.waitForSelector('[data-test=span-details]');
  assert.match(await page.locator('[data-test=span-details]').innerText(), /Span tags/);
  // Keyboard: j selects the next row, Esc closes the details.
  await page.keyboard.press('j');
  if (trace.spans.length > 1) assert.equal(await page.locator('.tl-row.selected').count(), 1);
  await shot('trace-timeline');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[data-test=span-details]').count(), 0);
  // Critical path overlay from the analysis API.
  await page.check('[data-test=critical-toggle]');
  await page.waitForSelector('.tl-critical');
  await shot('trace-critical-path');
});

test('Gantt and flame graph views draw the trace', async () => {
  await page.click('a.tab[data-view=gantt]');
  await page.waitForSelector('[data-test=gantt-canvas]');
  assert.match(page.url(), /view=gantt/);
  assert.match(await page.locator('.gantt-info').innerText(), /\d+ lanes across \d+ services/);
  await shot('trace-gantt');
  await page.click('a.tab[data-view=flame]');
  await page.waitForSelector('[data-test=flame-canvas]');
  const painted = await page.evaluate(() => {
    const c = document.querySelector('[data-test=flame-canvas]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
  assert.ok(painted > 1000, 'the flame graph is painted');
  await shot('trace-flame');
});

test('two search results can be compared', async () => {
  await page.goBack();
  await page.goBack();
  await page.goBack();
  await page.waitForSelector('.result');
  const boxes = page.locator('.result input[type=checkbox]');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.click('[data-test=compare-selected]');
  await page.waitForSelector('[data-test=compare-operations] tbody tr');
  assert.match(page.url(), /\/compare\/[0-9a-f]+\.\.\.[0-9a-f]+/);
  assert.equal(await page.locator('.mini-timeline').count(), 2);
  const status = await page.locator('[data-test=compare-operations] tbody tr .status').first().innerText();
  assert.match(status, /^(added|missing|slower|faster|same)$/);
  await shot('compare-traces');
});

test('group comparison ranks operations', async () => {
  const s = encodeURIComponent(`service=${services[0]}&lookback=1h`);
  await page.goto(`${BASE}/compare-groups?a=${s}&b=${encodeURIComponent(`service=${services[0]}&lookback=1h&errors=true`)}`);
  await page.waitForSelector('[data-test=group-operations], .placeholder.empty, .error-box');
  assert.equal(await page.locator('.error-box').count(), 0, 'compare/groups answered');
  await shot('compare-groups');
});

test('service map shows the services as nodes', async () => {
  const m = await getJson('/api/analysis/service-map?lookback=1h');
  await page.goto(`${BASE}/map`);
  await page.waitForSelector('[data-test=service-map] .node');
  assert.equal(await page.locator('[data-test=service-map] .node').count(), m.nodes.length);
  const labels = await page.locator('.node-label').allTextContents();
  for (const n of m.nodes) assert.ok(labels.includes(n.id), `node ${n.id} is drawn`);
  const instrumented = m.nodes.find((n) => n.instrumented);
  await page.locator(`[data-node="${instrumented.id}"]`).click();
  await page.waitForSelector('.node-panel h4, .node-panel .placeholder');
  await shot('service-map');
});

test('latency page shows a non-empty heatmap and percentiles', async () => {
  await page.goto(`${BASE}/latency`);
  await page.waitForSelector('[data-test=heatmap] rect.cell');
  assert.ok((await page.locator('[data-test=heatmap] rect.cell').count()) > 0);
  // A line, or a marked point when the range holds a single bucket.
  await page.waitForSelector('svg.lines circle.series-point, svg.lines path.series[d*="L"]');
  await shot('latency');
  // Brushing a rectangle turns it into a search.
  const box = await page.locator('[data-test=heatmap]').boundingBox();
  await page.mouse.move(box.x + 80, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 20, box.y + box.height - 30);
  await page.mouse.up();
  await page.waitForURL(/\/search\?.*minDuration=.*maxDuration=.*start=\d+.*end=\d+/);
});

test('errors page lists error groups', async () => {
  const e = await getJson('/api/analysis/errors?lookback=1h');
  assert.ok(e.groups.length > 0, 'the backend reports no error groups in the last hour');
  await page.goto(`${BASE}/errors`);
  await page.waitForSelector('[data-test=error-groups] tr.error-group');
  assert.equal(await page.locator('tr.error-group').count(), e.groups.length);
  assert.equal(await page.locator('tr.error-group .count').first().innerText(), String(e.groups[0].count));
  await shot('errors');
});

test('an unknown trace shows a clear error', async () => {
  await page.goto(`${BASE}/trace/0123456789abcdef0123456789abcdef`);
  await page.waitForSelector('.error-box');
  assert.match(await page.locator('.error-box').innerText(), /not found/i);
});

test('Load more appends the next page to the list and the scatter plot', async () => {
  // A service with more than one page of 3 in the last hour: the API says so with nextCursor.
  let service;
  for (const s of services) {
    const res = await fetch(`${BASE}/api/traces?service=${encodeURIComponent(s)}&lookback=1h&limit=3`);
    if ((await res.json()).nextCursor) {
      service = s;
      break;
    }
  }
  assert.ok(service, 'no service has more than 3 traces in the last hour');
  await page.goto(`${BASE}/search?service=${encodeURIComponent(service)}&limit=3`);
  await page.waitForSelector('.result');
  const ids = () => page.locator('.result').evaluateAll((els) => els.map((e) => e.dataset.traceId));
  const first = await ids();
  assert.equal(first.length, 3);
  assert.equal(await page.locator('svg.scatter circle.dot').count(), 3);
  await page.click('[data-test=load-more]');
  await page.waitForFunction(() => document.querySelectorAll('.result').length > 3);
  const all = await ids();
  assert.ok(all.length <= 6, `one page of at most 3 was added (${all.length})`);
  assert.deepEqual(all.slice(0, 3), first, 'the first page stays in place');
  assert.equal(new Set(all).size, all.length, 'no trace is listed twice');
  assert.equal(await page.locator('svg.scatter circle.dot').count(), all.length, 'the scatter plot includes the new page');
  assert.equal(await page.locator('.results-head h3').innerText(), `${all.length} traces`);
  await shot('search-load-more');
});

test('a 100,000-span trace renders virtualised and scrolls', { skip: !process.env.TRACERY_LARGE_TRACE_ID }, async () => {
  const id = process.env.TRACERY_LARGE_TRACE_ID;
  const t0 = Date.now();
  await page.goto(`${BASE}/trace/${id}`);
  await page.waitForSelector('.tl-row', { timeout: 60_000 });
  const loadMs = Date.now() - t0;
  const total = Number((await page.locator('[data-test=span-total]').innerText()).replace(/,/g, ''));
  assert.ok(total >= 10_000, `large trace has ${total} spans`);
  const domRows = await page.locator('.tl-row').count();
  assert.ok(domRows < 200, `only visible rows are rendered (${domRows})`);
  const scrollMs = await page.evaluate(async () => {
    const body = document.querySelector('.tl-body');
    const start = performance.now();
    for (let i = 1; i <= 20; i++) {
      body.scrollTop = (body.scrollHeight * i) / 20;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    }
    return (performance.now() - start) / 20;
  });
  assert.ok((await page.locator('.tl-row').count()) > 0, 'rows are shown after scrolling to the end');
  console.log(`large trace: ${total} spans, first rows after ${loadMs} ms, ${scrollMs.toFixed(1)} ms per scroll step (2 frames)`);
  await shot('large-trace');
  await page.click('a.tab[data-view=gantt]');
  await page.waitForSelector('[data-test=gantt-canvas]', { timeout: 60_000 });
  await shot('large-trace-gantt');
});

test('no uncaught page errors', () => {
  assert.deepEqual(consoleErrors, []);
});
