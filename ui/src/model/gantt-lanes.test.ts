import { describe, expect, it } from 'vitest';
import { assignLanes } from './gantt-lanes';

describe('assignLanes', () => {
  it('uses as many lanes as intervals overlap at most', () => {
    const r = assignLanes([
      { startUs: 0, endUs: 10 },
      { startUs: 2, endUs: 5 },
      { startUs: 3, endUs: 4 },
      { startUs: 6, endUs: 9 },
    ]);
    expect(r.laneCount).toBe(3);
    expect(Array.from(r.lane)).toEqual([0, 1, 2, 1]);
  });

  it('lets an interval reuse a lane that ends exactly at its start', () => {
    const r = assignLanes([
      { startUs: 0, endUs: 5 },
      { startUs: 5, endUs: 8 },
    ]);
    expect(r.laneCount).toBe(1);
  });

  it('never puts overlapping intervals in the same lane', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const iv = Array.from({ length: 2000 }, () => {
      const s = Math.floor(rnd() * 1000);
      return { startUs: s, endUs: s + Math.floor(rnd() * 50) };
    });
    const { lane } = assignLanes(iv);
    const byLane = new Map<number, typeof iv>();
    iv.forEach((x, i) => byLane.set(lane[i], [...(byLane.get(lane[i]) ?? []), x]));
    for (const list of byLane.values()) {
      list.sort((a, b) => a.startUs - b.startUs || a.endUs - b.endUs);
      for (let i = 1; i < list.length; i++) expect(list[i].startUs).toBeGreaterThanOrEqual(list[i - 1].endUs);
    }
  });

  it('returns no lanes for no intervals', () => {
    expect(assignLanes([]).laneCount).toBe(0);
  });
});
