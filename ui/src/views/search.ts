// /search: the search form, a duration-over-time scatter of the results and the
// result list; two ticked results can be compared.
import { api } from '../api/client';
import { scatterPlot } from '../components/charts';
import { emptyBox, errorBox, h, loadingBox } from '../components/dom';
import { formatDurationUs, formatTimestampUs } from '../components/duration';
import { searchFormView } from '../components/search-form';
import { serviceColor } from '../components/service-colors';
import { summarizeTrace, type TraceSummary } from '../model/trace-summary';
import { comparePath, navigate, tracePath, type Route } from '../router';
import { parseSearchForm, searchFormToApi, searchFormToUrl } from '../state/search-query';

export function mount(root: HTMLElement, route: Route): () => void {
  const ctrl = new AbortController();
  const initial = parseSearchForm(route.query);
  const results = h('section', { class: 'results' });
  const form = searchFormView(
    initial,
    (f) => {
      const q = searchFormToUrl(f).toString();
      navigate(`/search${q ? `?${q}` : ''}`);
    },
    { signal: ctrl.signal },
  );
  root.append(h('div', { class: 'search-page' }, h('aside', { class: 'panel search-side' }, h('h2', {}, 'Search'), form.element), results));

  const hasQuery = [...route.query.keys()].length > 0;
  if (!hasQuery) {
    results.append(emptyBox('Pick a service and press “Find traces”.'));
  } else {
    void runSearch(results, initial, ctrl.signal);
  }
  return () => ctrl.abort();
}

async function runSearch(results: HTMLElement, form: ReturnType<typeof parseSearchForm>, signal: AbortSignal) {
  const params = searchFormToApi(form, Date.now() * 1000);
  if (!params.ok) {
    results.replaceChildren(errorBox(params.error));
    return;
  }
  results.replaceChildren(loadingBox('Searching…'));
  try {
    const res = await api.searchTraces(params.value, signal);
    const summaries = res.data.map(summarizeTrace);
    renderResults(results, summaries);
  } catch (e) {
    if (!signal.aborted) results.replaceChildren(errorBox(e));
  }
}

function renderResults(results: HTMLElement, traces: TraceSummary[]) {
  if (traces.length === 0) {
    results.replaceChildren(emptyBox('No traces match this search.'));
    return;
  }
  const chosen = new Set<string>();
  const compareBtn = h('button', { class: 'secondary', disabled: true, 'data-test': 'compare-selected' }, 'Compare selected');
  const updateCompare = () => {
    compareBtn.toggleAttribute('disabled', chosen.size !== 2);
    compareBtn.textContent = chosen.size === 2 ? 'Compare 2 traces' : `Compare selected (${chosen.size}/2)`;
  };
  compareBtn.addEventListener('click', () => {
    const [a, b] = [...chosen];
    if (a && b) navigate(comparePath(a, b));
  });
  updateCompare();

  const width = Math.max(480, Math.min(1100, results.clientWidth - 32 || 900));
  const plot = scatterPlot(
    traces.map((t) => ({
      xUs: t.startUs,
      yUs: t.durationUs,
      error: t.errorCount > 0,
      label: `${t.name} — ${formatDurationUs(t.durationUs)}`,
      onClick: () => navigate(tracePath(t.traceId)),
    })),
    width,
    180,
  );
  const maxDur = Math.max(...traces.map((t) => t.durationUs), 1);
  const list = h('ol', { class: 'result-list' });
  for (const t of traces) {
    const box = h('input', { type: 'checkbox', 'aria-label': `select trace ${t.traceId} for comparison` });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(t.traceId);
      else chosen.delete(t.traceId);
      updateCompare();
    });
    list.append(
      h(
        'li',
        { class: 'result', 'data-trace-id': t.traceId },
        h(
          'div',
          { class: 'result-head' },
          box,
          h('a', { href: tracePath(t.traceId), class: 'result-name' }, t.name),
          t.errorCount > 0 && h('span', { class: 'badge error' }, `${t.errorCount} error${t.errorCount > 1 ? 's' : ''}`),
          h('span', { class: 'result-duration' }, formatDurationUs(t.durationUs)),
        ),
        h('div', { class: 'result-bar' }, h('span', { style: `width:${((t.durationUs / maxDur) * 100).toFixed(1)}%` })),
        h(
          'div',
          { class: 'result-meta' },
          h('span', { class: 'span-count' }, `${t.spanCount} span${t.spanCount === 1 ? '' : 's'}`),
          h('span', { class: 'chips' }, ...t.services.map((sv) => h('span', { class: 'chip' }, h('i', { style: `background:${serviceColor(sv.name)}` }), `${sv.name} (${sv.count})`))),
          h('span', { class: 'result-start' }, formatTimestampUs(t.startUs)),
          h('code', { class: 'trace-id' }, t.traceId.slice(0, 16)),
        ),
      ),
    );
  }
  results.replaceChildren(
    h('div', { class: 'panel' }, h('div', { class: 'results-head' }, h('h3', {}, `${traces.length} trace${traces.length === 1 ? '' : 's'}`), compareBtn), plot),
    list,
  );
}
