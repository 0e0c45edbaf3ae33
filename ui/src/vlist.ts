// A virtualized list: only the rows on screen (plus a few) are in the DOM. Rows have a fixed
// height in rem, converted to pixels from the root font size, so zooming keeps it exact.
import { h } from "./dom";
import { computeWindow, scrollTopFor } from "./virtual";

export type VirtualListOptions<T> = {
  label: string;
  rowRem: number;
  key: (item: T) => string;
  render: (item: T, index: number) => HTMLElement;
  activate: (item: T) => void;
  overscan?: number;
};

export class VirtualList<T> {
  readonly el: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: readonly T[] = [];
  private rows = new Map<string, { el: HTMLElement; item: T; index: number }>();
  private active = 0;
  private rowPx = 0;
  private frame = 0;

  constructor(private readonly options: VirtualListOptions<T>) {
    this.spacer = h("div", { class: "vlist-spacer" });
    this.el = h("div", { class: "vlist", role: "listbox", "aria-label": options.label }, this.spacer);
    this.el.addEventListener("scroll", () => this.schedule());
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    this.el.addEventListener("click", (e) => this.onClick(e));
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(() => this.schedule(true)).observe(this.el);
    }
    window.addEventListener("resize", () => this.schedule(true));
  }

  setItems(items: readonly T[]): void {
    this.items = items;
    if (this.active >= items.length) this.active = Math.max(0, items.length - 1);
    this.draw(true);
  }

  /** Scroll back to the top (after a new search). */
  reset(): void {
    this.active = 0;
    this.el.scrollTop = 0;
    this.draw();
  }

  private measure(): number {
    const root = typeof getComputedStyle === "function" ? parseFloat(getComputedStyle(document.documentElement).fontSize) : NaN;
    return this.options.rowRem * (Number.isFinite(root) && root > 0 ? root : 16);
  }

  private schedule(remeasure = false): void {
    if (remeasure) this.rowPx = 0;
    if (this.frame) return;
    const raf = typeof requestAnimationFrame === "function" ? requestAnimationFrame : (cb: () => void) => setTimeout(cb, 16);
    this.frame = raf(() => {
      this.frame = 0;
      this.draw();
    }) as unknown as number;
  }

  private draw(refresh = false): void {
    if (!this.rowPx) this.rowPx = this.measure();
    const rowPx = this.rowPx;
    const viewport = this.el.clientHeight || rowPx * 12;
    const win = computeWindow({
      scrollTop: this.el.scrollTop,
      viewportHeight: viewport,
      rowHeight: rowPx,
      count: this.items.length,
      overscan: this.options.overscan ?? 6,
    });
    this.spacer.style.height = `${win.total}px`;
    const wanted = new Set<number>();
    for (let i = win.start; i < win.end; i++) wanted.add(i);
    // The active row always stays in the DOM, so the list keeps exactly one tab stop.
    if (this.items.length > 0) wanted.add(this.active);

    const focusedKey = this.focusedKey();
    const next = new Map<string, { el: HTMLElement; item: T; index: number }>();
    for (const index of [...wanted].sort((a, b) => a - b)) {
      const item = this.items[index];
      if (item === undefined) continue;
      const key = this.options.key(item);
      let row = this.rows.get(key);
      if (!row || refresh || row.item !== item) {
        const el = this.options.render(item, index);
        el.setAttribute("role", "option");
        el.dataset.index = String(index);
        el.id = `vrow-${index}`;
        el.classList.add("vrow");
        if (row) row.el.replaceWith(el);
        else this.el.appendChild(el);
        row = { el, item, index };
      }
      row.index = index;
      const el = row.el;
      el.dataset.index = String(index);
      el.style.transform = `translateY(${index * rowPx}px)`;
      el.setAttribute("aria-setsize", String(this.items.length));
      el.setAttribute("aria-posinset", String(index + 1));
      el.setAttribute("aria-selected", index === this.active ? "true" : "false");
      el.tabIndex = index === this.active ? 0 : -1;
      next.set(key, row);
    }
    for (const [key, row] of this.rows) {
      if (!next.has(key) || next.get(key)?.el !== row.el) row.el.remove();
    }
    this.rows = next;
    if (focusedKey !== null) {
      const row = this.rows.get(focusedKey);
      if (row && document.activeElement !== row.el) row.el.focus({ preventScroll: true });
    }
  }

  private focusedKey(): string | null {
    for (const [key, row] of this.rows) if (row.el === document.activeElement) return key;
    return null;
  }

  private setActive(index: number, focus: boolean): void {
    if (this.items.length === 0) return;
    this.active = Math.max(0, Math.min(this.items.length - 1, index));
    const rowPx = this.rowPx || this.measure();
    this.el.scrollTop = scrollTopFor(this.active, this.el.scrollTop, this.el.clientHeight || rowPx * 12, rowPx);
    this.draw();
    if (focus) {
      const item = this.items[this.active];
      if (item !== undefined) this.rows.get(this.options.key(item))?.el.focus({ preventScroll: true });
    }
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor((this.el.clientHeight || 1) / (this.rowPx || 1)) - 1);
    const moves: Record<string, number> = {
      ArrowDown: this.active + 1,
      ArrowUp: this.active - 1,
      Home: 0,
      End: this.items.length - 1,
      PageDown: this.active + page,
      PageUp: this.active - page,
    };
    if (e.key in moves) {
      e.preventDefault();
      this.setActive(moves[e.key] as number, true);
    } else if (e.key === "Enter" || e.key === " ") {
      const row = (e.target as HTMLElement).closest<HTMLElement>(".vrow");
      if (!row) return;
      e.preventDefault();
      this.activateRow(row);
    }
  }

  private onClick(e: MouseEvent): void {
    const row = (e.target as HTMLElement).closest<HTMLElement>(".vrow");
    if (row) this.activateRow(row);
  }

  private activateRow(row: HTMLElement): void {
    const index = Number(row.dataset.index);
    const item = this.items[index];
    if (item === undefined) return;
    this.active = index;
    this.draw();
    this.options.activate(item);
  }
}
