#!/usr/bin/env python3
"""Server CPU per search, for each of the query storm's four search shapes
over every service the server lists, on the real binary.

  bench/search_shapes_probe.py      # 10 s of ingest at 170k spans/s (200-service
                                    # topology), then each shape once per service

Prints, per shape, the server CPU per search (from /proc), the mean wall
time and the slowest service. The shapes are tests/load/query_storm.py's.
The server is $TRACERY_BIN or build/tracery, the load generator $LOADGEN or
build/tracery-loadgen. Figures in docs/benchmarks.md ("Search after the
FindTraces early stop").
"""
import os, sys, time, json, subprocess, urllib.parse, tempfile, shutil
WT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, WT + "/tests/crash")
from tracery_server import Server
LOADGEN = os.environ.get("LOADGEN", WT + "/build/tracery-loadgen")
tmp = tempfile.mkdtemp(prefix="shapes.")
s = Server(os.path.join(tmp, "d"), os.path.join(tmp, "log"), ["--log-level", "warn"])
s.start()
try:
    ep = f"http://127.0.0.1:{s.ports['http']}"
    r = subprocess.run([LOADGEN, "ingest", "--endpoint", ep, "--rate", "170000", "--duration", "10",
                        "--connections", "4", "--services", "200"], capture_output=True, text=True)
    print(r.stdout.strip().splitlines()[-1], flush=True)
    pid = s.proc.pid
    def cpu():
        f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    _, body = s.get("query", "/api/services")
    services = json.loads(body)["data"]
    error = urllib.parse.quote('{"error":"true"}')
    shapes = ["service={s}&lookback=1h&limit=20",
              "service={s}&tags=" + error + "&lookback=1h&limit=20",
              "service={s}&minDuration=50ms&lookback=1h&limit=20&orderBy=longest",
              "service={s}&lookback=15m&limit=50"]
    for sh in shapes:
        c0, t0, worst = cpu(), time.perf_counter(), (0.0, "")
        for svc in services:
            t = time.perf_counter()
            s.get("query", "/api/traces?" + sh.format(s=urllib.parse.quote(svc)), timeout=60)
            worst = max(worst, (time.perf_counter() - t, svc))
        n = len(services)
        print(f"{sh[:60]:60s} cpu_ms/q {(cpu() - c0) / n * 1000:.1f} "
              f"wall_ms/q {(time.perf_counter() - t0) / n * 1000:.1f} worst {worst[0] * 1000:.0f} ms ({worst[1]})",
              flush=True)
finally:
    s.kill()
    shutil.rmtree(tmp)
