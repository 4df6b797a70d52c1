#!/usr/bin/env python3
"""Crash safety of the real binary, end to end.

1. Zero loss of acknowledged spans across SIGKILL: WRITERS concurrent OTLP/HTTP
   writers each send one trace per request and record exactly which requests
   got 200; the server is killed with SIGKILL at random moments for ROUNDS
   rounds and restarted over the same data dir; afterwards every acknowledged
   span must be returned by GET /api/traces/{id}.
2. A segment with a bad checksum is detected, logged and moved aside as
   `.corrupt` without losing other segments: the traces lost are exactly the
   traces that live only in that segment (measured by hiding the file first).

Exits non-zero with FAIL: ... on any violation. Env: TRACERY_BIN, CRASH_ROUNDS,
CRASH_WRITERS, CRASH_SEED.
"""
import glob
import os
import random
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from tracery_server import Server, otlp_json_trace, random_ids  # noqa: E402

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "5"))
WRITERS = int(os.environ.get("CRASH_WRITERS", "16"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
# Small memtable: segments are written (and WAL files deleted) during the run.
FLAGS = ["--memtable-bytes", "1000000", "--log-level", "info"]


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


class Writer(threading.Thread):
    def __init__(self, server, index, stop):
        super().__init__(daemon=True)
        self.server, self.rng, self.stop = server, random.Random(SEED * 1000 + index), stop
        self.acked = []          # (trace_id, [span ids]) answered 200
        self.refused = 0         # connection errors (server down) and non-200s
        self.statuses = {}

    def run(self):
        while not self.stop.is_set():
            tid, sids = random_ids(self.rng, self.rng.randint(1, 4))
            try:
                status, _ = self.server.request("http", "POST", "/v1/traces", otlp_json_trace(tid, sids),
                                                {"Content-Type": "application/json"}, timeout=10)
            except OSError:
                self.refused += 1
                time.sleep(0.02)
                continue
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.acked.append((tid, sids))
            else:
                self.refused += 1
                time.sleep(0.02)


def check_all(server, traces, what):
    missing = []
    for tid, sids in traces:
        got = server.trace_span_ids(tid)
        if not set(sids) <= got:
            missing.append((tid, sorted(set(sids) - got)))
    if missing:
        fail(f"{what}: {len(missing)} of {len(traces)} acknowledged traces lost spans, e.g. {missing[:3]}")


def segment_files(data_dir):
    return sorted(glob.glob(os.path.join(data_dir, "**", "*.seg"), recursive=True))


def missing_traces(server, traces):
    return {tid for tid, sids in traces if not set(sids) <= server.trace_span_ids(tid)}


def main():
    print(f"crash test: seed {SEED}, {ROUNDS} SIGKILL rounds, {WRITERS} writers", flush=True)
    tmp = tempfile.mkdtemp(prefix="tracery-crash.")
    data, log = os.path.join(tmp, "data"), os.path.join(tmp, "server.log")
    server = Server(data, log, FLAGS)
    rng = random.Random(SEED)
    stop = threading.Event()
    writers = [Writer(server, i, stop) for i in range(WRITERS)]
    try:
        server.start()
        for w in writers:
            w.start()
        for r in range(ROUNDS):
            time.sleep(rng.uniform(0.5, 3.0))
            before = sum(len(w.acked) for w in writers)
            server.kill(signal.SIGKILL)
            print(f"round {r + 1}: SIGKILL with {before} traces acknowledged so far", flush=True)
            time.sleep(rng.uniform(0.0, 0.3))
            server.start()
        time.sleep(1.0)
        stop.set()
        for w in writers:
            w.join(timeout=30)
        acked = [t for w in writers for t in w.acked]
        statuses = {}
        for w in writers:
            for k, v in w.statuses.items():
                statuses[k] = statuses.get(k, 0) + v
        spans = sum(len(s) for _, s in acked)
        print(f"acknowledged: {len(acked)} traces / {spans} spans; HTTP statuses {statuses}; "
              f"refused/failed {sum(w.refused for w in writers)}", flush=True)
        if len(acked) < 100:
            fail(f"only {len(acked)} traces acknowledged; the test proves nothing (see {log})")
        check_all(server, acked, "after SIGKILL rounds")
        print(f"PASS zero loss: all {spans} acknowledged spans readable after {ROUNDS} SIGKILLs", flush=True)

        # Part 2: a corrupt segment. Stop cleanly, make sure there are >= 2 segments.
        server.kill(signal.SIGTERM)
        segs = segment_files(data)
        if len(segs) < 2:
            fail(f"expected >= 2 segment files after the run, found {segs}; raise traffic or lower --memtable-bytes")
        victim = segs[len(segs) // 2]
        os.rename(victim, victim + ".hidden")
        server.start()
        only_in_victim = missing_traces(server, acked)
        server.kill(signal.SIGTERM)
        os.rename(victim + ".hidden", victim)
        if not only_in_victim:
            fail(f"segment {victim} holds no trace of its own; cannot prove isolation")
        with open(victim, "r+b") as f:  # flip a byte of the meta block: its CRC no longer matches
            f.seek(-32, os.SEEK_END)
            meta_offset = struct.unpack("<Q", f.read(8))[0]
            f.seek(meta_offset + 2)
            b = f.read(1)
            f.seek(meta_offset + 2)
            f.write(bytes([b[0] ^ 0x5A]))
        log_size = os.path.getsize(log)
        server.start()
        status, _ = server.get("admin", "/readyz")
        if status != 200:
            fail(f"/readyz answered {status} after a corrupt segment")
        lost = missing_traces(server, acked)
        if lost != only_in_victim:
            fail(f"corrupt segment lost {len(lost)} traces, expected exactly the {len(only_in_victim)} "
                 f"held only by {victim} (extra lost: {sorted(lost - only_in_victim)[:3]})")
        if os.path.exists(victim) or not os.path.exists(victim + ".corrupt"):
            fail(f"{victim} was not moved aside as .corrupt")
        with open(log, "rb") as f:
            f.seek(log_size)
            new_log = f.read().decode(errors="replace")
        if "unreadable" not in new_log or os.path.basename(victim) not in new_log:
            fail(f"no log line names the corrupt segment {victim}; log tail: {new_log[-500:]}")
        status, metrics = server.get("admin", "/metrics")
        counter = [line for line in metrics.decode().splitlines() if "corrupt" in line and not line.startswith("#")]
        print(f"PASS corrupt segment: {os.path.basename(victim)} moved aside as .corrupt and logged; "
              f"exactly its {len(lost)} traces unavailable, the other {len(acked) - len(lost)} readable; "
              f"metrics: {counter or 'no corrupt-segment counter exported'}", flush=True)
    finally:
        stop.set()
        server.kill(signal.SIGKILL)
        if os.environ.get("CRASH_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("crash: 2 passed, 0 failed")


if __name__ == "__main__":
    main()
