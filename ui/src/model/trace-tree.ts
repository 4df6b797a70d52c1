// Builds the span tree of one or more Jaeger traces (several when linked traces
// are shown together). Pure; O(n log n) in spans (sorting children), iterative
// so a 100,000-deep chain cannot overflow the stack. Malformed input (missing
// parents, reference cycles, duplicate span IDs) never throws: orphans become
// roots and the problem is reported in `warnings`.
import type { JaegerKeyValue, JaegerProcess, JaegerReference, JaegerSpan, JaegerTrace } from '../api/types';

export interface SpanNode {
  key: string; // traceID:spanID, unique across the merged traces
  span: JaegerSpan;
  traceId: string;
  spanId: string;
  service: string;
  operation: string;
  process: JaegerProcess;
  startUs: number;
  durationUs: number;
  endUs: number;
  depth: number;
  parent: SpanNode | null;
  children: SpanNode[];
  /** Index in `TraceTree.nodes` (depth-first, children by start time). */
  index: number;
  /** One past the last index of this node's subtree in `TraceTree.nodes`. */
  subtreeEnd: number;
  isError: boolean;
  /** References other than the one chosen as parent (follows-from, cross-trace). */
  links: JaegerReference[];
  /** Server-sent warnings plus ones found here (e.g. clock skew vs. parent). */
  warnings: string[];
}

export interface TraceTree {
  traceIds: string[];
  roots: SpanNode[];
  /** All spans in depth-first order; `nodes[i].index === i`. */
  nodes: SpanNode[];
  byKey: Map<string, SpanNode>;
  startUs: number;
  endUs: number;
  durationUs: number;
  maxDepth: number;
  /** Span count per service, in order of first appearance. */
  services: Map<string, number>;
  errorCount: number;
  /** "service: operation" of the earliest root. */
  name: string;
  warnings: string[];
}

const UNKNOWN_PROCESS: JaegerProcess = { serviceName: 'unknown-service', tags: [] };

export function isTruthyTag(kv: JaegerKeyValue): boolean {
  return kv.value === true || kv.value === 'true' || kv.value === 1;
}

export function spanIsError(span: JaegerSpan): boolean {
  for (const t of span.tags ?? []) {
    if (t.key === 'error' && isTruthyTag(t)) return true;
    if (t.key === 'otel.status_code' && t.value === 'ERROR') return true;
  }
  return false;
}

export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}:${spanId}`;
}

export function buildTraceTree(traces: JaegerTrace[]): TraceTree {
  const byKey = new Map<string, SpanNode>();
  const all: SpanNode[] = [];
  const warnings: string[] = [];
  for (const trace of traces) {
    for (const warning of trace.warnings ?? []) warnings.push(warning);
    for (const span of trace.spans ?? []) {
      const traceId = span.traceID || trace.traceID;
      const key = spanKey(traceId, span.spanID);
      if (byKey.has(key)) {
        warnings.push(`duplicate span ID ${span.spanID} ignored`);
        continue;
      }
      const process = trace.processes?.[span.processID] ?? UNKNOWN_PROCESS;
      const startUs = Number(span.startTime) || 0;
      const durationUs = Math.max(0, Number(span.duration) || 0);
      const node: SpanNode = {
        key,
        span,
        traceId,
        spanId: span.spanID,
        service: process.serviceName || 'unknown-service',
        operation: span.operationName ?? '',
        process,
        startUs,
        durationUs,
        endUs: startUs + durationUs,
        depth: 0,
        parent: null,
        children: [],
        index: -1,
        subtreeEnd: -1,
        isError: spanIsError(span),
        links: [],
        warnings: [...(span.warnings ?? [])],
      };
      byKey.set(key, node);
      all.push(node);
    }
  }

  // Parent = first CHILD_OF reference to a span we have, else first FOLLOWS_FROM.
  for (const node of all) {
    const refs = node.span.references ?? [];
    let parentRef: JaegerReference | undefined;
    for (const want of ['CHILD_OF', 'FOLLOWS_FROM']) {
      parentRef = refs.find((r) => r.refType === want && byKey.has(spanKey(r.traceID || node.traceId, r.spanID)));
      if (parentRef) break;
    }
    if (parentRef) {
      const parent = byKey.get(spanKey(parentRef.traceID || node.traceId, parentRef.spanID))!;
      if (parent !== node) {
        node.parent = parent;
        parent.children.push(node);
      }
    } else if (refs.some((r) => r.refType === 'CHILD_OF' && (r.traceID || node.traceId) === node.traceId)) {
      node.warnings.push('parent span is missing from the trace');
    }
    node.links = refs.filter((r) => r !== parentRef);
  }

  const byStart = (a: SpanNode, b: SpanNode) => a.startUs - b.startUs || a.spanId.localeCompare(b.spanId);
  for (const node of all) if (node.children.length > 1) node.children.sort(byStart);
  const roots = all.filter((n) => n.parent === null).sort(byStart);

  const nodes: SpanNode[] = [];
  const visit = (root: SpanNode) => {
    // Iterative pre-order walk; `subtreeEnd` is set when a node's frame is popped.
    const stack: { node: SpanNode; next: number }[] = [{ node: root, next: 0 }];
    root.depth = root.parent ? root.parent.depth + 1 : 0;
    root.index = nodes.length;
    nodes.push(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.children.length) {
        const child = top.node.children[top.next++];
        if (child.index !== -1) continue; // already placed: a cycle
        child.depth = top.node.depth + 1;
        child.index = nodes.length;
        nodes.push(child);
        stack.push({ node: child, next: 0 });
      } else {
        top.node.subtreeEnd = nodes.length;
        stack.pop();
      }
    }
  };
  for (const root of roots) visit(root);
  // Spans in a reference cycle are unreachable from any root: cut the cycle.
  for (const node of all) {
    if (node.index !== -1) continue;
    warnings.push(`span ${node.spanId} is part of a reference cycle`);
    if (node.parent) {
      node.parent.children = node.parent.children.filter((c) => c !== node);
      node.parent = null;
    }
    roots.push(node);
    visit(node);
  }

  let startUs = Infinity;
  let endUs = -Infinity;
  let maxDepth = 0;
  let errorCount = 0;
  const services = new Map<string, number>();
  for (const n of nodes) {
    if (n.startUs < startUs) startUs = n.startUs;
    if (n.endUs > endUs) endUs = n.endUs;
    if (n.depth > maxDepth) maxDepth = n.depth;
    if (n.isError) errorCount++;
    services.set(n.service, (services.get(n.service) ?? 0) + 1);
    const p = n.parent;
    if (p && p.traceId === n.traceId && (n.startUs < p.startUs || n.endUs > p.endUs)) {
      n.warnings.push(
        n.startUs < p.startUs
          ? `starts ${p.startUs - n.startUs}µs before its parent (clock skew?)`
          : `ends ${n.endUs - p.endUs}µs after its parent (async work or clock skew)`,
      );
    }
  }
  if (nodes.length === 0) {
    startUs = 0;
    endUs = 0;
  }
  const root = roots[0];
  return {
    traceIds: traces.map((t) => t.traceID),
    roots,
    nodes,
    byKey,
    startUs,
    endUs,
    durationUs: endUs - startUs,
    maxDepth,
    services,
    errorCount,
    name: root ? `${root.service}: ${root.operation}` : '(empty trace)',
    warnings,
  };
}

/**
 * The rows a timeline shows: `nodes` in depth-first order, skipping the
 * descendants of collapsed nodes. O(visible rows) thanks to `subtreeEnd`.
 */
export function visibleRows(tree: TraceTree, collapsed: ReadonlySet<string>): SpanNode[] {
  if (collapsed.size === 0) return tree.nodes;
  const rows: SpanNode[] = [];
  const nodes = tree.nodes;
  let i = 0;
  while (i < nodes.length) {
    const n = nodes[i];
    rows.push(n);
    i = collapsed.has(n.key) ? n.subtreeEnd : i + 1;
  }
  return rows;
}

/** Tags whose key looks like propagated baggage. */
export function isBaggageKey(key: string): boolean {
  return key.startsWith('baggage.') || key.startsWith('baggage_') || key === 'baggage';
}
