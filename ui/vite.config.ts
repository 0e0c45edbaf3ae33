/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// The UI lives in ui/; the Tauri shell embeds ui/dist (frontendDist "../ui/dist", no dev server).
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  // Caches go to the repository's node_modules, not a second one under ui/.
  cacheDir: fileURLToPath(new URL("../node_modules/.vite", import.meta.url)),
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
