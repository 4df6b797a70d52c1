import { describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH, parseSearchForm, parseTags, searchFormToApi, searchFormToUrl } from './search-query';

describe('search URL state', () => {
  it('round-trips a form through the URL', () => {
    const f = {
      ...DEFAULT_SEARCH,
      service: 'cart',
      operation: 'GET /cart',
      tags: 'http.status_code=500 user="a b"',
      minDuration: '10ms',
      lookback: 'custom' as const,
      start: 1000,
      end: 2000,
      limit: 50,
      errorsOnly: true,
      orderBy: 'longest' as const,
    };
    expect(parseSearchForm(new URLSearchParams(searchFormToUrl(f).toString()))).toEqual(f);
  });

  it('keeps default values out of the URL', () => {
    expect(searchFormToUrl({ ...DEFAULT_SEARCH, service: 'cart' }).toString()).toBe('service=cart');
  });

  it('falls back to defaults for garbage', () => {
    const f = parseSearchForm(new URLSearchParams('limit=abc&lookback=forever&orderBy=x'));
    expect(f.limit).toBe(20);
    expect(f.lookback).toBe('1h');
    expect(f.orderBy).toBe('recent');
  });
});

describe('search API parameters', () => {
  it('sends tags as JSON and resolves the lookback', () => {
    const r = searchFormToApi({ ...DEFAULT_SEARCH, service: 's', tags: 'a=1 b="x y"', lookback: '15m' }, 1e12);
    expect(r.ok && r.value).toMatchObject({
      service: 's',
      tags: '{"a":"1","b":"x y"}',
      lookback: '15m',
      end: '1000000000000',
      start: String(1e12 - 15 * 60e6),
      limit: '20',
      orderBy: 'recent',
    });
  });

  it('names the field that is malformed', () => {
    const r = searchFormToApi({ ...DEFAULT_SEARCH, minDuration: 'fast' }, 0);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^minDuration/);
    const t = parseTags('novalue');
    expect(!t.ok && t.error).toMatch(/^tags: expected key=value/);
  });
});
