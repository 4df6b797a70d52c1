// Client-side routes, Jaeger-familiar: /search, /trace/{id}[?view=gantt|flame],
// /compare/{idA}...{idB}, /compare-groups, /map, /latency, /errors. Pure parsing
// plus a tiny history-based navigator.

export type TraceViewKind = 'timeline' | 'gantt' | 'flame';

export type Route =
  | { name: 'search'; query: URLSearchParams }
  | { name: 'trace'; id: string; view: TraceViewKind; with: string[]; query: URLSearchParams }
  | { name: 'compare'; a: string; b: string; query: URLSearchParams }
  | { name: 'compare-groups'; query: URLSearchParams }
  | { name: 'map'; query: URLSearchParams }
  | { name: 'latency'; query: URLSearchParams }
  | { name: 'errors'; query: URLSearchParams }
  | { name: 'not-found'; path: string; query: URLSearchParams };

const TRACE_ID = /^[0-9a-fA-F]{1,32}$/;

export function isTraceId(s: string): boolean {
  return TRACE_ID.test(s);
}

export function matchRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const path = pathname.replace(/\/+$/, '') || '/';
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  switch (parts[0]) {
    case undefined:
    case 'search':
      if (parts.length <= 1) return { name: 'search', query };
      break;
    case 'trace':
      if (parts.length === 2) {
        const v = query.get('view');
        const view: TraceViewKind = v === 'gantt' || v === 'flame' ? v : 'timeline';
        const withIds = (query.get('with') ?? '').split(',').filter(isTraceId);
        return { name: 'trace', id: parts[1], view, with: withIds, query };
      }
      break;
    case 'compare':
      if (parts.length === 2 && parts[1].includes('...')) {
        const [a, b] = parts[1].split('...');
        return { name: 'compare', a, b, query };
      }
      if (parts.length === 1) return { name: 'compare-groups', query };
      break;
    case 'compare-groups':
    case 'map':
    case 'latency':
    case 'errors':
      if (parts.length === 1) return { name: parts[0], query } as Route;
      break;
  }
  return { name: 'not-found', path: pathname, query };
}

export function tracePath(id: string, view: TraceViewKind = 'timeline', withIds: string[] = []): string {
  const q = new URLSearchParams();
  if (view !== 'timeline') q.set('view', view);
  if (withIds.length) q.set('with', withIds.join(','));
  const s = q.toString();
  return `/trace/${encodeURIComponent(id)}${s ? `?${s.replace(/%2C/g, ',')}` : ''}`;
}

export function comparePath(a: string, b: string): string {
  return `/compare/${encodeURIComponent(a)}...${encodeURIComponent(b)}`;
}

type Listener = () => void;
const listeners: Listener[] = [];

/** Pushes (or replaces) a history entry and re-renders the matching view. */
export function navigate(url: string, opts: { replace?: boolean; silent?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  if (!opts.silent) for (const l of listeners) l();
}

export function onNavigate(l: Listener): void {
  listeners.push(l);
  window.addEventListener('popstate', l);
}
