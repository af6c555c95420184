"""Loads the same spooled search pages into DuckDB with dlt and with upjobpilot, and reports the
ratio. Not part of the Rust build and not run in CI.

    python3 -m venv /tmp/dlt-venv && /tmp/dlt-venv/bin/pip install -r scripts/dlt/requirements.txt
    /tmp/dlt-venv/bin/python scripts/dlt/compare.py --postings 100000

It generates the pages once with `upjobpilot bench load --generate-only` (the sandbox's market
generator), times `upjobpilot bench load` over them, then dlt's pipeline over the same files
(one resource yielding every node with a primary key and merge disposition, normalized into
tables by dlt as its users would run it), each RUNS times, and reports the medians.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import dlt

parser = argparse.ArgumentParser()
parser.add_argument("--postings", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "/var/tmp/upjobpilot-target"), "release", "upjobpilot"))
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="upjobpilot-dlt-")
subprocess.run([args.bin, "bench", "load", "--postings", str(args.postings), "--dir", work, "--generate-only"],
               check=True, capture_output=True)
pages = sorted(glob.glob(os.path.join(work, "spool", "*", "*", "*.json")))
ours = sorted(
    json.loads(subprocess.run([args.bin, "bench", "load", "--postings", str(args.postings), "--dir", work, "--no-reference"],
                              check=True, capture_output=True, text=True).stdout)["load_secs"]
    for _ in range(args.runs))[args.runs // 2]


@dlt.resource(name="jobs", primary_key="id", write_disposition="merge")
def jobs():
    for path in pages:
        with open(path, "rb") as f:
            body = json.load(f)
        for edge in body["data"]["marketplaceJobPostingsSearch"]["edges"]:
            yield edge["node"]


def run_dlt(attempt):
    name = f"upjobpilot_compare_{attempt}"
    pipeline = dlt.pipeline(pipeline_name=name, destination=dlt.destinations.duckdb(os.path.join(work, f"dlt-{attempt}.duckdb")),
                            dataset_name="jobs", pipelines_dir=os.path.join(work, "dlt"))
    start = time.perf_counter()
    pipeline.run(jobs())
    return time.perf_counter() - start


dlt_secs = sorted(run_dlt(i) for i in range(args.runs))[args.runs // 2]
print(json.dumps({"postings": args.postings, "runs": args.runs, "dlt_secs": dlt_secs, "upjobpilot_secs": ours,
                  "speedup": dlt_secs / ours}))
shutil.rmtree(work, ignore_errors=True)  # the pages and both databases: gigabytes at 1M
