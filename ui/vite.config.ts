/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// The UI lives in ui/; the Tauri shell embeds ui/dist (frontendDist "../ui/dist", no dev server).
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK / WebView2 of the supported systems; no legacy bundle, no inline scripts.
    target: "es2021",
    // Keep everything as files under the strict CSP (no data: fonts or inline module preloads).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    root,
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
