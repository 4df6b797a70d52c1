// /map: services as nodes, calls as edges, in a layered left-to-right SVG
// layout (callers left of callees). Node size = request rate, colour = error
// rate; uninstrumented dependencies are dashed grey. Click a node for its
// operations (RED) and latencies.
import { api } from '../api/client';
import type { ServiceMap } from '../api/types';
import { emptyBox, errorBox, h, loadingBox, num, pct, s } from '../components/dom';
import { formatDurationUs } from '../components/duration';
import { redTable } from './latency';
import type { Route } from '../router';

/** Layer of each node: longest call-path distance from a node nobody calls (cycles cut). */
export function layerNodes(ids: string[], edges: { source: string; target: string }[]): Map<string, number> {
  const layer = new Map(ids.map((id) => [id, 0]));
  // Bellman-Ford-style relaxation bounded by node count, so cycles terminate.
  for (let round = 0; round < ids.length; round++) {
    let changed = false;
    for (const e of edges) {
      if (e.source === e.target) continue;
      const want = (layer.get(e.source) ?? 0) + 1;
      if (want > (layer.get(e.target) ?? 0) && want < ids.length) {
        layer.set(e.target, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

function errorColor(rate: number): string {
  if (rate >= 0.05) return '#d62728';
  if (rate >= 0.01) return '#f0a030';
  return '#3c9d5d';
}

export function mount(root: HTMLElement, _route: Route): () => void {
  const ctrl = new AbortController();
  const panel = h('aside', { class: 'panel node-panel' }, h('p', { class: 'muted' }, 'Click a service to see its operations.'));
  const graph = h('div', { class: 'panel map-graph' }, loadingBox());
  root.append(h('h2', {}, 'Service map ', h('span', { class: 'muted small' }, 'last hour')), h('div', { class: 'map-layout' }, graph, panel));
  api
    .serviceMap({ lookback: '1h' }, ctrl.signal)
    .then((m) => drawMap(graph, panel, m, ctrl.signal))
    .catch((e) => !ctrl.signal.aborted && graph.replaceChildren(errorBox(e)));
  return () => ctrl.abort();
}

function drawMap(graph: HTMLElement, panel: HTMLElement, m: ServiceMap, signal: AbortSignal) {
  if (!m.nodes.length) {
    graph.replaceChildren(emptyBox('No services have reported spans in the last hour.'));
    return;
  }
  const layer = layerNodes(m.nodes.map((n) => n.id), m.edges);
  const columns = new Map<number, string[]>();
  for (const n of [...m.nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const l = layer.get(n.id) ?? 0;
    columns.set(l, [...(columns.get(l) ?? []), n.id]);
  }
  const colCount = Math.max(...columns.keys()) + 1;
  const maxRows = Math.max(...[...columns.values()].map((c) => c.length));
  const W = Math.max(700, colCount * 220);
  const H = Math.max(320, maxRows * 110 + 40);
  const pos = new Map<string, { x: number; y: number }>();
  for (const [l, ids] of columns) {
    ids.forEach((id, i) => pos.set(id, { x: 90 + (l * (W - 180)) / Math.max(1, colCount - 1), y: ((i + 0.5) * H) / ids.length }));
  }
  const maxRate = Math.max(...m.nodes.map((n) => n.rate_per_s), 1e-9);
  const radius = (rate: number) => 14 + 22 * Math.sqrt(rate / maxRate);
  const maxCalls = Math.max(...m.edges.map((e) => e.calls), 1);
  const svg = s('svg', { class: 'service-map', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'data-test': 'service-map' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a94a6' }))),
  );
  const nodeById = new Map(m.nodes.map((n) => [n.id, n]));
  for (const e of m.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) continue;
    const ra = radius(nodeById.get(e.source)?.rate_per_s ?? 0);
    const rb = radius(nodeById.get(e.target)?.rate_per_s ?? 0);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const x1 = a.x + (dx / len) * ra;
    const y1 = a.y + (dy / len) * ra;
    const x2 = b.x - (dx / len) * (rb + 3);
    const y2 = b.y - (dy / len) * (rb + 3);
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2 - (e.source === e.target ? 30 : 0);
    const path = s('path', {
      d: `M${x1},${y1} Q${mx},${my} ${x2},${y2}`,
      class: `edge${e.errors > 0 ? ' has-errors' : ''}`,
      'stroke-width': 1 + 3 * (e.calls / maxCalls),
      'marker-end': 'url(#arrow)',
    });
    path.append(s('title', {}, `${e.source} → ${e.target}: ${e.calls} calls, ${e.errors} errors, p50 ${formatDurationUs(e.p50_us)}, p95 ${formatDurationUs(e.p95_us)}`));
    svg.append(path, s('text', { x: mx, y: my - 4, class: 'edge-label', 'text-anchor': 'middle' }, `${num(e.calls)}`));
  }
  for (const n of m.nodes) {
    const p = pos.get(n.id)!;
    const r = radius(n.rate_per_s);
    const g = s('g', { class: `node${n.instrumented ? '' : ' uninstrumented'}`, 'data-node': n.id, transform: `translate(${p.x},${p.y})`, tabindex: 0 });
    g.append(
      s('circle', { r, fill: n.instrumented ? errorColor(n.error_rate) : '#e8eaee', stroke: n.instrumented ? '#fff' : '#8a94a6' }),
      s('text', { y: r + 15, 'text-anchor': 'middle', class: 'node-label' }, n.id),
      s('text', { y: r + 29, 'text-anchor': 'middle', class: 'node-sub' }, n.instrumented ? `${num(n.rate_per_s)}/s · ${pct(n.error_rate)} err` : 'not instrumented'),
    );
    g.addEventListener('click', () => {
      svg.querySelectorAll('.node.selected').forEach((x) => x.classList.remove('selected'));
      g.classList.add('selected');
      void showNode(panel, n, signal);
    });
    svg.append(g);
  }
  graph.replaceChildren(
    h(
      'div',
      { class: 'legend-row muted' },
      h('span', {}, h('i', { class: 'lg ok' }), ' < 1% errors'),
      h('span', {}, h('i', { class: 'lg warn' }), ' 1–5%'),
      h('span', {}, h('i', { class: 'lg bad' }), ' ≥ 5%'),
      h('span', {}, h('i', { class: 'lg un' }), ' uninstrumented'),
      h('span', {}, `Instrumented share: ${pct(m.instrumented_share)}`),
    ),
    h('div', { class: 'map-scroll' }, svg),
  );
}

async function showNode(panel: HTMLElement, n: ServiceMap['nodes'][number], signal: AbortSignal) {
  panel.replaceChildren(
    h('h3', {}, n.id),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Requests'), h('dd', {}, `${num(n.count)} (${num(n.rate_per_s)}/s)`),
      h('dt', {}, 'Error rate'), h('dd', {}, pct(n.error_rate)),
      h('dt', {}, 'p50 / p95 / p99'), h('dd', {}, `${formatDurationUs(n.p50_us)} / ${formatDurationUs(n.p95_us)} / ${formatDurationUs(n.p99_us)}`),
    ),
    n.instrumented ? loadingBox('Loading operations…') : h('p', { class: 'muted' }, 'This dependency does not report spans; figures come from its callers.'),
  );
  if (!n.instrumented) return;
  try {
    const rows = await api.red({ service: n.id, lookback: '1h' }, signal);
    panel.lastElementChild!.replaceWith(h('h4', {}, 'Operations'), redTable(rows.filter((r) => r.service === n.id), false));
  } catch (e) {
    if (!signal.aborted) panel.lastElementChild!.replaceWith(errorBox(e));
  }
}
