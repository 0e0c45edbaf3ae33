import "./styles.css";
import { App } from "./app";
import { ipc } from "./ipc";

const root = document.getElementById("app");
if (root) {
  const app = new App(root, ipc);
  void app.start();
}
