// Hand-drawn SVG charts: a time/duration scatter, a multi-series line chart and
// a sparkline. Scales are plain functions; no chart framework.
import { s } from './dom';
import { formatDurationUs, formatTimeOfDayUs } from './duration';

export type Scale = (v: number) => number;

export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export function logScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const l0 = Math.log(Math.max(d0, 1e-9));
  const l1 = Math.log(Math.max(d1, d0 * 1.0001, 1e-9));
  return (v) => r0 + ((Math.log(Math.max(v, 1e-9)) - l0) / (l1 - l0 || 1)) * (r1 - r0);
}

/** Evenly spaced "nice" tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

export interface ScatterPoint {
  xUs: number; // timestamp
  yUs: number; // duration
  error: boolean;
  label: string;
  onClick: () => void;
}

export function scatterPlot(points: ScatterPoint[], width: number, height: number): SVGSVGElement {
  const m = { l: 64, r: 40, t: 12, b: 28 };
  const root = s('svg', { class: 'chart scatter', width, height, viewBox: `0 0 ${width} ${height}` });
  if (!points.length) return root;
  let x0 = Math.min(...points.map((p) => p.xUs));
  let x1 = Math.max(...points.map((p) => p.xUs));
  if (x0 === x1) {
    x0 -= 1e6;
    x1 += 1e6;
  }
  const y1 = Math.max(...points.map((p) => p.yUs)) * 1.1 || 1;
  const x = linearScale(x0, x1, m.l, width - m.r);
  const y = linearScale(0, y1, height - m.b, m.t);
  for (const t of niceTicks(0, y1, 4)) {
    root.append(
      s('line', { x1: m.l, x2: width - m.r, y1: y(t), y2: y(t), class: 'grid' }),
      s('text', { x: m.l - 6, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, formatDurationUs(t)),
    );
  }
  for (const t of [x0, (x0 + x1) / 2, x1]) {
    root.append(s('text', { x: x(t), y: height - 8, class: 'tick', 'text-anchor': 'middle' }, formatTimeOfDayUs(t)));
  }
  for (const p of points) {
    const c = s('circle', {
      cx: x(p.xUs),
      cy: y(p.yUs),
      r: 5,
      class: p.error ? 'dot error' : 'dot',
      onclick: p.onClick,
    });
    c.append(s('title', {}, p.label));
    root.append(c);
  }
  return root;
}

export interface LineSeries {
  name: string;
  color: string;
  values: (number | null)[];
}

/** Lines over shared timestamps; y values in µs, formatted as durations. */
export function lineChart(tsUs: number[], series: LineSeries[], width: number, height: number): SVGSVGElement {
  const m = { l: 64, r: 90, t: 12, b: 28 };
  const root = s('svg', { class: 'chart lines', width, height, viewBox: `0 0 ${width} ${height}` });
  if (tsUs.length === 0) return root;
  const ymax = Math.max(1, ...series.flatMap((sr) => sr.values.filter((v): v is number => v !== null))) * 1.1;
  const x = linearScale(tsUs[0], tsUs[tsUs.length - 1], m.l, width - m.r);
  const y = linearScale(0, ymax, height - m.b, m.t);
  for (const t of niceTicks(0, ymax, 4)) {
    root.append(
      s('line', { x1: m.l, x2: width - m.r, y1: y(t), y2: y(t), class: 'grid' }),
      s('text', { x: m.l - 6, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, formatDurationUs(t)),
    );
  }
  const n = tsUs.length;
  for (const i of [0, Math.floor(n / 2), n - 1]) {
    root.append(s('text', { x: x(tsUs[i]), y: height - 8, class: 'tick', 'text-anchor': 'middle' }, formatTimeOfDayUs(tsUs[i])));
  }
  series.forEach((sr, k) => {
    let d = '';
    let pen = false;
    sr.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(tsUs[i]).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    root.append(s('path', { d, fill: 'none', stroke: sr.color, 'stroke-width': 2, class: 'series' }));
    // A point with no neighbour draws no line: mark it so a series with a
    // single bucket (or isolated buckets) is still visible.
    sr.values.forEach((v, i) => {
      const prev = i > 0 ? sr.values[i - 1] : null;
      const next = i + 1 < sr.values.length ? sr.values[i + 1] : null;
      if (v !== null && prev === null && next === null) {
        root.append(s('circle', { cx: x(tsUs[i]).toFixed(1), cy: y(v).toFixed(1), r: 3, fill: sr.color, class: 'series-point' }));
      }
    });
    root.append(s('rect', { x: width - m.r + 12, y: m.t + k * 18, width: 10, height: 10, fill: sr.color }));
    root.append(s('text', { x: width - m.r + 28, y: m.t + k * 18 + 9, class: 'legend' }, sr.name));
  });
  return root;
}

export function sparkline(values: number[], width: number, height: number, color = '#d62728'): SVGSVGElement {
  const root = s('svg', { class: 'sparkline', width, height, viewBox: `0 0 ${width} ${height}` });
  if (values.length === 0) return root;
  const max = Math.max(1, ...values);
  const bw = width / values.length;
  values.forEach((v, i) => {
    const bh = (v / max) * (height - 1);
    if (v > 0) root.append(s('rect', { x: i * bw, y: height - bh, width: Math.max(1, bw - 0.5), height: Math.max(1, bh), fill: color }));
  });
  return root;
}
