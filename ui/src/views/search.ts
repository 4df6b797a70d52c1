// /search: the search form, a duration-over-time scatter of the results and the
// result list; two ticked results can be compared; "Load more" appends the
// next page (the server's nextCursor) to both.
import { api } from '../api/client';
import type { TracesResponse } from '../api/types';
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
    // Without a query the service list is the first API answer the user sees:
    // a refused one (no token) must say so, not leave an empty form.
    void form.ready.then(({ servicesError }) => {
      if (servicesError && !ctrl.signal.aborted) results.replaceChildren(errorBox(servicesError));
    });
  } else {
    void runSearch(results, initial, ctrl.signal);
  }
  return () => ctrl.abort();
}

async function runSearch(results: HTMLElement, form: ReturnType<typeof parseSearchForm>, signal: AbortSignal) {
  // Resolved once: later pages must repeat exactly these parameters (the
  // absolute start/end included) with the cursor, or the server's cursor
  // would continue a different search.
  const params = searchFormToApi(form, Date.now() * 1000);
  if (!params.ok) {
    results.replaceChildren(errorBox(params.error));
    return;
  }
  results.replaceChildren(loadingBox('Searching…'));
  try {
    const res = await api.searchTraces(params.value, signal);
    if (res.data.length === 0) {
      results.replaceChildren(emptyBox('No traces match this search.'));
      return;
    }
    const view = new ResultsView(results, (cursor) => api.searchTraces(params.value, signal, cursor));
    view.append(res.data.map(summarizeTrace), res.nextCursor);
  } catch (e) {
    if (!signal.aborted) results.replaceChildren(errorBox(e));
  }
}

/**
 * The result list with its scatter plot, grown page by page by "Load more".
 * Ticked traces stay ticked across pages; a trace that appears again on a
 * later page (new spans arrived between pages) is listed once.
 */
class ResultsView {
  private readonly traces: TraceSummary[] = [];
  private readonly seen = new Set<string>();
  private readonly chosen = new Set<string>();
  private readonly bars: { el: HTMLElement; durationUs: number }[] = [];
  private readonly count = h('h3', {});
  private readonly compareBtn = h('button', { class: 'secondary', disabled: true, 'data-test': 'compare-selected' }, 'Compare selected');
  private readonly plotBox = h('div', { class: 'scatter-box' });
  private readonly list = h('ol', { class: 'result-list' });
  private readonly moreBtn = h('button', { type: 'button', class: 'secondary', 'data-test': 'load-more' }, 'Load more');
  private readonly moreNote = h('span', { 'data-test': 'load-more-note' });
  private readonly moreError = h('div', {});
  private cursor: string | undefined;

  constructor(
    private readonly results: HTMLElement,
    private readonly fetchPage: (cursor: string) => Promise<TracesResponse>,
  ) {
    this.compareBtn.addEventListener('click', () => {
      const [a, b] = [...this.chosen];
      if (a && b) navigate(comparePath(a, b));
    });
    this.moreBtn.addEventListener('click', () => void this.loadMore());
    this.updateCompare();
    results.replaceChildren(
      h('div', { class: 'panel' }, h('div', { class: 'results-head' }, this.count, this.compareBtn), this.plotBox),
      this.list,
      h('div', { class: 'load-more' }, this.moreNote, this.moreBtn),
      this.moreError,
    );
  }

  /** Adds a page of results; `cursor` is that page's nextCursor (undefined: the last page). */
  append(page: TraceSummary[], cursor: string | undefined) {
    this.cursor = cursor;
    for (const t of page) {
      if (this.seen.has(t.traceId)) continue;
      this.seen.add(t.traceId);
      this.traces.push(t);
      this.list.append(this.item(t));
    }
    const n = this.traces.length;
    this.count.textContent = `${n} trace${n === 1 ? '' : 's'}`;
    const maxDur = Math.max(...this.traces.map((t) => t.durationUs), 1);
    for (const b of this.bars) b.el.style.width = `${((b.durationUs / maxDur) * 100).toFixed(1)}%`;
    this.drawPlot();
    this.moreBtn.hidden = cursor === undefined;
    this.moreBtn.disabled = false;
    this.moreBtn.textContent = 'Load more';
    this.moreNote.textContent = cursor === undefined ? `All ${n} matching trace${n === 1 ? '' : 's'} shown.` : `Showing ${n}.`;
  }

  private async loadMore() {
    const cursor = this.cursor;
    if (cursor === undefined || this.moreBtn.disabled) return;
    this.moreBtn.disabled = true;
    this.moreBtn.textContent = 'Loading…';
    this.moreError.replaceChildren();
    try {
      const res = await this.fetchPage(cursor);
      this.append(res.data.map(summarizeTrace), res.nextCursor);
    } catch (e) {
      if (!this.results.isConnected) return;
      // Keep what is shown; the button retries the same page.
      this.moreError.replaceChildren(errorBox(e));
      this.moreBtn.disabled = false;
      this.moreBtn.textContent = 'Load more';
    }
  }

  private updateCompare() {
    const n = this.chosen.size;
    this.compareBtn.toggleAttribute('disabled', n !== 2);
    this.compareBtn.textContent = n === 2 ? 'Compare 2 traces' : `Compare selected (${n}/2)`;
  }

  private drawPlot() {
    const width = Math.max(480, Math.min(1100, this.results.clientWidth - 32 || 900));
    this.plotBox.replaceChildren(
      scatterPlot(
        this.traces.map((t) => ({
          xUs: t.startUs,
          yUs: t.durationUs,
          error: t.errorCount > 0,
          label: `${t.name} — ${formatDurationUs(t.durationUs)}`,
          onClick: () => navigate(tracePath(t.traceId)),
        })),
        width,
        180,
      ),
    );
  }

  private item(t: TraceSummary): HTMLElement {
    const box = h('input', { type: 'checkbox', 'aria-label': `select trace ${t.traceId} for comparison` });
    box.addEventListener('change', () => {
      if (box.checked) this.chosen.add(t.traceId);
      else this.chosen.delete(t.traceId);
      this.updateCompare();
    });
    const bar = h('span', {});
    this.bars.push({ el: bar, durationUs: t.durationUs });
    return h(
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
      h('div', { class: 'result-bar' }, bar),
      h(
        'div',
        { class: 'result-meta' },
        h('span', { class: 'span-count' }, `${t.spanCount} span${t.spanCount === 1 ? '' : 's'}`),
        h('span', { class: 'chips' }, ...t.services.map((sv) => h('span', { class: 'chip' }, h('i', { style: `background:${serviceColor(sv.name)}` }), `${sv.name} (${sv.count})`))),
        h('span', { class: 'result-start' }, formatTimestampUs(t.startUs)),
        h('code', { class: 'trace-id' }, t.traceId.slice(0, 16)),
      ),
    );
  }
}
