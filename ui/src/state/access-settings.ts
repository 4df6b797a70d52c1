// What the UI presents to a secured Tracery: a bearer token and a tenant
// (docs/security.md). Kept in the browser's localStorage under one key so a
// reload keeps them; the API client (api/client.ts) is the only reader that
// turns them into request headers.
//
// Contract: the token only ever leaves this module as the value of an
// `Authorization` header. It is never put in a URL, a DOM attribute or a log
// line; the settings panel shows it in a password field only.

export interface AccessSettings {
  /** Bearer token without the "Bearer " prefix; empty: send none. */
  token: string;
  /** X-Scope-OrgID; empty: send none (the server then uses the token's tenant). */
  tenant: string;
}

export const NO_ACCESS: AccessSettings = { token: '', tenant: '' };

/** The localStorage key. Changing it forgets every user's settings. */
export const STORAGE_KEY = 'tracery.access';

/** The subset of the Web Storage API this module uses (tests pass a Map-backed one). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The same rule as the server's tenant ids: they name a directory. */
const TENANT_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Why `s` cannot be sent, or null when it can. A header value cannot hold
 * control characters (fetch throws) and the server refuses a bad tenant id
 * with 400, so both are caught here with a message that says what to fix.
 */
export function validateAccess(s: AccessSettings): string | null {
  if (s.token && !/^[\x21-\x7e]+$/.test(s.token)) {
    return 'Token: printable ASCII without spaces (paste the token only, without "Bearer ").';
  }
  if (s.tenant && (!TENANT_RE.test(s.tenant) || s.tenant === '.' || s.tenant === '..')) {
    return 'Tenant: 1 to 64 characters from A-Z a-z 0-9 _ . - (not "." or "..").';
  }
  return null;
}

/** Trims what a person pastes; a leading "Bearer " is dropped. */
export function normalizeAccess(s: AccessSettings): AccessSettings {
  return { token: s.token.trim().replace(/^Bearer\s+/i, ''), tenant: s.tenant.trim() };
}

/** Headers that present `s` to the server; empty fields add nothing. */
export function accessHeaders(s: AccessSettings): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.token) out.Authorization = `Bearer ${s.token}`;
  if (s.tenant) out['X-Scope-OrgID'] = s.tenant;
  return out;
}

/** Reads the stored settings; anything unreadable or invalid reads as none. */
export function readAccess(storage: KeyValueStorage | undefined): AccessSettings {
  if (!storage) return NO_ACCESS;
  let raw: string | null;
  try {
    raw = storage.getItem(STORAGE_KEY);
  } catch {
    return NO_ACCESS; // storage disabled by the browser's privacy settings
  }
  if (!raw) return NO_ACCESS;
  try {
    const v = JSON.parse(raw) as Partial<AccessSettings>;
    const s = { token: typeof v.token === 'string' ? v.token : '', tenant: typeof v.tenant === 'string' ? v.tenant : '' };
    return validateAccess(s) === null ? s : NO_ACCESS;
  } catch {
    return NO_ACCESS;
  }
}

/** Stores `s` (removes the entry when both fields are empty). Throws when storage refuses. */
export function writeAccess(storage: KeyValueStorage, s: AccessSettings): void {
  if (!s.token && !s.tenant) storage.removeItem(STORAGE_KEY);
  else storage.setItem(STORAGE_KEY, JSON.stringify({ token: s.token, tenant: s.tenant }));
}

function browserStorage(): KeyValueStorage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

let current: AccessSettings | null = null;
const listeners = new Set<(s: AccessSettings) => void>();

/** The settings in effect (read from localStorage once, then cached). */
export function currentAccess(): AccessSettings {
  current ??= readAccess(browserStorage());
  return current;
}

/**
 * Makes `s` the settings in effect and tells the listeners, then stores them.
 * Throws when the browser refuses to store them; they are in effect anyway
 * (until the page is closed). `storage` is for tests; the default is localStorage.
 */
export function setAccess(s: AccessSettings, storage: KeyValueStorage | undefined = browserStorage()): void {
  current = { token: s.token, tenant: s.tenant };
  for (const l of listeners) l(current);
  if (storage) writeAccess(storage, current);
}

/** Calls `fn` after every setAccess; returns the unsubscribe function. */
export function onAccessChange(fn: (s: AccessSettings) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
