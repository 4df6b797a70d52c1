import { describe, expect, it, vi } from 'vitest';
import {
  accessHeaders,
  currentAccess,
  normalizeAccess,
  onAccessChange,
  readAccess,
  setAccess,
  STORAGE_KEY,
  validateAccess,
  writeAccess,
  type KeyValueStorage,
} from './access-settings';

function memStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

describe('access settings', () => {
  it('survive a reload through storage', () => {
    const st = memStorage();
    writeAccess(st, { token: 'abc', tenant: 'acme' });
    expect(readAccess(st)).toEqual({ token: 'abc', tenant: 'acme' });
  });

  it('forgetting both fields removes the stored entry', () => {
    const st = memStorage();
    writeAccess(st, { token: 'abc', tenant: '' });
    writeAccess(st, { token: '', tenant: '' });
    expect(st.map.has(STORAGE_KEY)).toBe(false);
  });

  it('read as none when storage is missing, broken, or holds a bad value', () => {
    expect(readAccess(undefined)).toEqual({ token: '', tenant: '' });
    const st = memStorage();
    st.map.set(STORAGE_KEY, '{not json');
    expect(readAccess(st)).toEqual({ token: '', tenant: '' });
    st.map.set(STORAGE_KEY, JSON.stringify({ token: 'a\nb', tenant: 'x' }));
    expect(readAccess(st)).toEqual({ token: '', tenant: '' });
    const throwing: KeyValueStorage = { getItem: () => { throw new Error('denied'); }, setItem: () => {}, removeItem: () => {} };
    expect(readAccess(throwing)).toEqual({ token: '', tenant: '' });
  });

  it('headers carry only what is set', () => {
    expect(accessHeaders({ token: '', tenant: '' })).toEqual({});
    expect(accessHeaders({ token: 't', tenant: 'acme' })).toEqual({ Authorization: 'Bearer t', 'X-Scope-OrgID': 'acme' });
  });

  it('a pasted "Bearer " prefix and surrounding spaces are dropped', () => {
    expect(normalizeAccess({ token: '  Bearer abc123 ', tenant: ' acme ' })).toEqual({ token: 'abc123', tenant: 'acme' });
  });

  it('refuse tokens and tenants the server or fetch would refuse', () => {
    expect(validateAccess({ token: 'abc', tenant: 'team_b.prod-1' })).toBeNull();
    expect(validateAccess({ token: 'a b', tenant: '' })).toMatch(/Token/);
    expect(validateAccess({ token: 'tok\u00e9', tenant: '' })).toMatch(/Token/);
    expect(validateAccess({ token: '', tenant: '..' })).toMatch(/Tenant/);
    expect(validateAccess({ token: '', tenant: 'a/b' })).toMatch(/Tenant/);
    expect(validateAccess({ token: '', tenant: 'x'.repeat(65) })).toMatch(/Tenant/);
  });

  it('setAccess stores, becomes current and notifies listeners', () => {
    const st = memStorage();
    const seen = vi.fn();
    const off = onAccessChange(seen);
    setAccess({ token: 'k', tenant: 'acme' }, st);
    off();
    setAccess({ token: '', tenant: '' }, st);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen).toHaveBeenCalledWith({ token: 'k', tenant: 'acme' });
    expect(currentAccess()).toEqual({ token: '', tenant: '' });
  });

  it('settings stay in effect when the browser refuses to store them', () => {
    const full: KeyValueStorage = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); }, removeItem: () => {} };
    expect(() => setAccess({ token: 'k2', tenant: '' }, full)).toThrow();
    expect(currentAccess()).toEqual({ token: 'k2', tenant: '' });
  });
});
