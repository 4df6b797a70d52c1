// Response shapes of the Jaeger-compatible API and the Tracery analysis API.
// All `_us` fields are microseconds; `ts_us`/`start_us` are microseconds since
// the Unix epoch. Jaeger's `startTime`/`duration`/`timestamp` are microseconds too.

export interface JaegerKeyValue {
  key: string;
  type: string; // "string" | "bool" | "int64" | "float64" | "binary"
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[] | null;
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[] | null;
  logs: JaegerLog[] | null;
  processID: string;
  warnings: string[] | null;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface TracesResponse {
  data: JaegerTrace[];
  nextCursor?: string;
}

export interface Dependency {
  parent: string;
  child: string;
  callCount: number;
}

export interface RateStats {
  count: number;
  errors: number;
  rate_per_s: number;
  error_rate: number;
  quantiles_us: number[];
}

export interface LatencyPoint extends RateStats {
  ts_us: number;
}

export interface LatencySeries {
  service: string;
  operation: string | null;
  step_us: number;
  quantiles: number[];
  series: LatencyPoint[];
  overall: RateStats;
}

export interface RedRow {
  service: string;
  operation: string;
  count: number;
  rate_per_s: number;
  errors: number;
  error_rate: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
}

export interface ErrorGroup {
  service: string;
  operation: string;
  exception_type: string;
  message: string;
  count: number;
  series: { ts_us: number; count: number }[];
  example_trace_ids: string[];
}

export interface ErrorGroups {
  step_us: number;
  groups: ErrorGroup[];
}

export interface ServiceNode {
  id: string;
  instrumented: boolean;
  count: number;
  rate_per_s: number;
  error_rate: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
}

export interface ServiceEdge {
  source: string;
  target: string;
  calls: number;
  errors: number;
  p50_us: number;
  p95_us: number;
}

export interface ServiceMap {
  nodes: ServiceNode[];
  edges: ServiceEdge[];
  instrumented_share: number;
}

export interface CriticalPathSegment {
  span_id: string;
  service: string;
  operation: string;
  start_us: number;
  end_us: number;
  self_us: number;
}

export interface CriticalPath {
  trace_id: string;
  total_us: number;
  path: CriticalPathSegment[];
  spans: { span_id: string; self_us: number; critical_us: number }[];
}

export interface FlameNode {
  service: string;
  operation: string;
  total_us: number;
  self_us: number;
  count: number;
  children: FlameNode[];
}

export interface Heatmap {
  start_us: number;
  step_us: number;
  bucket_bounds_us: number[];
  columns: { ts_us: number; counts: number[] }[];
  max_count: number;
}

export type DiffStatus = 'added' | 'missing' | 'slower' | 'faster' | 'same';

export interface TraceCompare {
  a: { trace_id: string; duration_us: number; span_count: number };
  b: { trace_id: string; duration_us: number; span_count: number };
  operations: {
    path: string;
    service: string;
    operation: string;
    status: DiffStatus;
    a_count: number;
    b_count: number;
    a_us: number;
    b_us: number;
    delta_us: number;
  }[];
}

export interface GroupCompare {
  a: { traces: number; p50_us: number };
  b: { traces: number; p50_us: number };
  operations: {
    service: string;
    operation: string;
    a_share: number;
    b_share: number;
    a_p50_us: number;
    b_p50_us: number;
    score: number;
  }[];
  attributes: { key: string; value: string; a_share: number; b_share: number; score: number }[];
}
