#!/usr/bin/env bash
# Compatibility checks between Pedigree and the real ml-metadata library.
#
#   PY=.venv/bin/python PEDIGREE=.build/debug/pedigree Tests/Compat/run_compat.sh
#
# PY: a python with ml-metadata 1.17.1 (default python3). PEDIGREE: the binary
# (default .build/debug/pedigree). SEED, RUNS: fixture shape (default 7, 3).
# KEEP=1 keeps the work directory after a success (it is always kept after a
# failure). Ends with "compat: N passed, M failed"; exits 1 if M > 0.
# shellcheck disable=SC2317  # the helpers below are called through check()
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PY:-python3}
PEDIGREE=${PEDIGREE:-.build/debug/pedigree}
if [[ $PEDIGREE != */* ]]; then
  PEDIGREE=$(command -v "$PEDIGREE" || true)
fi
if [[ -z $PEDIGREE || ! -x $PEDIGREE ]]; then
  echo "run_compat: no executable pedigree at '${PEDIGREE}' (set PEDIGREE)" >&2
  exit 2
fi
if ! "$PY" -c 'import ml_metadata' 2>/dev/null; then
  echo "run_compat: '$PY' cannot import ml_metadata (set PY)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pedigree-compat.XXXXXX")
mkdir "$work/logs"
passed=0
failed=0
count=0

finish() {
  if ((failed)) || [[ -n ${KEEP:-} ]]; then
    echo "work files kept in $work"
  else
    rm -rf "$work"
  fi
  echo "compat: $passed passed, $failed failed"
  ((failed == 0)) || exit 1
  exit 0
}

# check NAME COMMAND...: runs COMMAND with its output in a log, counts the outcome.
check() {
  local name=$1 log status
  shift
  count=$((count + 1))
  log=$work/logs/$(printf %02d "$count")-$name.log
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    status=$?
    failed=$((failed + 1))
    echo "FAIL  $name (exit $status)"
    tail -n 40 "$log" | sed 's/^/      /'
  fi
}

# require NAME COMMAND...: a check whose output later checks need; stops on failure.
require() {
  local before=$failed
  check "$@"
  if ((failed > before)); then
    finish
  fi
}

py() {
  "$PY" "$here/$1" "${@:2}"
}

# Helpers run inside `check`, where `set -e` does not apply: every step returns on failure.

dump_and_compare() {  # DB EXPECTED OUT: the library's dump of DB equals EXPECTED
  py mlmd_dump.py "$1" "$3" || return
  py compare.py "$2" "$3"
}

export_and_compare() {  # DB EXPECTED OUT [compare flags]: Pedigree's export equals EXPECTED
  "$PEDIGREE" export --db "$1" "$3" || return
  py compare.py "$2" "$3" "${@:4}"
}

import_new() {  # DB IN: Pedigree creates DB from IN
  if [[ -e $1 ]]; then
    echo "$1 exists already"
    return 1
  fi
  "$PEDIGREE" import --db "$1" "$2"
}

read_only() {  # DB COMMAND...: COMMAND leaves the bytes of DB as they were
  local db=$1 sum
  shift
  sum=$(cksum <"$db") || return
  "$@" || return
  if [[ $(cksum <"$db") != "$sum" ]]; then
    echo "$db changed: a reader must not write to the store (journal mode included)"
    return 1
  fi
}

refused() {  # DB COMMAND...: COMMAND fails and the library sees DB as before
  local db=$1
  shift
  py mlmd_dump.py "$db" "$work/refused-before.jsonl" || return
  if "$@"; then
    echo "expected a refusal, got exit 0"
    return 1
  fi
  py mlmd_dump.py "$db" "$work/refused-after.jsonl" || return
  py compare.py "$work/refused-before.jsonl" "$work/refused-after.jsonl" --strict-ids
}

roundtrip() {  # IN DB OUT: Pedigree imports IN into a new DB and exports it, every id kept
  import_new "$2" "$1" || return
  export_and_compare "$2" "$1" "$3" --strict-ids
}

nan_roundtrip() {  # REF DB: a NaN double goes through import, the library and export
  py edge_values.py --nan "$1" "$work/nan.jsonl" || return
  import_new "$2" "$work/nan.jsonl" || return
  dump_and_compare "$2" "$work/nan.jsonl" "$work/n_ref.jsonl" || return
  export_and_compare "$2" "$work/nan.jsonl" "$work/n_pedigree.jsonl"
}

dump_and_export_agree() {  # DB: the library's dump of DB equals Pedigree's export of it
  local base=$work/${1##*/}
  py mlmd_dump.py "$1" "$base.ref.jsonl" || return
  "$PEDIGREE" export --db "$1" "$base.pedigree.jsonl" || return
  py compare.py "$base.ref.jsonl" "$base.pedigree.jsonl"
}

stats_agree() {  # DB REF: Pedigree's counts equal the number of records in REF
  local out=$work/stats.json
  "$PEDIGREE" stats --db "$1" --format json >"$out" || return
  cat "$out"
  py check_stats.py "$out" "$2"
}

schema_identical() {  # LIBRARY_DB NEW_DB: a store Pedigree creates has the library's schema
  "$PEDIGREE" init --db "$2" || return
  py schema_compare.py "$1" "$2"
}

api_store_agrees() {  # DB COMMAND...: Pedigree writes DB through its API; the library reads the same
  "$PEDIGREE" "${@:2}" --db "$1" || return
  dump_and_export_agree "$1" || return
  py write_after.py "$1"
}

A=$work/A.sqlite B=$work/B.sqlite C=$work/C.sqlite L=$work/L.sqlite E=$work/E.sqlite
M=$work/M.sqlite N=$work/N.sqlite

echo "== setup: the real library writes a store"
require fixture py write_fixture.py "$A" --seed "${SEED:-7}" --runs "${RUNS:-3}"
require dump-A py mlmd_dump.py "$A" "$work/a_ref.jsonl"
require large-ids-file py large_ids.py "$work/a_ref.jsonl" "$work/large.jsonl"
require edge-values-file py edge_values.py "$work/a_ref.jsonl" "$work/edge.jsonl"

echo "== a: Pedigree reads the library's store"
check export-A read_only "$A" "$PEDIGREE" export --db "$A" "$work/a_pedigree.jsonl"
check compare-A py compare.py "$work/a_ref.jsonl" "$work/a_pedigree.jsonl"
check stats-A read_only "$A" stats_agree "$A" "$work/a_ref.jsonl"

echo "== b: the library reads Pedigree's stores"
check import-B import_new "$B" "$work/a_ref.jsonl"
check library-reads-B dump_and_compare "$B" "$work/a_ref.jsonl" "$work/b_ref.jsonl"
check reimport-B-refused refused "$B" "$PEDIGREE" import --db "$B" "$work/a_ref.jsonl"
check import-large-ids import_new "$L" "$work/large.jsonl"
check library-reads-large-ids dump_and_compare "$L" "$work/large.jsonl" "$work/l_ref.jsonl"
check import-edge-values import_new "$E" "$work/edge.jsonl"
check library-reads-edge-values dump_and_compare "$E" "$work/edge.jsonl" "$work/e_ref.jsonl"
# NaN on its own: SQLite turns a bound NaN into NULL, which the library cannot read.
check nan-double nan_roundtrip "$work/a_ref.jsonl" "$N"

echo "== c: Pedigree round trips"
check export-B export_and_compare "$B" "$work/a_pedigree.jsonl" "$work/b_pedigree.jsonl"
check export-large-ids export_and_compare "$L" "$work/large.jsonl" "$work/l_pedigree.jsonl"
check export-edge-values export_and_compare "$E" "$work/edge.jsonl" "$work/e_pedigree.jsonl"
# Pedigree's own export carries every id (events' and links' too): its round
# trips must keep them all. Shifted, they cannot come out right by renumbering.
check roundtrip-all-ids roundtrip "$work/a_pedigree.jsonl" "$C" "$work/c_pedigree.jsonl"
check large-all-ids-file py large_ids.py "$work/a_pedigree.jsonl" "$work/large_all.jsonl"
check roundtrip-large-all-ids roundtrip "$work/large_all.jsonl" "$M" "$work/m_pedigree.jsonl"

echo "== e: stores Pedigree writes through its API"
# A new store has the library's exact schema: tables, columns, constraints, indexes.
check schema-identical schema_identical "$A" "$work/init.sqlite"
check demo-store-agrees api_store_agrees "$work/D.sqlite" demo
check generated-store-agrees api_store_agrees "$work/G.sqlite" generate --executions 500 --seed 3
# The tfx shape: TFX pipelines and runs (parent contexts), cached executions whose OUTPUT events
# point at existing artifacts, warm starts, failed Trainers, datasets read by many runs.
check generated-tfx-store-agrees api_store_agrees "$work/T.sqlite" generate --shape tfx --executions 2000 --seed 3

echo "== d: the library writes to Pedigree's stores, Pedigree reads the result"
check library-writes-B py write_after.py "$B"
check library-writes-large-ids py write_after.py "$L"
check export-B-after-library-write dump_and_export_agree "$B"

echo "== f: filter_query, Pedigree against the library on the same stores"
# Every documented construct, MLMD's quirks and refusals, random AND/OR/NOT combinations;
# each under id order, a part under the other orders (filter_diff.py prints one line per
# disagreement). N, which Pedigree wrote above, adds NaN (as text), infinities, no uri and
# events without time; the library opens it read-only.
check filter-differential py filter_diff.py --pedigree "$PEDIGREE" --work "$work/filter" --existing "$N"

# ---- g: lineage subgraphs (lineage_diff.py) -------------------------------------------------
echo "== g: get_lineage_subgraph, the library against the equivalent Pedigree query"
# Chain and tfx stores (pedigree generate), stores the library writes (lineage_fixture.py), the demo
# and fixture A; every direction, hops 0..100, start and ending filters. Known differences
# are counted, not failed; their reasons are printed at the end of the log. About 90 s of CPU
# time: under a minute on an idle 2-core machine.
check lineage-differential py lineage_diff.py --pedigree "$PEDIGREE" --work "$work/lineage" \
  --store "fixture=$A" --report "$work/lineage/differences.json"
# Its summary (cases, known differences, time) is worth seeing even when it passes.
sed -n 's/^lineage: /      lineage: /p' "$work"/logs/*-lineage-differential.log || true
# ---- end of g ---------------------------------------------------------------------------------

finish
