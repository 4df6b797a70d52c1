// Gantt view: parallel execution in lanes, one lane per concurrently-running
// span, grouped per service. Drawn on a canvas that covers only the viewport
// (a spacer gives the scroll height), so lane count does not cost DOM nodes.
import { niceTicks } from '../components/charts';
import { h, sizeCanvas } from '../components/dom';
import { formatDurationUs } from '../components/duration';
import { ERROR_COLOR, serviceColor } from '../components/service-colors';
import { assignLanes } from '../model/gantt-lanes';
import type { SpanNode } from '../model/trace-tree';
import type { TraceSubview, TraceViewContext } from './trace-context';

const LANE_HEIGHT_PX = 18;
const LABEL_WIDTH_PX = 170;
const AXIS_HEIGHT_PX = 22;

interface LaneRow {
  service: string;
  firstOfService: boolean;
  laneCountOfService: number;
  spans: SpanNode[]; // sorted by start
}

export function buildGanttRows(nodes: readonly SpanNode[]): LaneRow[] {
  const byService = new Map<string, SpanNode[]>();
  for (const n of nodes) {
    let list = byService.get(n.service);
    if (!list) byService.set(n.service, (list = []));
    list.push(n);
  }
  const rows: LaneRow[] = [];
  for (const [service, spans] of byService) {
    const { lane, laneCount } = assignLanes(spans);
    const lanes: SpanNode[][] = Array.from({ length: laneCount }, () => []);
    spans.forEach((sp, i) => lanes[lane[i]].push(sp));
    lanes.forEach((l, i) => {
      l.sort((a, b) => a.startUs - b.startUs);
      rows.push({ service, firstOfService: i === 0, laneCountOfService: laneCount, spans: l });
    });
  }
  return rows;
}

export function mountGantt(container: HTMLElement, ctx: TraceViewContext): TraceSubview {
  const tree = ctx.tree;
  const rows = buildGanttRows(tree.nodes);
  const canvas = h('canvas', { class: 'gantt-canvas', 'data-test': 'gantt-canvas' });
  const spacer = h('div', { class: 'gantt-spacer', style: `height:${rows.length * LANE_HEIGHT_PX + AXIS_HEIGHT_PX}px` });
  const scroller = h('div', { class: 'gantt-scroll' }, h('div', { class: 'gantt-sticky' }, canvas), spacer);
  const info = h('div', { class: 'muted gantt-info' }, `${rows.length} lanes across ${tree.services.size} services — the number of lanes of a service is how many of its spans ran at once at the peak.`);
  container.append(h('div', { class: 'gantt', 'data-test': 'gantt' }, info, scroller));

  const span = Math.max(1, tree.durationUs);
  let width = 0;
  const xOf = (us: number) => LABEL_WIDTH_PX + ((us - tree.startUs) / span) * (width - LABEL_WIDTH_PX - 10);

  const draw = () => {
    width = scroller.clientWidth || 900;
    const height = Math.min(scroller.clientHeight || 600, rows.length * LANE_HEIGHT_PX + AXIS_HEIGHT_PX);
    const g = sizeCanvas(canvas, width, height);
    g.clearRect(0, 0, width, height);
    g.font = '11px system-ui, sans-serif';
    const top = scroller.scrollTop;
    const first = Math.floor(top / LANE_HEIGHT_PX);
    const last = Math.min(rows.length, Math.ceil((top + height) / LANE_HEIGHT_PX));
    for (let r = first; r < last; r++) {
      const row = rows[r];
      const y = AXIS_HEIGHT_PX + r * LANE_HEIGHT_PX - top;
      if (row.firstOfService) {
        g.fillStyle = '#e3e7ee';
        g.fillRect(0, y, width, 1);
        g.fillStyle = '#222';
        g.fillText(`${row.service} (${row.laneCountOfService})`, 6, y + 13, LABEL_WIDTH_PX - 10);
      }
      const color = serviceColor(row.service);
      // Only spans intersecting the visible time range are drawn; all are, here.
      for (const n of row.spans) {
        const x0 = xOf(n.startUs);
        const w = Math.max(1, xOf(n.endUs) - x0);
        g.fillStyle = n.isError ? ERROR_COLOR : color;
        g.fillRect(x0, y + 3, w, LANE_HEIGHT_PX - 6);
        if (n.key === ctx.selectedKey) {
          g.strokeStyle = '#111';
          g.lineWidth = 2;
          g.strokeRect(x0 - 1, y + 2, w + 2, LANE_HEIGHT_PX - 4);
        }
        if (w > 60) {
          g.fillStyle = '#fff';
          g.fillText(n.operation, x0 + 4, y + 13, w - 8);
        }
      }
    }
    // Time axis on top, over the lanes.
    g.fillStyle = '#f7f8fa';
    g.fillRect(0, 0, width, AXIS_HEIGHT_PX);
    g.fillStyle = '#555';
    for (const t of niceTicks(0, span, 6)) {
      const x = xOf(tree.startUs + t);
      g.fillRect(x, AXIS_HEIGHT_PX - 5, 1, 5);
      g.fillText(formatDurationUs(t), x + 3, 14);
    }
  };

  let frame = 0;
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(() => ((frame = 0), draw()));
  };
  scroller.addEventListener('scroll', schedule, { passive: true });
  const ro = new ResizeObserver(schedule);
  ro.observe(scroller);

  const hit = (e: MouseEvent): SpanNode | null => {
    const rect = canvas.getBoundingClientRect();
    const y = e.clientY - rect.top - AXIS_HEIGHT_PX + scroller.scrollTop;
    const row = rows[Math.floor(y / LANE_HEIGHT_PX)];
    if (!row || y < 0) return null;
    const us = tree.startUs + ((e.clientX - rect.left - LABEL_WIDTH_PX) / (width - LABEL_WIDTH_PX - 10)) * span;
    const tol = (span / width) * 2;
    // Binary search the lane (spans in a lane do not overlap).
    let lo = 0;
    let hi = row.spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const n = row.spans[mid];
      if (n.endUs + tol < us) lo = mid + 1;
      else if (n.startUs - tol > us) hi = mid - 1;
      else return n;
    }
    return null;
  };
  canvas.addEventListener('click', (e) => {
    const n = hit(e);
    if (n) ctx.select(n.key);
  });
  canvas.addEventListener('mousemove', (e) => {
    const n = hit(e);
    canvas.title = n ? `${n.service}: ${n.operation} — ${formatDurationUs(n.durationUs)}` : '';
    canvas.style.cursor = n ? 'pointer' : 'default';
  });
  draw();
  return {
    refresh: schedule,
    dispose() {
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
