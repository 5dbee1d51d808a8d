"""`pedigree serve --db F` follows what another process commits to F.

The real ml-metadata library writes to F in process (as TFX does) while the server runs: types,
artifacts, an execution with input and output events (with paths), contexts with attributions and
associations, a parent context, updates of nodes the server wrote. The server, asked over gRPC by
the real ml-metadata client, must then answer exactly what the library reads from F: every type,
node, event, membership and parent link. Then a write through the server, and both agree again.

Two servers in turn on the same file:
- `--follow-interval 0`: nothing follows on a timer, so the server still answers the old state;
  its next write catches up first, and the write's answer includes the library's commit.
- the default interval: the server agrees with the library within the bound, without any write
  (the time it took is printed).
Finally `pedigree check` of the file (the graph of a fresh open equals the file, record by record).

Usage: $PY follow_test.py --pedigree BIN [--bound-ms 2000]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

parser = argparse.ArgumentParser()
parser.add_argument("--pedigree", required=True)
parser.add_argument("--bound-ms", type=int, default=2000,
                    help="how long the server may take to agree (the follow interval is 200 ms; the rest is slack for a loaded machine)")
args = parser.parse_args()
failures = []


def start(db, *extra):
    proc = subprocess.Popen([args.pedigree, "serve", "--db", db, "--port", "0", "--log-level", "warning", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if " on 127.0.0.1:" not in line:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()}")
    port = int(line.rsplit(":", 1)[1])
    return proc, metadata_store.MetadataStore(mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=port))


def stop(proc):
    proc.terminate()
    if proc.wait(timeout=30) != 0:
        failures.append(f"the server exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")


def library(db):
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = db
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE
    return metadata_store.MetadataStore(config)


def key(message):
    return message.SerializeToString(deterministic=True)


def state(store):
    """Everything a client can read, in a comparable form."""
    artifacts = sorted(store.get_artifacts(), key=lambda a: a.id)
    executions = sorted(store.get_executions(), key=lambda e: e.id)
    contexts = sorted(store.get_contexts(), key=lambda c: c.id)
    events = store.get_events_by_execution_ids([e.id for e in executions]) if executions else []
    out = {
        "artifact types": sorted(key(t) for t in store.get_artifact_types()),
        "execution types": sorted(key(t) for t in store.get_execution_types()),
        "context types": sorted(key(t) for t in store.get_context_types()),
        "artifacts": [key(a) for a in artifacts],
        "executions": [key(e) for e in executions],
        "contexts": [key(c) for c in contexts],
        "events": sorted(key(e) for e in events),
    }
    for c in contexts:
        out[f"artifacts of context {c.id}"] = sorted(a.id for a in store.get_artifacts_by_context(c.id))
        out[f"executions of context {c.id}"] = sorted(e.id for e in store.get_executions_by_context(c.id))
        out[f"parents of context {c.id}"] = sorted(p.id for p in store.get_parent_contexts_by_context(c.id))
    return out


def differences(server, reference):
    a, b = state(server), state(reference)
    diffs = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            left, right = a.get(k), b.get(k)
            if isinstance(left, list) and isinstance(right, list):
                diffs.append(f"{k}: the server has {len(left)}, the library {len(right)}")
            else:
                diffs.append(f"{k}: the server has {left}, the library {right}")
    return diffs


def agree_within(server, reference, bound_ms, what):
    started = time.monotonic()
    while True:
        diffs = differences(server, reference)
        elapsed = (time.monotonic() - started) * 1000
        if not diffs:
            print(f"ok: {what}: the server agreed with the library after {elapsed:.0f} ms")
            return elapsed
        if elapsed > bound_ms:
            failures.append(f"{what}: after {elapsed:.0f} ms the server still differs: {diffs[:5]}")
            return None
        time.sleep(0.02)


def library_writes(lib, tag, model_type, trainer_type, run_type, earlier_artifact):
    """What a TFX component run writes in process: an execution with its input and outputs, a run
    context with a parent, and updates of nodes someone else wrote."""
    [pipeline] = lib.put_contexts([mlmd.Context(type_id=run_type, name=f"pipeline-{tag}")])
    execution = mlmd.Execution(type_id=trainer_type, name=f"trainer-{tag}", last_known_state=mlmd.Execution.RUNNING,
                               properties={"epochs": mlmd.Value(int_value=3)})
    output = mlmd.Artifact(type_id=model_type, uri=f"/models/{tag}", name=f"model-{tag}", state=mlmd.Artifact.LIVE,
                           properties={"accuracy": mlmd.Value(double_value=0.75)},
                           custom_properties={"framework": mlmd.Value(string_value="tf")})
    in_event = mlmd.Event(type=mlmd.Event.INPUT)
    in_event.path.steps.add().key = "examples"
    in_event.path.steps.add().index = 0
    out_event = mlmd.Event(type=mlmd.Event.OUTPUT)
    out_event.path.steps.add().key = "model"
    eid, aids, cids = lib.put_execution(
        execution, [(mlmd.Artifact(id=earlier_artifact.id, type_id=earlier_artifact.type_id, uri=earlier_artifact.uri,
                                   name=earlier_artifact.name), in_event), (output, out_event)],
        [mlmd.Context(type_id=run_type, name=f"run-{tag}")])
    lib.put_parent_contexts([mlmd.ParentContext(child_id=cids[0], parent_id=pipeline)])
    # Updates: the execution completes; the earlier artifact (the server wrote it) changes state.
    [done] = lib.get_executions_by_id([eid])
    done.last_known_state = mlmd.Execution.COMPLETE
    lib.put_executions([done])
    [earlier] = lib.get_artifacts_by_id([earlier_artifact.id])
    earlier.state = mlmd.Artifact.MARKED_FOR_DELETION
    earlier.custom_properties["seen_by"].string_value = tag
    lib.put_artifacts([earlier])
    # A type added by the library, with a node of it.
    t = lib.put_artifact_type(mlmd.ArtifactType(name=f"Report-{tag}", properties={"pages": mlmd.INT}))
    lib.put_artifacts([mlmd.Artifact(type_id=t, uri=f"/reports/{tag}", properties={"pages": mlmd.Value(int_value=2)})])
    return eid, aids


with tempfile.TemporaryDirectory() as work:
    db = os.path.join(work, "follow.sqlite")

    # Phase 1: no timer. The server writes the first records; the library adds its own.
    proc, server = start(db, "--follow-interval", "0")
    dataset_type = server.put_artifact_type(mlmd.ArtifactType(name="Examples", properties={"split": mlmd.STRING}))
    model_type = server.put_artifact_type(mlmd.ArtifactType(name="Model", properties={"accuracy": mlmd.DOUBLE}))
    trainer_type = server.put_execution_type(mlmd.ExecutionType(name="Trainer", properties={"epochs": mlmd.INT}))
    run_type = server.put_context_type(mlmd.ContextType(name="PipelineRun"))
    ids = server.put_artifacts([mlmd.Artifact(type_id=dataset_type, uri=f"/data/{i}", name=f"examples-{i}",
                                              properties={"split": mlmd.Value(string_value="train")}) for i in range(32)])
    lib = library(db)
    before = differences(server, lib)
    if before:
        failures.append(f"before any library write, the server and the library already differ: {before[:5]}")
    [earlier] = server.get_artifacts_by_id([ids[0]])
    library_writes(lib, "one", model_type, trainer_type, run_type, earlier)
    n_library = len(lib.get_artifacts())
    time.sleep(0.5)
    n_server = len(server.get_artifacts())
    if n_server != 32:
        failures.append(f"--follow-interval 0: the server answered {n_server} artifacts without a write; expected the 32 it had")
    # The server's next write catches up first: its answer and the file agree.
    [new_id] = server.put_artifacts([mlmd.Artifact(type_id=dataset_type, uri="/data/after-one", name="after-one")])
    if len(server.get_artifacts()) != n_library + 1:
        failures.append(f"after its own write the server answered {len(server.get_artifacts())} artifacts; the file holds {n_library + 1}")
    agree_within(server, lib, 0, "a server write after a library write (no timer)")
    stop(proc)

    # Phase 2: the default interval. The library writes; the server follows without any write.
    proc, server = start(db)
    agree_within(server, lib, 0, "a fresh server")
    [earlier] = server.get_artifacts_by_id([new_id])
    library_writes(lib, "two", model_type, trainer_type, run_type, earlier)
    agree_within(server, lib, args.bound_ms, "a library write, followed on the timer")
    # Once more, a library write straight after a server write.
    server.put_executions([mlmd.Execution(type_id=trainer_type, name="server-side")])
    lib.put_executions([mlmd.Execution(type_id=trainer_type, name="library-side")])
    agree_within(server, lib, args.bound_ms, "a server write, then a library write")
    # And a write through the server: both agree at once.
    server.put_artifacts([mlmd.Artifact(type_id=dataset_type, uri="/data/last", name="last")])
    agree_within(server, lib, 0, "a server write after following")
    stop(proc)

    check = subprocess.run([args.pedigree, "check", "--db", db], capture_output=True, text=True)
    if check.returncode != 0:
        failures.append(f"pedigree check failed: {check.stdout}{check.stderr}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok: the server follows what ml-metadata commits to its file")
