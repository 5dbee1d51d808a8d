#!/usr/bin/env python3
"""Open to first answer: one `pedigree query` process with `--db` (it opens the store, then
answers) against one with `--server` (it asks a `pedigree serve` that has the store open).

For each size N, a chain store written by `pedigree generate --shape chain --executions N --seed S`
and the question Q2 of the peers comparison, the upstream lineage of the last artifact within 20
hops: `artifact(name = 'a-<N-1>-1') upstream{0,20} return subgraph`. Measured, as wall time of
whole processes (median of --runs):

  --db       `pedigree query --db F Q --format ids --timing` (its own open and query time from
             --timing as well)
  --server   `pedigree query --server 127.0.0.1:P Q --format ids`, the server started beforehand
  server     from starting `pedigree serve --db F --port 0` to its "serving" line (the open it
             pays once), and its resident memory once listening

The two answers must be the same. A size whose store would not fit on the disk (about 0.75 kB per
execution, plus 1 GB to spare) is skipped with a note. It prints a markdown section.

Usage: open_to_answer.py --pedigree BIN [--sizes 200000,2000000] [--seed 1] [--runs 3]
         [--workdir DIR] [--keep]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BYTES_PER_EXECUTION = 750
SPARE_BYTES = 1 << 30

parser = argparse.ArgumentParser()
parser.add_argument("--pedigree", required=True)
parser.add_argument("--sizes", default="200000,2000000")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--workdir", help="where the stores go (default: a temporary directory)")
parser.add_argument("--keep", action="store_true", help="keep the stores in --workdir and reuse them next time")
args = parser.parse_args()
pedigree = os.path.abspath(args.pedigree)


def log(text):
    print(text, file=sys.stderr, flush=True)


def fmt(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms"


def size_text(n_bytes):
    return f"{n_bytes / 1e9:.2f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.0f} MB"


def timed(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {p.returncode}: {p.stderr[-2000:]}")
    return elapsed, p.stdout, p.stderr


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def parse_open(stderr):
    """The open time of `--timing` ("open: 1.23 s; query: ...") in seconds."""
    text = stderr.strip().splitlines()[-1].split(";")[0].removeprefix("open: ")
    value, unit = text.split()
    return float(value) * {"s": 1, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[unit]


def measure(n, work):
    db = os.path.join(work, f"chain-{n}-seed{args.seed}.sqlite")
    if not os.path.exists(db):
        need = n * BYTES_PER_EXECUTION + SPARE_BYTES
        free = shutil.disk_usage(work).free
        if free < need:
            return {"n": n, "skipped": f"skipped: {size_text(free)} free on the disk, the store needs about {size_text(need)}"}
        log(f"generating {n} executions into {db}")
        t0 = time.perf_counter()
        subprocess.run([pedigree, "generate", "--shape", "chain", "--executions", str(n), "--seed", str(args.seed), "--db", db],
                       check=True, stdout=subprocess.DEVNULL)
        log(f"generated in {time.perf_counter() - t0:.1f} s")
    query = f"artifact(name = 'a-{n - 1}-1') upstream{{0,20}} return subgraph"
    row = {"n": n, "bytes": os.path.getsize(db), "query": query}

    local, opens, answer = [], [], None
    for _ in range(args.runs):
        elapsed, out, err = timed([pedigree, "query", "--db", db, query, "--format", "ids", "--timing"])
        local.append(elapsed)
        opens.append(parse_open(err))
        answer = out
    row["db"], row["db_open"], row["nodes"] = statistics.median(local), statistics.median(opens), len(answer.splitlines())
    log(f"{n}: --db {fmt(row['db'])} (open {fmt(row['db_open'])})")

    t0 = time.perf_counter()
    server = subprocess.Popen([pedigree, "serve", "--db", db, "--port", "0", "--log-level", "warning"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        row["server_open"] = time.perf_counter() - t0
        if " on 127.0.0.1:" not in line:
            raise SystemExit(f"the server did not start: {line!r}")
        row["server_rss"] = rss(server.pid)
        address = "127.0.0.1:" + line.strip().rsplit(":", 1)[1]
        remote = []
        for _ in range(args.runs):
            elapsed, out, _ = timed([pedigree, "query", "--server", address, query, "--format", "ids"])
            remote.append(elapsed)
            if out != answer:
                raise SystemExit(f"{n}: --server answered differently from --db")
        row["server"] = statistics.median(remote)
        log(f"{n}: --server {fmt(row['server'])}; server open {fmt(row['server_open'])}")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return row


sizes = [int(s) for s in args.sizes.split(",") if s]
if args.workdir:
    os.makedirs(args.workdir, exist_ok=True)
    work, cleanup = args.workdir, None
else:
    cleanup = tempfile.TemporaryDirectory()
    work = cleanup.name
rows = []
try:
    for n in sizes:
        rows.append(measure(n, work))
        if not args.keep:
            for f in os.listdir(work):
                if f.startswith(f"chain-{n}-"):
                    os.remove(os.path.join(work, f))
finally:
    if cleanup:
        cleanup.cleanup()

print("One `pedigree query` process per answer, timed from its start to its exit (median of "
      f"{args.runs}), on a chain store (`pedigree generate --shape chain --executions N --seed {args.seed}`), asking "
      "the upstream lineage of the last artifact within 20 hops (`artifact(name = 'a-<N-1>-1') upstream{0,20} "
      "return subgraph`, printed as ids). With `--db` the process opens the store first (\"of which open\" is its "
      "own `--timing`); with `--server` it asks a `pedigree serve` that opened the store once, at its start "
      "(\"server open\": from starting `serve` to its listening line; its resident memory then). Both answers are "
      "checked equal.")
print()
print("| executions | store | answer | `--db`: open + query | of which open | `--server` | server open (once) | server memory |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    if "skipped" in r:
        print(f"| {r['n']:,} | {r['skipped']} | | | | | | |")
        continue
    print(f"| {r['n']:,} | {size_text(r['bytes'])} | {r['nodes']} nodes | {fmt(r['db'])} | {fmt(r['db_open'])} | "
          f"{fmt(r['server'])} | {fmt(r['server_open'])} | {r['server_rss'] / 2**30:.2f} GiB |")
