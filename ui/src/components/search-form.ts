// The trace search form, shared by the search page and the group-compare page.
// It reads and writes a SearchForm (state/search-query.ts); the caller decides
// what submitting means.
import { api } from '../api/client';
import { h } from './dom';
import { LOOKBACKS, type Lookback, type SearchForm } from '../state/search-query';

const LOOKBACK_LABELS: Record<Lookback, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  custom: 'Custom range',
};

function toLocalInput(us: number | null): string {
  if (us === null) return '';
  const d = new Date(us / 1000 - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? ms * 1000 : null;
}

export interface SearchFormHandle {
  element: HTMLFormElement;
  read(): SearchForm;
  /**
   * Resolves when the service list has loaded (and the initial service's
   * operations), with the error when the list could not be loaded (the form
   * then still works with a typed-in service).
   */
  ready: Promise<{ servicesError?: unknown }>;
}

export function searchFormView(
  initial: SearchForm,
  onSubmit: (f: SearchForm) => void,
  opts: { idPrefix?: string; compact?: boolean; signal?: AbortSignal } = {},
): SearchFormHandle {
  const p = opts.idPrefix ?? 'sf';
  const service = h('select', { name: 'service', id: `${p}-service`, 'data-hotkey': 'search' }, h('option', { value: '' }, 'All services'));
  const operation = h('select', { name: 'operation', id: `${p}-operation` }, h('option', { value: '' }, 'All operations'));
  const tags = h('input', { name: 'tags', id: `${p}-tags`, placeholder: 'http.status_code=500 error=true', value: initial.tags });
  const minDuration = h('input', { name: 'minDuration', id: `${p}-min`, placeholder: 'e.g. 1.2ms', value: initial.minDuration, size: 8 });
  const maxDuration = h('input', { name: 'maxDuration', id: `${p}-max`, placeholder: 'e.g. 2s', value: initial.maxDuration, size: 8 });
  const lookback = h('select', { name: 'lookback', id: `${p}-lookback` }, ...LOOKBACKS.map((l) => h('option', { value: l, selected: l === initial.lookback }, LOOKBACK_LABELS[l])));
  const start = h('input', { type: 'datetime-local', name: 'start', value: toLocalInput(initial.start) });
  const end = h('input', { type: 'datetime-local', name: 'end', value: toLocalInput(initial.end) });
  const custom = h('div', { class: 'field custom-range' }, h('label', {}, 'From'), start, h('label', {}, 'To'), end);
  const limit = h('input', { type: 'number', name: 'limit', min: 1, max: 1500, value: initial.limit });
  const errorsOnly = h('input', { type: 'checkbox', name: 'errors', checked: initial.errorsOnly });
  const orderBy = h('select', { name: 'orderBy' }, h('option', { value: 'recent', selected: initial.orderBy === 'recent' }, 'Most recent'), h('option', { value: 'longest', selected: initial.orderBy === 'longest' }, 'Longest first'));
  const syncCustom = () => (custom.hidden = lookback.value !== 'custom');
  lookback.addEventListener('change', syncCustom);
  syncCustom();

  const field = (label: string, input: HTMLElement, forId?: string) => h('div', { class: 'field' }, h('label', { for: forId }, label), input);
  const form = h(
    'form',
    { class: opts.compact ? 'search-form compact' : 'search-form' },
    field('Service', service, service.id),
    field('Operation', operation, operation.id),
    field('Tags', tags, tags.id),
    h('div', { class: 'field-row' }, field('Min duration', minDuration, minDuration.id), field('Max duration', maxDuration, maxDuration.id)),
    field('Time range', lookback, lookback.id),
    custom,
    h('div', { class: 'field-row' }, field('Limit', limit), field('Order', orderBy)),
    h('label', { class: 'checkbox' }, errorsOnly, ' Errors only'),
    h('button', { type: 'submit', class: 'primary' }, 'Find traces'),
  );

  const loadOperations = async (svc: string, want: string) => {
    operation.replaceChildren(h('option', { value: '' }, 'All operations'));
    if (!svc) return;
    try {
      const ops = (await api.operations(svc, opts.signal)) ?? [];
      for (const op of [...ops].sort()) operation.append(h('option', { value: op, selected: op === want }, op));
      if (want && !ops.includes(want)) operation.append(h('option', { value: want, selected: true }, want));
    } catch {
      if (want) operation.append(h('option', { value: want, selected: true }, want));
    }
  };
  service.addEventListener('change', () => void loadOperations(service.value, ''));

  const ready = (async () => {
    let servicesError: unknown;
    try {
      const services = (await api.services(opts.signal)) ?? [];
      for (const svc of [...services].sort()) service.append(h('option', { value: svc, selected: svc === initial.service }, svc));
      if (initial.service && !services.includes(initial.service)) service.append(h('option', { value: initial.service, selected: true }, initial.service));
    } catch (e) {
      servicesError = e;
      if (initial.service) service.append(h('option', { value: initial.service, selected: true }, initial.service));
    }
    await loadOperations(service.value, initial.operation);
    return { servicesError };
  })();

  const read = (): SearchForm => ({
    service: service.value,
    operation: operation.value,
    tags: tags.value.trim(),
    minDuration: minDuration.value.trim(),
    maxDuration: maxDuration.value.trim(),
    lookback: lookback.value as Lookback,
    start: lookback.value === 'custom' ? fromLocalInput(start.value) ?? initial.start : null,
    end: lookback.value === 'custom' ? fromLocalInput(end.value) ?? initial.end : null,
    limit: Math.max(1, Math.min(1500, Number(limit.value) || 20)),
    errorsOnly: errorsOnly.checked,
    orderBy: orderBy.value === 'longest' ? 'longest' : 'recent',
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onSubmit(read());
  });
  return { element: form, read, ready };
}
