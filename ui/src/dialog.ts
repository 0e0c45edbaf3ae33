// Modal dialogs: focus moves in, stays in (Tab wraps), Escape closes, focus returns afterwards.
import { FOCUSABLE, h, uniqueId, type Children } from "./dom";

export type DialogHandle = {
  el: HTMLElement;
  body: HTMLElement;
  close: () => void;
  isOpen: () => boolean;
  setTitle: (title: string) => void;
};

export type DialogOptions = {
  title: string;
  testid: string;
  content?: Children;
  /** A wider dialog for details. */
  wide?: boolean;
  /** role="alertdialog" for confirmations. */
  alert?: boolean;
  describedBy?: string;
  onClose?: () => void;
  /** Where focus goes back on close; defaults to what had focus when the dialog opened. */
  returnFocus?: HTMLElement | null;
  /** Element to focus first; defaults to the first focusable control. */
  initialFocus?: (el: HTMLElement) => HTMLElement | null;
};

const stack: { handle: DialogHandle; backdrop: HTMLElement; returnTo: Element | null }[] = [];

function layer(): HTMLElement {
  let el = document.getElementById("dialogs");
  if (!el) {
    el = h("div", { id: "dialogs" });
    document.body.appendChild(el);
  }
  return el;
}

function appRoot(): HTMLElement | null {
  return document.getElementById("app");
}

function updateInert(): void {
  const root = appRoot();
  if (root) root.inert = stack.length > 0;
  stack.forEach((entry, i) => {
    entry.backdrop.inert = i !== stack.length - 1;
  });
}

export function openDialog(options: DialogOptions): DialogHandle {
  const titleId = uniqueId("dialog-title");
  const title = h("h2", { id: titleId, class: "dialog-title" }, options.title);
  const body = h("div", { class: "dialog-body" });
  const closeButton = h(
    "button",
    { type: "button", class: "icon-button dialog-close", "aria-label": "Close", title: "Close (Esc)" },
    "✕",
  );
  const el = h(
    "div",
    {
      class: `dialog${options.wide ? " dialog-wide" : ""}`,
      role: options.alert ? "alertdialog" : "dialog",
      "aria-modal": "true",
      "aria-labelledby": titleId,
      "aria-describedby": options.describedBy,
      "data-testid": options.testid,
      tabindex: "-1",
    },
    h("header", { class: "dialog-header" }, title, closeButton),
    body,
  );
  if (options.content) {
    const content = Array.isArray(options.content) ? options.content : [options.content];
    for (const c of content) if (c instanceof Node) body.appendChild(c);
  }
  const backdrop = h("div", { class: "backdrop" }, el);
  let open = true;

  const close = () => {
    if (!open) return;
    open = false;
    const index = stack.findIndex((entry) => entry.handle === handle);
    const entry = index >= 0 ? stack.splice(index, 1)[0] : undefined;
    backdrop.remove();
    updateInert();
    options.onClose?.();
    const target = entry?.returnTo;
    if (target instanceof HTMLElement && target.isConnected) target.focus();
    else {
      const top = stack[stack.length - 1];
      top?.handle.el.focus();
    }
  };

  const handle: DialogHandle = {
    el,
    body,
    close,
    isOpen: () => open,
    setTitle: (t) => {
      title.textContent = t;
    },
  };

  closeButton.addEventListener("click", close);
  el.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Tab") {
      trapTab(el, event);
    }
  });
  backdrop.addEventListener("mousedown", (event) => {
    // A click on the dim backdrop does not close (it is too easy to lose a dialog by accident).
    if (event.target === backdrop) event.preventDefault();
  });

  stack.push({ handle, backdrop, returnTo: options.returnFocus ?? document.activeElement });
  layer().appendChild(backdrop);
  updateInert();
  const first = options.initialFocus?.(el) ?? el.querySelector<HTMLElement>(`.dialog-body ${FOCUSABLE}`) ?? closeButton;
  first.focus();
  return handle;
}

function trapTab(container: HTMLElement, event: KeyboardEvent): void {
  const items = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => !el.hasAttribute("hidden") && el.closest("[hidden]") === null,
  );
  if (items.length === 0) {
    event.preventDefault();
    container.focus();
    return;
  }
  const first = items[0] as HTMLElement;
  const last = items[items.length - 1] as HTMLElement;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || active === container)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}

export function closeAllDialogs(): void {
  while (stack.length) stack[stack.length - 1]?.handle.close();
}

export function dialogOpen(): boolean {
  return stack.length > 0;
}

/** Asks a plain question; resolves true for yes. */
export function confirm(options: {
  title: string;
  message: Children;
  yes: string;
  no: string;
  danger?: boolean;
  returnFocus?: HTMLElement | null;
}): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const messageId = uniqueId("confirm-message");
    const noButton = h("button", { type: "button", class: "btn", "data-testid": "confirm-no" }, options.no);
    const yesButton = h(
      "button",
      { type: "button", class: options.danger ? "btn btn-danger" : "btn btn-primary", "data-testid": "confirm-yes" },
      options.yes,
    );
    const dialog = openDialog({
      title: options.title,
      testid: "confirm-dialog",
      alert: true,
      describedBy: messageId,
      content: [
        h("div", { id: messageId, class: "confirm-message" }, options.message),
        h("div", { class: "dialog-actions" }, noButton, yesButton),
      ],
      onClose: () => {
        if (!answered) resolve(false);
      },
      returnFocus: options.returnFocus ?? null,
      // The safe answer has focus, so Enter never destroys anything by accident.
      initialFocus: () => noButton,
    });
    noButton.addEventListener("click", () => dialog.close());
    yesButton.addEventListener("click", () => {
      answered = true;
      dialog.close();
      resolve(true);
    });
  });
}
