// Which rows of a fixed-row-height list are visible. Pure; used by every
// virtualised list (timeline rows, Gantt lanes) so only visible rows render.

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  rowCount: number;
  /** Extra rows rendered above and below to hide pop-in while scrolling. */
  overscan: number;
}

export interface WindowRange {
  /** First row to render (inclusive). */
  first: number;
  /** One past the last row to render. */
  last: number;
  /** Pixel offset of row `first` from the top of the list. */
  offsetTop: number;
  /** Total list height in pixels. */
  totalHeight: number;
}

export function visibleWindow(w: WindowInput): WindowRange {
  const rowHeight = Math.max(1, w.rowHeight);
  const rowCount = Math.max(0, Math.floor(w.rowCount));
  const totalHeight = rowCount * rowHeight;
  const maxScroll = Math.max(0, totalHeight - w.viewportHeight);
  const scrollTop = Math.min(Math.max(0, w.scrollTop || 0), maxScroll);
  const firstVisible = Math.floor(scrollTop / rowHeight);
  const lastVisible = Math.ceil((scrollTop + Math.max(0, w.viewportHeight)) / rowHeight);
  const first = Math.max(0, firstVisible - w.overscan);
  const last = Math.min(rowCount, lastVisible + w.overscan);
  return { first, last: Math.max(first, last), offsetTop: first * rowHeight, totalHeight };
}

/** scrollTop that brings `row` into view, or `current` if it already is. */
export function scrollToRow(row: number, current: number, viewportHeight: number, rowHeight: number): number {
  const top = row * rowHeight;
  if (top < current) return top;
  if (top + rowHeight > current + viewportHeight) return top + rowHeight - viewportHeight;
  return current;
}
