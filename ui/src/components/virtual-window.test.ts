import { describe, expect, it } from 'vitest';
import { scrollToRow, visibleWindow } from './virtual-window';

describe('visibleWindow', () => {
  it('renders only the rows in view plus overscan', () => {
    const w = visibleWindow({ scrollTop: 2400, viewportHeight: 480, rowHeight: 24, rowCount: 100_000, overscan: 5 });
    expect(w).toEqual({ first: 95, last: 125, offsetTop: 95 * 24, totalHeight: 2_400_000 });
  });

  it('clamps at both ends', () => {
    expect(visibleWindow({ scrollTop: -50, viewportHeight: 100, rowHeight: 20, rowCount: 3, overscan: 2 })).toEqual({
      first: 0,
      last: 3,
      offsetTop: 0,
      totalHeight: 60,
    });
    const end = visibleWindow({ scrollTop: 1e9, viewportHeight: 100, rowHeight: 20, rowCount: 1000, overscan: 0 });
    expect(end.last).toBe(1000);
    expect(end.first).toBe(995);
  });

  it('is empty for an empty list', () => {
    expect(visibleWindow({ scrollTop: 0, viewportHeight: 100, rowHeight: 20, rowCount: 0, overscan: 3 })).toMatchObject({
      first: 0,
      last: 0,
    });
  });
});

describe('scrollToRow', () => {
  it('scrolls only as far as needed', () => {
    expect(scrollToRow(5, 0, 200, 20)).toBe(0);
    expect(scrollToRow(20, 0, 200, 20)).toBe(220);
    expect(scrollToRow(2, 100, 200, 20)).toBe(40);
  });
});
