import { describe, expect, it } from 'vitest';
import type { JaegerSpan, JaegerTrace } from '../api/types';
import { buildTraceTree, visibleRows } from './trace-tree';

function span(id: string, start: number, dur: number, parent?: string, extra: Partial<JaegerSpan> = {}): JaegerSpan {
  return {
    traceID: 't1',
    spanID: id,
    operationName: `op-${id}`,
    references: parent ? [{ refType: 'CHILD_OF', traceID: 't1', spanID: parent }] : [],
    startTime: start,
    duration: dur,
    tags: [],
    logs: [],
    processID: id.startsWith('b') ? 'p2' : 'p1',
    warnings: null,
    ...extra,
  };
}

function trace(spans: JaegerSpan[], traceID = 't1'): JaegerTrace {
  return {
    traceID,
    spans,
    processes: { p1: { serviceName: 'frontend', tags: [] }, p2: { serviceName: 'backend', tags: [] } },
    warnings: null,
  };
}

describe('buildTraceTree', () => {
  it('orders spans depth-first with children by start time, whatever the input order', () => {
    const t = buildTraceTree([
      trace([span('a2', 150, 10, 'a'), span('b1', 110, 30, 'a'), span('a', 100, 100), span('b2', 115, 5, 'b1')]),
    ]);
    expect(t.nodes.map((n) => n.spanId)).toEqual(['a', 'b1', 'b2', 'a2']);
    expect(t.nodes.map((n) => n.depth)).toEqual([0, 1, 2, 1]);
    expect(t.name).toBe('frontend: op-a');
    expect(t.maxDepth).toBe(2);
    expect(t.startUs).toBe(100);
    expect(t.durationUs).toBe(100);
    expect([...t.services]).toEqual([['frontend', 2], ['backend', 2]]);
    expect(t.nodes[0].subtreeEnd).toBe(4);
    expect(t.nodes[1].subtreeEnd).toBe(3);
  });

  it('makes spans with a missing parent roots and says so', () => {
    const t = buildTraceTree([trace([span('a', 0, 10), span('x', 5, 1, 'gone')])]);
    expect(t.roots.map((n) => n.spanId)).toEqual(['a', 'x']);
    expect(t.byKey.get('t1:x')!.warnings[0]).toMatch(/parent span is missing/);
  });

  it('survives a reference cycle without losing spans', () => {
    const t = buildTraceTree([trace([span('a', 0, 10, 'b'), span('b', 1, 5, 'a')])]);
    expect(t.nodes).toHaveLength(2);
    expect(t.warnings.join()).toMatch(/cycle/);
  });

  it('handles a 100,000-deep chain without recursion', () => {
    const spans = Array.from({ length: 100_000 }, (_, i) => span(`a${i}`, i, 100_000 - i, i ? `a${i - 1}` : undefined));
    const t = buildTraceTree([trace(spans)]);
    expect(t.maxDepth).toBe(99_999);
    expect(t.nodes[99_999].spanId).toBe('a99999');
  });

  it('keeps follows-from and cross-trace references as links, and flags errors and clock skew', () => {
    const s = span('c', 50, 10, 'a', {
      references: [
        { refType: 'CHILD_OF', traceID: 't1', spanID: 'a' },
        { refType: 'FOLLOWS_FROM', traceID: 't9', spanID: 'z' },
      ],
      tags: [{ key: 'error', type: 'bool', value: true }],
    });
    const t = buildTraceTree([trace([span('a', 100, 100), s])]);
    const c = t.byKey.get('t1:c')!;
    expect(c.parent!.spanId).toBe('a');
    expect(c.links).toEqual([{ refType: 'FOLLOWS_FROM', traceID: 't9', spanID: 'z' }]);
    expect(c.isError).toBe(true);
    expect(t.errorCount).toBe(1);
    expect(c.warnings.join()).toMatch(/before its parent/);
  });

  it('merges several traces into one forest', () => {
    const t2 = trace([{ ...span('q', 500, 10), traceID: 't2' }], 't2');
    const t = buildTraceTree([trace([span('a', 0, 10)]), t2]);
    expect(t.roots.map((r) => r.key)).toEqual(['t1:a', 't2:q']);
    expect(t.durationUs).toBe(510);
  });
});

describe('visibleRows', () => {
  it('skips the subtrees of collapsed spans only', () => {
    const t = buildTraceTree([
      trace([span('a', 0, 100), span('b', 1, 50, 'a'), span('c', 2, 10, 'b'), span('d', 60, 10, 'a')]),
    ]);
    expect(visibleRows(t, new Set()).map((n) => n.spanId)).toEqual(['a', 'b', 'c', 'd']);
    expect(visibleRows(t, new Set(['t1:b'])).map((n) => n.spanId)).toEqual(['a', 'b', 'd']);
    expect(visibleRows(t, new Set(['t1:a'])).map((n) => n.spanId)).toEqual(['a']);
  });
});
