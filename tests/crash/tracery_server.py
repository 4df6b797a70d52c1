"""Start, kill and talk to a real `tracery` binary on free loopback ports.

Shared by tests/crash and tests/load. Only loopback addresses are used.
The binary is $TRACERY_BIN or build/tracery of this checkout.
"""
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("TRACERY_BIN", os.path.join(ROOT, "build", "tracery"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `tracery all-in-one` process over `data_dir`; restartable."""

    def __init__(self, data_dir, log_path, extra_flags=()):
        self.data_dir = data_dir
        self.log_path = log_path
        self.extra_flags = list(extra_flags)
        self.ports = {k: free_port() for k in ("grpc", "http", "zipkin", "query", "admin")}
        self.proc = None

    def start(self, timeout_s=30):
        if not os.path.exists(BINARY):
            raise SystemExit(f"FAIL: {BINARY} not found; build it first (scripts/build)")
        p = self.ports
        args = [BINARY, "all-in-one", "--data-dir", self.data_dir, "--tempo-addr", "", "--sampling-addr", "",
                "--otlp-grpc-addr", f"127.0.0.1:{p['grpc']}", "--otlp-http-addr", f"127.0.0.1:{p['http']}",
                "--zipkin-addr", f"127.0.0.1:{p['zipkin']}", "--query-addr", f"127.0.0.1:{p['query']}",
                "--admin-addr", f"127.0.0.1:{p['admin']}"] + self.extra_flags
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"FAIL: tracery exited with {self.proc.returncode} at start; see {self.log_path}")
            try:
                status, _ = self.get("admin", "/readyz", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"FAIL: tracery not ready after {timeout_s}s; see {self.log_path}")

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.proc = None

    def request(self, port_name, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[port_name], timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def get(self, port_name, path, timeout=10):
        return self.request(port_name, "GET", path, timeout=timeout)

    def trace_span_ids(self, trace_id_hex):
        """Span ids (hex) the query API returns for a trace; empty if not found."""
        status, body = self.get("query", f"/api/traces/{trace_id_hex}")
        if status == 404:
            return set()
        if status != 200:
            raise RuntimeError(f"GET /api/traces/{trace_id_hex}: HTTP {status}: {body[:200]!r}")
        doc = json.loads(body)
        return {s["spanID"] for t in doc.get("data") or [] for s in t.get("spans", [])}


def otlp_json_trace(trace_id_hex, span_ids_hex, service="crash-writer", now_ns=None):
    """An OTLP/JSON export request holding one trace: a root and its children."""
    now_ns = now_ns or time.time_ns()
    spans = []
    for i, sid in enumerate(span_ids_hex):
        span = {"traceId": trace_id_hex, "spanId": sid, "name": f"op-{i}", "kind": 2,
                "startTimeUnixNano": str(now_ns + i * 1000), "endTimeUnixNano": str(now_ns + i * 1000 + 5_000_000),
                "attributes": [{"key": "writer.seq", "value": {"intValue": str(i)}}]}
        if i > 0:
            span["parentSpanId"] = span_ids_hex[0]
        spans.append(span)
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "tests"}, "spans": spans}]}]}).encode()


def random_ids(rng, spans):
    return "%032x" % rng.getrandbits(128), ["%016x" % (rng.getrandbits(63) | 1) for _ in range(spans)]
