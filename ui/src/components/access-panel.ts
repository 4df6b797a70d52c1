// The access settings panel (the gear in the header): token and tenant for a
// secured Tracery, and the tenant badge beside the gear. Saving makes the new
// settings current (state/access-settings.ts); main.ts re-renders the view.
import { h } from './dom';
import { currentAccess, normalizeAccess, setAccess, validateAccess, type AccessSettings } from '../state/access-settings';

export interface AccessPanel {
  open(): void;
}

/**
 * Builds the panel as a <dialog> appended to document.body and wires `gear`
 * to open it. `badge` shows the current tenant, hidden when none is set.
 */
export function accessPanel(gear: HTMLElement, badge: HTMLElement): AccessPanel {
  // A password field so the token is not shown on screen or in screenshots;
  // autocomplete off so the browser does not offer to save it as a password.
  const token = h('input', { type: 'password', id: 'access-token', name: 'token', autocomplete: 'off', spellcheck: false, placeholder: 'paste a query token' });
  const tenant = h('input', { id: 'access-tenant', name: 'tenant', autocomplete: 'off', spellcheck: false, placeholder: 'e.g. acme (X-Scope-OrgID)' });
  const show = h('input', { type: 'checkbox', 'aria-label': 'show token' });
  show.addEventListener('change', () => (token.type = show.checked ? 'text' : 'password'));
  const problem = h('p', { class: 'access-problem', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary', 'data-test': 'access-save' }, 'Save');
  const clear = h('button', { type: 'button', class: 'secondary', 'data-test': 'access-clear' }, 'Forget');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h(
    'form',
    { class: 'access-form', method: 'dialog' },
    h('h2', {}, 'Access settings'),
    h(
      'p',
      { class: 'hint' },
      'For a Tracery started with --auth-tokens-file or --multi-tenancy. Sent as the Authorization: Bearer and X-Scope-OrgID headers on every API request to this server. ',
      h('strong', {}, 'The token is stored in this browser'),
      ' (localStorage, readable by anyone using this browser profile); use Forget on shared machines.',
    ),
    h('div', { class: 'field' }, h('label', { for: token.id }, 'Token'), token, h('label', { class: 'checkbox' }, show, ' Show')),
    h('div', { class: 'field' }, h('label', { for: tenant.id }, 'Tenant'), tenant),
    h('p', { class: 'hint' }, 'Leave the tenant empty to use the token’s own tenant.'),
    problem,
    h('div', { class: 'access-buttons' }, save, clear, cancel),
  );
  const dialog = h('dialog', { class: 'access-dialog', 'data-test': 'access-dialog', 'aria-label': 'Access settings' }, form);
  document.body.append(dialog);

  const showBadge = (s: AccessSettings) => {
    badge.hidden = !s.tenant;
    badge.textContent = s.tenant ? `tenant: ${s.tenant}` : '';
    gear.classList.toggle('has-token', s.token !== '');
    gear.title = s.token ? 'Access settings (token set)' : 'Access settings (no token)';
  };
  showBadge(currentAccess());

  const apply = (s: AccessSettings) => {
    try {
      setAccess(s);
    } catch {
      // localStorage full or disabled: the settings still hold for this page.
      problem.textContent = 'This browser refused to store the settings; they last until the page is closed.';
      problem.hidden = false;
    }
    showBadge(s);
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = normalizeAccess({ token: token.value, tenant: tenant.value });
    const bad = validateAccess(s);
    problem.hidden = bad === null;
    problem.textContent = bad ?? '';
    if (bad) return;
    apply(s);
    dialog.close();
  });
  clear.addEventListener('click', () => {
    token.value = '';
    tenant.value = '';
    apply({ token: '', tenant: '' });
    dialog.close();
  });
  cancel.addEventListener('click', () => dialog.close());
  // Do not keep the token in the DOM while the panel is closed.
  dialog.addEventListener('close', () => (token.value = ''));

  gear.addEventListener('click', () => panel.open());
  const panel: AccessPanel = {
    open() {
      const s = currentAccess();
      token.value = s.token;
      tenant.value = s.tenant;
      show.checked = false;
      token.type = 'password';
      problem.hidden = true;
      if (!dialog.open) dialog.showModal();
      (s.token ? tenant : token).focus();
    },
  };
  return panel;
}
