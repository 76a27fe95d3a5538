#!/usr/bin/env python3
"""File transfer benchmark (issue #12): one file (1 GiB by default) uploaded to and downloaded
from lanchat over loopback, side by side with nginx accepting (PUT, dav module) and serving the
same file, and with the disk's own write rate (dd) as the limit. Also: the lanchat host's RSS
growth during the upload, and the chat latency (p99) of a busy room while a file uploads.

Called by bench/files.sh after the build; standard library only. The servers are pinned to
CPU 0 and the clients (curl, lanchat join, the load generator) to CPU 1. Every transfer runs
REPS times per peer, interleaved; the report quotes medians. Writes
bench/results/files-<timestamp>.{json,md}.
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
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_CPU, CLIENT_CPU = "0", "1"


def pinned(cpu, argv):
    return ["taskset", "-c", cpu] + argv


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Peak(threading.Thread):
    """Samples a process's RSS every 20 ms until stopped; keeps the highest."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, rss_kib(pid), threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def timed(argv, **kw):
    t = time.monotonic()
    out = subprocess.run(argv, check=True, capture_output=True, text=True, **kw)
    return time.monotonic() - t, out


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    import socket
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit(f"bench: {what} exited: {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: {what} did not listen on {port}")


def make_file(path, size):
    chunk = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(size >> 20):
            # Different bytes per MiB, cheaply: the file does not compress or repeat.
            f.write(chunk[i % 251:] + chunk[: i % 251])


def settled():
    """Writes back every dirty page first, so that a timed write does not start behind the
    previous one's 1 GiB of writeback."""
    os.sync()


def dd(src, work, sync):
    out = os.path.join(work, "dd.out")
    argv = ["dd", f"if={src}", f"of={out}", "bs=1M"] + (["conv=fdatasync"] if sync else [])
    settled()
    secs, _ = timed(pinned(CLIENT_CPU, argv))
    os.remove(out)
    return secs


# The bare socket-to-file copy: no HTTP, no TLS, no hash. The sender hands the file to the kernel
# (sendfile) on the clients' CPU; the receiver reads 256 KiB at a time and writes each to a file on
# the servers' CPU: the most any upload server can do over this loopback.
SINK = """
import socket, sys
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
print(ls.getsockname()[1], flush=True)
conn, _ = ls.accept()
buf = bytearray(256 << 10); view = memoryview(buf)
with open(sys.argv[1], "wb", buffering=0) as f:
    while n := conn.recv_into(buf):
        f.write(view[:n])
"""


def tcp_copy(src, work):
    out = os.path.join(work, "tcp.out")
    settled()
    sink = subprocess.Popen(pinned(SERVER_CPU, [sys.executable, "-c", SINK, out]),
                            stdout=subprocess.PIPE, text=True)
    port = int(sink.stdout.readline())
    import socket
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as s, open(src, "rb") as f:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
        try:
            s.sendfile(f)
        finally:
            os.sched_setaffinity(0, range(os.cpu_count()))
    sink.wait()
    secs = time.monotonic() - t
    os.remove(out)
    return secs


def start_nginx(work):
    root = os.path.join(work, "nginx")
    os.makedirs(os.path.join(root, "www"), exist_ok=True)
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    port = free_port()
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        # As root, nginx's worker would switch to `nobody`, which cannot write in our 0700 work
        # directory: keep it as the user running the bench.
        user = "user root;" if os.geteuid() == 0 else ""
        f.write(f"""
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {root}/tmp;
    client_max_body_size 0;
    client_body_buffer_size 1m;
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        location / {{ dav_methods PUT; create_full_put_path on; }}
    }}
}}
""")
    proc = subprocess.Popen(
        pinned(SERVER_CPU, ["nginx", "-p", root, "-c", conf, "-g", "daemon off;"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, "nginx")
    return proc, port


def start_lanchat(binary, work):
    data = os.path.join(work, "lanchat")
    proc = subprocess.Popen(
        pinned(SERVER_CPU, [binary, "serve", "--bind", "127.0.0.1", "--port", "0",
                            "--data", data, "--max-file-size", "8GiB", "--files-quota", "64GiB"]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "LANCHAT_PASSWORD": ""})
    port = fingerprint = None
    while fingerprint is None:
        line = proc.stdout.readline()
        if not line:
            sys.exit("bench: lanchat serve exited before printing its address and fingerprint")
        if line.startswith("listening on "):
            port = int(line.strip().rsplit(":", 1)[1])
        elif line.startswith("fingerprint "):
            # "fingerprint C9D1 05FD ... (TLS and plain HTTP ...)": the hex groups before "(".
            fingerprint = "".join(line[len("fingerprint "):].split("(")[0].split())
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, port, data, fingerprint


def curl_get(url):
    secs, out = timed(pinned(CLIENT_CPU, ["curl", "-sS", "--fail", "-o", "/dev/null",
                                          "-w", "%{size_download}", url]))
    return secs, int(out.stdout)


def lanchat_upload(binary, port, fingerprint, src, nick):
    """`lanchat join` with `/send SRC` over TLS, the host's fingerprint pinned: wall time (connect
    and ticket included) and the link."""
    t = time.monotonic()
    out = subprocess.run(
        pinned(CLIENT_CPU, [binary, "join", f"127.0.0.1:{port}", "--room", "files",
                            "--nick", nick, "--fingerprint", fingerprint,
                            "--known-hosts", os.path.join(os.path.dirname(src), "known_hosts")]),
        input=f"/send {src}\n", capture_output=True, text=True, check=True,
        env={**os.environ, "LANCHAT_PASSWORD": ""})
    secs = time.monotonic() - t
    name = os.path.basename(src)
    links = re.findall(rf"{re.escape(nick)}: 📎 {re.escape(name)} \(.*?\) (\S+)", out.stdout)
    if not links:
        # The message may come after join exits; ask the room's history.
        sys.exit(f"bench: no link in lanchat join's output:\n{out.stdout}\n{out.stderr}")
    return secs, links[-1]


def chat_p99_during_upload(binary, loadgen, port, fingerprint, src, server_pid, duration):
    """A busy room (100 members, 100 messages/s) measured while a file uploads."""
    gen = subprocess.Popen(
        pinned(CLIENT_CPU, [loadgen, "--addr", f"127.0.0.1:{port}", "--prefix", "busy",
                            "--server-pid", str(server_pid), "rate", "--conns", "100",
                            "--rate", "100", "--senders-per-room", "10", "--warmup", "1",
                            "--duration", str(duration), "--drain", "2"]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(1.5)
    up_secs, _ = lanchat_upload(binary, port, fingerprint, src, "busy-up")
    report = json.loads(gen.communicate()[0])
    return up_secs, report


def mbps(size, secs):
    return size / secs / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", default=os.environ.get("BENCH_TMP", "/var/tmp"))
    ap.add_argument("--nginx-only", action="store_true", help="check the nginx setup and exit")
    args = ap.parse_args()
    binary = os.path.join(args.bin_dir, "lanchat")
    loadgen = os.path.join(args.bin_dir, "lanchat-loadgen")
    size = args.size_mib << 20
    work = tempfile.mkdtemp(prefix="lanchat-files-bench-", dir=args.work)
    procs = []
    try:
        src = os.path.join(work, "payload.bin")
        print(f"bench: writing a {args.size_mib} MiB file in {work}", file=sys.stderr)
        make_file(src, size)
        res = {"size": size, "reps": args.reps, "dd": [], "dd_sync": [], "tcp": [],
               "nginx_up": [], "nginx_down": [], "lanchat_up": [], "lanchat_down": [],
               "lanchat_rss_growth_kib": []}
        nginx, nport = start_nginx(work)
        procs.append(nginx)
        lanchat, lport, data, fp = start_lanchat(binary, work)
        procs.append(lanchat)
        for rep in range(args.reps):
            print(f"bench: rep {rep + 1}/{args.reps}", file=sys.stderr)
            res["dd"].append(dd(src, work, False))
            res["dd_sync"].append(dd(src, work, True))
            res["tcp"].append(tcp_copy(src, work))
            settled()
            secs, _ = timed(pinned(CLIENT_CPU, ["curl", "-sS", "--fail", "-T", src, "-o",
                                                "/dev/null", f"http://127.0.0.1:{nport}/up.bin"]))
            res["nginx_up"].append(secs)
            secs, got = curl_get(f"http://127.0.0.1:{nport}/up.bin")
            assert got == size, got
            res["nginx_down"].append(secs)
            settled()
            base = rss_kib(lanchat.pid)
            peak = Peak(lanchat.pid)
            peak.start()
            secs, link = lanchat_upload(binary, lport, fp, src, f"up{rep}")
            res["lanchat_rss_growth_kib"].append(peak.stop() - base)
            res["lanchat_up"].append(secs)
            secs, got = curl_get(f"http://127.0.0.1:{lport}{link[link.index('/files/'):]}")
            assert got == size, got
            res["lanchat_down"].append(secs)
        up_secs, report = chat_p99_during_upload(binary, loadgen, lport, fp, src, lanchat.pid, 8)
        res["busy_upload_secs"] = up_secs
        res["busy_chat"] = report
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in res.items() if isinstance(v, list) and v}
    rate = {k: mbps(size, med[k]) for k in
            ["dd", "dd_sync", "tcp", "nginx_up", "nginx_down", "lanchat_up", "lanchat_down"]}
    lat = res["busy_chat"].get("latency_ms", {})
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    md = [
        f"# Files benchmark {stamp}",
        "",
        f"One {args.size_mib} MiB file over loopback, median of {args.reps} (MB/s = 10^6 bytes/s).",
        "Servers on CPU 0, clients on CPU 1. lanchat's upload is `lanchat join` + `/send`"
        " (connect and ticket included); downloads are curl for both servers.",
        "",
        "| | MB/s | vs |",
        "|---|---:|---|",
        f"| dd write (page cache) | {rate['dd']:.0f} | the limit |",
        f"| dd write + fdatasync | {rate['dd_sync']:.0f} | |",
        f"| bare TCP → file (no HTTP, TLS or hash) | {rate['tcp']:.0f} | {100 * rate['tcp'] / rate['dd']:.0f} % of dd |",
        f"| nginx PUT | {rate['nginx_up']:.0f} | |",
        f"| lanchat upload | {rate['lanchat_up']:.0f} | {100 * rate['lanchat_up'] / rate['dd']:.0f} % of dd, "
        f"{100 * rate['lanchat_up'] / rate['nginx_up']:.0f} % of nginx PUT |",
        f"| nginx GET | {rate['nginx_down']:.0f} | |",
        f"| lanchat download | {rate['lanchat_down']:.0f} | {100 * rate['lanchat_down'] / rate['nginx_down']:.0f} % of nginx |",
        "",
        f"lanchat host RSS growth during an upload (peak − before, median): "
        f"{med['lanchat_rss_growth_kib'] / 1024:.1f} MiB.",
        "",
        f"Chat in a busy room (100 members, 100 messages/s) while a {args.size_mib} MiB file "
        f"uploads ({res['busy_upload_secs']:.1f} s): latency p50 {lat.get('p50', 0):.1f} ms, "
        f"p99 {lat.get('p99', 0):.1f} ms, max {lat.get('max', 0):.1f} ms "
        f"({lat.get('n', 0)} deliveries).",
        "",
    ]
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"files-{stamp}.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(HERE, "results", f"files-{stamp}.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
