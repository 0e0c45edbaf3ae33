// Which rows of a long fixed-height list are on screen.

export type WindowInput = {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  overscan?: number;
};

export type ListWindow = {
  /** First rendered index. */
  start: number;
  /** One past the last rendered index. */
  end: number;
  /** Pixel offset of row `start`. */
  offset: number;
  /** Height of the whole list in pixels. */
  total: number;
};

export function computeWindow({ scrollTop, viewportHeight, rowHeight, count, overscan = 4 }: WindowInput): ListWindow {
  const h = rowHeight > 0 && Number.isFinite(rowHeight) ? rowHeight : 1;
  const n = Math.max(0, Math.floor(count));
  const total = n * h;
  if (n === 0) return { start: 0, end: 0, offset: 0, total: 0 };
  const view = Math.max(0, Number.isFinite(viewportHeight) ? viewportHeight : 0);
  const top = Math.min(Math.max(0, Number.isFinite(scrollTop) ? scrollTop : 0), Math.max(0, total - view));
  const first = Math.floor(top / h);
  const last = Math.ceil((top + view) / h); // exclusive
  const start = Math.max(0, first - overscan);
  const end = Math.min(n, Math.max(last, first + 1) + overscan);
  return { start, end, offset: start * h, total };
}

/** The scrollTop that brings row `index` fully into view, moving as little as possible. */
export function scrollTopFor(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}
