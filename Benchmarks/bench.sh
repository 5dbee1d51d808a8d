#!/usr/bin/env bash
# Runs the Swift benchmarks, the peers comparison, the server load, open-to-first-answer
# (`--db` against `--server`), the storage backends and several servers on one database, and
# writes one markdown report
# (`make bench` writes Benchmarks/RESULTS.md; `make bench-smoke` a small one under .build-bench/).
# Expects the binaries and the peers' venv that the Makefile builds.
#
#   OUT=Benchmarks/RESULTS.md SIZES=20000,200000 EXECUTIONS=200000 SEED=1 REPEAT=25 BUDGET=10 \
#     WRITE_CALLS=300 STRICT= CLIENTS=8 LOAD_SECONDS=60 OPEN_SIZES=200000,2000000 OPEN_RUNS=3 \
#     SHARED_SERVERS=3 SHARED_EXECUTIONS=5000 SHARED_BACKENDS=postgresql,mysql bash Benchmarks/bench.sh
# OPEN_SIZES: chain stores for open-to-first-answer; 2M executions takes minutes to generate and
# about 1.4 GB of disk (a size that does not fit is skipped with a note).
# WEB_EXECUTIONS: the tfx store of the explorer's pages (Benchmarks/web/web_bench.py).
# OL_RUNS: runs (two RunEvents each) of the OpenLineage ingest (Benchmarks/openlineage/ol_bench.py).
# SHARED_*: Benchmarks/servers/shared.py, SHARED_SERVERS `pedigree serve` on one database of each of
# SHARED_BACKENDS, pre-loaded with SHARED_EXECUTIONS executions, CLIENTS clients for LOAD_SECONDS,
# against ml-metadata's library on the same server (twice LOAD_SECONDS per backend).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-Benchmarks/RESULTS.md}
SIZES=${SIZES:-20000,200000}
EXECUTIONS=${EXECUTIONS:-200000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-25}
BUDGET=${BUDGET:-10}
WRITE_CALLS=${WRITE_CALLS:-300}
PEDIGREE=${PEDIGREE:-.build-bench/release/pedigree}
SWIFT_BENCH=${SWIFT_BENCH:-Benchmarks/.build/release/PedigreeBenchmarks}
PEERS_PY=${PEERS_PY:-Benchmarks/peers/.venv/bin/python}
CBFS=${CBFS:-.build-bench/cbfs}
CIMPORT=${CIMPORT:-.build-bench/cimport}
CPURGE=${CPURGE:-.build-bench/cpurge}
CLIENTS=${CLIENTS:-8}
LOAD_SECONDS=${LOAD_SECONDS:-60}
OPEN_SIZES=${OPEN_SIZES:-200000,2000000}
OPEN_RUNS=${OPEN_RUNS:-3}
SHARED_SERVERS=${SHARED_SERVERS:-3}
SHARED_EXECUTIONS=${SHARED_EXECUTIONS:-5000}
SHARED_BACKENDS=${SHARED_BACKENDS:-postgresql,mysql}
WEB_EXECUTIONS=${WEB_EXECUTIONS:-200000}
OL_RUNS=${OL_RUNS:-5000}

swift_cmd="$SWIFT_BENCH --sizes $SIZES --write-calls $WRITE_CALLS --cimport $CIMPORT --cpurge $CPURGE"
load_cmd="$PEERS_PY Benchmarks/load/load.py --pedigree $PEDIGREE --clients $CLIENTS --seconds $LOAD_SECONDS"
open_cmd="python3 Benchmarks/open/open_to_answer.py --pedigree $PEDIGREE --sizes $OPEN_SIZES --seed $SEED --runs $OPEN_RUNS --workdir .build-bench/open"
servers_cmd="$PEERS_PY Benchmarks/servers/servers.py --pedigree $PEDIGREE --swift-bench $SWIFT_BENCH --executions $EXECUTIONS --write-calls $WRITE_CALLS"
shared_cmd="$PEERS_PY Benchmarks/servers/shared.py --pedigree $PEDIGREE --servers $SHARED_SERVERS --clients $CLIENTS --seconds $LOAD_SECONDS --executions $SHARED_EXECUTIONS --backends $SHARED_BACKENDS"
web_cmd="python3 Benchmarks/web/web_bench.py --pedigree $PEDIGREE --executions $WEB_EXECUTIONS --workdir .build-bench/web"
ol_cmd="$PEERS_PY Benchmarks/openlineage/ol_bench.py --pedigree $PEDIGREE --runs $OL_RUNS --workdir .build-bench/openlineage"
peers_cmd="$PEERS_PY Benchmarks/peers/run_peers.py --pedigree $PEDIGREE --swift-bench $SWIFT_BENCH --executions $EXECUTIONS --seed $SEED --repeat $REPEAT --budget $BUDGET --write-calls $WRITE_CALLS --c-bfs $CBFS${STRICT:+ --strict}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $swift_cmd" >&2
$swift_cmd > "$tmp/swift.md"
cat "$tmp/swift.md" >&2
echo "== $peers_cmd" >&2
$peers_cmd > "$tmp/peers.md"
cat "$tmp/peers.md" >&2
echo "== $load_cmd" >&2
$load_cmd > "$tmp/load.md"
cat "$tmp/load.md" >&2
echo "== $open_cmd" >&2
$open_cmd > "$tmp/open.md"
cat "$tmp/open.md" >&2
echo "== $web_cmd" >&2
$web_cmd > "$tmp/web.md"
cat "$tmp/web.md" >&2
echo "== $ol_cmd" >&2
$ol_cmd > "$tmp/ol.md"
cat "$tmp/ol.md" >&2
# MariaDB and PostgreSQL for the storage backends: private, on loopback, with their durable defaults.
# (Not under $tmp: mktemp's directory is private, and the servers run as their own users.)
dbdir=/tmp/pedigree-bench-dbservers.$$
trap 'bash Scripts/dbservers.sh stop "$dbdir" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
DBSERVERS_DURABLE=1 bash Scripts/dbservers.sh start "$dbdir" >&2
echo "== $servers_cmd" >&2
( . "$dbdir/env" && $servers_cmd > "$tmp/servers.md" )
cat "$tmp/servers.md" >&2
echo "== $shared_cmd" >&2
# A failing check there (an error, a write not seen, a token read without its write) still leaves
# its figures in the report; the run exits non-zero at the end.
shared_status=0
( . "$dbdir/env" && $shared_cmd > "$tmp/shared.md" ) || shared_status=$?
cat "$tmp/shared.md" >&2
bash Scripts/dbservers.sh stop "$dbdir" >&2
elapsed=$(( $(date +%s) - start ))

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mkdir -p "$(dirname "$OUT")"
{
    echo "# Benchmark results"
    echo
    echo "Written by \`make bench\` (Benchmarks/bench.sh); every figure below was measured in this run."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs ($cpu), $mem memory, $(uname -sr)"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (with uncommitted changes in Sources)')"
    echo "- peers: $($PEERS_PY -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("ml-metadata", "duckdb", "kuzu")))' 2>/dev/null || echo 'see the notes below')"
    echo "- Python $($PEERS_PY -c 'import sys, sqlite3; print(sys.version.split()[0], "with SQLite", sqlite3.sqlite_version)')"
    echo "- wall time of the eight runs: ${elapsed} s"
    echo "- load average (1, 5, 15 min) at the start and the end of the run (other work on the machine shows here): $load_start; $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "Commands (release builds: \`swift build -c release --scratch-path .build-bench\` for the CLI,"
    echo "\`swift build -c release\` in Benchmarks/, \`cc -O2\` for the C yardsticks in Benchmarks/cbfs):"
    echo
    echo '```sh'
    echo "$swift_cmd"
    echo "$peers_cmd"
    echo "$load_cmd"
    echo "$open_cmd"
    echo "$web_cmd"
    echo "$ol_cmd"
    echo "$servers_cmd"
    echo "$shared_cmd"
    echo '```'
    echo
    echo "## Pedigree on its own (Benchmarks/Sources/PedigreeBenchmarks)"
    echo
    cat "$tmp/swift.md"
    echo
    echo "## Side by side with the peers (Benchmarks/peers/run_peers.py)"
    echo
    cat "$tmp/peers.md"
    echo
    echo "## Serving: concurrent ml-metadata clients against \`pedigree serve\` (Benchmarks/load/load.py)"
    echo
    cat "$tmp/load.md"
    echo
    echo "## Open to first answer: \`pedigree query --db\` against \`--server\` (Benchmarks/open/open_to_answer.py)"
    echo
    cat "$tmp/open.md"
    echo
    echo "## The lineage explorer: pages and API on a large store (Benchmarks/web/web_bench.py)"
    echo
    cat "$tmp/web.md"
    echo
    echo "## OpenLineage ingest, durable (Benchmarks/openlineage/ol_bench.py)"
    echo
    cat "$tmp/ol.md"
    echo
    echo "## Storage backends: SQLite, MySQL (MariaDB), PostgreSQL (Benchmarks/servers/servers.py)"
    echo
    cat "$tmp/servers.md"
    echo
    echo "## Several servers on one database, against ml-metadata's library (Benchmarks/servers/shared.py)"
    echo
    cat "$tmp/shared.md"
} > "$OUT"
echo "wrote $OUT in ${elapsed} s" >&2
if [ "$shared_status" != 0 ]; then
    echo "Benchmarks/servers/shared.py failed (exit $shared_status): see its section in $OUT" >&2
    exit "$shared_status"
fi
