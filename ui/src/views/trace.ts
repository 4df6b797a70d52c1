// /trace/{id}[?view=gantt|flame][&with=id,id]: the trace page. Loads the trace
// (and linked traces when asked), shows the header, the view tabs, the
// critical-path toggle and the span details panel, and hosts one rendering.
import { api } from '../api/client';
import type { JaegerTrace } from '../api/types';
import { errorBox, h, loadingBox } from '../components/dom';
import { formatDurationUs, formatTimestampUs } from '../components/duration';
import { serviceColor } from '../components/service-colors';
import { spanDetails } from '../components/span-details';
import { buildTraceTree, spanKey, type TraceTree } from '../model/trace-tree';
import { navigate, tracePath, type Route, type TraceViewKind } from '../router';
import type { CriticalPathView, TraceSubview, TraceViewContext } from './trace-context';
import { mountFlamegraph } from './trace-flamegraph';
import { mountGantt } from './trace-gantt';
import { mountTimeline } from './trace-timeline';

export function mount(root: HTMLElement, route: Route): () => void {
  if (route.name !== 'trace') return () => {};
  const ctrl = new AbortController();
  let sub: TraceSubview | null = null;
  root.append(loadingBox('Loading trace…'));
  void (async () => {
    try {
      const ids = [route.id, ...route.with.filter((x) => x !== route.id)];
      const traces: JaegerTrace[] = [];
      for (const id of ids) traces.push(await api.trace(id, ctrl.signal));
      if (ctrl.signal.aborted) return;
      // Yield a frame so "Loading" paints before the (possibly large) tree build.
      await new Promise((r) => setTimeout(r, 0));
      const tree = buildTraceTree(traces);
      sub = render(root, route, tree, ctrl.signal, (s) => (sub = s));
    } catch (e) {
      if (!ctrl.signal.aborted) root.replaceChildren(errorBox(e));
    }
  })();
  return () => {
    ctrl.abort();
    sub?.dispose();
  };
}

function linkedTraceIds(tree: TraceTree): string[] {
  const own = new Set(tree.traceIds);
  const out = new Set<string>();
  for (const n of tree.nodes) for (const l of n.links) if (l.traceID && !own.has(l.traceID)) out.add(l.traceID);
  return [...out];
}

function render(root: HTMLElement, route: Extract<Route, { name: 'trace' }>, tree: TraceTree, signal: AbortSignal, setSub: (s: TraceSubview) => void): TraceSubview {
  const detailsEl = h('aside', { class: 'details-panel', hidden: true });
  const viewEl = h('div', { class: 'trace-view' });
  let sub: TraceSubview;
  const ctx: TraceViewContext = {
    tree,
    critical: null,
    showCritical: false,
    selectedKey: null,
    select(key) {
      ctx.selectedKey = key && tree.byKey.has(key) ? key : null;
      const node = ctx.selectedKey ? tree.byKey.get(ctx.selectedKey)! : null;
      detailsEl.hidden = !node;
      detailsEl.replaceChildren(...(node ? [spanDetails(node, tree, (k) => ctx.select(k), () => ctx.select(null))] : []));
      sub.refresh();
    },
  };

  const tab = (kind: TraceViewKind, label: string) =>
    h('a', { href: tracePath(route.id, kind, route.with), class: `tab${route.view === kind ? ' active' : ''}`, 'data-view': kind }, label);
  const criticalBox = h('input', { type: 'checkbox', 'data-test': 'critical-toggle' });
  const criticalLabel = h('label', { class: 'checkbox', title: 'Spans that determined the trace duration' }, criticalBox, ' Critical path');
  criticalBox.addEventListener('change', async () => {
    ctx.showCritical = criticalBox.checked;
    if (ctx.showCritical && !ctx.critical) {
      try {
        ctx.critical = await loadCriticalPath(tree, signal);
      } catch (e) {
        criticalLabel.replaceChildren(h('span', { class: 'muted' }, `Critical path unavailable: ${(e as Error).message}`));
      }
    }
    sub.refresh();
  });
  const linked = linkedTraceIds(tree);
  const linkedBtn =
    linked.length > 0 &&
    h('button', { class: 'secondary', onclick: () => navigate(tracePath(route.id, route.view, [...route.with, ...linked])) }, `View ${linked.length} linked trace${linked.length > 1 ? 's' : ''} together`);

  const depth = tree.maxDepth + 1;
  const header = h(
    'section',
    { class: 'trace-header panel' },
    h('h1', { class: 'trace-name' }, tree.name, tree.errorCount > 0 && h('span', { class: 'badge error' }, `${tree.errorCount} error${tree.errorCount > 1 ? 's' : ''}`)),
    h(
      'dl',
      { class: 'trace-facts' },
      h('dt', {}, 'Start'), h('dd', {}, formatTimestampUs(tree.startUs)),
      h('dt', {}, 'Duration'), h('dd', { 'data-test': 'trace-duration' }, formatDurationUs(tree.durationUs)),
      h('dt', {}, 'Services'), h('dd', {}, String(tree.services.size)),
      h('dt', {}, 'Depth'), h('dd', {}, String(depth)),
      h('dt', {}, 'Total spans'), h('dd', { 'data-test': 'span-total' }, tree.nodes.length.toLocaleString('en-US')),
      h('dt', {}, 'Trace ID'), h('dd', {}, h('code', {}, tree.traceIds.join(', '))),
    ),
    h('div', { class: 'chips' }, ...[...tree.services].map(([s, c]) => h('span', { class: 'chip' }, h('i', { style: `background:${serviceColor(s)}` }), `${s} (${c})`))),
    tree.warnings.length > 0 && h('div', { class: 'warnings' }, ...tree.warnings.slice(0, 5).map((w) => h('div', { class: 'warning' }, '⚠ ', w))),
    h('div', { class: 'toolbar' }, h('nav', { class: 'tabs' }, tab('timeline', 'Timeline'), tab('gantt', 'Gantt'), tab('flame', 'Flame graph')), criticalLabel, linkedBtn, h('span', { class: 'muted hint' }, 'j/k move · Enter expand · Esc close')),
  );
  root.replaceChildren(header, h('div', { class: 'trace-layout' }, viewEl, detailsEl));
  sub = route.view === 'gantt' ? mountGantt(viewEl, ctx) : route.view === 'flame' ? mountFlamegraph(viewEl, ctx) : mountTimeline(viewEl, ctx);
  setSub(sub);
  return sub;
}

async function loadCriticalPath(tree: TraceTree, signal: AbortSignal): Promise<CriticalPathView> {
  const segments = new Map<string, [number, number][]>();
  for (const traceId of tree.traceIds) {
    const cp = await api.criticalPath(traceId, signal);
    for (const seg of cp.path) {
      const key = spanKey(traceId, seg.span_id);
      const list = segments.get(key) ?? [];
      list.push([seg.start_us, seg.end_us]);
      segments.set(key, list);
    }
  }
  return { segments };
}
