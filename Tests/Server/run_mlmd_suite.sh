#!/usr/bin/env bash
# ml-metadata 1.17.1's own test suite (metadata_store_test.py with its conftest.py, as shipped in
# the wheel) against `pedigree serve`, over gRPC, on a new store; then bad input (bad_input.py)
# on the same server; then SIGTERM, and the file must pass `pedigree check`.
# Usage: PY=.venv/bin/python PEDIGREE=.build/debug/pedigree Tests/Server/run_mlmd_suite.sh [pytest args]
set -euo pipefail
absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
PY=$(absolute "${PY:-.venv/bin/python}")
PEDIGREE=$(absolute "${PEDIGREE:-.build/debug/pedigree}")
here=$(cd "$(dirname "$0")" && pwd)
suite=$("$PY" -c 'import ml_metadata, os; print(os.path.join(os.path.dirname(ml_metadata.__file__), "metadata_store"))')
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

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

"$PEDIGREE" serve --db "$work/suite.sqlite" --port 0 >"$work/out" 2>"$work/log" &
server_pid=$!
for _ in $(seq 1 100); do
  port=$(sed -n 's/.* on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/out")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/log"; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not say its port" >&2; exit 1; }
echo "pedigree serve on port $port (pid $server_pid)"

status=0
(cd "$work" && "$PY" -m pytest -q -p no:cacheprovider --rootdir "$suite" "$suite/metadata_store_test.py" \
  --use_grpc_backend --grpc_host 127.0.0.1 --grpc_port "$port" "${args[@]}" "$@") || status=$?

"$PY" "$here/bad_input.py" "$port" || status=1

kill -TERM "$server_pid"
wait "$server_pid" || { echo "the server exited with $? after SIGTERM" >&2; status=1; }
server_pid=""
grep -q 'stopped; the database is closed' "$work/log" || { echo "no clean shutdown in the log:" >&2; tail -5 "$work/log" >&2; status=1; }
"$PEDIGREE" check --db "$work/suite.sqlite" || status=1
exit $status
