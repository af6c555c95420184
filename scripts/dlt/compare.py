"""Loads the same spooled search pages into DuckDB with dlt and with upjobpilot, and reports the
ratio. Not part of the Rust build and not run in CI.

    python3 -m venv /tmp/dlt-venv && /tmp/dlt-venv/bin/pip install -r scripts/dlt/requirements.txt
    /tmp/dlt-venv/bin/python scripts/dlt/compare.py --postings 100000

It generates the pages with `upjobpilot bench load --reference-only --dir DIR` (the sandbox's
market generator), times dlt's pipeline over them (one resource yielding every node, normalized
into tables by dlt as its users would run it), and times `upjobpilot bench load` on the same
size.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import dlt

parser = argparse.ArgumentParser()
parser.add_argument("--postings", type=int, default=100_000)
parser.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "/var/tmp/upjobpilot-target"), "release", "upjobpilot"))
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="upjobpilot-dlt-")
ours = json.loads(subprocess.run([args.bin, "bench", "load", "--postings", str(args.postings), "--dir", work],
                                 check=True, capture_output=True, text=True).stdout)
pages = sorted(glob.glob(os.path.join(work, "spool", "*", "*", "*.json")))
if not pages:
    # `bench load` consumed the spool: generate it again for dlt.
    subprocess.run([args.bin, "bench", "load", "--postings", str(args.postings), "--dir", work, "--reference-only"],
                   check=True, capture_output=True)
    pages = sorted(glob.glob(os.path.join(work, "spool", "*", "*", "*.json")))


@dlt.resource(name="jobs", primary_key="id", write_disposition="merge")
def jobs():
    for path in pages:
        with open(path, "rb") as f:
            body = json.load(f)
        for edge in body["data"]["marketplaceJobPostingsSearch"]["edges"]:
            yield edge["node"]


pipeline = dlt.pipeline(pipeline_name="upjobpilot_compare", destination=dlt.destinations.duckdb(os.path.join(work, "dlt.duckdb")),
                        dataset_name="jobs", pipelines_dir=os.path.join(work, "dlt"))
start = time.perf_counter()
info = pipeline.run(jobs())
dlt_secs = time.perf_counter() - start
print(json.dumps({"postings": args.postings, "dlt_secs": dlt_secs, "upjobpilot_secs": ours["load_secs"],
                  "speedup": dlt_secs / ours["load_secs"]}))
