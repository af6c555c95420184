"""Summarizes bench-results.jsonl (from scripts/bench) as the tables in BENCHMARKS.md."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]


def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    m = statistics.median(values)
    spread = (max(values) - min(values)) / 2
    return f"{m:.3g} ± {spread:.2g}" if len(values) > 1 else f"{m:.3g}"


loads = defaultdict(list)
refs = defaultdict(list)
for r in rows:
    if r["bench"] == "load":
        loads[r["postings"]].append(r)
    elif r["bench"] == "load-reference":
        refs[r["postings"]].append(r)

print("| postings | load s | read_json s | ratio | postings/s | load peak RSS MB | read_json RSS MB | DuckDB limit that sufficed (MiB) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted(loads):
    rs = loads[n]
    limits = sorted({str(r.get('memory_limit_used_mib')) for r in rs})
    print(f"| {n:,} | {med([r['load_secs'] for r in rs])} | {med([r['reference_secs'] for r in rs])} | "
          f"{med([r['ratio'] for r in rs])} | {med([r['postings_per_sec'] for r in rs])} | "
          f"{med([r.get('load_peak_rss_mb') for r in rs])} | {med([r['peak_rss_mb'] for r in refs[n]])} | "
          f"{', '.join(limits)} |")

print()
print("| postings | stage s | merge s | text index s | daily s | commit s | checkpoint s |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted(loads):
    ts = [r["timings"] for r in loads[n] if "timings" in r]
    print(f"| {n:,} | " + " | ".join(med([t.get(k) for t in ts]) for k in ["stage_secs", "merge_secs", "index_secs", "daily_secs", "commit_secs", "checkpoint_secs"]) + " |")

renorms = [(r["postings"], r["renormalize"]) for r in rows if r["bench"] == "load" and r.get("renormalize")]
if renorms:
    print()
    print("| postings | renormalize s | vs the load | peak RSS MB |")
    print("|---:|---:|---:|---:|")
    for n, x in renorms:
        print(f"| {n:,} | {x['renormalize_secs']:.3g} | {x['renormalize_vs_load']:.2g}× | {x['renormalize_peak_rss_mb']:.0f} |")

print()
print("| postings | view | format | ours s | COPY s | ratio |")
print("|---:|---|---|---:|---:|---:|")
for n in sorted(loads):
    by = defaultdict(list)
    for r in loads[n]:
        for e in r.get("export", []):
            by[(e["view"], e["format"])].append(e)
    for (view, fmt), es in sorted(by.items()):
        print(f"| {n:,} | {view} | {fmt} | {med([e['secs'] for e in es])} | "
              f"{med([e['reference_secs'] for e in es])} | {med([e['ratio'] for e in es])} |")

syncs = [r for r in rows if r["bench"] == "sync"]
if syncs:
    print()
    print("| searches | postings | requests | sync s | bound s | ratio | idle requests | idle s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    s = syncs[0]
    print(f"| {s['searches']} | {s['postings']} | {s['requests']} | {med([r['secs'] for r in syncs])} | "
          f"{med([r['bound_secs'] for r in syncs])} | {med([r['ratio'] for r in syncs])} | {s['idle_requests']} | "
          f"{med([r['idle_secs'] for r in syncs])} | {med([r['peak_rss_mb'] for r in syncs])} |")

scans = defaultdict(list)
for r in rows:
    if r["bench"] == "sync-scan":
        scans[r["market"]].append(r)
if scans:
    print()
    print("| market | postings | requests | first sync s | sync peak RSS MB | idle requests | idle s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted(scans):
        rs = scans[n]
        print(f"| {n:,} | {rs[0]['postings']:,} | {rs[0]['requests']} | {med([r['secs'] for r in rs])} | "
              f"{med([r['first_peak_rss_mb'] for r in rs])} | {rs[0]['idle_requests']} | {med([r['idle_secs'] for r in rs])} |")

for r in rows:
    if r["bench"] == "startup":
        print()
        print(f"start-up: `--version` {r['version_ms']:.1f} ms, config load (`status`) {r['config_ms']:.1f} ms")

serves = [r for r in rows if r["bench"] == "serve"]
if serves:
    print()
    print("| dashboard page (100k postings) | median ms | max ms |")
    print("|---|---:|---:|")
    for i, page in enumerate(serves[0]["pages"]):
        print(f"| {page['page']} | {med([s['pages'][i]['median_ms'] for s in serves])} | "
              f"{max(s['pages'][i]['max_ms'] for s in serves):.0f} |")
    print(f"resident memory over {serves[0]['loads']:,} page loads: "
          f"{med([s['rss_before_mb'] for s in serves])} MB before, {med([s['rss_after_mb'] for s in serves])} MB after")
