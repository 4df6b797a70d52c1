// /latency?service=&operation=: a latency heatmap (time × log-scaled duration
// buckets, colour = count; drag a rectangle to search those traces), P50/P95/P99
// over time, and the RED table of the service's operations.
import { api } from '../api/client';
import type { Heatmap, RedRow } from '../api/types';
import { lineChart } from '../components/charts';
import { emptyBox, errorBox, h, loadingBox, num, pct, s } from '../components/dom';
import { formatDurationUs, formatTimeOfDayUs, toGoDuration } from '../components/duration';
import { navigate, type Route } from '../router';
import { DEFAULT_SEARCH, searchFormToUrl } from '../state/search-query';

export function redTable(rows: RedRow[], withService = true): HTMLElement {
  if (!rows.length) return emptyBox('No requests in this time range.');
  return h(
    'table',
    { class: 'data red-table', 'data-test': 'red-table' },
    h('thead', {}, h('tr', {}, withService && h('th', {}, 'Service'), h('th', {}, 'Operation'), h('th', { class: 'r' }, 'Req/s'), h('th', { class: 'r' }, 'Errors'), h('th', { class: 'r' }, 'P50'), h('th', { class: 'r' }, 'P95'), h('th', { class: 'r' }, 'P99'))),
    h(
      'tbody',
      {},
      ...[...rows].sort((a, b) => b.count - a.count).map((r) =>
        h(
          'tr',
          {},
          withService && h('td', {}, r.service),
          h('td', {}, r.operation),
          h('td', { class: 'r' }, num(r.rate_per_s)),
          h('td', { class: `r${r.error_rate > 0.01 ? ' err' : ''}` }, `${num(r.errors)} (${pct(r.error_rate)})`),
          h('td', { class: 'r' }, formatDurationUs(r.p50_us)),
          h('td', { class: 'r' }, formatDurationUs(r.p95_us)),
          h('td', { class: 'r' }, formatDurationUs(r.p99_us)),
        ),
      ),
    ),
  );
}

/** White → blue → dark blue, by count relative to the maximum (sqrt to lift small counts). */
function heatColor(count: number, max: number): string {
  const t = Math.sqrt(count / Math.max(1, max));
  const l = 95 - t * 60;
  return `hsl(215, 80%, ${l.toFixed(0)}%)`;
}

export interface BrushSelection {
  startUs: number;
  endUs: number;
  minUs: number;
  maxUs: number;
}

/** Maps a brushed cell rectangle (column and bucket indexes, inclusive) to a search range. */
export function brushToRange(hm: Heatmap, col0: number, col1: number, b0: number, b1: number): BrushSelection {
  const [c0, c1] = [Math.min(col0, col1), Math.max(col0, col1)];
  const [lo, hi] = [Math.min(b0, b1), Math.max(b0, b1)];
  return {
    startUs: hm.columns[c0].ts_us,
    endUs: hm.columns[c1].ts_us + hm.step_us,
    minUs: hm.bucket_bounds_us[lo],
    maxUs: hm.bucket_bounds_us[Math.min(hi + 1, hm.bucket_bounds_us.length - 1)],
  };
}

function drawHeatmap(hm: Heatmap, service: string, operation: string): HTMLElement {
  const cols = hm.columns.length;
  const buckets = hm.bucket_bounds_us.length - 1;
  if (!cols || buckets <= 0) return emptyBox('No spans in this time range.');
  const m = { l: 70, r: 10, t: 8, b: 24 };
  const W = 960;
  const H = 300;
  const cw = (W - m.l - m.r) / cols;
  const ch = (H - m.t - m.b) / buckets;
  const svg = s('svg', { class: 'chart heatmap', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'data-test': 'heatmap' });
  let nonEmpty = 0;
  hm.columns.forEach((c, i) => {
    c.counts.forEach((n, b) => {
      if (!n) return;
      nonEmpty++;
      const r = s('rect', { x: m.l + i * cw, y: H - m.b - (b + 1) * ch, width: cw + 0.3, height: ch + 0.3, fill: heatColor(n, hm.max_count), class: 'cell', 'data-count': n });
      r.append(s('title', {}, `${formatTimeOfDayUs(c.ts_us)}: ${n} spans ${formatDurationUs(hm.bucket_bounds_us[b])}–${formatDurationUs(hm.bucket_bounds_us[b + 1])}`));
      svg.append(r);
    });
  });
  for (let b = 0; b <= buckets; b += Math.max(1, Math.round(buckets / 6))) {
    svg.append(s('text', { x: m.l - 6, y: H - m.b - b * ch + 4, class: 'tick', 'text-anchor': 'end' }, formatDurationUs(hm.bucket_bounds_us[b])));
  }
  for (const i of [0, Math.floor(cols / 2), cols - 1]) {
    svg.append(s('text', { x: m.l + (i + 0.5) * cw, y: H - 6, class: 'tick', 'text-anchor': i === cols - 1 ? 'end' : i === 0 ? 'start' : 'middle' }, formatTimeOfDayUs(hm.columns[i].ts_us)));
  }
  const brush = s('rect', { class: 'brush', visibility: 'hidden' });
  svg.append(brush);
  const cell = (e: MouseEvent) => {
    const r = svg.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * W;
    const y = ((e.clientY - r.top) / r.height) * H;
    return {
      col: Math.max(0, Math.min(cols - 1, Math.floor((x - m.l) / cw))),
      bucket: Math.max(0, Math.min(buckets - 1, Math.floor((H - m.b - y) / ch))),
    };
  };
  let from: { col: number; bucket: number } | null = null;
  const drawBrush = (a: { col: number; bucket: number }, b: { col: number; bucket: number }) => {
    const c0 = Math.min(a.col, b.col);
    const c1 = Math.max(a.col, b.col);
    const b0 = Math.min(a.bucket, b.bucket);
    const b1 = Math.max(a.bucket, b.bucket);
    brush.setAttribute('x', String(m.l + c0 * cw));
    brush.setAttribute('width', String((c1 - c0 + 1) * cw));
    brush.setAttribute('y', String(H - m.b - (b1 + 1) * ch));
    brush.setAttribute('height', String((b1 - b0 + 1) * ch));
    brush.setAttribute('visibility', 'visible');
  };
  svg.addEventListener('mousedown', (e) => {
    from = cell(e);
    drawBrush(from, from);
    e.preventDefault();
  });
  svg.addEventListener('mousemove', (e) => from && drawBrush(from, cell(e)));
  svg.addEventListener('mouseup', (e) => {
    if (!from) return;
    const to = cell(e);
    const sel = brushToRange(hm, from.col, to.col, from.bucket, to.bucket);
    from = null;
    const q = searchFormToUrl({
      ...DEFAULT_SEARCH,
      service,
      operation,
      minDuration: toGoDuration(sel.minUs),
      maxDuration: toGoDuration(sel.maxUs),
      lookback: 'custom',
      start: Math.round(sel.startUs),
      end: Math.round(sel.endUs),
    });
    navigate(`/search?${q}`);
  });
  return h('div', {}, h('p', { class: 'muted' }, `${nonEmpty} non-empty cells · max ${hm.max_count} spans per cell · drag a rectangle to search those spans' traces`), svg);
}

export function mount(root: HTMLElement, route: Route): () => void {
  const ctrl = new AbortController();
  const service = h('select', { 'data-hotkey': 'search', 'aria-label': 'Service' });
  const operation = h('select', { 'aria-label': 'Operation' }, h('option', { value: '' }, 'All operations'));
  const lookback = h('select', { 'aria-label': 'Time range' }, ...['15m', '1h', '6h', '24h'].map((l) => h('option', { value: l, selected: l === (route.query.get('lookback') ?? '1h') }, `Last ${l}`)));
  const heat = h('section', { class: 'panel' }, h('h3', {}, 'Latency heatmap'), loadingBox());
  const lines = h('section', { class: 'panel' }, h('h3', {}, 'Percentiles'), loadingBox());
  const red = h('section', { class: 'panel' }, h('h3', {}, 'Rate, errors, duration'), loadingBox());
  const go = () => {
    const q = new URLSearchParams({ service: service.value });
    if (operation.value) q.set('operation', operation.value);
    if (lookback.value !== '1h') q.set('lookback', lookback.value);
    navigate(`/latency?${q}`);
  };
  service.addEventListener('change', () => {
    operation.value = '';
    go();
  });
  operation.addEventListener('change', go);
  lookback.addEventListener('change', go);
  root.append(h('div', { class: 'toolbar page-toolbar' }, h('h2', {}, 'Latency'), service, operation, lookback), heat, lines, red);

  void (async () => {
    try {
      const services = [...((await api.services(ctrl.signal)) ?? [])].sort();
      if (!services.length) {
        heat.replaceChildren(emptyBox('No services yet.'));
        lines.remove();
        red.remove();
        return;
      }
      const svc = route.query.get('service') && services.includes(route.query.get('service')!) ? route.query.get('service')! : services[0];
      const op = route.query.get('operation') ?? '';
      service.replaceChildren(...services.map((x) => h('option', { value: x, selected: x === svc }, x)));
      const ops = [...((await api.operations(svc, ctrl.signal)) ?? [])].sort();
      operation.append(...ops.map((x) => h('option', { value: x, selected: x === op }, x)));
      const win = { lookback: lookback.value };
      const params = { service: svc, operation: op || undefined, ...win };
      const [hm, lat, rows] = await Promise.allSettled([
        api.heatmap({ ...params, buckets: 40 }, ctrl.signal),
        api.latency(params, ctrl.signal),
        api.red({ service: svc, ...win }, ctrl.signal),
      ]);
      if (ctrl.signal.aborted) return;
      heat.replaceChildren(h('h3', {}, 'Latency heatmap'), hm.status === 'fulfilled' ? drawHeatmap(hm.value, svc, op) : errorBox(hm.reason));
      if (lat.status === 'fulfilled') {
        const L = lat.value;
        const names = L.quantiles.map((q) => `P${Math.round(q * 1000) / 10}`);
        const colors = ['#4e79a7', '#f28e2b', '#d62728'];
        const chart = lineChart(
          L.series.map((p) => p.ts_us),
          names.map((name, k) => ({ name, color: colors[k % 3], values: L.series.map((p) => (p.count ? p.quantiles_us[k] : null)) })),
          960,
          240,
        );
        lines.replaceChildren(
          h('h3', {}, 'Percentiles ', h('span', { class: 'muted small' }, `overall: ${L.overall.count} requests, ${pct(L.overall.error_rate)} errors, ${names.map((n, k) => `${n} ${formatDurationUs(L.overall.quantiles_us[k])}`).join(' · ')}`)),
          chart,
        );
      } else lines.replaceChildren(h('h3', {}, 'Percentiles'), errorBox(lat.reason));
      red.replaceChildren(h('h3', {}, 'Rate, errors, duration'), rows.status === 'fulfilled' ? redTable(rows.value.filter((r) => r.service === svc), false) : errorBox(rows.reason));
    } catch (e) {
      if (!ctrl.signal.aborted) heat.replaceChildren(errorBox(e));
    }
  })();
  return () => ctrl.abort();
}
