// Small DOM builders so views read as structure, not as createElement calls.
import { ApiError } from '../api/client';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

function apply(el: Element, attrs: Attrs | undefined, children: Child[]): void {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs, children);
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

export function loadingBox(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'placeholder loading' }, text);
}

/** Dispatched on window to open the access settings panel (main.ts listens). */
export const OPEN_ACCESS_SETTINGS = 'tracery:open-access-settings';

/**
 * An error for the user. A 401/403 from the API says what is wrong and how to
 * fix it (the access settings) instead of only the server's message, so a
 * secured server never looks like an empty one.
 */
export function errorBox(err: unknown): HTMLElement {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof ApiError && err.isAuthError) {
    const open = h('button', { type: 'button', class: 'primary', 'data-test': 'open-access-settings' }, 'Open access settings');
    open.addEventListener('click', () => window.dispatchEvent(new Event(OPEN_ACCESS_SETTINGS)));
    const what =
      err.status === 401
        ? 'This Tracery requires a token (and, with multi-tenancy, a tenant).'
        : 'The token is not allowed to read this tenant’s traces.';
    return h(
      'div',
      { class: 'error-box auth-error', role: 'alert', 'data-test': 'auth-error' },
      h('strong', {}, err.status === 401 ? 'Not signed in' : 'Access denied'),
      h('p', {}, `${what} Set them in the access settings (the gear at the top right).`),
      h('p', { class: 'server-msg' }, `Server said (HTTP ${err.status}): ${msg}`),
      open,
    );
  }
  return h('div', { class: 'error-box', role: 'alert' }, msg);
}

export function emptyBox(text: string): HTMLElement {
  return h('div', { class: 'placeholder empty' }, text);
}

/** Canvas sized for the device pixel ratio; returns the 2D context scaled to CSS px. */
export function sizeCanvas(canvas: HTMLCanvasElement, widthPx: number, heightPx: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(widthPx * dpr));
  canvas.height = Math.max(1, Math.round(heightPx * dpr));
  canvas.style.width = `${widthPx}px`;
  canvas.style.height = `${heightPx}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;
}

export function num(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(x >= 10 ? 1 : 2).replace(/\.?0+$/, '') || '0';
}
