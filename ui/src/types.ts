// The IPC contract's types are generated from the Rust types that cross it (ipc-types.ts, see
// src-tauri/src/ipc_types.rs); this module adds only what the UI itself needs.
export * from "./ipc-types";
import type { JobEvent, PickPurpose } from "./ipc-types";

export type ProgressEvent = Extract<JobEvent, { event: "progress" }>;

export type FolderPurpose = PickPurpose;

export type DragState = "enter" | "over" | "leave" | "drop";
