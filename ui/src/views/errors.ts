// /errors: error groups (service, operation, exception type, message) with
// counts, a sparkline over time, and example traces.
import { api } from '../api/client';
import { sparkline } from '../components/charts';
import { emptyBox, errorBox, h, loadingBox, num } from '../components/dom';
import { tracePath, type Route } from '../router';

export function mount(root: HTMLElement, route: Route): () => void {
  const ctrl = new AbortController();
  const lookback = route.query.get('lookback') ?? '1h';
  const body = h('div', {}, loadingBox());
  root.append(h('h2', {}, 'Errors ', h('span', { class: 'muted small' }, `last ${lookback}`)), body);
  api
    .errors({ lookback, service: route.query.get('service') ?? undefined }, ctrl.signal)
    .then((res) => {
      if (!res.groups.length) {
        body.replaceChildren(emptyBox('No errors in this time range.'));
        return;
      }
      const total = res.groups.reduce((a, g) => a + g.count, 0);
      body.replaceChildren(
        h('p', { class: 'muted' }, `${num(total)} errors in ${res.groups.length} groups`),
        h(
          'table',
          { class: 'data errors-table', 'data-test': 'error-groups' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Service / operation'), h('th', {}, 'Error'), h('th', { class: 'r' }, 'Count'), h('th', {}, 'Over time'), h('th', {}, 'Examples'))),
          h(
            'tbody',
            {},
            ...res.groups.map((g) =>
              h(
                'tr',
                { class: 'error-group' },
                h('td', {}, h('strong', {}, g.service), h('div', { class: 'muted' }, g.operation)),
                h('td', {}, g.exception_type && h('span', { class: 'badge error' }, g.exception_type), h('div', { class: 'err-msg' }, g.message || '(no message)')),
                h('td', { class: 'r count' }, num(g.count)),
                h('td', {}, sparkline(g.series.map((p) => p.count), 160, 28)),
                h('td', {}, ...g.example_trace_ids.slice(0, 3).map((id) => h('a', { href: tracePath(id), class: 'trace-link mono' }, id.slice(0, 8)))),
              ),
            ),
          ),
        ),
      );
    })
    .catch((e) => !ctrl.signal.aborted && body.replaceChildren(errorBox(e)));
  return () => ctrl.abort();
}
