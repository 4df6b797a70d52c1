// Lane assignment for the Gantt view: each interval goes to the lowest-numbered
// lane that is free at its start, so the number of lanes equals the maximum
// number of intervals running at once. O(n log n): a min-heap of free lanes and
// a min-heap of busy lanes keyed by end time. Pure.

export interface Interval {
  startUs: number;
  endUs: number;
}

export interface LaneAssignment {
  /** lane[i] is the lane of intervals[i]. */
  lane: Int32Array;
  laneCount: number;
}

class MinHeap {
  private a: number[] = [];
  private keyOf: (v: number) => number;
  constructor(keyOf: (v: number) => number) {
    this.keyOf = keyOf;
  }
  get size(): number {
    return this.a.length;
  }
  peek(): number {
    return this.a[0];
  }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keyOf(a[p]) <= this.keyOf(a[i])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.keyOf(a[l]) < this.keyOf(a[m])) m = l;
        if (r < a.length && this.keyOf(a[r]) < this.keyOf(a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * An interval ending exactly when another starts may share its lane.
 * Zero-length intervals still occupy their lane at their instant.
 */
export function assignLanes(intervals: readonly Interval[]): LaneAssignment {
  const n = intervals.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => intervals[x].startUs - intervals[y].startUs || intervals[x].endUs - intervals[y].endUs,
  );
  const lane = new Int32Array(n);
  const laneEnd: number[] = [];
  const busy = new MinHeap((l) => laneEnd[l]);
  const free = new MinHeap((l) => l);
  for (const i of order) {
    const { startUs, endUs } = intervals[i];
    while (busy.size && laneEnd[busy.peek()] <= startUs) free.push(busy.pop());
    let l: number;
    if (free.size) l = free.pop();
    else {
      l = laneEnd.length;
      laneEnd.push(0);
    }
    laneEnd[l] = Math.max(endUs, startUs);
    lane[i] = l;
    busy.push(l);
  }
  return { lane, laneCount: laneEnd.length };
}
