#!/usr/bin/env bash
# ml-metadata 1.17.1's own test suite (metadata_store_test.py with its conftest.py, as shipped in
# the wheel) against `pedigree serve`, over gRPC, on a new store; then bad input (bad_input.py)
# on the same server; then SIGTERM, and the store must pass `pedigree check`.
#
# Usage: PY=.venv/bin/python PEDIGREE=.build/debug/pedigree [BACKEND=sqlite|mysql|postgresql]
#        [DB_URL_BASE=URL/] Tests/Server/run_mlmd_suite.sh [pytest args]
#
# BACKEND=sqlite (the default): a new SQLite file in a temporary directory.
# BACKEND=mysql / postgresql: a new database named pedigree_suite_<random> on a MariaDB/MySQL or
# PostgreSQL server. Its base URL (scheme://USER:PASSWORD@HOST:PORT/, ending in /) is DB_URL_BASE,
# else PEDIGREE_MYSQL_URL / PEDIGREE_POSTGRES_URL (as Scripts/dbservers.sh's env exports them);
# with DB_URL_BASE alone the backend follows its scheme. `pedigree serve` creates the database;
# after a passing run it is dropped with the `mariadb` or `psql` client (KEEP_DB=1 keeps it), and
# after a failing run it is kept for inspection and its URL printed.
set -euo pipefail
absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
PY=$(absolute "${PY:-.venv/bin/python}")
PEDIGREE=$(absolute "${PEDIGREE:-.build/debug/pedigree}")
here=$(cd "$(dirname "$0")" && pwd)
suite=$("$PY" -c 'import ml_metadata, os; print(os.path.join(os.path.dirname(ml_metadata.__file__), "metadata_store"))')

backend=${BACKEND:-}
if [ -z "$backend" ]; then
  case "${DB_URL_BASE:-}" in
    mysql://*) backend=mysql ;;
    postgresql://* | postgres://*) backend=postgresql ;;
    "") backend=sqlite ;;
    *) echo "DB_URL_BASE=$DB_URL_BASE: not mysql:// or postgresql://" >&2; exit 2 ;;
  esac
fi
case "$backend" in
  sqlite) ;;
  mysql) base=${DB_URL_BASE:-${PEDIGREE_MYSQL_URL:-}} ;;
  postgresql | postgres) backend=postgresql; base=${DB_URL_BASE:-${PEDIGREE_POSTGRES_URL:-}} ;;
  *) echo "BACKEND=$backend: expected sqlite, mysql or postgresql" >&2; exit 2 ;;
esac
if [ "$backend" != sqlite ]; then
  [ -n "$base" ] || { echo "BACKEND=$backend needs DB_URL_BASE or the URL of Scripts/dbservers.sh's env" >&2; exit 2; }
  # scheme://USER:PASSWORD@HOST:PORT/ (the password may be empty; no query string).
  re='^[a-z]+://([^:@/]*)(:([^@/]*))?@([^:/]+):([0-9]+)/?$'
  [[ "$base" =~ $re ]] || { echo "DB_URL_BASE=$base: expected scheme://USER:PASSWORD@HOST:PORT/" >&2; exit 2; }
  db_user=${BASH_REMATCH[1]} db_password=${BASH_REMATCH[3]} db_host=${BASH_REMATCH[4]} db_port=${BASH_REMATCH[5]}
  db_name=pedigree_suite_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')
  db=${base%/}/$db_name
  shown=${db/:$db_password@/:***@}
fi

# Drops the suite's database on its server (idempotent).
drop_db() {
  case "$backend" in
    mysql) MYSQL_PWD=$db_password mariadb --no-defaults --protocol=TCP -h "$db_host" -P "$db_port" -u "$db_user" \
             --batch -e "DROP DATABASE IF EXISTS \`$db_name\`" ;;
    postgresql) PGPASSWORD=$db_password psql -X -q -v ON_ERROR_STOP=1 -h "$db_host" -p "$db_port" -U "$db_user" \
                  -d postgres -c "DROP DATABASE IF EXISTS \"$db_name\"" ;;
  esac
}

work=$(mktemp -d -t pedigree-mlmd-suite.XXXXXX)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ "$backend" = sqlite ] && db=$work/suite.sqlite shown=$db

# Tests deselected by exact name, each because it cannot pass against any gRPC server: the test
# itself is broken in the 1.17.1 wheel.
deselect=(
  # Calls _get_metadata_store(grpc_client_timeout_sec=0) without its required cli_args: TypeError.
  test_connection_config_with_grpc_client_timeout_sec_errors
  # Calls _get_metadata_store(grpc_http2_max_ping_strikes=0) without cli_args: TypeError.
  test_connection_config_with_grpc_http2_max_ping_strikes
  # Calls _get_metadata_store(grpc_max_receive_message_length=...) without cli_args: TypeError.
  test_connection_config_with_grpc_max_receive_message_length
  # Reads self.self.cli_args: AttributeError.
  test_connection_config_with_grpc_max_receive_message_length_errors
)
args=()
for t in "${deselect[@]}"; do args+=(--deselect "metadata_store_test.py::MetadataStoreTest::$t"); done

started=$SECONDS
"$PEDIGREE" serve --db "$db" --port 0 >"$work/out" 2>"$work/log" &
server_pid=$!
for _ in $(seq 1 300); do
  port=$(sed -n 's/.* on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/out")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not say its port" >&2; exit 1; }
echo "pedigree serve --db $shown on port $port (pid $server_pid)"

status=0
(cd "$work" && "$PY" -m pytest -q -p no:cacheprovider --rootdir "$suite" "$suite/metadata_store_test.py" \
  --use_grpc_backend --grpc_host 127.0.0.1 --grpc_port "$port" "${args[@]}" "$@") || { status=$?; echo "pytest exited $status" >&2; }

"$PY" "$here/bad_input.py" "$port" || { status=1; echo "bad_input.py failed" >&2; }

kill -TERM "$server_pid"
wait "$server_pid" || { echo "the server exited with $? after SIGTERM" >&2; status=1; }
server_pid=""
grep -q 'stopped; the database is closed' "$work/log" || { echo "no clean shutdown in the log:" >&2; tail -5 "$work/log" >&2; status=1; }
"$PEDIGREE" check --db "$db" || { status=1; echo "pedigree check failed" >&2; }
if [ "$status" != 0 ]; then
  echo "server log (last 20 lines):" >&2; tail -20 "$work/log" >&2
  [ "$backend" = sqlite ] || echo "kept the database for inspection: $shown" >&2
elif [ "$backend" != sqlite ] && [ "${KEEP_DB:-0}" != 1 ]; then
  drop_db || { echo "could not drop $shown" >&2; status=1; }
fi
echo "$backend: $((SECONDS - started)) s"
exit $status
