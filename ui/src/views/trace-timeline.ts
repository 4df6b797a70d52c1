// The waterfall timeline: one row per span (collapsible subtrees), a time
// ruler, bars coloured by service, error markers and critical-path overlay.
// Virtualised: only the rows in view (plus overscan) exist in the DOM, so a
// 100,000-span trace scrolls as smoothly as a 10-span one. Keyboard: j/k move
// the selection, Enter collapses/expands, Esc closes the details.
import { h } from '../components/dom';
import { formatDurationUs } from '../components/duration';
import { niceTicks } from '../components/charts';
import { serviceColor } from '../components/service-colors';
import { scrollToRow, visibleWindow } from '../components/virtual-window';
import { visibleRows, type SpanNode } from '../model/trace-tree';
import type { TraceSubview, TraceViewContext } from './trace-context';

const ROW_HEIGHT_PX = 26;
const OVERSCAN_ROWS = 8;
const INDENT_PX = 14;

export function mountTimeline(container: HTMLElement, ctx: TraceViewContext): TraceSubview {
  const tree = ctx.tree;
  const collapsed = new Set<string>();
  let rows: SpanNode[] = visibleRows(tree, collapsed);
  const rowIndexOf = () => {
    const m = new Map<string, number>();
    rows.forEach((r, i) => m.set(r.key, i));
    return m;
  };
  let indexOfKey = collapsed.size ? rowIndexOf() : null; // null: row index == node index

  const ruler = h('div', { class: 'tl-ruler' });
  const spacer = h('div', { class: 'tl-spacer' });
  const rowsEl = h('div', { class: 'tl-rows', role: 'tree' });
  const body = h('div', { class: 'tl-body', tabindex: 0 }, spacer, rowsEl);
  container.append(h('div', { class: 'timeline', 'data-test': 'timeline' }, ruler, body));

  const span = Math.max(1, tree.durationUs);
  const pctOf = (us: number) => ((us - tree.startUs) / span) * 100;

  const ticks = niceTicks(0, span, 5);
  ruler.append(
    h('div', { class: 'tl-label-col' }, 'Service & operation'),
    h('div', { class: 'tl-bar-col' }, ...ticks.map((t) => h('span', { class: 'tick', style: `left:${(t / span) * 100}%` }, formatDurationUs(t)))),
  );

  const rowOf = (key: string | null): number => {
    if (key === null) return -1;
    if (!indexOfKey) return tree.byKey.get(key)?.index ?? -1;
    return indexOfKey.get(key) ?? -1;
  };

  let frame = 0;
  const render = () => {
    frame = 0;
    const w = visibleWindow({ scrollTop: body.scrollTop, viewportHeight: body.clientHeight || 600, rowHeight: ROW_HEIGHT_PX, rowCount: rows.length, overscan: OVERSCAN_ROWS });
    spacer.style.height = `${w.totalHeight}px`;
    rowsEl.style.transform = `translateY(${w.offsetTop}px)`;
    const out: HTMLElement[] = [];
    for (let i = w.first; i < w.last; i++) out.push(renderRow(rows[i]));
    rowsEl.replaceChildren(...out);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  const renderRow = (n: SpanNode): HTMLElement => {
    const hasKids = n.children.length > 0;
    const isCollapsed = collapsed.has(n.key);
    const selected = n.key === ctx.selectedKey;
    const onPath = ctx.showCritical && ctx.critical?.segments.has(n.key);
    const toggle = hasKids
      ? h('button', { class: 'tl-toggle', 'aria-label': isCollapsed ? 'Expand' : 'Collapse', 'data-key': n.key }, isCollapsed ? '▸' : '▾')
      : h('span', { class: 'tl-toggle leaf' });
    const color = serviceColor(n.service);
    const bar = h('div', { class: `tl-bar${n.isError ? ' error' : ''}`, style: `left:${pctOf(n.startUs)}%;width:max(2px,${(n.durationUs / span) * 100}%);background:${color}` });
    const barCell = h('div', { class: 'tl-bar-col' }, bar);
    if (onPath) {
      for (const [s, e] of ctx.critical!.segments.get(n.key)!) {
        barCell.append(h('div', { class: 'tl-critical', style: `left:${pctOf(s)}%;width:max(2px,${((e - s) / span) * 100}%)` }));
      }
    }
    const endPct = pctOf(n.endUs);
    barCell.append(
      h('span', { class: endPct > 85 ? 'tl-dur inside' : 'tl-dur', style: endPct > 85 ? `right:${100 - endPct + 0.3}%` : `left:${endPct + 0.5}%` }, formatDurationUs(n.durationUs)),
    );
    return h(
      'div',
      {
        class: `tl-row${selected ? ' selected' : ''}${onPath ? ' critical' : ''}`,
        'data-key': n.key,
        role: 'treeitem',
        'aria-expanded': hasKids ? String(!isCollapsed) : undefined,
        'aria-selected': selected ? 'true' : undefined,
      },
      h(
        'div',
        { class: 'tl-label-col', style: `padding-left:${6 + Math.min(n.depth, 40) * INDENT_PX}px` },
        toggle,
        h('span', { class: 'swatch', style: `background:${color}` }),
        n.isError && h('span', { class: 'err-dot', title: 'error' }, '!'),
        h('span', { class: 'tl-service' }, n.service),
        h('span', { class: 'tl-op' }, n.operation),
        n.children.length > 0 && isCollapsed && h('span', { class: 'muted' }, ` (${n.subtreeEnd - n.index - 1})`),
      ),
      barCell,
    );
  };

  const toggleCollapse = (key: string) => {
    if (collapsed.has(key)) collapsed.delete(key);
    else collapsed.add(key);
    rows = visibleRows(tree, collapsed);
    indexOfKey = collapsed.size ? rowIndexOf() : null;
    render();
  };

  rowsEl.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const toggleBtn = target.closest('.tl-toggle[data-key]') as HTMLElement | null;
    if (toggleBtn) {
      toggleCollapse(toggleBtn.dataset.key!);
      return;
    }
    const row = target.closest('.tl-row') as HTMLElement | null;
    if (row) ctx.select(row.dataset.key!);
  });
  body.addEventListener('scroll', schedule, { passive: true });
  const ro = new ResizeObserver(schedule);
  ro.observe(body);

  const reveal = (key: string) => {
    // Expand collapsed ancestors so the selected span has a row.
    let p = tree.byKey.get(key)?.parent;
    let changed = false;
    while (p) {
      if (collapsed.delete(p.key)) changed = true;
      p = p.parent;
    }
    if (changed) {
      rows = visibleRows(tree, collapsed);
      indexOfKey = collapsed.size ? rowIndexOf() : null;
    }
    const r = rowOf(key);
    if (r >= 0) body.scrollTop = scrollToRow(r, body.scrollTop, body.clientHeight, ROW_HEIGHT_PX);
  };

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const cur = rowOf(ctx.selectedKey);
    if (e.key === 'j' || e.key === 'k') {
      const next = cur < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, cur + (e.key === 'j' ? 1 : -1)));
      if (rows[next]) ctx.select(rows[next].key);
      e.preventDefault();
    } else if (e.key === 'Enter' && cur >= 0 && rows[cur].children.length) {
      toggleCollapse(rows[cur].key);
      e.preventDefault();
    } else if (e.key === 'Escape') {
      ctx.select(null);
    }
  };
  document.addEventListener('keydown', onKey);

  render();
  return {
    refresh() {
      if (ctx.selectedKey) reveal(ctx.selectedKey);
      render();
    },
    dispose() {
      document.removeEventListener('keydown', onKey);
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
