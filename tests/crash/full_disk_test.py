#!/usr/bin/env python3
"""Full disk, end to end, on a small tmpfs (needs root for mount; skips with a
clear message when mount is not allowed).

With the data dir's file system full: OTLP/HTTP ingest answers 503 with
Retry-After, OTLP/gRPC answers UNAVAILABLE (counted by tracery-loadgen as
refused, never acknowledged), while /readyz, trace-by-id, search and
/api/services keep answering; once space returns, ingest is acknowledged
again and the new spans are readable. Exits non-zero with FAIL: ... on any
violation. Env: TRACERY_BIN, TRACERY_LOADGEN.
"""
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tracery_server import ROOT, Server, otlp_json_trace, random_ids  # noqa: E402

LOADGEN = os.environ.get("TRACERY_LOADGEN", os.path.join(ROOT, "build", "tracery-loadgen"))


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def post(server, rng):
    tid, sids = random_ids(rng, 3)
    status, body = server.request("http", "POST", "/v1/traces", otlp_json_trace(tid, sids, service="disk-writer"),
                                  {"Content-Type": "application/json"})
    return status, body, (tid, sids)


def fill(path):
    """Writes zeros to `path` until the file system is full."""
    chunk = b"\0" * (1 << 16)
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]


def main():
    tmp = tempfile.mkdtemp(prefix="tracery-disk.")
    mnt = os.path.join(tmp, "fs")
    os.mkdir(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"SKIP full-disk test: cannot mount a tmpfs here ({r.stderr.strip()}); run as root to test it")
        shutil.rmtree(tmp, ignore_errors=True)
        return
    server = Server(os.path.join(mnt, "data"), os.path.join(tmp, "server.log"),
                    ["--memtable-bytes", "1000000", "--log-level", "info"])
    rng = random.Random(7)
    try:
        server.start()
        before = []
        for _ in range(50):
            status, body, t = post(server, rng)
            if status != 200:
                fail(f"ingest before the disk filled answered {status}: {body[:200]!r}")
            before.append(t)
        filler = os.path.join(mnt, "filler")
        fill(filler)
        print(f"disk full: {shutil.disk_usage(mnt).free} bytes free", flush=True)

        statuses = []
        for _ in range(20):
            status, body, _ = post(server, rng)
            statuses.append(status)
            if status == 200:
                continue  # an append may still fit in a partly used block
            break
        if statuses[-1] != 503:
            fail(f"OTLP/HTTP ingest on a full disk answered {statuses}, expected 503; body {body[:200]!r}")
        print(f"PASS OTLP/HTTP on full disk: 503 ({body[:120].decode(errors='replace')!r})", flush=True)
        status, _ = server.get("admin", "/readyz")
        print(f"/readyz during the outage: {status}", flush=True)
        if status not in (200, 503):
            fail(f"/readyz answered {status} during the outage")
        tid, sids = before[0]
        if not set(sids) <= server.trace_span_ids(tid):
            fail("trace-by-id did not return a trace written before the disk filled")
        for path in ("/api/services", "/api/traces?service=disk-writer&lookback=1h&limit=5"):
            status, body = server.get("query", path)
            if status != 200:
                fail(f"GET {path} answered {status} during the outage: {body[:200]!r}")
        print("PASS queries during the outage: trace-by-id, search and /api/services answer 200", flush=True)

        if os.path.exists(LOADGEN):
            out = subprocess.run([LOADGEN, "ingest", "--endpoint", f"127.0.0.1:{server.ports['grpc']}",
                                  "--protocol", "grpc", "--duration", "2", "--connections", "2"],
                                 capture_output=True, text=True, timeout=60)
            stats = json.loads(out.stdout.strip().splitlines()[-1])
            if stats["acked_spans"] != 0 or stats["refused_spans"] == 0 or stats["failed_spans"] != 0:
                fail(f"OTLP/gRPC on a full disk: expected only UNAVAILABLE refusals, got {stats}")
            print(f"PASS OTLP/gRPC on full disk: {stats['refused_spans']} spans refused (UNAVAILABLE), none acked",
                  flush=True)
        else:
            fail(f"{LOADGEN} not found; build tracery-loadgen")

        os.remove(filler)
        deadline = time.time() + 30
        while True:
            status, body, t = post(server, rng)
            if status == 200:
                break
            if time.time() > deadline:
                fail(f"ingest did not resume within 30 s of space returning; last answer {status} {body[:200]!r}")
            time.sleep(0.5)
        if not set(t[1]) <= server.trace_span_ids(t[0]):
            status, body = server.get("query", f"/api/traces/{t[0]}")
            fail(f"trace {t[0]} acknowledged after space returned is not readable: {status} {body[:300]!r}")
        for tid, sids in before:
            if not set(sids) <= server.trace_span_ids(tid):
                fail(f"trace {tid} acknowledged before the outage was lost")
        print("PASS ingest resumed when space returned; all acknowledged traces readable", flush=True)
    finally:
        server.kill(signal.SIGKILL)
        subprocess.run(["umount", mnt], capture_output=True)
        if os.environ.get("DISK_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("full disk: 4 passed, 0 failed")


if __name__ == "__main__":
    main()
