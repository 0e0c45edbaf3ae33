// The shape rule: views depend on the narrow ViewContext (src/context.ts), never on app.ts, the
// composition root: not with `import type`, not through another module.
import { describe, expect, it } from "vitest";

declare global {
  interface ImportMeta {
    /** Vite's glob import (typed here: the UI does not load vite/client's types). */
    glob(pattern: string, options: { query: "?raw"; import: "default"; eager: true }): Record<string, string>;
  }
}

// Every source module as text, keyed "../src/views/backups.ts" and so on.
const SOURCES = import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true });
const APP = "../src/app.ts";

/** Every module specifier of a file: import/export ... from, side-effect imports, import(), require(). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const patterns = [
    /\b(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[1] ?? ""));
}

/** The SOURCES key a relative specifier names (".ts"/".js" optional, or a folder's index.ts). */
function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const part of spec.replace(/\.(js|ts)$/, "").split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  const base = parts.join("/");
  return [`${base}.ts`, `${base}/index.ts`].find((file) => file in SOURCES) ?? `${base}.ts`;
}

/** The chain of imports from `file` to app.ts, or null if app.ts cannot be reached. */
function pathToApp(file: string, seen = new Set<string>()): string[] | null {
  if (file === APP) return [file];
  const source = SOURCES[file];
  if (seen.has(file) || source === undefined) return null;
  seen.add(file);
  for (const spec of specifiers(source)) {
    const next = resolveLocal(file, spec);
    const rest = next ? pathToApp(next, seen) : null;
    if (rest) return [file, ...rest];
  }
  return null;
}

const short = (file: string) => file.replace("../src/", "");
const viewFiles = Object.keys(SOURCES).filter((f) => f.startsWith("../src/views/"));

describe("views never depend on app.ts", () => {
  it("finds the views and reads their imports", () => {
    expect(APP in SOURCES).toBe(true);
    expect(viewFiles.length).toBeGreaterThanOrEqual(7);
    expect(specifiers('import type { App } from "../app";')).toEqual(["../app"]);
    expect(specifiers('import "../app.ts";\nconst a = await import("../app");')).toEqual(["../app.ts", "../app"]);
    expect(specifiers('export { x } from "../app";\n// import { y } from "../z";')).toEqual(["../app"]);
    expect(resolveLocal("../src/views/x.ts", "../app")).toBe(APP);
    expect(resolveLocal("../src/views/x.ts", "../app.js")).toBe(APP);
    expect(resolveLocal("../src/views/x.ts", "./restore")).toBe("../src/views/restore.ts");
    expect(pathToApp("../src/main.ts")?.map(short)).toEqual(["main.ts", "app.ts"]);
  });

  it.each(viewFiles.map(short))("%s", (name) => {
    const chain = pathToApp(`../src/${name}`);
    expect(chain?.map(short).join(" -> ") ?? null, "views use ViewContext (src/context.ts), never app.ts").toBeNull();
  });

  it("context.ts does not depend on app.ts either", () => {
    expect(pathToApp("../src/context.ts")).toBeNull();
  });
});
