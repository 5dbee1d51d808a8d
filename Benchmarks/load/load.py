"""Load: N concurrent ml-metadata gRPC clients against one `pedigree serve`, for a fixed time, with
a TFX-like mix of calls; reports throughput and p50/p99 latency per call kind as markdown.

Usage: $PY load.py --pedigree BIN [--clients 8] [--seconds 60] [--seed-executions 2000]

Each client is its own process (its own gRPC channel, no shared GIL) running, in a loop, what a
TFX orchestrator and a lineage UI do against MLMD:
  - put_execution: a component run with 1-2 input artifacts from earlier runs, 1-2 new outputs
    and its pipeline-run context (reuse_context_if_already_exist) - the orchestrator's write;
  - get_lineage_subgraph: the upstream lineage (10 hops) of a recent artifact - a lineage view;
  - get_artifacts_by_context: the artifacts of a recent run - a run page;
  - get_executions_by_id: a cache lookup of recent executions.
Mix per 10 calls: 4 put_execution, 3 get_lineage_subgraph, 2 get_artifacts_by_context,
1 get_executions_by_id. Any error fails the run (exit 1). Afterwards the server gets SIGTERM and
the file must pass `pedigree check`.
"""
import argparse
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

MIX = ["put_execution"] * 4 + ["get_lineage_subgraph"] * 3 + ["get_artifacts_by_context"] * 2 + ["get_executions_by_id"]
KINDS = ["put_execution", "get_lineage_subgraph", "get_artifacts_by_context", "get_executions_by_id"]


def connect(port):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    return metadata_store.MetadataStore(mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=port))


def types(store):
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    a = store.put_artifact_type(mlmd.ArtifactType(name="Examples", properties={"span": mlmd.INT}))
    x = store.put_execution_type(mlmd.ExecutionType(name="Trainer", properties={"step": mlmd.INT}))
    c = store.put_context_type(mlmd.ContextType(name="PipelineRun"))
    return a, x, c


def client_loop(cid, port, seconds, start_at, queue):
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    store = connect(port)
    a_type, x_type, c_type = types(store)
    rng = random.Random(cid)
    recent_artifacts, recent_executions, recent_contexts = [], [], []
    latencies = {k: [] for k in KINDS}
    errors = []
    i = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    while time.time() < deadline:
        kind = MIX[i % len(MIX)]
        i += 1
        if kind != "put_execution" and not recent_artifacts:
            kind = "put_execution"
        t0 = time.perf_counter()
        try:
            if kind == "put_execution":
                run = i // 20
                pairs = []
                for aid in rng.sample(recent_artifacts[-50:], min(len(recent_artifacts[-50:]), rng.randint(1, 2))):
                    pairs.append((mlmd.Artifact(id=aid, type_id=a_type), mlmd.Event(type=mlmd.Event.INPUT)))
                outputs = rng.randint(1, 2)
                for k in range(outputs):
                    pairs.append((mlmd.Artifact(type_id=a_type, uri=f"/c{cid}/{i}/{k}", properties={"span": mlmd.Value(int_value=i)}),
                                  mlmd.Event(type=mlmd.Event.OUTPUT)))
                execution = mlmd.Execution(type_id=x_type, last_known_state=mlmd.Execution.COMPLETE,
                                           properties={"step": mlmd.Value(int_value=i)})
                context = mlmd.Context(type_id=c_type, name=f"run-c{cid}-{run}")
                eid, aids, cids = store.put_execution(execution, pairs, [context], reuse_context_if_already_exist=True)
                recent_artifacts.extend(aids[-outputs:])
                recent_executions.append(eid)
                recent_contexts.extend(cids)
                del recent_artifacts[:-200], recent_executions[:-200], recent_contexts[:-50]
            elif kind == "get_lineage_subgraph":
                aid = rng.choice(recent_artifacts[-20:])
                q = mlmd.LineageSubgraphQueryOptions(max_num_hops=10, direction=mlmd.LineageSubgraphQueryOptions.UPSTREAM)
                q.starting_artifacts.filter_query = f"id = {aid}"
                g = store.get_lineage_subgraph(q, ["artifacts", "executions", "events"])
                if not any(a.id == aid for a in g.artifacts):
                    raise AssertionError(f"lineage of artifact {aid} lacks the artifact")
            elif kind == "get_artifacts_by_context":
                store.get_artifacts_by_context(rng.choice(recent_contexts))
            else:
                ids = rng.sample(recent_executions, min(5, len(recent_executions)))
                if len(store.get_executions_by_id(ids)) != len(set(ids)):
                    raise AssertionError("an acknowledged execution is missing")
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {cid} {kind}: {type(e).__name__}: {e}")
            if len(errors) > 20:
                break
            continue
        latencies[kind].append(time.perf_counter() - t0)
    queue.put((latencies, errors))


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pedigree", required=True)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--db", help="the store to serve (default: a new one in a temporary folder)")
    args = p.parse_args()
    work = tempfile.mkdtemp()
    db = args.db or os.path.join(work, "load.sqlite")
    server = subprocess.Popen([args.pedigree, "serve", "--db", db, "--port", "0", "--log-level", "warning"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if " on 127.0.0.1:" not in line:
        print(f"the server did not start: {line!r} {server.stderr.read()}", file=sys.stderr)
        return 1
    port = int(line.rsplit(":", 1)[1])
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3      # every client connected and set up before the clock starts
    procs = [ctx.Process(target=client_loop, args=(c, port, args.seconds, start_at, queue)) for c in range(args.clients)]
    for pr in procs:
        pr.start()
    results = [queue.get() for _ in procs]
    for pr in procs:
        pr.join()
    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=60)
    check = subprocess.run([args.pedigree, "check", "--db", db], capture_output=True, text=True)

    latencies = {k: [x for r in results for x in r[0][k]] for k in KINDS}
    errors = [e for r in results for e in r[1]]
    total = sum(len(v) for v in latencies.values())
    print(f"{args.clients} clients (ml-metadata {version()} gRPC client, one process each), {args.seconds:g} s, "
          f"one `pedigree serve` on a file; mix per 10 calls: 4 put_execution, 3 get_lineage_subgraph "
          f"(upstream, 10 hops), 2 get_artifacts_by_context, 1 get_executions_by_id.")
    print()
    print("| call | calls | calls/s | p50 | p99 |")
    print("|---|---:|---:|---:|---:|")
    for k in KINDS:
        v = latencies[k]
        if v:
            print(f"| {k} | {len(v)} | {len(v) / args.seconds:,.0f} | {pct(v, 50) * 1e3:.2f} ms | {pct(v, 99) * 1e3:.2f} ms |")
    print(f"| all | {total} | {total / args.seconds:,.0f} | | |")
    print()
    print(f"- errors: {len(errors)}")
    print(f"- server exit after SIGTERM: {code}")
    print(f"- `pedigree check` afterwards: {(check.stdout or check.stderr).strip()}")
    for e in errors[:10]:
        print(f"  - {e}")
    ok = not errors and code == 0 and check.returncode == 0 and all(latencies[k] for k in KINDS)
    return 0 if ok else 1


def version():
    import importlib.metadata
    return importlib.metadata.version("ml-metadata")


if __name__ == "__main__":
    sys.exit(main())
