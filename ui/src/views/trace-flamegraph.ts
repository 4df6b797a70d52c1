// Flame graph (icicle) of one trace, from its own span tree: spans are merged
// by their service:operation path from the root and weighted by time. Canvas;
// click a frame to zoom into it, click the top frame to zoom out.
import { h, sizeCanvas } from '../components/dom';
import { formatDurationUs } from '../components/duration';
import { serviceColor } from '../components/service-colors';
import type { SpanNode, TraceTree } from '../model/trace-tree';
import type { TraceSubview, TraceViewContext } from './trace-context';

const FRAME_HEIGHT_PX = 20;

export interface FlameFrame {
  service: string;
  operation: string;
  totalUs: number;
  selfUs: number;
  count: number;
  children: FlameFrame[];
  parent: FlameFrame | null;
  depth: number;
}

/** Merges spans by service:operation path. Self time = duration minus children's (clamped at 0). */
export function buildFlameTree(tree: TraceTree): FlameFrame {
  const root: FlameFrame = { service: '', operation: 'trace', totalUs: tree.durationUs, selfUs: 0, count: 1, children: [], parent: null, depth: 0 };
  const frameOf = new Map<SpanNode, FlameFrame>();
  const index = new Map<FlameFrame, Map<string, FlameFrame>>();
  for (const n of tree.nodes) {
    // Depth-first order guarantees the parent's frame exists already.
    const parentFrame = n.parent ? frameOf.get(n.parent)! : root;
    let kids = index.get(parentFrame);
    if (!kids) index.set(parentFrame, (kids = new Map()));
    const k = `${n.service}\u0000${n.operation}`;
    let f = kids.get(k);
    if (!f) {
      f = { service: n.service, operation: n.operation, totalUs: 0, selfUs: 0, count: 0, children: [], parent: parentFrame, depth: parentFrame.depth + 1 };
      kids.set(k, f);
      parentFrame.children.push(f);
    }
    f.totalUs += n.durationUs;
    f.count++;
    let childSum = 0;
    for (const c of n.children) childSum += c.durationUs;
    f.selfUs += Math.max(0, n.durationUs - childSum);
    frameOf.set(n, f);
  }
  const sortRec = (f: FlameFrame) => {
    f.children.sort((a, b) => b.totalUs - a.totalUs);
    f.children.forEach(sortRec);
  };
  // Iterative would be safer for pathological depth; frames merge by path so
  // depth equals the trace depth, and Chrome's stack handles ~10k frames.
  if (tree.maxDepth < 5000) sortRec(root);
  return root;
}

export function mountFlamegraph(container: HTMLElement, ctx: TraceViewContext): TraceSubview {
  const rootFrame = buildFlameTree(ctx.tree);
  let focus = rootFrame;
  const canvas = h('canvas', { class: 'flame-canvas', 'data-test': 'flame-canvas' });
  const crumbs = h('div', { class: 'flame-crumbs muted' });
  const wrap = h('div', { class: 'flame-wrap' }, canvas);
  container.append(h('div', { class: 'flame', 'data-test': 'flame' }, crumbs, wrap));

  interface Placed {
    f: FlameFrame;
    x: number;
    w: number;
    y: number;
  }
  let placed: Placed[] = [];

  const draw = () => {
    const width = wrap.clientWidth || 900;
    let maxDepth = 0;
    placed = [];
    const stack: { f: FlameFrame; x: number; w: number }[] = [{ f: focus, x: 0, w: width }];
    while (stack.length) {
      const { f, x, w } = stack.pop()!;
      const d = f.depth - focus.depth;
      maxDepth = Math.max(maxDepth, d);
      placed.push({ f, x, w, y: d * FRAME_HEIGHT_PX });
      const sum = f.children.reduce((a, c) => a + c.totalUs, 0);
      const denom = Math.max(f.totalUs, sum, 1);
      let cx = x;
      for (const c of f.children) {
        const cw = (c.totalUs / denom) * w;
        if (cw >= 0.5) stack.push({ f: c, x: cx, w: cw });
        cx += cw;
      }
    }
    const height = (maxDepth + 1) * FRAME_HEIGHT_PX + 2;
    const g = sizeCanvas(canvas, width, height);
    g.font = '11px system-ui, sans-serif';
    for (const p of placed) {
      g.fillStyle = p.f.parent ? serviceColor(p.f.service) : '#8a94a6';
      g.fillRect(p.x, p.y, Math.max(0.5, p.w - 1), FRAME_HEIGHT_PX - 1);
      if (p.w > 40) {
        g.fillStyle = '#fff';
        const label = p.f.parent ? `${p.f.service}: ${p.f.operation}` : `${ctx.tree.name} (${formatDurationUs(p.f.totalUs)})`;
        g.fillText(label, p.x + 4, p.y + 14, p.w - 8);
      }
    }
    crumbs.textContent = focus === rootFrame ? 'Click a frame to zoom in. Width = time spent, merged by call path.' : `Zoomed into ${focus.service}: ${focus.operation} — click the top frame to zoom out.`;
  };

  const hit = (e: MouseEvent): FlameFrame | null => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    for (const p of placed) if (x >= p.x && x < p.x + p.w && y >= p.y && y < p.y + FRAME_HEIGHT_PX) return p.f;
    return null;
  };
  canvas.addEventListener('click', (e) => {
    const f = hit(e);
    if (!f) return;
    focus = f === focus && f.parent ? f.parent : f;
    draw();
  });
  canvas.addEventListener('mousemove', (e) => {
    const f = hit(e);
    canvas.title = f ? `${f.service || 'trace'}: ${f.operation}\ntotal ${formatDurationUs(f.totalUs)}, self ${formatDurationUs(f.selfUs)}, ${f.count} span(s)` : '';
  });
  const ro = new ResizeObserver(() => draw());
  ro.observe(wrap);
  draw();
  return { refresh: () => {}, dispose: () => ro.disconnect() };
}
