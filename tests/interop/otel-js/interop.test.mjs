// Interoperability: the real OpenTelemetry JS SDK exporters send to a running
// Tracery, and the traces are read back through the Jaeger and Zipkin query
// APIs with every field that matters intact.
//
// Environment: TRACERY_OTLP_HTTP (default http://127.0.0.1:4318),
// TRACERY_OTLP_GRPC (default 127.0.0.1:4317), TRACERY_ZIPKIN (default
// http://127.0.0.1:9411), TRACERY_QUERY (default http://127.0.0.1:16686).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace, context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as OtlpHttpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';

const OTLP_HTTP = process.env.TRACERY_OTLP_HTTP || 'http://127.0.0.1:4318';
const OTLP_GRPC = process.env.TRACERY_OTLP_GRPC || '127.0.0.1:4317';
const ZIPKIN = process.env.TRACERY_ZIPKIN || 'http://127.0.0.1:9411';
const QUERY = process.env.TRACERY_QUERY || 'http://127.0.0.1:16686';

const suffix = Math.random().toString(36).slice(2, 8);

// Emits one trace: a SERVER root with typed attributes, a CLIENT child with
// an event, an error status and a link. Returns the ids.
async function emitTrace(exporter, service) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'interop' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('interop-test', '1.2.3');
  const root = tracer.startSpan('GET /orders', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'ratio': 0.25, 'cached': true,
                  'tags.list': ['a', 'b'] },
  });
  const linked = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  const child = tracer.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': 'postgresql' },
    links: [{ context: linked, attributes: { 'link.reason': 'batch' } }],
  }, trace.setSpan(context.active(), root));
  child.addEvent('retrying', { attempt: 2 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, rootId: root.spanContext().spanId, childId: child.spanContext().spanId };
}

async function poll(url, ok) {
  const deadline = Date.now() + 15000;
  let last;
  while (Date.now() < deadline) {
    const res = await fetch(url);
    last = `${res.status} ${await res.text()}`;
    if (res.status === 200) {
      const body = JSON.parse(last.slice(4));
      if (ok(body)) return body;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${url}; last answer: ${last.slice(0, 500)}`);
}

function tag(span, key) {
  const t = span.tags.find((x) => x.key === key);
  return t ? t.value : undefined;
}

async function checkJaeger(ids, service) {
  const body = await poll(`${QUERY}/api/traces/${ids.traceId}`, (b) => b.data?.[0]?.spans?.length === 2);
  const tr = body.data[0];
  const root = tr.spans.find((s) => s.spanID === ids.rootId);
  const child = tr.spans.find((s) => s.spanID === ids.childId);
  assert.ok(root && child, 'both spans are returned');
  assert.equal(root.operationName, 'GET /orders');
  assert.equal(tr.processes[root.processID].serviceName, service);
  assert.equal(tag(root, 'span.kind'), 'server');
  assert.equal(tag(root, 'http.response.status_code'), 200);
  assert.equal(tag(root, 'cached'), true);
  assert.equal(tag(root, 'ratio'), 0.25);
  assert.equal(tag(child, 'error'), true);
  const parentRef = child.references.find((r) => r.refType === 'CHILD_OF');
  assert.equal(parentRef.spanID, ids.rootId);
  assert.ok(child.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.spanID === 'b7ad6b7169203331'),
    'the link survives as a FOLLOWS_FROM reference');
  const retry = child.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'retrying'));
  assert.ok(retry, 'the event is returned as a log');
  assert.ok(child.duration >= 0 && root.duration >= child.duration);
}

for (const [name, make] of [
  ['otlp-http-json', () => new OtlpHttpJson({ url: `${OTLP_HTTP}/v1/traces` })],
  ['otlp-http-protobuf', () => new OtlpHttpProto({ url: `${OTLP_HTTP}/v1/traces` })],
  ['otlp-grpc', () => new OtlpGrpc({ url: `http://${OTLP_GRPC}` })],
]) {
  test(`OpenTelemetry JS ${name} exporter: trace is stored and read back through the Jaeger API`, async () => {
    const service = `interop-${name}-${suffix}`;
    const ids = await emitTrace(make(), service);
    await checkJaeger(ids, service);
    const services = await poll(`${QUERY}/api/services`, (b) => b.data.includes(service));
    assert.ok(services.data.includes(service));
    const ops = await poll(`${QUERY}/api/services/${encodeURIComponent(service)}/operations`, (b) => b.data.length >= 2);
    assert.deepEqual([...ops.data].sort(), ['GET /orders', 'SELECT orders']);
  });
}

test('OpenTelemetry JS Zipkin exporter: trace is stored and read back through the Zipkin and Jaeger APIs', async () => {
  const service = `interop-zipkin-${suffix}`;
  const ids = await emitTrace(new ZipkinExporter({ url: `${ZIPKIN}/api/v2/spans`, serviceName: service }), service);
  const spans = await poll(`${ZIPKIN}/api/v2/trace/${ids.traceId}`, (b) => Array.isArray(b) && b.length === 2);
  const child = spans.find((s) => s.id === ids.childId);
  assert.equal(child.parentId, ids.rootId);
  assert.equal(child.kind, 'CLIENT');
  assert.equal(child.localEndpoint.serviceName, service);
  assert.ok('error' in child.tags, 'error status becomes the error tag');
  assert.ok(child.annotations.some((a) => a.value.includes('retrying')));
  const body = await poll(`${QUERY}/api/traces/${ids.traceId}`, (b) => b.data?.[0]?.spans?.length === 2);
  assert.equal(body.data[0].processes[body.data[0].spans[0].processID].serviceName, service);
});

test('search finds the OTLP traces by service and error tag', async () => {
  const service = `interop-otlp-http-json-${suffix}`;
  const end = Date.now() * 1000;
  const url = `${QUERY}/api/traces?service=${encodeURIComponent(service)}&tags=${encodeURIComponent('{"error":"true"}')}` +
    `&start=${end - 3600e6}&end=${end + 60e6}&limit=20`;
  const body = await poll(url, (b) => b.data.length >= 1);
  assert.equal(body.data.length, 1);
});
