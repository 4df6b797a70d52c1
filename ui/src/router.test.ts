import { describe, expect, it } from 'vitest';
import { comparePath, matchRoute, tracePath } from './router';

describe('matchRoute', () => {
  it('matches the Jaeger-familiar URLs', () => {
    expect(matchRoute('/', '').name).toBe('search');
    expect(matchRoute('/search', '?service=a').name).toBe('search');
    expect(matchRoute('/trace/abc123', '?view=gantt')).toMatchObject({ name: 'trace', id: 'abc123', view: 'gantt' });
    expect(matchRoute('/trace/abc123', '?view=bogus')).toMatchObject({ view: 'timeline' });
    expect(matchRoute('/compare/aa...bb', '')).toMatchObject({ name: 'compare', a: 'aa', b: 'bb' });
    for (const p of ['map', 'latency', 'errors', 'compare-groups']) expect(matchRoute(`/${p}/`, '').name).toBe(p);
    expect(matchRoute('/nope/x', '').name).toBe('not-found');
  });

  it('round-trips trace and compare paths', () => {
    const u = new URL(tracePath('abc', 'flame', ['def', '012']), 'http://x');
    expect(matchRoute(u.pathname, u.search)).toMatchObject({ id: 'abc', view: 'flame', with: ['def', '012'] });
    expect(matchRoute(comparePath('a1', 'b2'), '')).toMatchObject({ a: 'a1', b: 'b2' });
  });
});
