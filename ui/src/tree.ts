// Builds a browsable file tree from a manifest's flat entry list.
import type { ManifestEntry } from "./types";

export type TreeNode = {
  name: string;
  path: string;
  kind: "dir" | "file" | "symlink";
  /** For folders: the total size of every file inside. */
  size: number;
  /** For folders: how many files (and links) are inside, at any depth. */
  files: number;
  mtime: number | null;
  sha256?: string;
  target?: string;
  children: TreeNode[];
};

function dirNode(name: string, path: string): TreeNode {
  return { name, path, kind: "dir", size: 0, files: 0, mtime: null, children: [] };
}

/**
 * Entries may come in any order and may omit parent folders; every path is `/`-separated.
 * Returns the top-level nodes (normally one: the strategy folder), folders first, then by name.
 */
export function buildTree(entries: readonly ManifestEntry[]): TreeNode[] {
  const root = dirNode("", "");
  const index = new Map<string, TreeNode>([["", root]]);

  const folder = (parts: string[]): TreeNode => {
    let node = root;
    let path = "";
    for (const part of parts) {
      path = path ? `${path}/${part}` : part;
      let next = index.get(path);
      if (!next || next.kind !== "dir") {
        const created = dirNode(part, path);
        if (next) node.children = node.children.filter((c) => c !== next);
        node.children.push(created);
        index.set(path, created);
        next = created;
      }
      node = next;
    }
    return node;
  };

  for (const entry of entries) {
    const parts = entry.path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.length === 0) continue;
    const name = parts[parts.length - 1] as string;
    if (entry.kind === "dir") {
      const node = folder(parts);
      node.mtime = entry.mtime;
      continue;
    }
    const parent = folder(parts.slice(0, -1));
    const path = parts.join("/");
    const node: TreeNode = {
      name,
      path,
      kind: entry.kind,
      size: entry.size,
      files: 1,
      mtime: entry.mtime,
      children: [],
    };
    if (entry.sha256 !== undefined) node.sha256 = entry.sha256;
    if (entry.target !== undefined) node.target = entry.target;
    const existing = index.get(path);
    if (existing) parent.children = parent.children.filter((c) => c !== existing);
    parent.children.push(node);
    index.set(path, node);
  }

  const finish = (node: TreeNode): void => {
    if (node.kind !== "dir") return;
    node.size = 0;
    node.files = 0;
    for (const child of node.children) {
      finish(child);
      node.size += child.size;
      node.files += child.files;
    }
    node.children.sort(compareNodes);
  };
  finish(root);
  return root.children;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function compareNodes(a: TreeNode, b: TreeNode): number {
  const ad = a.kind === "dir" ? 0 : 1;
  const bd = b.kind === "dir" ? 0 : 1;
  return ad - bd || collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Every node in display order when the given folders are expanded (for keyboard navigation). */
export function visibleNodes(roots: readonly TreeNode[], expanded: ReadonlySet<string>): TreeNode[] {
  const out: TreeNode[] = [];
  const walk = (nodes: readonly TreeNode[]) => {
    for (const node of nodes) {
      out.push(node);
      if (node.kind === "dir" && expanded.has(node.path)) walk(node.children);
    }
  };
  walk(roots);
  return out;
}
