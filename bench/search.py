#!/usr/bin/env python3
"""Search and scrollback benchmark (issue #14). Generates a store with --messages chat messages
in room `big` (and a tenth as many in 20 other rooms; Zipf-distributed words: bench/gen_history.rs),
starts `lanchat serve` on it (pinned to CPU 0, the load generator to CPU 1), and measures through
the real server:

1. search alone: `search` round trips, 4 readers x 10 requests/s, queries of five kinds (common,
   middle and rare words, 3-letter prefixes, pairs);
2. joins under read load: 8 readers x 15 requests/s, half `search`, half `history` pages of 100
   before a random seq, while 100 fresh connections join the big room one after another and time
   `joinRoom` -> ack (the last 100 messages are replayed before the ack).

Each phase runs --reps times; the report quotes medians of the per-run percentiles. Also records
the time to write the messages, to build the index of an existing database at open (the
migration), the database size with and without the index, and the machine's load around the run
(the machine is shared). Writes bench/results/search-<timestamp>.{json,md}.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_CPU, CLIENT_CPU = "0", "1"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def busy_neighbours():
    """The processes using the most CPU right now (what ran alongside)."""
    try:
        out = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
        return [l.strip() for l in out.splitlines()[1:6]]
    except OSError:
        return []


def serve(bins, data, logf):
    p = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, os.path.join(bins, "lanchat"), "serve", "--port", "0", "--bind", "127.0.0.1",
         "--data", data, "--no-announce"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    pat = re.compile(r"listening on http://([0-9.]+:[0-9]+)")
    deadline = time.time() + 300
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        logf.write(line)
        m = pat.search(line)
        if m:
            return p, m.group(1)
    p.kill()
    raise RuntimeError("lanchat serve did not start")


def loadgen(bins, addr, pid, prefix, args):
    cmd = ["taskset", "-c", CLIENT_CPU, os.path.join(bins, "lanchat-loadgen"), "--addr", addr, "--server-pid", str(pid),
           "--prefix", prefix, "reads", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f"loadgen failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lanchat-search-", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    results = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "messages": a.messages,
               "loadavg_before": os.getloadavg(), "alongside_before": busy_neighbours(), "runs": []}
    try:
        data = os.path.join(tmp, "data")
        log(f"== generating {a.messages} messages in {data}")
        gen = subprocess.run(["taskset", "-c", SERVER_CPU, os.path.join(a.bin_dir, "examples", "gen_history"), data,
                              "--messages", str(a.messages)], capture_output=True, text=True, check=True)
        g = json.loads(gen.stdout)
        results["generate"] = {k: v for k, v in g.items() if k != "queries"}
        log(f"  written in {g['write_s']:.1f} s; index of an existing database built at open in {g['index_build_s']:.1f} s; "
            f"{g['db_mib_without_index']:.0f} MiB without the index, {g['db_mib_with_index']:.0f} MiB with it")
        qfile = os.path.join(tmp, "queries.tsv")
        with open(qfile, "w") as f:
            for kind, qs in g["queries"].items():
                for q in qs:
                    f.write(f"{kind}\t{q}\n")
        results["queries"] = g["queries"]
        with open(os.path.join(tmp, "serve.log"), "a") as logf:
            proc, addr = serve(a.bin_dir, data, logf)
            try:
                common = ["--queries", qfile, "--max-seq", str(a.messages), "--duration", str(a.duration)]
                for rep in range(a.reps):
                    r = loadgen(a.bin_dir, addr, proc.pid, f"s{rep}",
                                ["--readers", "4", "--rate", "10", "--search-share", "1.0", *common])
                    r["phase"], r["rep"] = "search", rep
                    results["runs"].append(r)
                    log(f"  search alone rep{rep}: p50 {r['search_ms']['p50']:.1f} ms p99 {r['search_ms']['p99']:.1f} ms "
                        f"(n {r['search_ms']['n']}, errors {r['errors']})")
                    r = loadgen(a.bin_dir, addr, proc.pid, f"j{rep}",
                                ["--readers", "8", "--rate", "15", "--search-share", "0.5", "--joiners", "100", *common])
                    r["phase"], r["rep"] = "joins", rep
                    results["runs"].append(r)
                    log(f"  joins under reads rep{rep}: join p50 {r['join_ms']['p50']:.1f} ms p99 {r['join_ms']['p99']:.1f} ms; "
                        f"search p99 {r['search_ms']['p99']:.1f} ms; history p99 {r['history_ms']['p99']:.1f} ms "
                        f"(errors {r['errors']}{', ' + r['first_errors'][0] if r['first_errors'] else ''})")
            finally:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["loadavg_after"] = os.getloadavg()
    results["alongside_after"] = busy_neighbours()

    def pick(phase, f):
        return med([f(r) for r in results["runs"] if r["phase"] == phase])

    s = {
        "search_p50_ms": pick("search", lambda r: r["search_ms"]["p50"]),
        "search_p99_ms": pick("search", lambda r: r["search_ms"]["p99"]),
        "join_p50_ms": pick("joins", lambda r: r["join_ms"]["p50"]),
        "join_p99_ms": pick("joins", lambda r: r["join_ms"]["p99"]),
        "loaded_search_p99_ms": pick("joins", lambda r: r["search_ms"]["p99"]),
        "loaded_history_p50_ms": pick("joins", lambda r: r["history_ms"]["p50"]),
        "loaded_history_p99_ms": pick("joins", lambda r: r["history_ms"]["p99"]),
        "errors": sum(r["errors"] for r in results["runs"]),
        "by_kind_p99_ms": {k: pick("search", lambda r, k=k: r["search_by_kind_ms"].get(k, {}).get("p99"))
                           for k in results["queries"]},
    }
    results["summary"] = s
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"search-{stamp}.json"), "w") as f:
        json.dump(results, f, indent=2)
    g = results["generate"]
    kinds = " · ".join(f"{k} {v:.1f}" for k, v in s["by_kind_p99_ms"].items() if v is not None)
    md = f"""# Search and scrollback ({stamp})

{a.messages:,} messages in room `big` + {g['messages_other']:,} in 20 other rooms; {a.reps} reps of {a.duration:.0f} s; medians.
lanchat serve (release) pinned to CPU {SERVER_CPU}, the load generator to CPU {CLIENT_CPU}; load average before
{results['loadavg_before'][0]:.1f}, after {results['loadavg_after'][0]:.1f}.

| measure | goal | result |
|---|---|---|
| search round trip, 4 readers x 10/s, p50 / p99 | p99 < 50 ms | {s['search_p50_ms']:.1f} / {s['search_p99_ms']:.1f} ms |
| search p99 by query kind | | {kinds} ms |
| join + last 100 messages (joinRoom -> ack) under 8 readers x 15/s of search and history, p50 / p99 | p99 < 20 ms | {s['join_p50_ms']:.1f} / {s['join_p99_ms']:.1f} ms |
| search p99 under that load | | {s['loaded_search_p99_ms']:.1f} ms |
| history page of 100, p50 / p99 under that load | | {s['loaded_history_p50_ms']:.1f} / {s['loaded_history_p99_ms']:.1f} ms |
| errors | 0 | {s['errors']} |
| writing the messages (Store::append, batches of 1,000, index included) | | {g['write_s']:.1f} s |
| indexing an existing database at open (migration) | | {g['index_build_s']:.1f} s |
| database size without / with the search index | | {g['db_mib_without_index']:.0f} / {g['db_mib_with_index']:.0f} MiB |

Busiest processes before the run: {'; '.join(results['alongside_before'][:3])}
"""
    with open(os.path.join(a.out, f"search-{stamp}.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
