// Tiny DOM helpers. Never sets a `style` attribute (the CSP forbids inline styles).

type Child = Node | string | number | null | undefined | false;
export type Children = Child | readonly Children[];
type Handler = (event: never) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Handler>;

/** h("button", { class: "btn", "data-testid": "x", onclick: fn }, "Label") */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "style") throw new Error("inline styles are not allowed under the CSP");
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === "class") {
      el.className = String(value);
    } else if (key === "value" || key === "checked" || key === "indeterminate") {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Children): void {
  if (Array.isArray(children)) {
    for (const child of children as readonly Children[]) append(parent, child);
    return;
  }
  const child = children as Child;
  if (child === null || child === undefined || child === false) return;
  parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replaceChildren(el: Element, ...children: Children[]): void {
  clear(el);
  append(el, children);
}

/** A decorative glyph next to text, hidden from screen readers. */
export function icon(glyph: string): HTMLSpanElement {
  return h("span", { class: "icon", "aria-hidden": "true" }, glyph);
}

/**
 * Re-renders `container` and puts focus back on the element with the same data-key, so refreshing
 * a view never throws the keyboard user back to the top.
 */
export function keepFocus(container: Element, render: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset.key : undefined;
  render();
  if (key) {
    const again = container.querySelector<HTMLElement>(`[data-key="${attrEscape(key)}"]`);
    again?.focus();
  }
}

let uid = 0;
export function uniqueId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

export const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Escapes a value for use inside a double-quoted attribute selector. */
export function attrEscape(value: string): string {
  return value.replace(/["\\]/g, "\\$&");
}
