"""Pedigree on MySQL (MariaDB) and PostgreSQL, side by side with SQLite and with ml-metadata.

For each backend (an SQLite file, and each server whose base URL is in PEDIGREE_MYSQL_URL /
PEDIGREE_POSTGRES_URL): a chain store of --executions executions written by `pedigree generate`
(the bulk path: rows many to a statement on a server), then opened read-only (database to ready
graph, the median of --repeat opens, `PedigreeBenchmarks open-time`); and the durable
single-execution write (put_execution: 1 execution, 2 input and 2 output artifacts, 1 context, its
own transaction) timed for Pedigree (`PedigreeBenchmarks put-execution --db`) and for the real
ml-metadata client on the same database server, median of --write-calls calls.

Prints one markdown section. Usage:
  python servers.py --pedigree .build-bench/release/pedigree --swift-bench Benchmarks/.build/release/PedigreeBenchmarks \\
      [--executions 200000] [--write-calls 300] [--repeat 3] [--workdir DIR]
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "peers"))
from run_peers import put_execution_workload  # noqa: E402  (the same workload as the peers' file figure)


def log(text):
    print(text, file=sys.stderr, flush=True)


def redact(url):
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def fresh(base, label):
    return f"{base}bench_{label}_{random.randrange(1 << 30)}"


def connection_config(url):
    """An ml-metadata ConnectionConfig for a mysql:// or postgresql:// URL."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    u = urllib.parse.urlparse(url)
    config = mlmd.ConnectionConfig()
    name = u.path.lstrip("/")
    password = urllib.parse.unquote(u.password or "")
    if u.scheme == "mysql":
        config.mysql.host = u.hostname
        config.mysql.port = u.port or 3306
        config.mysql.database = name
        config.mysql.user = urllib.parse.unquote(u.username or "")
        config.mysql.password = password
    else:
        config.postgresql.host = u.hostname
        config.postgresql.port = str(u.port or 5432)
        config.postgresql.dbname = name
        config.postgresql.user = urllib.parse.unquote(u.username or "")
        config.postgresql.password = password
    return config


def mlmd_put_execution(url, calls):
    """ml-metadata's put_execution on a new database of a server: Pedigree's workload."""
    from ml_metadata.metadata_store import metadata_store
    return put_execution_workload(metadata_store.MetadataStore(connection_config(url)), calls)


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--swift-bench", required=True)
    ap.add_argument("--executions", type=int, default=200_000)
    ap.add_argument("--write-calls", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    work = Path(args.workdir or f"/tmp/pedigree-servers-bench-{os.getpid()}")
    work.mkdir(parents=True, exist_ok=True)
    backends = [("SQLite file", str(work / "chain.sqlite"), None)]
    for variable, name in (("PEDIGREE_MYSQL_URL", "MySQL (MariaDB)"), ("PEDIGREE_POSTGRES_URL", "PostgreSQL")):
        base = os.environ.get(variable)
        if base:
            backends.append((name, fresh(base, "chain"), base))
        else:
            log(f"servers: {variable} is not set; {name} skipped")

    rows = []
    for name, location, base in backends:
        if base is None:
            for suffix in ("", "-wal", "-shm"):
                Path(location + suffix).unlink(missing_ok=True)
        log(f"servers: {name}: generate {args.executions} executions into {redact(location)}")
        t0 = time.perf_counter()
        subprocess.run([args.pedigree, "generate", "--executions", str(args.executions), "--seed", "1", "--db", location],
                       check=True, stdout=subprocess.DEVNULL)
        generate = time.perf_counter() - t0
        out = subprocess.run([args.swift_bench, "open-time", "--db", location, "--repeat", str(args.repeat)],
                             check=True, capture_output=True, text=True).stdout.split()
        open_seconds, nodes, events = float(out[0]), int(out[1]), int(out[2])
        log(f"servers: {name}: generate {generate:.1f} s, open {open_seconds:.2f} s ({nodes} nodes, {events} events)")
        write = None
        if base is not None:
            p = subprocess.run([args.swift_bench, "put-execution", "--write-calls", str(args.write_calls),
                                "--db", fresh(base, "put")], check=True, capture_output=True, text=True)
            m = re.search(r"\| ([\d.]+ (?:µs|ms|s)) median, ([\d.]+ (?:µs|ms|s)) p90", p.stdout)
            library = mlmd_put_execution(fresh(base, "mlmdput"), args.write_calls)
            write = (m.group(1), m.group(2), library)
            log(f"servers: {name}: put_execution pedigree {m.group(1)}, ml-metadata {ms(library[0])}")
        rows.append((name, generate, open_seconds, nodes, events, write))

    print(f"\n### Database servers ({args.executions:,} executions, chain shape)\n")
    print("Pedigree's store on each backend (`Benchmarks/servers/servers.py`): `pedigree generate` (bulk rows,")
    print("many to a statement on a server), open read-only (database to ready graph, median of "
          f"{args.repeat}), and durable `put_execution` against the real ml-metadata client on the same server "
          f"(median of {args.write_calls} calls; the servers run with their durable defaults).\n")
    print("| backend | generate | open | nodes, events | put_execution: Pedigree (p90) | put_execution: ml-metadata (p90) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, generate, open_seconds, nodes, events, write in rows:
        w = f"{write[0]} ({write[1]}) | {ms(write[2][0])} ({ms(write[2][1])})" if write else "see above | see above"
        print(f"| {name} | {generate:.1f} s | {open_seconds:.2f} s | {nodes:,}, {events:,} | {w} |")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
