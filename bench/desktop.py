#!/usr/bin/env python3
"""Desktop numbers for lanchat, side by side with an empty Tauri 2 window in the same run:
release binary size, cold start (spawn -> page loaded) under Xvfb, and idle memory of the app
with its WebKit processes (PSS summed over the process tree, so shared pages count once).

Runs alternate between the two apps so machine noise hits both alike; medians are reported.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def children(pid):
    """All descendants of pid (WebKitWebProcess, WebKitNetworkProcess, ...)."""
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_run(binary, display, settle):
    home = tempfile.mkdtemp(prefix="lanchat-desk-")
    env = dict(os.environ, DISPLAY=display, LANCHAT_REPORT_LOADED="1",
               WEBKIT_DISABLE_COMPOSITING_MODE="1", WEBKIT_DISABLE_DMABUF_RENDERER="1",
               XDG_DATA_HOME=f"{home}/data", XDG_CONFIG_HOME=f"{home}/config",
               XDG_CACHE_HOME=f"{home}/cache", RUST_LOG="error",
               LANCHAT_NO_DISCOVERY="1")  # no mDNS on the real network from a benchmark
    t0 = time.monotonic()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, start_new_session=True)
    try:
        line = p.stdout.readline()
        loaded = time.monotonic() - t0
        if "page loaded" not in line:
            raise RuntimeError(f"{binary} did not report a loaded page: {line!r}")
        time.sleep(settle)  # let it go idle before reading memory (a measurement, not a sync)
        tree = children(p.pid)
        pss = sum(pss_kib(x) for x in tree)
        return loaded * 1000, pss / 1024, len(tree)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        shutil.rmtree(home, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lanchat", required=True)
    ap.add_argument("--empty", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    xvfb = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists("/tmp/.X11-unix/X97"):
                break
            time.sleep(0.05)
        apps = {"lanchat": a.lanchat, "empty": a.empty}
        samples = {k: [] for k in apps}
        one_run(a.lanchat, ":97", 0.5)  # warm the page cache once for both: "cold" = fresh process
        one_run(a.empty, ":97", 0.5)
        for _ in range(a.runs):
            for name, binary in apps.items():
                samples[name].append(one_run(binary, ":97", a.settle))
    finally:
        xvfb.terminate()
        xvfb.wait()

    res = {"runs": a.runs, "binary_bytes": {k: os.path.getsize(v) for k, v in apps.items()}}
    for name, rows in samples.items():
        res[name] = {
            "start_ms_median": statistics.median(r[0] for r in rows),
            "pss_mib_median": statistics.median(r[1] for r in rows),
            "processes": rows[0][2],
            "start_ms_all": [round(r[0]) for r in rows],
            "pss_mib_all": [round(r[1], 1) for r in rows],
        }
    res["extra_pss_mib"] = res["lanchat"]["pss_mib_median"] - res["empty"]["pss_mib_median"]
    text = json.dumps(res, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    mb = res["binary_bytes"]["lanchat"] / 1e6
    ok = mb < 15 and res["lanchat"]["start_ms_median"] < 1000 and res["extra_pss_mib"] <= 30
    print(f"\nlanchat: {mb:.1f} MB binary, start {res['lanchat']['start_ms_median']:.0f} ms "
          f"(empty {res['empty']['start_ms_median']:.0f} ms), idle {res['lanchat']['pss_mib_median']:.1f} MiB "
          f"(empty {res['empty']['pss_mib_median']:.1f} MiB, +{res['extra_pss_mib']:.1f})"
          f" -> targets {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
