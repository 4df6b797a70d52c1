// Entry point: routes URLs to views, intercepts same-origin links for
// client-side navigation, and owns the global `/` shortcut.
import './styles.css';
import { accessPanel } from './components/access-panel';
import { h, OPEN_ACCESS_SETTINGS } from './components/dom';
import { isTraceId, matchRoute, navigate, onNavigate, tracePath, type Route } from './router';
import { onAccessChange } from './state/access-settings';
import * as compare from './views/compare';
import * as errors from './views/errors';
import * as latency from './views/latency';
import * as search from './views/search';
import * as serviceMap from './views/service-map';
import * as trace from './views/trace';

type Mount = (root: HTMLElement, route: Route) => () => void;

const VIEWS: Record<Route['name'], { mount: Mount; nav: string; title: string }> = {
  search: { mount: search.mount, nav: 'search', title: 'Search' },
  trace: { mount: trace.mount, nav: '', title: 'Trace' },
  compare: { mount: compare.mount, nav: 'compare', title: 'Compare traces' },
  'compare-groups': { mount: compare.mount, nav: 'compare', title: 'Compare groups' },
  map: { mount: serviceMap.mount, nav: 'map', title: 'Service map' },
  latency: { mount: latency.mount, nav: 'latency', title: 'Latency' },
  errors: { mount: errors.mount, nav: 'errors', title: 'Errors' },
  'not-found': {
    mount: (root, route) => {
      root.append(h('div', { class: 'placeholder' }, `No page at ${route.name === 'not-found' ? route.path : ''}. `, h('a', { href: '/search' }, 'Go to search')));
      return () => {};
    },
    nav: '',
    title: 'Not found',
  },
};

const app = document.getElementById('app')!;
let dispose: () => void = () => {};

function render() {
  dispose();
  const route = matchRoute(location.pathname, location.search);
  const view = VIEWS[route.name];
  document.title = `${view.title} — Tracery`;
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', (a as HTMLElement).dataset.nav === view.nav));
  const root = h('div', { class: `view view-${route.name}` });
  app.replaceChildren(root);
  dispose = view.mount(root, route);
}

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || a.getAttribute('href') === '#') return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (e.key !== '/' || e.ctrlKey || e.metaKey || (t && ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return;
  e.preventDefault();
  const target = document.querySelector<HTMLElement>('[data-hotkey="search"]');
  if (target) target.focus();
  else navigate('/search');
});

document.getElementById('trace-jump')!.addEventListener('submit', (e) => {
  e.preventDefault();
  const input = (e.target as HTMLFormElement).elements.namedItem('id') as HTMLInputElement;
  const id = input.value.trim();
  if (isTraceId(id)) {
    input.value = '';
    navigate(tracePath(id));
  } else input.setCustomValidity('A trace ID is 1–32 hex digits'), input.reportValidity();
});

// New credentials can change every answer (another tenant, or access at all):
// show the current page again with them.
const settings = accessPanel(document.getElementById('access-gear')!, document.getElementById('tenant-badge')!);
window.addEventListener(OPEN_ACCESS_SETTINGS, () => settings.open());
onAccessChange(() => render());

onNavigate(render);
if (location.pathname === '/') navigate('/search', { replace: true, silent: true });
render();
