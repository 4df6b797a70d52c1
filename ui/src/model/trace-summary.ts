// One-line summary of a trace for search results, computed without building the
// full tree (search responses can carry many traces). Pure.
import type { JaegerTrace } from '../api/types';
import { spanIsError } from './trace-tree';

export interface TraceSummary {
  traceId: string;
  name: string; // "root service: root operation"
  spanCount: number;
  services: { name: string; count: number }[]; // by count, descending
  startUs: number;
  durationUs: number;
  errorCount: number;
}

export function summarizeTrace(trace: JaegerTrace): TraceSummary {
  const spans = trace.spans ?? [];
  const ids = new Set(spans.map((s) => s.spanID));
  const counts = new Map<string, number>();
  let startUs = Infinity;
  let endUs = -Infinity;
  let errorCount = 0;
  let root: (typeof spans)[number] | undefined;
  for (const s of spans) {
    const service = trace.processes?.[s.processID]?.serviceName ?? 'unknown-service';
    counts.set(service, (counts.get(service) ?? 0) + 1);
    startUs = Math.min(startUs, s.startTime);
    endUs = Math.max(endUs, s.startTime + s.duration);
    if (spanIsError(s)) errorCount++;
    const hasParent = (s.references ?? []).some(
      (r) => (r.traceID || trace.traceID) === trace.traceID && ids.has(r.spanID),
    );
    if (!hasParent && (!root || s.startTime < root.startTime)) root = s;
  }
  const rootService = root ? trace.processes?.[root.processID]?.serviceName ?? 'unknown-service' : '';
  return {
    traceId: trace.traceID,
    name: root ? `${rootService}: ${root.operationName}` : '(empty trace)',
    spanCount: spans.length,
    services: [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
    startUs: spans.length ? startUs : 0,
    durationUs: spans.length ? endUs - startUs : 0,
    errorCount,
  };
}
