// The details panel of one span: tags grouped as span / process (resource) /
// baggage, logs with timestamps relative to the trace start, links to other
// spans or traces, and warnings.
import type { JaegerKeyValue } from '../api/types';
import { h } from './dom';
import { formatDurationUs } from './duration';
import { serviceColor } from './service-colors';
import { isBaggageKey, type SpanNode, type TraceTree } from '../model/trace-tree';
import { tracePath } from '../router';

function kvTable(kvs: JaegerKeyValue[]): HTMLElement {
  return h(
    'table',
    { class: 'kv' },
    h('tbody', {}, ...kvs.map((kv) => h('tr', {}, h('th', {}, kv.key), h('td', { class: kv.key === 'error' ? 'err' : undefined }, String(kv.value))))),
  );
}

function section(title: string, count: number, body: HTMLElement, open = true): HTMLElement {
  return h('details', { class: 'detail-section', open }, h('summary', {}, `${title} `, h('span', { class: 'count' }, String(count))), body);
}

export function spanDetails(node: SpanNode, tree: TraceTree, onSelect: (key: string) => void, onClose: () => void): HTMLElement {
  const tags = node.span.tags ?? [];
  const spanTags = tags.filter((t) => !isBaggageKey(t.key));
  const baggage = tags.filter((t) => isBaggageKey(t.key));
  const processTags = node.process.tags ?? [];
  const logs = node.span.logs ?? [];
  const kind = tags.find((t) => t.key === 'span.kind')?.value;

  const body = h('div', { class: 'span-details', 'data-test': 'span-details', 'data-span-id': node.spanId });
  body.append(
    h(
      'div',
      { class: 'details-head' },
      h('div', {}, h('span', { class: 'swatch', style: `background:${serviceColor(node.service)}` }), h('strong', {}, node.operation)),
      h('button', { class: 'icon', title: 'Close (Esc)', 'aria-label': 'Close details', onclick: () => onClose() }, '×'),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Service'), h('dd', {}, node.service),
      h('dt', {}, 'Duration'), h('dd', {}, formatDurationUs(node.durationUs)),
      h('dt', {}, 'Start'), h('dd', {}, `+${formatDurationUs(node.startUs - tree.startUs)}`),
      kind !== undefined && h('dt', {}, 'Kind'), kind !== undefined && h('dd', {}, String(kind)),
      h('dt', {}, 'Span ID'), h('dd', {}, h('code', {}, node.spanId)),
      h('dt', {}, 'Trace ID'), h('dd', {}, h('code', {}, node.traceId)),
    ),
  );
  if (node.isError) body.append(h('div', { class: 'badge error block' }, 'This span is marked as an error'));
  if (node.warnings.length) {
    body.append(h('div', { class: 'warnings' }, ...node.warnings.map((w) => h('div', { class: 'warning' }, '⚠ ', w))));
  }
  body.append(section('Span tags', spanTags.length, kvTable(spanTags)));
  body.append(section('Process', processTags.length, kvTable(processTags), processTags.length < 12));
  if (baggage.length) body.append(section('Baggage', baggage.length, kvTable(baggage)));
  if (logs.length) {
    body.append(
      section(
        'Logs',
        logs.length,
        h(
          'div',
          { class: 'logs' },
          ...logs.map((l) =>
            h('div', { class: 'log' }, h('div', { class: 'log-ts' }, `+${formatDurationUs(l.timestamp - tree.startUs)}`, h('span', { class: 'muted' }, ` (${formatDurationUs(l.timestamp - node.startUs)} into span)`)), kvTable(l.fields ?? [])),
          ),
        ),
      ),
    );
  }
  if (node.links.length) {
    body.append(
      section(
        'Links',
        node.links.length,
        h(
          'ul',
          { class: 'links' },
          ...node.links.map((ref) => {
            const traceId = ref.traceID || node.traceId;
            const key = `${traceId}:${ref.spanID}`;
            const local = tree.byKey.get(key);
            return h(
              'li',
              {},
              h('span', { class: 'ref-type' }, ref.refType),
              ' ',
              local
                ? h('a', { href: '#', onclick: (e: Event) => (e.preventDefault(), onSelect(key)) }, `${local.service}: ${local.operation}`)
                : h('a', { href: tracePath(traceId), class: 'trace-link' }, `trace ${traceId.slice(0, 16)} / span ${ref.spanID.slice(0, 16)}`),
            );
          }),
        ),
      ),
    );
  }
  return body;
}
