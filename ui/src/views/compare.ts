// /compare/{a}...{b}: two traces structurally diffed (operations added,
// missing, slower, faster) with two aligned mini-timelines.
// /compare-groups?a=<search>&b=<search>: two groups of traces compared; the
// operations and attributes whose frequency or latency differ most.
import { api } from '../api/client';
import type { GroupCompare, JaegerTrace } from '../api/types';
import { errorBox, h, loadingBox, pct, s, emptyBox } from '../components/dom';
import { formatDurationUs } from '../components/duration';
import { searchFormView } from '../components/search-form';
import { serviceColor, ERROR_COLOR } from '../components/service-colors';
import { buildTraceTree } from '../model/trace-tree';
import { navigate, tracePath, type Route } from '../router';
import { parseSearchForm, searchFormToQueryString } from '../state/search-query';

function miniTimeline(trace: JaegerTrace, scaleUs: number, label: string): HTMLElement {
  const tree = buildTraceTree([trace]);
  const W = 900;
  const rowH = 4;
  const rows = Math.min(tree.nodes.length, 150);
  const H = rows * rowH + 4;
  const svg = s('svg', { class: 'mini-timeline', width: W, height: H, viewBox: `0 0 ${W} ${H}` });
  const x = (us: number) => ((us - tree.startUs) / Math.max(1, scaleUs)) * W;
  for (let i = 0; i < rows; i++) {
    const n = tree.nodes[i];
    svg.append(s('rect', { x: x(n.startUs), y: 2 + i * rowH, width: Math.max(1, x(n.endUs) - x(n.startUs)), height: rowH - 1, fill: n.isError ? ERROR_COLOR : serviceColor(n.service) }));
  }
  return h('div', { class: 'mini' }, h('div', { class: 'mini-label' }, h('a', { href: tracePath(trace.traceID) }, label), ` ${tree.name} — ${formatDurationUs(tree.durationUs)}, ${tree.nodes.length} spans`), svg);
}

function mountTraces(root: HTMLElement, a: string, b: string, signal: AbortSignal) {
  const body = h('div', {}, loadingBox());
  root.append(h('h2', {}, 'Compare traces'), body);
  void (async () => {
    try {
      const [diff, ta, tb] = await Promise.all([api.compareTraces(a, b, signal), api.trace(a, signal), api.trace(b, signal)]);
      const scale = Math.max(diff.a.duration_us, diff.b.duration_us, 1);
      const counts = new Map<string, number>();
      for (const o of diff.operations) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
      const order = { added: 0, missing: 1, slower: 2, faster: 3, same: 4 };
      const ops = [...diff.operations].sort((x, y) => order[x.status] - order[y.status] || Math.abs(y.delta_us) - Math.abs(x.delta_us));
      body.replaceChildren(
        h(
          'section',
          { class: 'panel' },
          h('div', { class: 'compare-summary' }, ...(['added', 'missing', 'slower', 'faster', 'same'] as const).map((st) => h('span', { class: `status ${st}` }, `${counts.get(st) ?? 0} ${st}`))),
          miniTimeline(ta, scale, 'A'),
          miniTimeline(tb, scale, 'B'),
        ),
        h(
          'table',
          { class: 'data compare-table', 'data-test': 'compare-operations' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Status'), h('th', {}, 'Service'), h('th', {}, 'Operation'), h('th', { class: 'r' }, 'A count'), h('th', { class: 'r' }, 'B count'), h('th', { class: 'r' }, 'A time'), h('th', { class: 'r' }, 'B time'), h('th', { class: 'r' }, 'Δ'))),
          h(
            'tbody',
            {},
            ...ops.map((o) =>
              h(
                'tr',
                { class: `row-${o.status}`, title: o.path },
                h('td', {}, h('span', { class: `status ${o.status}` }, o.status)),
                h('td', {}, h('span', { class: 'swatch', style: `background:${serviceColor(o.service)}` }), o.service),
                h('td', {}, o.operation),
                h('td', { class: 'r' }, String(o.a_count)),
                h('td', { class: 'r' }, String(o.b_count)),
                h('td', { class: 'r' }, o.a_count ? formatDurationUs(o.a_us) : '–'),
                h('td', { class: 'r' }, o.b_count ? formatDurationUs(o.b_us) : '–'),
                h('td', { class: 'r delta' }, `${o.delta_us > 0 ? '+' : ''}${formatDurationUs(o.delta_us)}`),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (!signal.aborted) body.replaceChildren(errorBox(e));
    }
  })();
}

function renderGroups(g: GroupCompare): HTMLElement {
  const bar = (a: number, b: number) => h('div', { class: 'share-bars' }, h('span', { class: 'a', style: `width:${a * 100}%` }), h('span', { class: 'b', style: `width:${b * 100}%` }));
  return h(
    'div',
    {},
    h('p', {}, h('span', { class: 'status a' }, `A: ${g.a.traces} traces, p50 ${formatDurationUs(g.a.p50_us)}`), ' ', h('span', { class: 'status b' }, `B: ${g.b.traces} traces, p50 ${formatDurationUs(g.b.p50_us)}`)),
    h('h3', {}, 'Operations that differ most'),
    g.operations.length
      ? h(
          'table',
          { class: 'data', 'data-test': 'group-operations' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Service'), h('th', {}, 'Operation'), h('th', {}, 'Share in A / B'), h('th', { class: 'r' }, 'A p50'), h('th', { class: 'r' }, 'B p50'), h('th', { class: 'r' }, 'Score'))),
          h('tbody', {}, ...g.operations.map((o) => h('tr', {}, h('td', {}, o.service), h('td', {}, o.operation), h('td', {}, bar(o.a_share, o.b_share), `${pct(o.a_share)} / ${pct(o.b_share)}`), h('td', { class: 'r' }, formatDurationUs(o.a_p50_us)), h('td', { class: 'r' }, formatDurationUs(o.b_p50_us)), h('td', { class: 'r' }, o.score.toFixed(2))))),
        )
      : emptyBox('No operations.'),
    h('h3', {}, 'Attributes that differ most'),
    g.attributes.length
      ? h(
          'table',
          { class: 'data', 'data-test': 'group-attributes' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Attribute'), h('th', {}, 'Share in A / B'), h('th', { class: 'r' }, 'Score'))),
          h('tbody', {}, ...g.attributes.map((a) => h('tr', {}, h('td', {}, h('code', {}, `${a.key}=${a.value}`)), h('td', {}, bar(a.a_share, a.b_share), `${pct(a.a_share)} / ${pct(a.b_share)}`), h('td', { class: 'r' }, a.score.toFixed(2))))),
        )
      : emptyBox('No attributes differ.'),
  );
}

function mountGroups(root: HTMLElement, route: Route, signal: AbortSignal) {
  const qa = route.query.get('a') ?? '';
  const qb = route.query.get('b') ?? '';
  const result = h('section', { class: 'panel' });
  const fa = searchFormView(parseSearchForm(new URLSearchParams(qa)), () => submit(), { idPrefix: 'ga', compact: true, signal });
  const fb = searchFormView(parseSearchForm(new URLSearchParams(qb)), () => submit(), { idPrefix: 'gb', compact: true, signal });
  const submit = () => {
    const now = Date.now() * 1000;
    const a = searchFormToQueryString(fa.read(), now);
    const b = searchFormToQueryString(fb.read(), now);
    if (!a.ok || !b.ok) {
      result.replaceChildren(errorBox(!a.ok ? `Group A ${a.error}` : `Group B ${(b as { error: string }).error}`));
      return;
    }
    navigate(`/compare-groups?${new URLSearchParams({ a: a.value, b: b.value })}`);
  };
  root.append(
    h('h2', {}, 'Compare groups of traces'),
    h('div', { class: 'group-forms' }, h('section', { class: 'panel' }, h('h3', {}, 'Group A'), fa.element), h('section', { class: 'panel' }, h('h3', {}, 'Group B'), fb.element)),
    result,
  );
  if (!qa || !qb) {
    result.append(emptyBox('Describe two groups (for example the same service, fast vs. slow) and press “Find traces” in either form.'));
    return;
  }
  result.append(loadingBox('Comparing…'));
  api
    .compareGroups(qa, qb, signal)
    .then((g) => result.replaceChildren(renderGroups(g)))
    .catch((e) => !signal.aborted && result.replaceChildren(errorBox(e)));
}

export function mount(root: HTMLElement, route: Route): () => void {
  const ctrl = new AbortController();
  if (route.name === 'compare') mountTraces(root, route.a, route.b, ctrl.signal);
  else mountGroups(root, route, ctrl.signal);
  return () => ctrl.abort();
}
