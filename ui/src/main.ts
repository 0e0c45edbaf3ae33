import "./styles.css";
import { App } from "./app";
import { ipc } from "./ipc";

const root = document.getElementById("app");
if (root) {
  const app = new App(root, ipc);
  // Marks the first screen as shown, for the E2E suite and anything else that waits on it.
  void app.start().finally(() => {
    document.body.dataset.ready = "true";
  });
}
