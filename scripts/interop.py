"""Reads a demo folder's DuckDB file, Parquet and CSV exports with the tools people use, and
checks the types and formats. Run by scripts/interop."""
import csv
import re
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

demo = Path(sys.argv[1])
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


con = duckdb.connect(str(demo / "upjobpilot.duckdb"), read_only=True)
jobs = con.execute("SELECT count(*) FROM jobs").fetchone()[0]
check(jobs > 0, f"python duckdb {duckdb.__version__} opens the database ({jobs} jobs)")
types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'jobs'").fetchall())
check(types.get("published_at") == "TIMESTAMP WITH TIME ZONE", "jobs.published_at is TIMESTAMPTZ")
check(types.get("fixed_budget", "").startswith("DECIMAL"), "jobs.fixed_budget is DECIMAL")
check(types.get("skills") == "VARCHAR[]", "jobs.skills is a list")
check(con.execute("SELECT count(*) FROM new_postings").fetchone()[0] >= 0, "the views are in the file")

table = pq.read_table(demo / "exports" / "new_postings.parquet")
schema = table.schema
check(pa.types.is_timestamp(schema.field("published_at").type) and schema.field("published_at").type.tz is not None,
      f"pyarrow: published_at is a UTC timestamp ({schema.field('published_at').type})")
check(pa.types.is_decimal(schema.field("fixed_budget").type), f"pyarrow: fixed_budget is decimal ({schema.field('fixed_budget').type})")
check(pa.types.is_list(schema.field("skills").type), f"pyarrow: skills is a list ({schema.field('skills').type})")
frame = pl.read_parquet(demo / "exports" / "new_postings.parquet")
check(frame.schema["published_at"] == pl.Datetime("us", "UTC"), f"polars: published_at {frame.schema['published_at']}")
check(isinstance(frame.schema["fixed_budget"], pl.Decimal), f"polars: fixed_budget {frame.schema['fixed_budget']}")
check(isinstance(frame.schema["skills"], pl.List), f"polars: skills {frame.schema['skills']}")
check(frame.height == table.num_rows, "pyarrow and polars agree on the rows")

with open(demo / "exports" / "new_postings.csv", newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
check(len(rows) == table.num_rows, "CSV has the same rows as Parquet")
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
check(all(iso.match(r["published_at"]) for r in rows), "CSV timestamps are ISO 8601 UTC")

# Hive-partitioned Parquet, as Spark, Trino and the dataset readers see it.
import pyarrow.dataset as ds
hive = demo / "exports" / "fit_score"
dataset = ds.dataset(hive, format="parquet", partitioning="hive")
parted = dataset.to_table()
flat = pq.read_table(demo / "exports" / "fit_score.parquet")
check(parted.num_rows == flat.num_rows, f"pyarrow dataset: hive-partitioned fit_score has all {flat.num_rows} rows")
check("posted_date" in parted.schema.names, f"pyarrow dataset: posted_date partition column ({parted.schema.field('posted_date').type})")
dates = {p.name for p in hive.iterdir()}
check(all(re.match(r"^posted_date=\d{4}-\d\d-\d\d$", d) for d in dates) and dates, f"partition folders are posted_date=YYYY-MM-DD ({len(dates)} days)")
lazy = pl.scan_parquet(hive / "**" / "*.parquet", hive_partitioning=True).collect()
check(lazy.height == flat.num_rows, "polars: scan_parquet with hive_partitioning reads every row")
con.execute("SET TimeZone = 'UTC'")  # so published_at::TIMESTAMP is the UTC wall clock
mismatched = con.execute(f"""
    SELECT count(*) FROM read_parquet('{hive}/**/*.parquet', hive_partitioning = true)
    WHERE posted_date <> published_at::TIMESTAMP::DATE""").fetchone()[0]
check(mismatched == 0, "duckdb: each row sits in the folder of its UTC posting date")

if failures:
    sys.exit(f"interop: {len(failures)} check(s) failed")
print("interop: all checks passed")
