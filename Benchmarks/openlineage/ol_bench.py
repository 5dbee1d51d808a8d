"""OpenLineage ingest throughput, durable (SQLite, WAL, synchronous = FULL): `pedigree import --format
openlineage` of a file (one transaction), and `POST /api/v1/lineage` to `pedigree serve --http-port`
by concurrent clients (each event its own transaction, acknowledged after its commit); beside it,
ml-metadata's library writing the same runs (one put_execution per COMPLETE event, the datasets found
by uri) into its own SQLite file. Prints a markdown section.

    python Benchmarks/openlineage/ol_bench.py --pedigree .build-bench/release/pedigree --runs 5000
"""
import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/airflow"


def make_events(runs, seed):
    """START and COMPLETE of `runs` runs of 50 jobs, 2 inputs and 1 output each from 500 tables,
    SQL and schema facets, a parent run for one in ten."""
    rnd = random.Random(seed)
    tables = [f"shop.public.t{i}" for i in range(500)]
    events = []
    for r in range(runs):
        run_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        job = {"namespace": "airflow", "name": f"dag{r % 50}.task",
               "facets": {"sql": {"_producer": PRODUCER, "_schemaURL": "https://x/SQLJobFacet.json", "query": f"INSERT INTO t SELECT {r}"}}}
        ins = [{"namespace": "postgres://db:5432", "name": name,
                "facets": {"schema": {"_producer": PRODUCER, "_schemaURL": "https://x", "fields": [{"name": "id", "type": "INTEGER"}]}}}
               for name in rnd.sample(tables, 2)]
        out = [{"namespace": "s3://lake", "name": f"out/{r % 2000}"}]
        run = {"runId": run_id}
        if r % 10 == 0:
            run["facets"] = {"parent": {"_producer": PRODUCER, "_schemaURL": "https://x", "run": {"runId": str(uuid.UUID(int=r + 1, version=4))},
                                        "job": {"namespace": "airflow", "name": f"dag{r % 50}"}}}
        t = 1_700_000_000 + r * 60
        for kind, dt in (("START", 0), ("COMPLETE", 30)):
            events.append({"eventType": kind, "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t + dt)), "run": run, "job": job,
                           "inputs": ins, "outputs": out, "producer": PRODUCER,
                           "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"})
    return events


def fresh(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def mlmd_baseline(events, path):
    """The same runs through ml-metadata's library: per COMPLETE event, one put_execution with its
    datasets (looked up by uri, created when new) and its job context."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as pb
    fresh(path)
    cfg = pb.ConnectionConfig()
    cfg.sqlite.filename_uri = path
    cfg.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(cfg)
    dt = store.put_artifact_type(pb.ArtifactType(name="ol.Dataset"))
    et = store.put_execution_type(pb.ExecutionType(name="ol.Run"))
    ct = store.put_context_type(pb.ContextType(name="ol.Job"))
    done = [e for e in events if e["eventType"] == "COMPLETE"]
    start = time.perf_counter()
    for e in done:
        pairs = []
        for d, kind in [(d, pb.Event.INPUT) for d in e["inputs"]] + [(d, pb.Event.OUTPUT) for d in e["outputs"]]:
            uri = d["namespace"] + "/" + d["name"]
            found = store.get_artifacts_by_uri(uri)
            a = found[0] if found else pb.Artifact(type_id=dt, uri=uri, name=uri)
            pairs.append((a, pb.Event(type=kind)))
        x = pb.Execution(type_id=et, name=e["run"]["runId"], last_known_state=pb.Execution.COMPLETE)
        ctx = pb.Context(type_id=ct, name=e["job"]["namespace"] + "/" + e["job"]["name"])
        store.put_execution(x, pairs, [ctx], reuse_context_if_already_exist=True)
    return len(done) / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--no-mlmd", action="store_true")
    args = ap.parse_args()
    pedigree = os.path.abspath(args.pedigree)
    work = args.workdir or tempfile.mkdtemp(prefix="pedigree-ol-bench.")
    os.makedirs(work, exist_ok=True)
    events = make_events(args.runs, args.seed)
    lines = [json.dumps(e) for e in events]
    path = os.path.join(work, "events.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")

    # 1. import, one transaction
    db = os.path.join(work, "import.sqlite")
    fresh(db)
    start = time.perf_counter()
    subprocess.run([pedigree, "import", "--db", db, "--format", "openlineage", path], check=True, capture_output=True)
    imported = len(lines) / (time.perf_counter() - start)

    # 2. POST by concurrent clients, each event its own durable transaction
    db2 = os.path.join(work, "http.sqlite")
    fresh(db2)
    subprocess.run([pedigree, "init", "--db", db2], check=True, capture_output=True)
    proc = subprocess.Popen([pedigree, "serve", "--db", db2, "--port", "0", "--http-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    while port is None:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server stopped")
        m = re.match(r"pedigree: explorer at http://127\.0\.0\.1:(\d+)/", line)
        if m:
            port = int(m.group(1))
    # Each run's events go in order through one client; runs are spread over the clients.
    shares = [[] for _ in range(args.clients)]
    for i in range(0, len(lines), 2):
        shares[(i // 2) % args.clients] += lines[i:i + 2]
    latencies = []
    errors = []

    def client(share):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for body in share:
            t = time.perf_counter()
            conn.request("POST", "/api/v1/lineage", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            mine.append(time.perf_counter() - t)
            if r.status != 201:
                errors.append(r.status)
        latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(s,)) for s in shares]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    posted = len(lines) / (time.perf_counter() - start)
    proc.terminate()
    proc.wait(timeout=30)
    def exported(d):
        out = subprocess.run([pedigree, "export", "--db", d, "--format", "openlineage", "-"], check=True, capture_output=True, text=True).stdout
        return sorted(out.splitlines())
    same = exported(db) == exported(db2)
    lat = sorted(latencies)
    mlmd = None if args.no_mlmd else mlmd_baseline(events, os.path.join(work, "mlmd.sqlite"))

    print(f"{args.runs:,} runs of 50 jobs (a START and a COMPLETE each: {len(lines):,} RunEvents, 2 inputs and 1 output from 500 tables, "
          f"SQL and schema facets, a parent for one run in ten), into SQLite files (WAL, synchronous = FULL).")
    print()
    print("| ingest | events/s | notes |")
    print("|---|---|---|")
    print(f"| `pedigree import --format openlineage` (one transaction) | {imported:,.0f} | |")
    print(f"| `POST /api/v1/lineage`, {args.clients} clients, each event its own transaction | {posted:,.0f} | "
          f"latency p50 {statistics.median(lat) * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms; {len(errors)} errors |")
    if mlmd:
        print(f"| ml-metadata's library, the same runs (a put_execution per COMPLETE, datasets by uri) | {mlmd:,.0f} runs/s | "
              f"Pedigree over HTTP: {posted / 2 / mlmd:.1f}x its runs/s |")
    print()
    print(f"The store the POSTs made and the one the import made export the same events (in another order: the clients interleave): "
          f"{'yes' if same else 'NO'}.")
    if errors or not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
