import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from './client';
import { NO_ACCESS, setAccess, type KeyValueStorage } from '../state/access-settings';

interface Call {
  url: string;
  headers: Record<string, string>;
}

function memStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

let calls: Call[];
let respond: (url: string) => { status: number; body: unknown };

beforeEach(() => {
  calls = [];
  respond = () => ({ status: 200, body: { data: [] } });
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    const r = respond(url);
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } });
  });
  setAccess(NO_ACCESS, memStorage());
});
afterEach(() => vi.unstubAllGlobals());

describe('access headers', () => {
  it('sends no credentials when none are set', async () => {
    await api.services();
    expect(calls[0].headers).toEqual({ Accept: 'application/json' });
  });

  it('sends the token and tenant from the settings on every kind of call', async () => {
    setAccess({ token: 's3cret-token', tenant: 'acme' }, memStorage());
    respond = (url) => ({ status: 200, body: { data: url.startsWith('/api/traces/') ? [{ traceID: 'ab', spans: [], processes: {} }] : [] } });
    await api.services();
    await api.operations('cart');
    await api.searchTraces({ service: 'cart', limit: 5 });
    await api.trace('ab');
    await api.red({ lookback: '1h' });
    expect(calls).toHaveLength(5);
    for (const c of calls) {
      expect(c.headers.Authorization).toBe('Bearer s3cret-token');
      expect(c.headers['X-Scope-OrgID']).toBe('acme');
      expect(c.url).not.toContain('s3cret');
    }
  });

  it('sends only the header that is set', async () => {
    setAccess({ token: 'tok', tenant: '' }, memStorage());
    await api.services();
    setAccess({ token: '', tenant: 'team-b' }, memStorage());
    await api.services();
    expect(calls[0].headers).toEqual({ Accept: 'application/json', Authorization: 'Bearer tok' });
    expect(calls[1].headers).toEqual({ Accept: 'application/json', 'X-Scope-OrgID': 'team-b' });
  });

  it('uses settings changed after the page loaded, without a reload', async () => {
    await api.services();
    setAccess({ token: 'later', tenant: 'acme' }, memStorage());
    await api.services();
    expect(calls[0].headers.Authorization).toBeUndefined();
    expect(calls[1].headers.Authorization).toBe('Bearer later');
  });
});

describe('auth failures', () => {
  it('a 401 rejects with an auth ApiError carrying the server message', async () => {
    respond = () => ({ status: 401, body: { data: null, errors: [{ code: 401, msg: 'missing credentials: send `Authorization: Bearer <token>`' }] } });
    const err = await api.services().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(401);
    expect(err.isAuthError).toBe(true);
    expect(err.message).toMatch(/missing credentials/);
  });

  it('a 403 is an auth error, a 404 is not', async () => {
    respond = () => ({ status: 403, body: { data: null, errors: [{ code: 403, msg: "this token does not belong to tenant 'x'" }] } });
    expect((await api.services().catch((e) => e)).isAuthError).toBe(true);
    respond = () => ({ status: 404, body: { data: null, errors: [{ code: 404, msg: 'trace not found' }] } });
    expect((await api.trace('ab').catch((e) => e)).isAuthError).toBe(false);
  });
});

describe('search paging', () => {
  const params = { service: 'cart', start: '1000', end: '2000', limit: '2', orderBy: 'recent' };

  it('returns nextCursor and passes it back as cursor with the same parameters', async () => {
    respond = (url) => ({ status: 200, body: url.includes('cursor=') ? { data: [] } : { data: [], nextCursor: 'c/1+x=' } });
    const first = await api.searchTraces(params);
    expect(first.nextCursor).toBe('c/1+x=');
    const second = await api.searchTraces(params, undefined, first.nextCursor);
    expect(second.nextCursor).toBeUndefined();
    const q1 = new URL(calls[0].url, 'http://x').searchParams;
    const q2 = new URL(calls[1].url, 'http://x').searchParams;
    expect(q1.has('cursor')).toBe(false);
    expect(q2.get('cursor')).toBe('c/1+x=');
    q2.delete('cursor');
    expect(q2.toString()).toBe(q1.toString());
  });

  it('reads an empty nextCursor as no further page', async () => {
    respond = () => ({ status: 200, body: { data: [], nextCursor: '' } });
    expect((await api.searchTraces(params)).nextCursor).toBeUndefined();
  });
});
