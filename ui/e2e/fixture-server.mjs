// Development fixture server: serves ui/dist (SPA fallback to index.html) and
// answers the Jaeger and analysis API routes from deterministic generated
// data: ~180 small traces over the last hour plus one 100,000-span trace
// (id LARGE_TRACE_ID, reachable only by ID). The analysis answers are computed
// from the generated spans, roughly; they exist to exercise the UI, not to
// define the backend's arithmetic.
//
// Usage: node e2e/fixture-server.mjs [port]   (default 16687; 0 = any free port)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(here, '..', 'dist');
export const LARGE_TRACE_ID = '00000000000000000000000000fa11ed';

let seed = 42;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const pick = (a) => a[Math.floor(rnd() * a.length)];
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');

const NOW_US = Date.now() * 1000;
const tag = (key, value) => ({ key, type: typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'int64' : 'string', value });

function makeTrace(startUs) {
  const traceID = hex(32);
  const spans = [];
  const processes = {};
  const pid = (svc) => {
    const id = `p-${svc}`;
    processes[id] ??= { serviceName: svc, tags: [tag('host.name', `${svc}-7f9c`), tag('telemetry.sdk.language', 'cpp')] };
    return id;
  };
  const add = (svc, op, start, dur, parent, tags = [], extra = {}) => {
    const s = {
      traceID, spanID: hex(16), operationName: op,
      references: parent ? [{ refType: 'CHILD_OF', traceID, spanID: parent.spanID }] : [],
      startTime: Math.round(start), duration: Math.round(dur), tags, logs: [], processID: pid(svc), warnings: null, ...extra,
    };
    spans.push(s);
    return s;
  };
  const flow = pick(['GET /cart', 'POST /checkout', 'GET /product']);
  const slow = rnd() < 0.1;
  const fail = rnd() < 0.12;
  const total = (flow === 'POST /checkout' ? 40000 : 12000) * (0.6 + rnd()) * (slow ? 6 : 1);
  const root = add('frontend', flow, startUs, total, null, [tag('span.kind', 'server'), tag('http.route', flow.split(' ')[1]), tag('baggage.user_tier', pick(['gold', 'free']))]);
  if (flow === 'GET /cart') {
    const c = add('cart', 'GetCart', startUs + 500, total * 0.7, root, [tag('span.kind', 'server')]);
    add('cart', 'redis GET', startUs + 800, total * 0.2, c, [tag('span.kind', 'client'), tag('db.system', 'redis')]);
  } else if (flow === 'POST /checkout') {
    const co = add('checkout', 'PlaceOrder', startUs + 700, total * 0.9, root, [tag('span.kind', 'server')]);
    add('inventory', 'Reserve', startUs + 1200, total * 0.25, co, [tag('span.kind', 'server')]);
    add('inventory', 'Reserve', startUs + 1400, total * 0.2, co, [tag('span.kind', 'server')]);
    const pay = add('payment', 'Charge', startUs + total * 0.35, total * 0.5, co, [tag('span.kind', 'server')]);
    add('payment', 'SELECT payments', startUs + total * 0.4, total * 0.3, pay, [tag('span.kind', 'client'), tag('db.system', 'postgresql')]);
    if (fail) {
      pay.tags.push(tag('error', true), tag('exception.type', 'TimeoutError'));
      pay.logs.push({ timestamp: pay.startTime + pay.duration - 10, fields: [tag('event', 'exception'), tag('exception.type', 'TimeoutError'), tag('exception.message', 'card processor timed out')] });
      root.tags.push(tag('error', true));
    }
  } else {
    add('catalog', 'GetProduct', startUs + 300, total * 0.8, root, [tag('span.kind', 'server')]);
    if (fail) {
      spans[1].tags.push(tag('error', true));
      spans[1].logs.push({ timestamp: spans[1].startTime + 100, fields: [tag('event', 'exception'), tag('exception.type', 'NotFound'), tag('exception.message', 'product 42 not found')] });
    }
  }
  return { traceID, spans, processes, warnings: null };
}

function makeLargeTrace(n) {
  const traceID = LARGE_TRACE_ID;
  const services = ['gateway', 'fanout', 'worker-a', 'worker-b', 'store'];
  const processes = Object.fromEntries(services.map((s) => [`p-${s}`, { serviceName: s, tags: [] }]));
  const spans = [];
  const start = NOW_US - 30 * 60e6;
  const rootDur = 20e6;
  spans.push({ traceID, spanID: '1'.padStart(16, '0'), operationName: 'batch import', references: [], startTime: start, duration: rootDur, tags: [tag('span.kind', 'server')], logs: [], processID: 'p-gateway', warnings: null });
  for (let i = 1; i < n; i++) {
    const parent = spans[Math.floor((i - 1) / 8)];
    const off = rnd() * parent.duration * 0.5;
    const dur = Math.max(1, parent.duration * (0.05 + rnd() * 0.4));
    spans.push({
      traceID, spanID: (i + 1).toString(16).padStart(16, '0'), operationName: `step ${i % 37}`,
      references: [{ refType: 'CHILD_OF', traceID, spanID: parent.spanID }],
      startTime: Math.round(parent.startTime + off), duration: Math.round(dur),
      tags: i % 997 === 0 ? [tag('error', true)] : [], logs: [], processID: `p-${services[1 + (i % 4)]}`, warnings: null,
    });
  }
  return { traceID, spans, processes, warnings: null };
}

const traces = Array.from({ length: 180 }, (_, i) => makeTrace(NOW_US - 3600e6 + (i + rnd()) * (3600e6 / 180)));
// One trace links to another (a FOLLOWS_FROM across traces) so links are exercised.
traces[5].spans[0].references.push({ refType: 'FOLLOWS_FROM', traceID: traces[4].traceID, spanID: traces[4].spans[0].spanID });
let largeTrace = null;
const large = () => (largeTrace ??= makeLargeTrace(100_000));

const svcOf = (t, s) => t.processes[s.processID].serviceName;
const isErr = (s) => (s.tags ?? []).some((t) => t.key === 'error' && t.value === true);
const kindOf = (s) => (s.tags ?? []).find((t) => t.key === 'span.kind')?.value;
const allSpans = () => traces.flatMap((t) => t.spans.map((s) => ({ t, s, svc: svcOf(t, s) })));
const q = (arr, p) => {
  if (!arr.length) return 0;
  const a = [...arr].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.floor(p * a.length))];
};
const parseDur = (s) => {
  if (!s) return null;
  const m = /^([\d.]+)(us|µs|ms|s|m|h)$/.exec(s);
  return m ? parseFloat(m[1]) * { us: 1, 'µs': 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[m[2]] : NaN;
};

function window(p) {
  const end = Number(p.get('end')) || NOW_US + 60e6;
  const lb = parseDur(p.get('lookback') || '1h') || 3600e6;
  const start = Number(p.get('start')) || end - lb;
  return { start, end };
}

function matchTraces(p) {
  const { start, end } = window(p);
  const minD = parseDur(p.get('minDuration'));
  const maxD = parseDur(p.get('maxDuration'));
  if (Number.isNaN(minD)) throw new Error(`minDuration: cannot parse "${p.get('minDuration')}"`);
  let tags = {};
  if (p.get('tags')) {
    try { tags = JSON.parse(p.get('tags')); } catch { throw new Error('tags: not a JSON object'); }
  }
  const service = p.get('service'), operation = p.get('operation');
  let out = traces.filter((t) => {
    const root = t.spans[0];
    if (root.startTime < start || root.startTime > end) return false;
    return t.spans.some((s) =>
      (!service || svcOf(t, s) === service) && (!operation || s.operationName === operation) &&
      (minD === null || s.duration >= minD) && (maxD === null || Number.isNaN(maxD) || s.duration <= maxD) &&
      (p.get('errors') !== 'true' || isErr(s)) &&
      Object.entries(tags).every(([k, v]) => s.tags.some((tg) => tg.key === k && String(tg.value) === String(v))));
  });
  out = out.sort((a, b) => (p.get('orderBy') === 'longest' ? b.spans[0].duration - a.spans[0].duration : b.spans[0].startTime - a.spans[0].startTime));
  return out;
}

// One page of a search. The fixture's cursor is an offset into the full match
// list; like Tracery's, it is opaque to the UI and absent on the last page.
function searchPage(p) {
  const all = matchTraces(p);
  const limit = Number(p.get('limit')) || 20;
  const offset = Number(p.get('cursor')) || 0;
  const next = offset + limit < all.length ? String(offset + limit) : undefined;
  return { data: all.slice(offset, offset + limit), ...(next ? { nextCursor: next } : {}) };
}

function redRows(p) {
  const { start, end } = window(p);
  const groups = new Map();
  for (const { s, svc } of allSpans()) {
    if (s.startTime < start || s.startTime > end) continue;
    if (p.get('service') && svc !== p.get('service')) continue;
    if (kindOf(s) !== 'server' && s.references.length) continue;
    const k = `${svc}\0${s.operationName}`;
    if (!groups.has(k)) groups.set(k, { service: svc, operation: s.operationName, durs: [], errors: 0 });
    const g = groups.get(k);
    g.durs.push(s.duration);
    if (isErr(s)) g.errors++;
  }
  const secs = (end - start) / 1e6;
  return [...groups.values()].map((g) => ({ service: g.service, operation: g.operation, count: g.durs.length, rate_per_s: g.durs.length / secs, errors: g.errors, error_rate: g.errors / g.durs.length, p50_us: q(g.durs, 0.5), p95_us: q(g.durs, 0.95), p99_us: q(g.durs, 0.99) }));
}

function serviceMap() {
  const nodes = new Map();
  const edges = new Map();
  const node = (id, instrumented) => {
    if (!nodes.has(id)) nodes.set(id, { id, instrumented, durs: [], errors: 0 });
    return nodes.get(id);
  };
  for (const t of traces) {
    const byId = new Map(t.spans.map((s) => [s.spanID, s]));
    for (const s of t.spans) {
      const svc = svcOf(t, s);
      const n = node(svc, true);
      if (kindOf(s) === 'server') { n.durs.push(s.duration); if (isErr(s)) n.errors++; }
      const db = s.tags.find((x) => x.key === 'db.system')?.value;
      const parent = byId.get(s.references[0]?.spanID);
      const link = db ? [svc, db] : parent && svcOf(t, parent) !== svc ? [svcOf(t, parent), svc] : null;
      if (db) node(db, false).durs.push(s.duration);
      if (!link) continue;
      const k = link.join('\0');
      if (!edges.has(k)) edges.set(k, { source: link[0], target: link[1], durs: [], errors: 0 });
      edges.get(k).durs.push(s.duration);
      if (isErr(s)) edges.get(k).errors++;
    }
  }
  const ns = [...nodes.values()].map((n) => ({ id: n.id, instrumented: n.instrumented, count: n.durs.length, rate_per_s: n.durs.length / 3600, error_rate: n.durs.length ? n.errors / n.durs.length : 0, p50_us: q(n.durs, 0.5), p95_us: q(n.durs, 0.95), p99_us: q(n.durs, 0.99) }));
  return {
    nodes: ns,
    edges: [...edges.values()].map((e) => ({ source: e.source, target: e.target, calls: e.durs.length, errors: e.errors, p50_us: q(e.durs, 0.5), p95_us: q(e.durs, 0.95) })),
    instrumented_share: ns.filter((n) => n.instrumented).length / ns.length,
  };
}

function selectSpans(p) {
  const { start, end } = window(p);
  return allSpans().filter(({ s, svc }) => s.startTime >= start && s.startTime <= end && (!p.get('service') || svc === p.get('service')) && (!p.get('operation') || s.operationName === p.get('operation')));
}

function heatmap(p) {
  const { start, end } = window(p);
  const step = parseDur(p.get('step')) || (end - start) / 60;
  const nb = Number(p.get('buckets')) || 40;
  const bounds = Array.from({ length: nb + 1 }, (_, i) => Math.round(100 * Math.pow(10, (i * 6) / nb)));
  const cols = Math.ceil((end - start) / step);
  const columns = Array.from({ length: cols }, (_, i) => ({ ts_us: Math.round(start + i * step), counts: new Array(nb).fill(0) }));
  for (const { s } of selectSpans(p)) {
    const c = Math.floor((s.startTime - start) / step);
    let b = bounds.findIndex((x, i) => i < nb && s.duration >= x && s.duration < bounds[i + 1]);
    if (c >= 0 && c < cols && b >= 0) columns[c].counts[b]++;
  }
  return { start_us: Math.round(start), step_us: Math.round(step), bucket_bounds_us: bounds, columns, max_count: Math.max(0, ...columns.flatMap((c) => c.counts)) };
}

function latency(p) {
  const { start, end } = window(p);
  const step = parseDur(p.get('step')) || Math.round((end - start) / 60);
  if (Number.isNaN(step)) throw new Error(`step: cannot parse "${p.get('step')}"`);
  const qs = (p.get('quantiles') || '0.5,0.95,0.99').split(',').map(Number);
  const spans = selectSpans(p).filter(({ s }) => kindOf(s) === 'server');
  const stat = (list, secs) => ({ count: list.length, errors: list.filter(isErr).length, rate_per_s: list.length / secs, error_rate: list.length ? list.filter(isErr).length / list.length : 0, quantiles_us: qs.map((x) => q(list.map((s) => s.duration), x)) });
  const series = [];
  for (let ts = start; ts < end; ts += step) series.push({ ts_us: Math.round(ts), ...stat(spans.filter(({ s }) => s.startTime >= ts && s.startTime < ts + step).map((x) => x.s), step / 1e6) });
  return { service: p.get('service'), operation: p.get('operation') || null, step_us: step, quantiles: qs, series, overall: stat(spans.map((x) => x.s), (end - start) / 1e6) };
}

function errorGroups(p) {
  const { start, end } = window(p);
  const step = Math.round((end - start) / 60);
  const groups = new Map();
  for (const { t, s, svc } of allSpans()) {
    if (!isErr(s) || s.startTime < start || s.startTime > end) continue;
    const ex = s.logs.flatMap((l) => l.fields);
    const type = ex.find((f) => f.key === 'exception.type')?.value ?? '';
    const msg = ex.find((f) => f.key === 'exception.message')?.value ?? '';
    const k = [svc, s.operationName, type, msg].join('\0');
    if (!groups.has(k)) groups.set(k, { service: svc, operation: s.operationName, exception_type: type, message: msg, count: 0, series: Array.from({ length: 60 }, (_, i) => ({ ts_us: start + i * step, count: 0 })), example_trace_ids: [] });
    const g = groups.get(k);
    g.count++;
    g.series[Math.min(59, Math.floor((s.startTime - start) / step))].count++;
    if (g.example_trace_ids.length < 5 && !g.example_trace_ids.includes(t.traceID)) g.example_trace_ids.push(t.traceID);
  }
  return { step_us: step, groups: [...groups.values()].sort((a, b) => b.count - a.count) };
}

function findTrace(id) {
  if (id === LARGE_TRACE_ID) return large();
  return traces.find((t) => t.traceID === id);
}

function criticalPath(t) {
  const kids = new Map();
  for (const s of t.spans) for (const r of s.references) if (r.refType === 'CHILD_OF') kids.set(r.spanID, [...(kids.get(r.spanID) ?? []), s]);
  const path = [];
  const walk = (s, until) => {
    // Latest-finishing child first, back to front (the classic approximation).
    let cursor = Math.min(until, s.startTime + s.duration);
    const children = (kids.get(s.spanID) ?? []).sort((a, b) => b.startTime + b.duration - (a.startTime + a.duration));
    for (const c of children) {
      const cEnd = Math.min(c.startTime + c.duration, cursor);
      if (cEnd <= c.startTime || c.startTime >= cursor) continue;
      if (cEnd < cursor) path.push({ span_id: s.spanID, service: svcOf(t, s), operation: s.operationName, start_us: cEnd, end_us: cursor, self_us: cursor - cEnd });
      walk(c, cEnd);
      cursor = c.startTime;
    }
    if (cursor > s.startTime) path.push({ span_id: s.spanID, service: svcOf(t, s), operation: s.operationName, start_us: s.startTime, end_us: cursor, self_us: cursor - s.startTime });
  };
  const root = t.spans[0];
  walk(root, root.startTime + root.duration);
  path.sort((a, b) => a.start_us - b.start_us);
  const crit = new Map();
  for (const p of path) crit.set(p.span_id, (crit.get(p.span_id) ?? 0) + p.end_us - p.start_us);
  return { trace_id: t.traceID, total_us: root.duration, path, spans: t.spans.map((s) => ({ span_id: s.spanID, self_us: s.duration, critical_us: crit.get(s.spanID) ?? 0 })) };
}

function opPaths(t) {
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const pathOf = (s) => {
    const parts = [];
    for (let c = s; c; c = byId.get(c.references.find((r) => r.refType === 'CHILD_OF')?.spanID)) parts.unshift(`${svcOf(t, c)}:${c.operationName}`);
    return parts.join('|');
  };
  const m = new Map();
  for (const s of t.spans) {
    const k = pathOf(s);
    const e = m.get(k) ?? { service: svcOf(t, s), operation: s.operationName, count: 0, us: 0 };
    e.count++;
    e.us += s.duration;
    m.set(k, e);
  }
  return m;
}

function compareTraces(a, b) {
  const pa = opPaths(a), pb = opPaths(b);
  const ops = [];
  for (const k of new Set([...pa.keys(), ...pb.keys()])) {
    const x = pa.get(k), y = pb.get(k);
    const d = (y?.us ?? 0) - (x?.us ?? 0);
    const status = !x ? 'added' : !y ? 'missing' : d > 0.1 * x.us ? 'slower' : d < -0.1 * x.us ? 'faster' : 'same';
    ops.push({ path: k, service: (x ?? y).service, operation: (x ?? y).operation, status, a_count: x?.count ?? 0, b_count: y?.count ?? 0, a_us: x?.us ?? 0, b_us: y?.us ?? 0, delta_us: d });
  }
  const sum = (t) => ({ trace_id: t.traceID, duration_us: t.spans[0].duration, span_count: t.spans.length });
  return { a: sum(a), b: sum(b), operations: ops };
}

function compareGroups(qa, qb) {
  const ga = searchPage(new URLSearchParams(qa)).data, gb = searchPage(new URLSearchParams(qb)).data;
  const share = (g, f) => (g.length ? g.filter(f).length / g.length : 0);
  const opKeys = new Set([...ga, ...gb].flatMap((t) => t.spans.map((s) => `${svcOf(t, s)}\0${s.operationName}`)));
  const p50 = (g, k) => q(g.flatMap((t) => t.spans.filter((s) => `${svcOf(t, s)}\0${s.operationName}` === k).map((s) => s.duration)), 0.5);
  const has = (k) => (t) => t.spans.some((s) => `${svcOf(t, s)}\0${s.operationName}` === k);
  const operations = [...opKeys].map((k) => {
    const [service, operation] = k.split('\0');
    const a_share = share(ga, has(k)), b_share = share(gb, has(k)), a_p50_us = p50(ga, k), b_p50_us = p50(gb, k);
    return { service, operation, a_share, b_share, a_p50_us, b_p50_us, score: Math.abs(a_share - b_share) + Math.abs(Math.log((b_p50_us + 1) / (a_p50_us + 1))) };
  });
  const attrKeys = new Set([...ga, ...gb].flatMap((t) => t.spans.flatMap((s) => s.tags.filter((x) => x.key !== 'span.kind').map((x) => `${x.key}\0${x.value}`))));
  const attributes = [...attrKeys].map((k) => {
    const [key, value] = k.split('\0');
    const f = (t) => t.spans.some((s) => s.tags.some((x) => x.key === key && String(x.value) === value));
    const a_share = share(ga, f), b_share = share(gb, f);
    return { key, value, a_share, b_share, score: Math.abs(a_share - b_share) };
  });
  const rootP50 = (g) => q(g.map((t) => t.spans[0].duration), 0.5);
  return { a: { traces: ga.length, p50_us: rootP50(ga) }, b: { traces: gb.length, p50_us: rootP50(gb) }, operations: operations.sort((x, y) => y.score - x.score), attributes: attributes.sort((x, y) => y.score - x.score).slice(0, 20) };
}

function api(url) {
  const p = url.searchParams;
  const seg = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const r = seg.slice(1).join('/');
  if (r === 'services') return { data: [...new Set(traces.flatMap((t) => Object.values(t.processes).map((x) => x.serviceName)))].sort() };
  if (seg[1] === 'services' && seg[3] === 'operations') return { data: [...new Set(allSpans().filter((x) => x.svc === seg[2]).map((x) => x.s.operationName))].sort() };
  if (r === 'traces') return searchPage(p);
  if (seg[1] === 'traces' && seg.length === 3) {
    const t = findTrace(seg[2]);
    return t ? { data: [t] } : { status: 404, body: { data: null, errors: [{ code: 404, msg: 'trace not found' }] } };
  }
  if (r === 'dependencies') return { data: serviceMap().edges.map((e) => ({ parent: e.source, child: e.target, callCount: e.calls })) };
  if (r === 'analysis/latency') return { data: latency(p) };
  if (r === 'analysis/red') return { data: redRows(p) };
  if (r === 'analysis/errors') return { data: errorGroups(p) };
  if (r === 'analysis/service-map') return { data: serviceMap() };
  if (r === 'analysis/heatmap') return { data: heatmap(p) };
  if (seg[1] === 'analysis' && seg[2] === 'critical-path') {
    const t = findTrace(seg[3]);
    return t ? { data: criticalPath(t) } : { status: 404, body: { data: null, errors: [{ code: 404, msg: 'trace not found' }] } };
  }
  if (r === 'analysis/compare/traces') {
    const a = findTrace(p.get('a')), b = findTrace(p.get('b'));
    if (!a || !b) return { status: 404, body: { data: null, errors: [{ code: 404, msg: `trace not found: ${!a ? p.get('a') : p.get('b')}` }] } };
    return { data: compareTraces(a, b) };
  }
  if (r === 'analysis/compare/groups') return { data: compareGroups(p.get('a') ?? '', p.get('b') ?? '') };
  return { status: 404, body: { data: null, errors: [{ code: 404, msg: `no API route ${url.pathname}` }] } };
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

export function startFixtureServer(port = 16687) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/api/')) {
      let out;
      try {
        out = api(url);
      } catch (e) {
        out = { status: 400, body: { data: null, errors: [{ code: 400, msg: e.message }] } };
      }
      const body = JSON.stringify(out.body ?? out);
      res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    let file = path.join(DIST, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(DIST, 'index.html');
    if (!fs.existsSync(file)) {
      res.writeHead(500).end('ui/dist is missing: run npm run build');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startFixtureServer(Number(process.argv[2] ?? 16687));
  console.log(`fixture server on http://127.0.0.1:${server.address().port} (large trace: /trace/${LARGE_TRACE_ID})`);
}
