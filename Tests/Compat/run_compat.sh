#!/usr/bin/env bash
# Compatibility checks between Pedigree and the real ml-metadata library.
#
#   PY=.venv/bin/python PEDIGREE=.build/debug/pedigree Tests/Compat/run_compat.sh
#
# PY: a python with ml-metadata 1.17.1 (default python3). PEDIGREE: the binary
# (default .build/debug/pedigree). SEED, RUNS: fixture shape (default 7, 3).
# KEEP=1 keeps the work directory after a success (it is always kept after a
# failure). Ends with "compat: N passed, M failed" (", K skipped" when some
# checks do not apply to the backend); exits 1 if M > 0.
#
# BACKEND=sqlite|mysql|postgresql (default sqlite): where the stores live. On a
# server every store the suite names (A, B, ..., init) is a fresh database,
# pc_<random>_<name>, under PEDIGREE_MYSQL_URL or PEDIGREE_POSTGRES_URL (a base
# URL ending in "/", as Scripts/dbservers.sh writes it); whoever writes first,
# the library or Pedigree, creates it; all are dropped after a passing run
# (KEEP=1 or a failure keeps them). On every backend, export-identical imports
# the same file into a new SQLite file and a new database on each server whose
# URL is set, and their exports must be byte-identical.
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

# The password of a database URL never reaches the terminal or the logs.
redact() {
  sed -E 's#((mysql|postgres|postgresql)://[^:/@[:space:]]*:)[^[:space:]/]*@#\1***@#g'
}

# server_url BASE NAME: the database NAME on the server of BASE (its query, e.g. ?socket=, kept).
server_url() {
  local base=${1%%\?*} query=
  [[ $1 == *\?* ]] && query="?${1#*\?}"
  echo "${base%/}/$2$query"
}

BACKEND=${BACKEND:-sqlite}
case $BACKEND in
  sqlite) server_base= ;;
  mysql) server_base=${PEDIGREE_MYSQL_URL:-} ;;
  postgresql) server_base=${PEDIGREE_POSTGRES_URL:-} ;;
  *)
    echo "run_compat: BACKEND=$BACKEND: expected sqlite, mysql or postgresql" >&2
    exit 2
    ;;
esac
if [[ $BACKEND != sqlite && -z $server_base ]]; then
  echo "run_compat: BACKEND=$BACKEND needs $([[ $BACKEND == mysql ]] && echo PEDIGREE_MYSQL_URL || echo PEDIGREE_POSTGRES_URL)" \
    "(. DIR/env after Scripts/dbservers.sh start DIR)" >&2
  exit 2
fi
# Lower case: the library creates a missing PostgreSQL database with an unquoted name.
run_id=pc_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')
created=()  # every server database the suite names, dropped after a passing run

# store NAME: where the store NAME lives on this backend.
store() {
  if [[ $BACKEND == sqlite ]]; then
    echo "$work/$1.sqlite"
  else
    server_url "$server_base" "${run_id}_$(echo "$1" | tr 'A-Z' 'a-z')"
  fi
}

# server_of URL: the server part of a database URL, for messages (redact it).
server_of() {
  local url=${1%%\?*}
  echo "${url%/*}"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/pedigree-compat.XXXXXX")
mkdir "$work/logs"
passed=0
failed=0
skipped=0
count=0

finish() {
  if ((failed)) || [[ -n ${KEEP:-} ]]; then
    echo "work files kept in $work"
    if ((${#created[@]})); then
      echo "databases kept: ${run_id}_* on $(for db in "${created[@]}"; do server_of "$db"; done | sort -u | redact | paste -sd ' ')"
    fi
  else
    rm -rf "$work"
    if ((${#created[@]})) && ! py server_db.py drop "${created[@]}" 2>&1 | redact >&2; then
      echo "run_compat: could not drop every database of ${run_id}" >&2
    fi
  fi
  echo "compat: $passed passed, $failed failed$( ((skipped == 0)) || echo ", $skipped skipped")"
  ((failed == 0)) || exit 1
  exit 0
}

# check NAME COMMAND...: runs COMMAND with its output in a log (passwords redacted), counts the outcome.
check() {
  local name=$1 log status=0
  shift
  count=$((count + 1))
  log=$work/logs/$(printf %02d "$count")-$name.log
  "$@" >"$log.raw" 2>&1 || status=$?
  redact <"$log.raw" >"$log" && rm -f "$log.raw"
  if ((status == 0)); then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    failed=$((failed + 1))
    echo "FAIL  $name (exit $status)"
    tail -n 40 "$log" | sed 's/^/      /'
  fi
}

# skip NAME REASON: a check that does not apply to this backend.
skip() {
  count=$((count + 1))
  skipped=$((skipped + 1))
  echo "skip  $1: skipped ($2)"
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

is_server() {  # DB: a mysql:// or postgresql:// URL
  [[ $1 == mysql://* || $1 == postgresql://* || $1 == postgres://* ]]
}

import_new() {  # DB IN: Pedigree creates DB from IN
  if is_server "$1"; then
    if py server_db.py exists "$1"; then
      echo "$1 exists already"
      return 1
    fi
  elif [[ -e $1 ]]; then
    echo "$1 exists already"
    return 1
  fi
  "$PEDIGREE" import --db "$1" "$2"
}

read_only() {  # DB COMMAND...: COMMAND leaves the bytes of DB as they were
  local db=$1 sum
  shift
  if is_server "$db"; then
    # Every row, the schema and the id counters (server_db.py snapshot), before and after.
    py server_db.py snapshot "$db" "$work/read-only-before.txt" || return
    "$@" || return
    py server_db.py snapshot "$db" "$work/read-only-after.txt" || return
    if ! cmp "$work/read-only-before.txt" "$work/read-only-after.txt"; then
      diff "$work/read-only-before.txt" "$work/read-only-after.txt" | head -n 20
      echo "$db changed: a reader must not write to the store"
      return 1
    fi
    return
  fi
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
  local base
  base=$work/$(basename "${1%%\?*}")
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

wide_ids_refused() {  # DB REF: ids beyond the 32-bit id columns of a server are refused, nothing written
  py large_ids.py "$2" "$work/wide.jsonl" || return
  if "$PEDIGREE" import --db "$1" "$work/wide.jsonl"; then
    echo "expected a refusal: the library's schema on $BACKEND has 32-bit ids"
    return 1
  fi
  # The import may have created the database (and its schema) before it failed: then the
  # library must see a new, empty store.
  py server_db.py exists "$1" || return 0
  py mlmd_dump.py "$1" "$work/wide_after.jsonl" || return
  if grep -qv -e '"record":"header"' -e '"name":"mlmd\.' "$work/wide_after.jsonl"; then
    echo "a refused import left records behind:"
    grep -v -e '"record":"header"' -e '"name":"mlmd\.' "$work/wide_after.jsonl" | head -n 5
    return 1
  fi
}

export_identical() {  # IN DB...: Pedigree imports IN into each new DB; the exports are byte-identical
  local in=$1 db first= n=0 out
  shift
  for db in "$@"; do
    n=$((n + 1))
    out=$work/identical-$n.jsonl
    import_new "$db" "$in" || return
    "$PEDIGREE" export --db "$db" "$out" || return
    if [[ -z $first ]]; then
      first=$out
    elif ! cmp "$first" "$out"; then
      diff "$first" "$out" | cut -c1-300 | head -n 20
      echo "the export of $1 and the export of $db differ"
      return 1
    fi
    echo "$db: $(wc -c <"$out") bytes"
  done
  # Pedigree's export of an import of its own export is that export again.
  cmp "$in" "$first" && echo "identical to the imported file, too"
}

A=$(store A) B=$(store B) C=$(store C) L=$(store L) E=$(store E) M=$(store M) N=$(store N)
D=$(store D) G=$(store G) T=$(store T) INIT=$(store init)
if [[ $BACKEND != sqlite ]]; then
  created+=("$A" "$B" "$C" "$L" "$E" "$M" "$N" "$D" "$G" "$T" "$INIT" "$(store W)")
  echo "== $BACKEND: databases ${run_id}_* on $(server_of "$A" | redact)"
fi
# The library's schema on MySQL and PostgreSQL has 32-bit ids and int_value columns.
large_flags=()
[[ $BACKEND == sqlite ]] || large_flags=(--int32)
# MySQL's DOUBLE holds no infinity (nor NaN): no client can store them there.
edge_flags=()
[[ $BACKEND != mysql ]] || edge_flags=(--finite)

echo "== setup: the real library writes a store"
require fixture py write_fixture.py "$A" --seed "${SEED:-7}" --runs "${RUNS:-3}"
require dump-A py mlmd_dump.py "$A" "$work/a_ref.jsonl"
require large-ids-file py large_ids.py "$work/a_ref.jsonl" "$work/large.jsonl" "${large_flags[@]}"
require edge-values-file py edge_values.py "$work/a_ref.jsonl" "$work/edge.jsonl" "${edge_flags[@]}"

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
# NaN on its own: SQLite turns a bound NaN into NULL, which the library cannot read. The library
# cannot write a NaN on any backend (%f), but PostgreSQL's double precision holds the one Pedigree
# writes, and the library reads it back.
if [[ $BACKEND == mysql ]]; then
  skip nan-double "MySQL's DOUBLE cannot hold NaN: neither the library nor Pedigree can store one"
else
  check nan-double nan_roundtrip "$work/a_ref.jsonl" "$N"
fi
if [[ $BACKEND != sqlite ]]; then
  # Ids of 2**33 and more (the SQLite run's large ids) do not fit the server's id columns.
  check large-ids-beyond-int32-refused wide_ids_refused "$(store W)" "$work/a_ref.jsonl"
fi

echo "== c: Pedigree round trips"
check export-B export_and_compare "$B" "$work/a_pedigree.jsonl" "$work/b_pedigree.jsonl"
check export-large-ids export_and_compare "$L" "$work/large.jsonl" "$work/l_pedigree.jsonl"
check export-edge-values export_and_compare "$E" "$work/edge.jsonl" "$work/e_pedigree.jsonl"
# Pedigree's own export carries every id (events' and links' too): its round
# trips must keep them all. Shifted, they cannot come out right by renumbering.
check roundtrip-all-ids roundtrip "$work/a_pedigree.jsonl" "$C" "$work/c_pedigree.jsonl"
check large-all-ids-file py large_ids.py "$work/a_pedigree.jsonl" "$work/large_all.jsonl" "${large_flags[@]}"
check roundtrip-large-all-ids roundtrip "$work/large_all.jsonl" "$M" "$work/m_pedigree.jsonl"

echo "== e: stores Pedigree writes through its API"
# A new store has the library's exact schema: tables, columns, constraints, indexes.
# On a server: the same tables, columns, indexes and constraints in information_schema.
check schema-identical schema_identical "$A" "$INIT"
check demo-store-agrees api_store_agrees "$D" demo
check generated-store-agrees api_store_agrees "$G" generate --executions 500 --seed 3
# The tfx shape: TFX pipelines and runs (parent contexts), cached executions whose OUTPUT events
# point at existing artifacts, warm starts, failed Trainers, datasets read by many runs.
check generated-tfx-store-agrees api_store_agrees "$T" generate --shape tfx --executions 2000 --seed 3

echo "== d: the library writes to Pedigree's stores, Pedigree reads the result"
check library-writes-B py write_after.py "$B"
check library-writes-large-ids py write_after.py "$L"
check export-B-after-library-write dump_and_export_agree "$B"

echo "== h: the same import exports byte-identically from every backend"
# Pedigree's own export of the library's fixture (every id) into a new SQLite file and a new
# database on each server whose URL is set. The SQLite run writes a second fixture for it with
# only what every backend holds (32-bit ints, no backslash: write_fixture.py --portable).
identical_in=$work/a_pedigree.jsonl
if [[ $BACKEND == sqlite ]] && [[ -n ${PEDIGREE_MYSQL_URL:-}${PEDIGREE_POSTGRES_URL:-} ]]; then
  check portable-fixture py write_fixture.py "$work/P.sqlite" --portable --seed "${SEED:-7}" --runs "${RUNS:-3}"
  check export-portable-fixture "$PEDIGREE" export --db "$work/P.sqlite" "$work/p_pedigree.jsonl"
  identical_in=$work/p_pedigree.jsonl
fi
identical_dbs=("$work/X.sqlite")
[[ -z ${PEDIGREE_MYSQL_URL:-} ]] || identical_dbs+=("$(server_url "$PEDIGREE_MYSQL_URL" "${run_id}_x_mysql")")
[[ -z ${PEDIGREE_POSTGRES_URL:-} ]] || identical_dbs+=("$(server_url "$PEDIGREE_POSTGRES_URL" "${run_id}_x_postgresql")")
created+=("${identical_dbs[@]:1}")
if ((${#identical_dbs[@]} < 2)); then
  echo "      (neither PEDIGREE_MYSQL_URL nor PEDIGREE_POSTGRES_URL is set: SQLite only)"
fi
check export-identical export_identical "$identical_in" "${identical_dbs[@]}"

echo "== f: filter_query, Pedigree against the library on the same stores"
# Every documented construct, MLMD's quirks and refusals, random AND/OR/NOT combinations;
# each under id order, a part under the other orders (filter_diff.py prints one line per
# disagreement). N, which Pedigree wrote above, adds NaN (as text), infinities, no uri and
# events without time; the library opens it read-only.
# On a server, the generated stores (SQLite files, the same on every backend) are left out and
# only N, written there by Pedigree, is queried (on MySQL E: N would hold a NaN). Pedigree keeps
# SQLite's semantics everywhere; where the library's SQL means something else on the server, the
# library on an SQLite twin of the store (the same file imported) must give Pedigree's answer.
filter_on_server() {  # DB IN: the differential on DB, which Pedigree imported from IN
  local twin=$work/filter-twin.sqlite
  import_new "$twin" "$2" || return
  dump_and_compare "$twin" "$2" "$work/filter-twin.jsonl" || return
  py filter_diff.py --pedigree "$PEDIGREE" --work "$work/filter" --stores "" --existing "$1" --twin "$1=$twin"
}
if [[ $BACKEND == sqlite ]]; then
  check filter-differential py filter_diff.py --pedigree "$PEDIGREE" --work "$work/filter" --existing "$N"
elif [[ $BACKEND == mysql ]]; then
  check filter-differential filter_on_server "$E" "$work/edge.jsonl"
else
  check filter-differential filter_on_server "$N" "$work/nan.jsonl"
fi
# The disagreements that are the library's SQL dialect, not Pedigree (see filter_diff.py).
sed -n -e 's/^filter-diff: .*; \([0-9]* where .*\)/      filter: \1/p' -e 's/^DIALECT /      DIALECT /p' \
  "$work"/logs/*-filter-differential.log | head -n 30 || true

# ---- g: lineage subgraphs (lineage_diff.py) -------------------------------------------------
echo "== g: get_lineage_subgraph, the library against the equivalent Pedigree query"
# Chain and tfx stores (pedigree generate), stores the library writes (lineage_fixture.py), the demo
# and fixture A; every direction, hops 0..100, start and ending filters. Known differences
# are counted, not failed; their reasons are printed at the end of the log. About 90 s of CPU
# time: under a minute on an idle 2-core machine.
# On a server, only the fixture A there (the built stores are SQLite files, the same everywhere).
lineage_only=()
[[ $BACKEND == sqlite ]] || lineage_only=(--only fixture)
check lineage-differential py lineage_diff.py --pedigree "$PEDIGREE" --work "$work/lineage" \
  --store "fixture=$A" --report "$work/lineage/differences.json" "${lineage_only[@]}"
# Its summary (cases, known differences, time) is worth seeing even when it passes.
sed -n 's/^lineage: /      lineage: /p' "$work"/logs/*-lineage-differential.log || true
# ---- end of g ---------------------------------------------------------------------------------

echo "== i: a purge by Pedigree, read back by the library"
# The library dumps the store before and after `pedigree delete --mode purge`: what is left must
# be the same records less exactly the purged nodes and every row naming them (purge_check.py).
purge_store() {  # DB QUERY COMMAND...: Pedigree writes DB with COMMAND, then purges QUERY
  "$PEDIGREE" "${@:3}" --db "$1" >/dev/null || return
  py purge_check.py --pedigree "$PEDIGREE" --work "$work/purge-$(basename "${1%%\?*}")" "$1" "$2"
}
PD=$(store PD) PT=$(store PT)
[[ $BACKEND == sqlite ]] || created+=("$PD" "$PT")
check purge-demo-run purge_store "$PD" "artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')" demo
check purge-tfx-run purge_store "$PT" "node() in context(name = 'pipeline-0-run-2')" generate --shape tfx --executions 2000 --seed 3

finish
