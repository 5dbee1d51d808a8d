"""Purges that must be all or nothing, and seen by every server on the database.

Usage: $PY purge_test.py --pedigree BIN [--executions 8000]

1. SIGKILL during a purge: a tfx store of --executions executions is written once; each attempt
   copies it, starts `pedigree delete --mode purge --apply` (about half of the store) and kills
   the process after a delay that grows from attempt to attempt. The file must then hold either
   every row it held before or exactly the rows the impact said would be left, and `pedigree
   check` must pass. The attempts must see both outcomes (the kill lands before and after the
   commit), else the delays did not probe the transaction and the test fails.
2. Two `pedigree serve` on one database (an SQLite file, and PostgreSQL and MariaDB when
   PEDIGREE_POSTGRES_URL / PEDIGREE_MYSQL_URL are set): `pedigree delete --server` on the first
   (dry run, refused apply with a wrong token, apply), then the second server, asked with the
   commit token of the purge (gRPC metadata pedigree-min-commit), and the real ml-metadata
   library reading the database directly must all list the same artifacts, executions and
   contexts, none of the purged ones among them.
Exit 0 when all of that holds.
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

os.environ.setdefault("GLOG_minloglevel", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Compat"))

import grpc  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as mlmd  # noqa: E402
from ml_metadata.proto import metadata_store_service_pb2 as svc  # noqa: E402
from ml_metadata.proto import metadata_store_service_pb2_grpc as rpc  # noqa: E402

import mlmd_location  # noqa: E402
import server_db  # noqa: E402

TABLES = ("Artifact", "Execution", "Context", "Event", "EventPath", "Attribution", "Association",
          "ParentContext", "ArtifactProperty", "ExecutionProperty", "ContextProperty")
failures = []


def fail(message):
    failures.append(message)
    print("FAIL", message, flush=True)


def run(cmd, check=True, timeout=600):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])}: exit {done.returncode}: {mlmd_location.redact(done.stderr)[-1500:]}")
    return done


def counts(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        db.close()


def kill_during_purge(pedigree, work, executions):
    original = os.path.join(work, "original.sqlite")
    run([pedigree, "generate", "--shape", "tfx", "--executions", str(executions), "--seed", "4", "--db", original])
    query = "execution(id < %d)" % (executions // 2)
    dry = json.loads(run([pedigree, "delete", "--db", original, query, "--mode", "purge", "--format", "json"]).stdout)
    before = counts(original)
    c = dry["counts"]
    deleted = dry["deleted"]["by_type"]
    n_executions = sum(g["count"] for g in deleted if g["kind"] == "execution")
    after = dict(before)
    after["Execution"] -= n_executions
    after["Event"] -= c["events"]
    after["EventPath"] -= c["event_path_steps"]
    after["Association"] -= c["associations"]
    print(f"kill: a purge of {n_executions} executions, {c['events']} events, {c['associations']} associations "
          f"of a {executions}-execution store", flush=True)

    # How long an undisturbed purge takes, to spread the kills over it.
    timed = os.path.join(work, "timed.sqlite")
    shutil.copy(original, timed)
    t0 = time.monotonic()
    run([pedigree, "delete", "--db", timed, query, "--mode", "purge", "--apply", "--force", "--token", dry["token"]])
    full = time.monotonic() - t0
    got = counts(timed)
    if {k: got[k] for k in after if k != "ExecutionProperty"} != {k: after[k] for k in after if k != "ExecutionProperty"}:
        fail(f"kill: an undisturbed purge left {got}, expected {after} (properties aside)")
    after["ExecutionProperty"] = got["ExecutionProperty"]
    print(f"kill: an undisturbed purge takes {full:.2f} s", flush=True)

    outcomes = {"none": 0, "all": 0}
    attempts = 8
    for i in range(attempts):
        delay = full * (0.1 + 1.1 * i / (attempts - 1))
        path = os.path.join(work, f"kill-{i}.sqlite")
        shutil.copy(original, path)
        proc = subprocess.Popen([pedigree, "delete", "--db", path, query, "--mode", "purge", "--apply", "--force",
                                 "--token", dry["token"]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The next open replays or discards what the killed process left (journal or WAL).
        check = run([pedigree, "check", "--db", path], check=False)
        now = counts(path)
        if now == before:
            outcomes["none"] += 1
        elif now == after:
            outcomes["all"] += 1
        else:
            fail(f"kill after {delay:.2f} s: the file holds part of the purge: {now} (before {before}, after {after})")
        if check.returncode != 0:
            fail(f"kill after {delay:.2f} s: pedigree check: {check.stdout[-500:]} {check.stderr[-500:]}")
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    print(f"kill: {attempts} kills: {outcomes['none']} left none of the purge, {outcomes['all']} all of it", flush=True)
    if outcomes["none"] == 0 or outcomes["all"] == 0:
        fail(f"kill: the kills did not land both before and after the commit ({outcomes}): the test probed nothing")


def serve(pedigree, db, work, name):
    log = open(os.path.join(work, f"{name}.log"), "w")
    proc = subprocess.Popen([pedigree, "serve", "--db", db, "--port", "0", "--log-level", "warning",
                             "--follow-interval", "100"], stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    if " on 127.0.0.1:" not in line:
        proc.kill()
        raise RuntimeError(f"{name}: the server did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def listed(stub, metadata=()):
    a = stub.GetArtifacts(svc.GetArtifactsRequest(), metadata=metadata)
    e = stub.GetExecutions(svc.GetExecutionsRequest(), metadata=metadata)
    c = stub.GetContexts(svc.GetContextsRequest(), metadata=metadata)
    return (sorted(x.id for x in a.artifacts), sorted(x.id for x in e.executions), sorted(x.id for x in c.contexts))


def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, value):
    """One protobuf field: bytes or str (length-delimited) or bool/int (varint)."""
    if isinstance(value, (bytes, str)):
        data = value.encode() if isinstance(value, str) else value
        return _varint(number << 3 | 2) + _varint(len(data)) + data
    return _varint(number << 3) + _varint(int(value))


def _read_varint(data, i):
    """The varint at data[i] and the offset past it."""
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def _top_level_varints(data):
    """The varint fields of a protobuf message, by number (other fields skipped)."""
    found, i = {}, 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            found[number], i = _read_varint(data, i)
        elif wire == 2:
            length, i = _read_varint(data, i)
            i += length
        else:
            raise ValueError(f"wire type {wire}")
    return found


def delete_call(channel, query, token):
    """pedigree.v1.PedigreeService/Delete with apply, purge and force (the message encoded by hand:
    the test has no generated Python code for Pedigree's service); its varint fields (2: applied)
    and the commit token of its answer."""
    options = _field(1, "purge") + _field(4, True)
    request = _field(1, query) + _field(3, options) + _field(4, True) + _field(5, token)
    call = channel.unary_unary("/pedigree.v1.PedigreeService/Delete")
    response, state = call.with_call(request, timeout=60)
    commit = dict(state.initial_metadata()).get("pedigree-commit", "")
    return _top_level_varints(response), commit


def shared_purge(pedigree, work, label, db):
    run([pedigree, "demo", "--db", db])
    servers = [serve(pedigree, db, work, f"{label}-{k}") for k in (1, 2)]
    try:
        (_, port1), (_, port2) = servers
        query = "artifact(type = 'Examples') in context(name = 'chicago-taxi-run-1')"
        remote = [pedigree, "delete", "--server", f"127.0.0.1:{port1}", query, "--mode", "purge"]
        dry = json.loads(run(remote + ["--format", "json"]).stdout)
        ids = [s["id"] for s in dry["deleted"]["sample"]]
        wrong = run(remote + ["--apply", "--force", "--token", "d1-" + "0" * 32], check=False)
        if wrong.returncode == 0 or "nothing was deleted" not in wrong.stderr:
            fail(f"{label}: a wrong token was not refused over gRPC: {wrong.returncode} {wrong.stderr[-300:]}")
        # The apply over gRPC, with the call's metadata: its commit token.
        channel1 = grpc.insecure_channel(f"127.0.0.1:{port1}")
        impact, token = delete_call(channel1, query, dry["token"])
        if not impact.get(2):
            fail(f"{label}: the apply over gRPC did not apply: {impact}")
        if not token.startswith("v1:deletion:"):
            fail(f"{label}: the purge's commit token is {token!r}")
        stub2 = rpc.MetadataStoreServiceStub(grpc.insecure_channel(f"127.0.0.1:{port2}"))
        second = listed(stub2, metadata=(("pedigree-min-commit", token),))
        first = listed(rpc.MetadataStoreServiceStub(channel1))
        library = metadata_store.MetadataStore(mlmd_location.connection_config(db))
        direct = (sorted(a.id for a in library.get_artifacts()), sorted(e.id for e in library.get_executions()),
                  sorted(c.id for c in library.get_contexts()))
        if not (first == second == direct):
            fail(f"{label}: after the purge the servers and the library disagree: {first} / {second} / {direct}")
        if any(i in direct[0] for i in ids):
            fail(f"{label}: purged artifacts {ids} are still listed")
        # GarbageCollect over gRPC: a dry run of a policy that keeps the two newest runs.
        policy = os.path.join(work, "retention.policy")
        with open(policy, "w") as f:
            f.write("rule runs\n  select node() in context(type = 'pipeline_run')\n  keep last 2 runs of pipeline_run per pipeline\n")
        gc = json.loads(run([pedigree, "gc", "--server", f"127.0.0.1:{port2}", "--policy", policy, "--format", "json"]).stdout)
        runs = [c for c in gc["deleted"]["by_type"] if c["kind"] == "context"]
        if gc["applied"] or not gc["rules"] or sum(c["count"] for c in runs) != 2:
            fail(f"{label}: gc over gRPC: {gc['rules']}, {gc['deleted']['by_type']}")
        print(f"{label}: purged {dry['counts']['nodes']} artifacts over gRPC; the other server (with the purge's "
              f"commit token) and ml-metadata list the same {len(direct[0])} artifacts", flush=True)
    finally:
        for proc, _ in servers:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--executions", type=int, default=8000)
    args = ap.parse_args()
    pedigree = os.path.abspath(args.pedigree)
    work = tempfile.mkdtemp(prefix="pedigree-purge-")
    run_id = f"pedigree_purge_{uuid.uuid4().hex[:8]}"
    made = []
    t0 = time.monotonic()
    try:
        kill_during_purge(pedigree, work, args.executions)
        databases = [("sqlite", os.path.join(work, "shared.sqlite"))]
        for label, var in (("postgresql", "PEDIGREE_POSTGRES_URL"), ("mysql", "PEDIGREE_MYSQL_URL")):
            base = os.environ.get(var)
            if base:
                databases.append((label, base.rstrip("/") + f"/{run_id}_{label[:2]}"))
                made.append(databases[-1][1])
            else:
                print(f"note: {var} is not set: the {label} part is skipped", flush=True)
        for label, db in databases:
            shared_purge(pedigree, work, label, db)
    except Exception as e:  # noqa: BLE001
        fail(f"{type(e).__name__}: {mlmd_location.redact(e)}")
    elapsed = time.monotonic() - t0
    if failures:
        print(f"purge_test: {len(failures)} failures in {elapsed:.1f} s; kept {work}")
        return 1
    for db in made:
        server_db.drop(db)
    shutil.rmtree(work, ignore_errors=True)
    print(f"purge_test: ok in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
