#!/usr/bin/env python3
"""Limits under load: QUERIES simultaneous queries while ingesting at half capacity.

Against a fresh real `tracery` on loopback:
 1. capacity: tracery-loadgen ingests as fast as acknowledged for CAPACITY_SECONDS
    (saving a sample of trace ids, which also seeds the store);
 2. storm: tracery-loadgen ingests at half that rate while QUERIES queries are
    released at once from as many connections: a third trace-by-id of random
    stored traces, a third searches over every service the server lists in
    four shapes (recent, errors, slowest over 50 ms, last 15 minutes), a third
    /api/services, /api/services/X/operations and /api/dependencies;
 3. checks p95 < P95_LIMIT_S, no error (non-200, refused or timed out), and
    that the ingest rate acknowledged during the storm (from the server's
    tracery_receiver_accepted_spans_total) is at least INGEST_FLOOR of the
    offered rate.
Prints one JSON line of figures; exits non-zero with FAIL: ... on a miss.
Env: TRACERY_BIN, TRACERY_LOADGEN, QUERIES (1000), CAPACITY_SECONDS (10),
P95_LIMIT_S (2), INGEST_FLOOR (0.8), STORM_ROUNDS (1).
"""
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "crash"))
from tracery_server import ROOT, Server  # noqa: E402

LOADGEN = os.environ.get("TRACERY_LOADGEN", os.path.join(ROOT, "build", "tracery-loadgen"))
QUERIES = int(os.environ.get("QUERIES", "1000"))
CAPACITY_SECONDS = int(os.environ.get("CAPACITY_SECONDS", "10"))
P95_LIMIT_S = float(os.environ.get("P95_LIMIT_S", "2"))
INGEST_FLOOR = float(os.environ.get("INGEST_FLOOR", "0.8"))
STORM_ROUNDS = int(os.environ.get("STORM_ROUNDS", "1"))


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def accepted_spans(server):
    _, body = server.get("admin", "/metrics")
    m = re.search(rb"^tracery_receiver_accepted_spans_total(?:\{[^}]*\})? ([0-9.e+]+)$", body, re.M)
    return float(m.group(1)) if m else 0.0


def cache_answers(server):
    """tracery_query_cache_requests_total by result (hit, shared, miss)."""
    _, body = server.get("admin", "/metrics")
    return {m.group(1).decode(): float(m.group(2))
            for m in re.finditer(rb'^tracery_query_cache_requests_total\{result="(\w+)"\} ([0-9.e+]+)$', body, re.M)}


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


def query_paths(ids, services, n, rng):
    """A third trace-by-id (random sampled ids), a third searches (every
    service the server lists, in four shapes), a third metadata."""
    now_ms = int(time.time() * 1000)
    error = urllib.parse.quote('{"error":"true"}')
    shapes = ["service={s}&lookback=1h&limit=20",
              "service={s}&tags=" + error + "&lookback=1h&limit=20",
              "service={s}&minDuration=50ms&lookback=1h&limit=20&orderBy=longest",
              "service={s}&lookback=15m&limit=50"]
    meta = ["/api/services", f"/api/dependencies?endTs={now_ms}&lookback=3600000"]
    meta += [f"/api/services/{urllib.parse.quote(s)}/operations" for s in services]
    paths = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            paths.append(("trace", f"/api/traces/{rng.choice(ids)}"))
        elif kind == 1:
            shape = rng.choice(shapes)
            paths.append(("search", "/api/traces?" + shape.format(s=urllib.parse.quote(rng.choice(services)))))
        else:
            paths.append(("meta", rng.choice(meta)))
    rng.shuffle(paths)
    return paths


def storm(server, paths):
    """Releases every query at once, one connection each; returns per-query results."""
    results = [None] * len(paths)
    barrier = threading.Barrier(len(paths) + 1)

    def one(i, path):
        conn = http.client.HTTPConnection("127.0.0.1", server.ports["query"], timeout=30)
        try:
            conn.connect()
        except OSError as e:
            barrier.wait()
            results[i] = (path[0], None, f"connect: {e}")
            return
        barrier.wait()
        t0 = time.perf_counter()
        try:
            conn.request("GET", path[1])
            resp = conn.getresponse()
            resp.read()
            results[i] = (path[0], time.perf_counter() - t0, None if resp.status == 200 else f"HTTP {resp.status}")
        except OSError as e:
            results[i] = (path[0], time.perf_counter() - t0, f"{type(e).__name__}: {e}")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i, p), daemon=True) for i, p in enumerate(paths)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


def main():
    threading.stack_size(256 * 1024)
    tmp = tempfile.mkdtemp(prefix="tracery-load.")
    server = Server(os.path.join(tmp, "data"), os.path.join(tmp, "server.log"), ["--log-level", "warn"])
    ids_file = os.path.join(tmp, "ids.txt")
    rng = random.Random(11)
    ingest = None
    try:
        # Capacity on a throw-away server, so its overload (and any load
        # shedding it triggers) does not carry over into the measured one.
        probe = Server(os.path.join(tmp, "probe"), os.path.join(tmp, "probe.log"), ["--log-level", "warn"])
        probe.start()
        cap = subprocess.run([LOADGEN, "ingest", "--endpoint", f"http://127.0.0.1:{probe.ports['http']}",
                              "--duration", str(CAPACITY_SECONDS), "--connections", "4", "--services", "200"],
                             capture_output=True, text=True, timeout=300)
        probe.kill(signal.SIGKILL)
        capacity = json.loads(cap.stdout.strip().splitlines()[-1])
        capacity_rate = capacity["acked_spans_per_s"]
        offered = int(capacity_rate / 2)
        if offered <= 0:
            fail(f"capacity run acknowledged nothing: {capacity}")
        print(f"capacity: {capacity_rate:.0f} spans/s acknowledged (4 connections, {CAPACITY_SECONDS}s); "
              f"offering {offered} spans/s during the storm", flush=True)
        server.start()
        endpoint = f"http://127.0.0.1:{server.ports['http']}"
        seed = subprocess.run([LOADGEN, "ingest", "--endpoint", endpoint, "--rate", str(offered), "--duration", "6",
                               "--connections", "4", "--services", "200", "--save-ids", ids_file,
                               "--save-ids-share", "0.02"], capture_output=True, text=True, timeout=300)
        ids = [line.strip() for line in open(ids_file) if line.strip()]
        if not ids:
            fail(f"seeding acknowledged nothing: {seed.stdout} {seed.stderr}")
        _, body = server.get("query", "/api/services")
        services = json.loads(body)["data"]
        for rnd in range(STORM_ROUNDS):
            paths = query_paths(ids, services, QUERIES, rng)
            ingest = subprocess.Popen([LOADGEN, "ingest", "--endpoint", endpoint, "--rate", str(offered),
                                       "--duration", "600", "--connections", "4", "--services", "200",
                                       "--seed", str(100 + rnd)], stdout=subprocess.DEVNULL)
            # Wait until ingest flows at the offered rate (the load generator
            # pre-encodes its pool first).
            a0, t0 = accepted_spans(server), time.time()
            while True:
                time.sleep(1)
                a1, t1 = accepted_spans(server), time.time()
                if (a1 - a0) / (t1 - t0) >= 0.9 * offered:
                    break
                if t1 - t0 > 60:
                    fail(f"ingest did not reach the offered {offered} spans/s before the storm")
                a0, t0 = a1, t1
            a0, t0, c0 = accepted_spans(server), time.time(), cache_answers(server)
            results, wall = storm(server, paths)
            a1, t1, c1 = accepted_spans(server), time.time(), cache_answers(server)
            ingest.send_signal(signal.SIGKILL)
            ingest.wait()
            ingest = None
            lat = [r[1] for r in results if r[1] is not None and r[2] is None]
            errors = [r for r in results if r[2] is not None]
            by_kind = {k: round(percentile([r[1] for r in results if r[0] == k and r[1] is not None], 0.95), 3)
                       for k in ("trace", "search", "meta")}
            ingest_rate = (a1 - a0) / max(t1 - t0, 1e-9)
            figures = {"queries": QUERIES, "errors": len(errors), "storm_wall_s": round(wall, 2),
                       "p50_s": round(percentile(lat, 0.50), 3), "p95_s": round(percentile(lat, 0.95), 3),
                       "p99_s": round(percentile(lat, 0.99), 3), "max_s": round(max(lat, default=0), 3),
                       "p95_s_by_kind": by_kind, "capacity_spans_per_s": round(capacity_rate),
                       "offered_spans_per_s": offered, "ingest_acked_spans_per_s_during_storm": round(ingest_rate),
                       "distinct_searches": len({p for k, p in paths if k == "search"}),
                       "cache_answers": {k: round(c1.get(k, 0) - c0.get(k, 0)) for k in c1}}
            print(json.dumps(figures), flush=True)
            if errors:
                kinds = {}
                for e in errors:
                    kinds[e[2]] = kinds.get(e[2], 0) + 1
                fail(f"{len(errors)} of {QUERIES} queries failed: {kinds}")
            if figures["p95_s"] >= P95_LIMIT_S:
                fail(f"p95 {figures['p95_s']} s >= {P95_LIMIT_S} s")
            if ingest_rate < INGEST_FLOOR * offered:
                fail(f"ingest starved during the storm: {ingest_rate:.0f} spans/s acknowledged of {offered} offered")
    finally:
        if ingest is not None:
            ingest.kill()
        server.kill(signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    print("query storm: 3 passed, 0 failed")


if __name__ == "__main__":
    main()
