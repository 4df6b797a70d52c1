// The one typed client for Tracery's HTTP API. Every view goes through
// `request`, so envelope handling and error reporting live in one place.
//
// Contract: each method resolves with the `data` of the `{"data": ...}`
// envelope, or rejects with an ApiError whose message is the server's
// `errors[0].msg` (or the HTTP status / network failure when there is none).
// Methods never reject with anything but ApiError.
//
// `requestEnvelope` is the only place that calls fetch and the only place that
// adds the access headers (token, tenant) from state/access-settings.ts, so
// every API call, and nothing else, carries them.
import { accessHeaders, currentAccess } from '../state/access-settings';
import type {
  CriticalPath,
  Dependency,
  ErrorGroups,
  FlameNode,
  GroupCompare,
  Heatmap,
  JaegerTrace,
  LatencySeries,
  RedRow,
  ServiceMap,
  TraceCompare,
  TracesResponse,
} from './types';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** 401 (no or unknown token) or 403 (token not for this tenant or role): fixable in the access settings. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export type QueryParams = Record<string, string | number | boolean | undefined | null>;

/** Builds `path?query`, dropping undefined/null/empty values. */
export function buildUrl(path: string, params: QueryParams = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

interface Envelope<T> {
  data: T;
  errors?: { code: number; msg: string }[] | null;
  nextCursor?: string;
}

async function requestEnvelope<T>(path: string, params?: QueryParams, signal?: AbortSignal): Promise<Envelope<T>> {
  let res: Response;
  try {
    const headers = { Accept: 'application/json', ...accessHeaders(currentAccess()) };
    res = await fetch(buildUrl(path, params), { signal, headers });
  } catch (e) {
    throw new ApiError(`cannot reach the server: ${(e as Error).message}`, 0);
  }
  let body: Envelope<T> | undefined;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    body = undefined;
  }
  const msg = body?.errors?.[0]?.msg;
  if (!res.ok || msg) {
    throw new ApiError(msg ?? `${path}: HTTP ${res.status} ${res.statusText}`, res.status);
  }
  if (!body || !('data' in body)) throw new ApiError(`${path}: response has no "data"`, res.status);
  return body;
}

async function request<T>(path: string, params?: QueryParams, signal?: AbortSignal): Promise<T> {
  return (await requestEnvelope<T>(path, params, signal)).data;
}

const enc = encodeURIComponent;

/** Time window shared by the analysis endpoints (µs since epoch, Go durations). */
export interface Window {
  start?: number;
  end?: number;
  lookback?: string;
  step?: string;
}

export const api = {
  services: (signal?: AbortSignal) => request<string[]>('/api/services', {}, signal),
  operations: (service: string, signal?: AbortSignal) =>
    request<string[]>(`/api/services/${enc(service)}/operations`, {}, signal),
  /**
   * `params` are Jaeger /api/traces parameters (see state/search-query.ts).
   * For the next page pass the previous response's `nextCursor` as `cursor`
   * with the SAME params (absolute start/end included): the server continues
   * after that page's last trace in the same order. `nextCursor` is absent
   * (never empty) when no further page exists.
   */
  searchTraces: async (params: QueryParams, signal?: AbortSignal, cursor?: string): Promise<TracesResponse> => {
    const env = await requestEnvelope<JaegerTrace[]>('/api/traces', cursor ? { ...params, cursor } : params, signal);
    return { data: env.data ?? [], nextCursor: env.nextCursor || undefined };
  },
  trace: async (id: string, signal?: AbortSignal): Promise<JaegerTrace> => {
    const traces = await request<JaegerTrace[]>(`/api/traces/${enc(id)}`, {}, signal);
    if (!traces || traces.length === 0) throw new ApiError('trace not found', 404);
    return traces[0];
  },
  dependencies: (endTsMs: number, lookbackMs: number, signal?: AbortSignal) =>
    request<Dependency[]>('/api/dependencies', { endTs: endTsMs, lookback: lookbackMs }, signal),
  latency: (p: Window & { service: string; operation?: string; quantiles?: string }, signal?: AbortSignal) =>
    request<LatencySeries>('/api/analysis/latency', { quantiles: '0.5,0.95,0.99', ...p }, signal),
  red: (p: Window & { service?: string }, signal?: AbortSignal) =>
    request<RedRow[]>('/api/analysis/red', { ...p }, signal),
  errors: (p: Window & { service?: string }, signal?: AbortSignal) =>
    request<ErrorGroups>('/api/analysis/errors', { ...p }, signal),
  serviceMap: (p: Window, signal?: AbortSignal) => request<ServiceMap>('/api/analysis/service-map', { ...p }, signal),
  criticalPath: (traceId: string, signal?: AbortSignal) =>
    request<CriticalPath>(`/api/analysis/critical-path/${enc(traceId)}`, {}, signal),
  flamegraph: (params: QueryParams, signal?: AbortSignal) =>
    request<{ traces: number; root: FlameNode }>('/api/analysis/flamegraph', params, signal),
  heatmap: (params: QueryParams, signal?: AbortSignal) => request<Heatmap>('/api/analysis/heatmap', params, signal),
  compareTraces: (a: string, b: string, signal?: AbortSignal) =>
    request<TraceCompare>('/api/analysis/compare/traces', { a, b }, signal),
  /** `a` and `b` are search query strings, e.g. "service=cart&minDuration=500ms". */
  compareGroups: (a: string, b: string, signal?: AbortSignal) =>
    request<GroupCompare>('/api/analysis/compare/groups', { a, b }, signal),
};
