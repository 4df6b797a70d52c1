// The search form's state and its two serialisations: the page URL
// (/search?service=..&tags=k%3Dv, human-editable, defaults omitted) and the
// Jaeger /api/traces parameters (tags as JSON, lookback resolved to start/end).
// Pure.
import { parseDurationUs } from '../components/duration';

export const LOOKBACKS = ['15m', '1h', '6h', '24h', '7d', 'custom'] as const;
export type Lookback = (typeof LOOKBACKS)[number];
export type OrderBy = 'recent' | 'longest';

export interface SearchForm {
  service: string;
  operation: string;
  /** logfmt-style "key=value key2=\"value with spaces\"". */
  tags: string;
  minDuration: string;
  maxDuration: string;
  lookback: Lookback;
  /** Only for lookback "custom": µs since epoch. */
  start: number | null;
  end: number | null;
  limit: number;
  errorsOnly: boolean;
  orderBy: OrderBy;
}

export const DEFAULT_SEARCH: SearchForm = {
  service: '',
  operation: '',
  tags: '',
  minDuration: '',
  maxDuration: '',
  lookback: '1h',
  start: null,
  end: null,
  limit: 20,
  errorsOnly: false,
  orderBy: 'recent',
};

const LOOKBACK_US: Record<Exclude<Lookback, 'custom'>, number> = {
  '15m': 15 * 60e6,
  '1h': 3600e6,
  '6h': 6 * 3600e6,
  '24h': 24 * 3600e6,
  '7d': 7 * 24 * 3600e6,
};

function int(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** Reads the form from a page URL's query; unknown or bad values fall back to defaults. */
export function parseSearchForm(q: URLSearchParams): SearchForm {
  const start = int(q.get('start'));
  const end = int(q.get('end'));
  const lb = q.get('lookback') as Lookback | null;
  const limit = int(q.get('limit'));
  let lookback: Lookback = lb && (LOOKBACKS as readonly string[]).includes(lb) ? lb : DEFAULT_SEARCH.lookback;
  if (!lb && (start !== null || end !== null)) lookback = 'custom';
  return {
    service: q.get('service') ?? '',
    operation: q.get('operation') ?? '',
    tags: q.get('tags') ?? '',
    minDuration: q.get('minDuration') ?? '',
    maxDuration: q.get('maxDuration') ?? '',
    lookback,
    start: lookback === 'custom' ? start : null,
    end: lookback === 'custom' ? end : null,
    limit: limit && limit > 0 ? Math.min(limit, 1500) : DEFAULT_SEARCH.limit,
    errorsOnly: q.get('errors') === 'true',
    orderBy: q.get('orderBy') === 'longest' ? 'longest' : 'recent',
  };
}

/** The page URL query for a form; parseSearchForm(searchFormToUrl(f)) equals f. */
export function searchFormToUrl(f: SearchForm): URLSearchParams {
  const q = new URLSearchParams();
  if (f.service) q.set('service', f.service);
  if (f.operation) q.set('operation', f.operation);
  if (f.tags.trim()) q.set('tags', f.tags.trim());
  if (f.minDuration) q.set('minDuration', f.minDuration);
  if (f.maxDuration) q.set('maxDuration', f.maxDuration);
  if (f.lookback !== DEFAULT_SEARCH.lookback) q.set('lookback', f.lookback);
  if (f.lookback === 'custom') {
    if (f.start !== null) q.set('start', String(f.start));
    if (f.end !== null) q.set('end', String(f.end));
  }
  if (f.limit !== DEFAULT_SEARCH.limit) q.set('limit', String(f.limit));
  if (f.errorsOnly) q.set('errors', 'true');
  if (f.orderBy !== 'recent') q.set('orderBy', f.orderBy);
  return q;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses `key=value` pairs separated by spaces; values may be double-quoted. */
export function parseTags(text: string): Parsed<Record<string, string>> {
  const tags: Record<string, string> = {};
  const re = /\s*([^\s=]+)=("((?:[^"\\]|\\.)*)"|[^\s"]*)\s*/y;
  let pos = 0;
  const s = text.trim();
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) {
      return { ok: false, error: `tags: expected key=value at "${s.slice(pos, pos + 20)}"` };
    }
    tags[m[1]] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2];
    pos = re.lastIndex;
  }
  return { ok: true, value: tags };
}

/**
 * Jaeger /api/traces parameters for a form. `nowUs` resolves relative lookbacks.
 * Fails with a message naming the field when a duration or tag is malformed.
 */
export function searchFormToApi(f: SearchForm, nowUs: number): Parsed<Record<string, string>> {
  const p: Record<string, string> = {};
  if (f.service) p.service = f.service;
  if (f.operation) p.operation = f.operation;
  if (f.tags.trim()) {
    const t = parseTags(f.tags);
    if (!t.ok) return t;
    p.tags = JSON.stringify(t.value);
  }
  for (const key of ['minDuration', 'maxDuration'] as const) {
    if (!f[key]) continue;
    if (parseDurationUs(f[key]) === null) return { ok: false, error: `${key}: "${f[key]}" is not a duration like 1.2ms or 2s` };
    p[key] = f[key];
  }
  if (f.lookback === 'custom') {
    const end = f.end ?? nowUs;
    const start = f.start ?? end - LOOKBACK_US['1h'];
    if (start > end) return { ok: false, error: 'time range: start is after end' };
    p.start = String(start);
    p.end = String(end);
  } else {
    p.lookback = f.lookback;
    p.end = String(nowUs);
    p.start = String(nowUs - LOOKBACK_US[f.lookback]);
  }
  p.limit = String(f.limit);
  if (f.errorsOnly) p.errors = 'true';
  p.orderBy = f.orderBy;
  return { ok: true, value: p };
}

/** A search as the query-string argument of /api/analysis/compare/groups. */
export function searchFormToQueryString(f: SearchForm, nowUs: number): Parsed<string> {
  const api = searchFormToApi(f, nowUs);
  if (!api.ok) return api;
  return { ok: true, value: new URLSearchParams(api.value).toString() };
}
