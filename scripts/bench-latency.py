#!/usr/bin/env python3
"""Alert latency: from a posting's publication to its webhook arriving, with `watch`.

Starts `upjobpilot sandbox` on the real clock with postings arriving at random
(--arrivals-per-hour), a JSON webhook receiver on 127.0.0.1, and `upjobpilot watch` with its
defaults (its own interval, exports on; --interval N and --no-export change them) and one
[[alert]] rule matching every posting of one search. After
--minutes it stops watch with SIGTERM and prints one JSON line: the latency (receive time minus
publishedDateTime) median and worst over the postings delivered one by one (the first poll's
digest is left out: those postings were published before watch started), the requests the
sandbox saw, and that rate as requests per day. Usage:

    scripts/bench-latency.py --binary target/release/upjobpilot --minutes 16
"""
import argparse, json, os, shutil, signal, statistics, subprocess, sys, tempfile, threading, time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

received = []
lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = datetime.now(timezone.utc)
        with lock:
            received.append((now, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/upjobpilot")
    ap.add_argument("--minutes", type=float, default=16)
    ap.add_argument("--interval", type=int, default=None,
                    help="--interval-secs for watch (default: watch's own)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--arrivals-per-hour", type=float, default=240)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="upjobpilot-latency-")
    log = os.path.join(work, "requests.jsonl")
    sandbox = subprocess.Popen(
        [args.binary, "sandbox", "--port", "0", "--enterprise", "--seed", "5",
         "--arrivals-per-hour", str(args.arrivals_per_hour), "--request-log", log],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = sandbox.stdout.readline().strip()
    client_id = sandbox.stdout.readline().strip()
    secret = sandbox.stdout.readline().strip()

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"

    # The shipped views, as `upjobpilot init` writes them: watch exports after every poll.
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "queries"),
                    os.path.join(work, "queries"))
    with open(os.path.join(work, "pipeline.toml"), "w") as f:
        f.write(f"""[upwork]
client_id = "{client_id}"
grant = "client_credentials"
authorize_url = "{base}/ab/account-security/oauth2/authorize"
token_url = "{base}/api/v3/oauth2/token"
graphql_url = "{base}/graphql"

[[search]]
name = "all"
max_age_hours = 1

[[alert]]
name = "latency"
webhook_env = "LATENCY_HOOK"
format = "json"
max_per_hour = 3600
""")
    env = dict(os.environ, UPWORK_CLIENT_SECRET=secret, LATENCY_HOOK=hook,
               UPJOBPILOT_DATA_DIR=os.path.join(work, "data"))
    started = time.time()
    command = [args.binary, "watch", "--config", os.path.join(work, "pipeline.toml")]
    if args.interval is not None:
        command += ["--interval-secs", str(args.interval)]
    if args.no_export:
        command.append("--no-export")
    watch = subprocess.Popen(
        command,
        env=env, stdout=subprocess.PIPE, stderr=open(os.path.join(work, "watch.log"), "w"),
        text=True)
    # "watching N searches every S s ...": the interval watch chose.
    watching = watch.stdout.readline().strip()
    threading.Thread(target=watch.stdout.read, daemon=True).start()
    time.sleep(args.minutes * 60)
    watch.send_signal(signal.SIGTERM)
    watch.wait(timeout=120)
    elapsed = time.time() - started
    sandbox.send_signal(signal.SIGINT)
    sandbox.wait(timeout=30)

    latencies = []
    for at, payload in received:
        if payload.get("digest"):
            continue
        for p in payload.get("postings", []):
            published = datetime.fromisoformat(p["published_at"].replace("Z", "+00:00"))
            latencies.append((at - published).total_seconds())
    graphql = sum(1 for line in open(log) if '"/graphql"' in line)
    print(json.dumps({
        "bench": "alert-latency", "watch": watching,
        "minutes": round(elapsed / 60, 1), "postings": len(latencies),
        "median_secs": round(statistics.median(latencies), 1) if latencies else None,
        "worst_secs": round(max(latencies), 1) if latencies else None,
        "graphql_requests": graphql,
        "requests_per_day": round(graphql / elapsed * 86400),
        "workdir": work,
    }))


if __name__ == "__main__":
    sys.exit(main())
