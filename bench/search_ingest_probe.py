#!/usr/bin/env python3
"""Query latency after ingest, or ingest while searches run, on the real binary.

  bench/search_ingest_probe.py             # 8 s of ingest at 170k spans/s, then
                                           # trace/search/services/operations/deps latency
  MODE=storm bench/search_ingest_probe.py  # 5 s prefill, then loadgen at 170k spans/s
                                           # for DUR (15) s while 4 clients loop a search

The server is $TRACERY_BIN or build/tracery, the load generator $LOADGEN or
build/tracery-loadgen (set both to compare two builds in one session).
Figures in docs/benchmarks.md ("Memtable: searches no longer stall ingest").
"""
import os, sys, time, json, subprocess, urllib.parse, tempfile, shutil, threading, http.client
WT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, WT + "/tests/crash")
from tracery_server import Server
LOADGEN = os.environ.get("LOADGEN", WT + "/build/tracery-loadgen")
tmp = tempfile.mkdtemp(prefix="probe.")
s = Server(os.path.join(tmp, "d"), os.path.join(tmp, "log"), ["--log-level", "warn"])
s.start()
ep = f"http://127.0.0.1:{s.ports['http']}"
def ingest(rate, dur, ids=None):
    cmd = [LOADGEN, "ingest", "--endpoint", ep, "--rate", str(rate), "--duration", str(dur), "--connections", "4", "--services", "200"]
    if ids: cmd += ["--save-ids", ids, "--save-ids-share", "0.02"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.stdout.strip().splitlines()[-1]
mode = os.environ.get("MODE", "latency")
if mode == "latency":
    ids = os.path.join(tmp, "ids")
    print("ingest:", ingest(os.environ.get("RATE", "170000"), os.environ.get("DUR", "8"), ids))
    idl = [l.strip() for l in open(ids) if l.strip()]
    pid = s.proc.pid
    def cpu():
        f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    now_ms = int(time.time() * 1000)
    qs = [("trace", f"/api/traces/{idl[0]}"), ("svc", "/api/traces?service=frontend&lookback=1h&limit=20"),
          ("services", "/api/services"), ("ops", "/api/services/frontend/operations"),
          ("deps", f"/api/dependencies?endTs={now_ms}&lookback=3600000")]
    for name, q in qs:
        lat = []; c0 = cpu()
        for i in range(5):
            t = time.perf_counter(); st, body = s.get("query", q, timeout=60); lat.append(time.perf_counter() - t)
        c1 = cpu()
        print(f"{name:10s} status {st} bytes {len(body)} lat_ms min {min(lat)*1000:.1f} max {max(lat)*1000:.1f} cpu_ms/q {(c1-c0)/5*1000:.1f}")
else:
    print("prefill:", ingest(170000, 5))
    stop = threading.Event(); counts = [0] * 4; lat = []
    def loop(i):
        while not stop.is_set():
            t = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", s.ports["query"], timeout=120)
            conn.request("GET", "/api/traces?service=frontend&lookback=1h&limit=20"); conn.getresponse().read(); conn.close()
            lat.append(time.perf_counter() - t); counts[i] += 1
    th = [threading.Thread(target=loop, args=(i,)) for i in range(4)]
    [t.start() for t in th]
    print("ingest during 4 search loops:", ingest(170000, int(os.environ.get("DUR", "15"))))
    stop.set(); [t.join() for t in th]
    lat.sort()
    print(f"searches {sum(counts)} p50 {lat[len(lat)//2]*1000:.0f} ms max {lat[-1]*1000:.0f} ms")
s.kill(); shutil.rmtree(tmp)
