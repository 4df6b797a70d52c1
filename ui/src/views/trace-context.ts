// State shared by the trace page and its three renderings (timeline, Gantt,
// flame graph): the tree, the critical path, and the selected span.
import type { TraceTree } from '../model/trace-tree';

export interface CriticalPathView {
  /** span key -> [startUs, endUs] segments on the critical path. */
  segments: Map<string, [number, number][]>;
}

export interface TraceViewContext {
  tree: TraceTree;
  critical: CriticalPathView | null;
  showCritical: boolean;
  selectedKey: string | null;
  /** Selects a span (opens its details) or clears the selection with null. */
  select(key: string | null): void;
}

export interface TraceSubview {
  /** Redraw after the selection or critical-path toggle changed. */
  refresh(): void;
  dispose(): void;
}
