"""Fault test: SIGKILL `pedigree serve` under write load, restart it on the same file, and check
that every write the server acknowledged is there, whole, and that `pedigree check` passes.

Usage: $PY kill_test.py --pedigree BIN [--writers 4] [--seconds 3] [--rounds 2]

Each writer is a real ml-metadata gRPC client calling put_execution (two new output artifacts,
one input artifact from earlier, a run context) in a loop and recording what the server
acknowledged. Exit 0 when nothing acknowledged was lost, 1 otherwise.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd


def start(pedigree, db):
    proc = subprocess.Popen([pedigree, "serve", "--db", db, "--port", "0", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if " on 127.0.0.1:" not in line:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()}")
    return proc, int(line.rsplit(":", 1)[1])


def client(port):
    config = mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=port)
    return metadata_store.MetadataStore(config)


def setup_types(store):
    a = store.put_artifact_type(mlmd.ArtifactType(name="Examples", properties={"split": mlmd.STRING}))
    x = store.put_execution_type(mlmd.ExecutionType(name="Trainer", properties={"step": mlmd.INT}))
    c = store.put_context_type(mlmd.ContextType(name="PipelineRun"))
    return a, x, c


def writer(port, types, wid, stop, acked, failures):
    store = client(port)
    a_type, x_type, c_type = types
    previous = None
    i = 0
    while not stop.is_set():
        i += 1
        execution = mlmd.Execution(type_id=x_type, name=f"w{wid}-e{i}", last_known_state=mlmd.Execution.COMPLETE,
                                   properties={"step": mlmd.Value(int_value=i)})
        pairs = []
        if previous is not None:
            pairs.append((mlmd.Artifact(id=previous, type_id=a_type),
                          mlmd.Event(type=mlmd.Event.INPUT)))
        for k in range(2):
            pairs.append((mlmd.Artifact(type_id=a_type, uri=f"/w{wid}/{i}/{k}", name=f"w{wid}-a{i}-{k}",
                                        properties={"split": mlmd.Value(string_value="train")}),
                          mlmd.Event(type=mlmd.Event.OUTPUT)))
        context = mlmd.Context(type_id=c_type, name=f"run-w{wid}-{i // 10}")
        try:
            eid, aids, cids = store.put_execution(execution, pairs, [context], reuse_context_if_already_exist=True)
        except errors.UnavailableError:
            return          # the server is gone: expected once it is killed
        except Exception as e:  # noqa: BLE001
            if stop.is_set():
                return
            failures.append(f"writer {wid}: {type(e).__name__}: {e}")
            return
        acked.append((eid, tuple(aids), tuple(cids), f"w{wid}-e{i}"))
        previous = aids[-1]


def verify(port, acked):
    store = client(port)
    problems = []
    ids = [a[0] for a in acked]
    found = {e.id: e for e in store.get_executions_by_id(ids)} if ids else {}
    events = {}
    for ev in store.get_events_by_execution_ids(ids) if ids else []:
        events.setdefault(ev.execution_id, []).append(ev.artifact_id)
    artifact_ids = sorted({a for _, aids, _, _ in acked for a in aids})
    artifacts = {a.id for a in store.get_artifacts_by_id(artifact_ids)} if artifact_ids else set()
    members = {}
    for cid in sorted({c for _, _, cids, _ in acked for c in cids}):
        members[cid] = {e.id for e in store.get_executions_by_context(cid)}
    for eid, aids, cids, name in acked:
        e = found.get(eid)
        if e is None or e.name != name:
            problems.append(f"acknowledged execution {eid} ({name}) is missing")
            continue
        if sorted(events.get(eid, [])) != sorted(aids):
            problems.append(f"execution {eid}: events {sorted(events.get(eid, []))} != {sorted(aids)}")
        if not set(aids) <= artifacts:
            problems.append(f"execution {eid}: artifacts {sorted(set(aids) - artifacts)} missing")
        if any(eid not in members.get(c, ()) for c in cids):
            problems.append(f"execution {eid}: not associated with its contexts {cids}")
    return problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pedigree", required=True)
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "kill.sqlite")
        all_acked = []
        for round_ in range(args.rounds):
            proc, port = start(args.pedigree, db)
            types = setup_types(client(port))
            stop, acked, failures = threading.Event(), [], []
            threads = [threading.Thread(target=writer, args=(port, types, f"{round_}-{w}", stop, acked, failures))
                       for w in range(args.writers)]
            for t in threads:
                t.start()
            time.sleep(args.seconds)
            proc.send_signal(signal.SIGKILL)     # mid-write, no warning
            proc.wait()
            stop.set()
            for t in threads:
                t.join()
            if failures:
                print("\n".join(failures))
                return 1
            all_acked += acked
            print(f"round {round_}: killed the server after {len(acked)} acknowledged put_execution calls")
            proc, port = start(args.pedigree, db)
            problems = verify(port, all_acked)
            proc.send_signal(signal.SIGTERM)
            proc.wait()
            if problems:
                print(f"{len(problems)} acknowledged writes lost or damaged:")
                print("\n".join(problems[:20]))
                return 1
            check = subprocess.run([args.pedigree, "check", "--db", db], capture_output=True, text=True)
            print(check.stdout.strip() or check.stderr.strip())
            if check.returncode != 0:
                print(check.stderr)
                return 1
        if not all_acked:
            print("no write was acknowledged: the test tested nothing")
            return 1
        print(f"ok: all {len(all_acked)} acknowledged writes survived {args.rounds} SIGKILLs")
        return 0


if __name__ == "__main__":
    sys.exit(main())
