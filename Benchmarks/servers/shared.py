"""Several `pedigree serve` on one database under mixed load, side by side with ml-metadata
writing and reading the same kind of database directly.

For each database server whose base URL is in PEDIGREE_POSTGRES_URL / PEDIGREE_MYSQL_URL (as
Scripts/dbservers.sh's env exports them): a fresh database pre-loaded with a chain store of
--executions executions (`pedigree generate`), --servers `pedigree serve` on it, and --clients
client processes (the ml-metadata gRPC client, one process each, spread round-robin over the
servers) running for --seconds, in a loop, a mix of writes and lineage reads; per 10 calls:

  2 put_execution                 the peers' put_execution workload (Benchmarks/peers/run_peers.py):
                                  1 execution, the client's previous 2 outputs as inputs, 2 new
                                  outputs, 1 run context (a new one every 10 writes)
  3 get_lineage_subgraph          upstream, 10 hops, from one of the client's 20 latest outputs
  3 get_artifacts_by_context      one of the client's 3 latest run contexts
  2 get_events_by_execution_ids   5 of the client's 50 latest executions

Before the clock starts every server must have completed a catch-up round with no ids pending
(`pedigree status`: what it found missing below the highest ids when it opened has settled; the
time this took is reported). Beside the clients a prober process measures staleness: it writes
one artifact on one server (PutArtifacts), notes when the answer arrived, and reads it on the next
server (GetArtifactsByID, every 2 ms) until it is there: commit to visible on another server.
Every other probe reads instead once with the write's commit token (`pedigree-min-commit`), which
must see it: read-your-writes across servers. Afterwards every server must hold every execution
any client saw acknowledged, and every server exits 0 on SIGTERM.

Then the peer: the same clients, the same mix and the same prober (writer and reader on two
connections), through ml-metadata's own library connections (ConnectionConfig) straight to a
fresh database of the same server, pre-loaded the same way: ml-metadata's usual deployment
without a server binary. The client processes are the same ones for both runs.

Any failed call (or a wrong answer), any probe not seen within --visible-timeout seconds, a read
with a commit token that lacks the write, a missing execution, a server that does not settle within
--settle-timeout or does not exit 0 on SIGTERM fails the run (exit 1), after the report. Prints one
markdown section.

  shared.py --pedigree .build-bench/release/pedigree [--servers 3] [--clients 8] [--seconds 60]
      [--executions 5000] [--backends postgresql,mysql] [--follow-interval 200] [--workdir DIR]
      [--visible-timeout 10] [--settle-timeout 300]
"""

import argparse
import json
import multiprocessing as mp
import os
import queue as queues
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "1")    # the library's C++ INFO lines ("Connecting to database.")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "peers"))
sys.path.insert(0, str(HERE.parent / "load"))
from servers import connection_config, fresh, log, redact  # noqa: E402
from run_peers import (put_execution_inputs, put_execution_outputs, put_execution_request,  # noqa: E402
                       put_execution_types)
from load import pct, version  # noqa: E402

KINDS = ["put_execution", "get_lineage_subgraph", "get_artifacts_by_context", "get_events_by_execution_ids"]
MIX = ["put_execution", "get_lineage_subgraph", "get_artifacts_by_context", "get_events_by_execution_ids",
       "get_lineage_subgraph", "put_execution", "get_artifacts_by_context", "get_lineage_subgraph",
       "get_events_by_execution_ids", "get_artifacts_by_context"]
BACKENDS = {"postgresql": ("PEDIGREE_POSTGRES_URL", "PostgreSQL"), "mysql": ("PEDIGREE_MYSQL_URL", "MySQL (MariaDB)")}
POLL_SECONDS = 0.002      # the prober's interval between reads while it waits for a write
PROBE_PAUSE = 0.02        # between probes
TOKEN_KEY = "pedigree-min-commit"
COMMIT_KEY = "pedigree-commit"


# ---------------------------------------------------------------------------------------------
# The worker processes: each runs one job after another (a client or the prober), sent by main.

def open_store(target):
    """An ml-metadata store: ("grpc", port) through a server, ("db", url) the library directly."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    kind, where = target
    if kind == "grpc":
        return metadata_store.MetadataStore(mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=where))
    return metadata_store.MetadataStore(connection_config(where))


def worker(inbox, outbox):
    while True:
        job = inbox.get()
        if job is None:
            return
        if not isinstance(job, dict):       # the start of a run whose setup failed here
            continue
        try:
            run = client if job["role"] == "client" else prober
            outbox.put(run(job, inbox, outbox))
        except Exception as e:  # noqa: BLE001  (setup failed: report it rather than hang main)
            outbox.put({"role": job["role"], "id": job["id"], "setup_error": f"{type(e).__name__}: {e}"})


def wait_for_go(job, inbox, outbox):
    outbox.put({"ready": job["id"]})
    return inbox.get()      # the time the load starts (time.time())


def client(job, inbox, outbox):
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    cid, prefix = job["id"], job["prefix"]
    store = open_store(job["target"])
    rng = random.Random(cid)
    types = put_execution_types(store)
    inputs = put_execution_inputs(store, types, prefix)
    artifacts, executions, contexts = [a.id for a in inputs], [], []    # executions: all acknowledged
    latencies = {k: [] for k in KINDS}
    sizes = {k: 0 for k in KINDS}
    errors = []
    query = mlmd.LineageSubgraphQueryOptions(max_num_hops=10, direction=mlmd.LineageSubgraphQueryOptions.UPSTREAM)
    start_at = wait_for_go(job, inbox, outbox)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + job["seconds"]
    cpu = time.process_time()
    i = c = 0
    while time.time() < deadline:
        kind = MIX[i % len(MIX)]
        i += 1
        if not executions:
            kind = "put_execution"
        try:
            if kind == "put_execution":
                request, outputs = put_execution_request(types, inputs, c, prefix, context=f"run-{c // 10}")
                c += 1
                t0 = time.perf_counter()
                eid, aids, cids = store.put_execution(*request, reuse_context_if_already_exist=True)
                t = time.perf_counter() - t0
                inputs = put_execution_outputs(outputs, aids)
                artifacts.extend(a.id for a in inputs)
                executions.append(eid)
                if cids[0] not in contexts:
                    contexts.append(cids[0])
                del artifacts[:-20], contexts[:-3]
                n = 1
            elif kind == "get_lineage_subgraph":
                aid = rng.choice(artifacts)
                query.starting_artifacts.filter_query = f"id = {aid}"
                t0 = time.perf_counter()
                g = store.get_lineage_subgraph(query, ["artifacts", "executions", "events"])
                t = time.perf_counter() - t0
                if not any(a.id == aid for a in g.artifacts):
                    raise AssertionError(f"the lineage of artifact {aid} lacks it")
                n = len(g.artifacts) + len(g.executions)
            elif kind == "get_artifacts_by_context":
                context = rng.choice(contexts)
                t0 = time.perf_counter()
                got = store.get_artifacts_by_context(context)
                t = time.perf_counter() - t0
                if not got:
                    raise AssertionError(f"context {context} has no artifacts")
                n = len(got)
            else:
                ids = rng.sample(executions[-50:], min(5, len(executions)))
                t0 = time.perf_counter()
                got = store.get_events_by_execution_ids(ids)
                t = time.perf_counter() - t0
                if len(got) != 4 * len(ids):        # 2 inputs and 2 outputs each
                    raise AssertionError(f"{len(got)} events of executions {ids}, not {4 * len(ids)}")
                n = len(got)
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {cid} {kind}: {type(e).__name__}: {str(e)[:300]}")
            if len(errors) > 20:
                break
            continue
        latencies[kind].append(t)
        sizes[kind] += n
    return {"role": "client", "id": cid, "latencies": latencies, "sizes": sizes, "errors": errors,
            "executions": executions, "cpu": time.process_time() - cpu}


def prober(job, inbox, outbox):
    """Writes an artifact on one side and reads it on the other until it is there (or, every
    other probe on Pedigree, once with the write's commit token)."""
    import grpc
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    from ml_metadata.proto import metadata_store_service_pb2 as svc
    from ml_metadata.proto import metadata_store_service_pb2_grpc as rpc
    ports, url, type_id = job.get("ports"), job.get("url"), job["type_id"]
    if ports:
        stubs = [rpc.MetadataStoreServiceStub(grpc.insecure_channel(f"127.0.0.1:{p}")) for p in ports]

        def write(k, artifact):
            resp, call = stubs[k % len(stubs)].PutArtifacts.with_call(svc.PutArtifactsRequest(artifacts=[artifact]))
            return resp.artifact_ids[0], dict(call.initial_metadata()).get(COMMIT_KEY)

        def read(k, aid, token=None):
            metadata = [(TOKEN_KEY, token)] if token else None
            resp = stubs[(k + 1) % len(stubs)].GetArtifactsByID(svc.GetArtifactsByIDRequest(artifact_ids=[aid]),
                                                                metadata=metadata)
            return len(resp.artifacts) == 1
    else:
        writer, reader = open_store(("db", url)), open_store(("db", url))

        def write(k, artifact):
            return writer.put_artifacts([artifact])[0], None

        def read(k, aid, token=None):
            return len(reader.get_artifacts_by_id([aid])) == 1

    visible, tokened, errors = [], [], []
    start_at = wait_for_go(job, inbox, outbox)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + job["seconds"]
    k = 0
    while time.time() < deadline and len(errors) <= 20:
        k += 1
        with_token = bool(ports) and k % 2 == 0
        try:
            aid, token = write(k, mlmd.Artifact(type_id=type_id, uri=f"{job['prefix']}probe-{k}"))
            acked = time.perf_counter()
            if with_token:
                if not token:
                    raise AssertionError(f"the write's answer has no {COMMIT_KEY}")
                if not read(k, aid, token):
                    # The token promises the write: see whether it shows up, for the report.
                    missed = time.perf_counter() - acked
                    while not (seen := read(k, aid)) and time.perf_counter() - acked < job["visible_timeout"]:
                        time.sleep(POLL_SECONDS)
                    later = (f"visible without the token {(time.perf_counter() - acked) * 1e3:.1f} ms after the write"
                             if seen else f"not visible {job['visible_timeout']:g} s after the write")
                    raise AssertionError(
                        f"artifact {aid} (written on server {k % len(ports)}, {COMMIT_KEY}: {token}) was missing "
                        f"from a read on server {(k + 1) % len(ports)} with that {TOKEN_KEY}, answered "
                        f"{missed * 1e3:.1f} ms after the write's; {later}")
                tokened.append(time.perf_counter() - acked)
            else:
                while not read(k, aid):
                    if time.perf_counter() - acked > job["visible_timeout"]:
                        raise AssertionError(f"artifact {aid} was not visible on the other side "
                                             f"{job['visible_timeout']:g} s after its write was acknowledged")
                    time.sleep(POLL_SECONDS)
                visible.append(time.perf_counter() - acked)
        except Exception as e:  # noqa: BLE001
            errors.append(f"prober, probe {k}{' (token)' if with_token else ''}: {type(e).__name__}: {str(e)[:600]}")
        time.sleep(PROBE_PAUSE)
    return {"role": "prober", "id": job["id"], "visible": visible, "tokened": tokened, "errors": errors}


# ---------------------------------------------------------------------------------------------
# main: the servers, the runs, the report

class Workers:
    """clients + 1 worker processes (spawned: no shared GIL, no forked gRPC state), reused by
    every run."""

    def __init__(self, n):
        ctx = mp.get_context("spawn")
        self.outbox = ctx.Queue()
        self.inboxes = [ctx.Queue() for _ in range(n)]
        self.procs = [ctx.Process(target=worker, args=(q, self.outbox), daemon=True) for q in self.inboxes]
        for p in self.procs:
            p.start()

    def run(self, jobs, seconds, sample=lambda: None):
        """Sends one job to each worker, starts the load when all are ready; their results, and
        `sample()` taken when the load starts and when it ended."""
        for inbox, job in zip(self.inboxes, jobs):
            inbox.put(job)
        results, ready = [], 0
        setup_deadline = time.time() + 120
        while ready + len(results) < len(jobs):
            message = self.get(setup_deadline - time.time(), "set up")
            if "ready" in message:
                ready += 1
            else:
                results.append(message)     # a setup error
        start_at = time.time() + 0.2
        for inbox in self.inboxes[:len(jobs)]:
            inbox.put(start_at)
        time.sleep(max(0.0, start_at - time.time()))
        first = sample()
        end_deadline = start_at + seconds + 120
        while len(results) < len(jobs):
            results.append(self.get(end_deadline - time.time(), "finish"))
        return results, (first, sample())

    def get(self, timeout, what):
        try:
            return self.outbox.get(timeout=max(1, timeout))
        except queues.Empty:
            raise RuntimeError(f"a worker did not {what} in time") from None

    def close(self):
        for inbox in self.inboxes:
            inbox.put(None)
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()


class Server:
    def __init__(self, pedigree, db, work, label, follow_interval):
        self.log_path = work / f"{label}.log"
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([pedigree, "serve", "--db", db, "--port", "0", "--log-level", "warning",
                                      "--follow-interval", str(follow_interval)],
                                     stdout=subprocess.PIPE, stderr=self.log_file, text=True)
        line = self.proc.stdout.readline()
        if " on 127.0.0.1:" not in line:
            self.proc.kill()
            raise RuntimeError(f"{label} did not start: {line!r} {self.log_tail()}")
        self.port = int(line.rsplit(":", 1)[1])
        self.label = label
        self.serving_at = time.perf_counter()

    def log_tail(self, chars=1500):
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "killed after 60 s"
        self.log_file.close()
        return code


def cpu_seconds(pids):
    """CPU time (user + system) of processes, and of the whole machine (busy, all CPUs)."""
    tick = os.sysconf("SC_CLK_TCK")
    own = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            own += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]) / tick    # user, nice, system, irq, softirq
    return own, busy


def status(pedigree, port):
    p = subprocess.run([pedigree, "status", "--server", f"127.0.0.1:{port}", "--format", "json"],
                       capture_output=True, text=True, timeout=30)
    return json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr.strip()}


def settle(pedigree, servers, timeout):
    """Waits until every server has completed a catch-up round and expects no ids below its
    highest (`pending_ids` 0: what it found missing when it opened has settled), before the load;
    returns the seconds each took from serving, or None where it did not within `timeout`."""
    took = [None] * len(servers)
    deadline = time.perf_counter() + timeout
    while None in took and time.perf_counter() < deadline:
        for i, s in enumerate(servers):
            if took[i] is None:
                st = status(pedigree, s.port)
                if st.get("rounds", 0) >= 1 and st.get("pending_ids", 0) == 0:
                    took[i] = time.perf_counter() - s.serving_at
        time.sleep(0.1)
    return took


def prepare(pedigree, db, executions):
    """A fresh database with the pre-loaded chain store and the prober's artifact type."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    subprocess.run([pedigree, "generate", "--executions", str(executions), "--seed", "1", "--db", db],
                   check=True, stdout=subprocess.DEVNULL)
    store = open_store(("db", db))
    put_execution_types(store)      # once, before the clients look them up at the same time
    return store.put_artifact_type(mlmd.ArtifactType(name="Probe"))


def jobs_for(args, targets, nonce, probe):
    jobs = [{"role": "client", "id": c, "target": targets[c % len(targets)], "prefix": f"{nonce}c{c}-",
             "seconds": args.seconds} for c in range(args.clients)]
    jobs.append(dict(probe, role="prober", id="prober", prefix=f"{nonce}-", seconds=args.seconds,
                     visible_timeout=args.visible_timeout))
    return jobs


def summarize(results, seconds):
    clients = [r for r in results if r["role"] == "client"]
    probes = [r for r in results if r["role"] == "prober"]
    errors = [r["setup_error"] for r in results if "setup_error" in r]
    errors += [e for r in results for e in r.get("errors", [])]
    latencies = {k: [x for r in clients for x in r.get("latencies", {}).get(k, [])] for k in KINDS}
    sizes = {k: sum(r.get("sizes", {}).get(k, 0) for r in clients) for k in KINDS}
    return {
        "latencies": latencies,
        "sizes": sizes,
        "calls": sum(len(v) for v in latencies.values()),
        "seconds": seconds,
        "errors": errors,
        "visible": [x for r in probes for x in r.get("visible", [])],
        "tokened": [x for r in probes for x in r.get("tokened", [])],
        "executions": [x for r in clients for x in r.get("executions", [])],
        "client_cpu": sum(r.get("cpu", 0) for r in clients),
    }


def check_everywhere(servers, executions, timeout):
    """Every acknowledged execution on every server (after at most `timeout` s): the problems."""
    problems = []
    for s in servers:
        store = open_store(("grpc", s.port))
        deadline = time.perf_counter() + timeout
        missing = list(executions)
        while missing:
            got = set()
            for i in range(0, len(missing), 500):
                got.update(x.id for x in store.get_executions_by_id(missing[i:i + 500]))
            missing = [x for x in missing if x not in got]
            if not missing or time.perf_counter() > deadline:
                break
            time.sleep(0.1)
        if missing:
            problems.append(f"{s.label} lacks {len(missing)} of {len(executions)} acknowledged executions "
                            f"{timeout:g} s after the load (e.g. {sorted(missing)[:5]})")
    return problems


def run_backend(args, workers, name, base):
    nonce = f"s{random.randrange(1 << 20):x}"
    work = args.work
    label = name.split()[0].lower()
    result = {"name": name}

    # Pedigree: N servers on one database.
    db = fresh(base, "shared")
    log(f"shared: {name}: generate {args.executions} executions into {redact(db)}")
    probe_type = prepare(args.pedigree, db, args.executions)
    servers = []
    problems = []
    try:
        for i in range(args.servers):
            servers.append(Server(args.pedigree, db, work, f"{label}-server-{i}", args.follow_interval))
        log(f"shared: {name}: {args.servers} servers on ports {', '.join(str(s.port) for s in servers)}; "
            f"{args.clients} clients for {args.seconds:g} s")
        t0 = time.perf_counter()
        settled = settle(args.pedigree, servers, args.settle_timeout)
        log(f"shared: {name}: the servers settled their first catch-up rounds in {time.perf_counter() - t0:.1f} s")
        if None in settled:
            problems.append(f"{sum(x is None for x in settled)} of the servers still expected ids below their "
                            f"highest {args.settle_timeout:g} s after they started serving (`pedigree status`: pending_ids)")
        before = [status(args.pedigree, s.port) for s in servers]
        jobs = jobs_for(args, [("grpc", s.port) for s in servers], nonce,
                        {"ports": [s.port for s in servers], "type_id": probe_type})
        results, (first, last) = workers.run(jobs, args.seconds, lambda: cpu_seconds(s.proc.pid for s in servers))
        pedigree = summarize(results, args.seconds)
        pedigree["server_cpu"], pedigree["machine_cpu"] = last[0] - first[0], last[1] - first[1]
        after = [status(args.pedigree, s.port) for s in servers]
        t0 = time.perf_counter()
        problems += check_everywhere(servers, pedigree["executions"], args.visible_timeout)
        pedigree["check_seconds"] = time.perf_counter() - t0
        pedigree["rounds"] = [a.get("rounds", 0) - b.get("rounds", 0) for a, b in zip(after, before)]
        pedigree["status_errors"] = [a["error"] for a in after if "error" in a]
        pedigree["settled"] = settled
    finally:
        for s in servers:
            code = s.stop()
            if code != 0:
                problems.append(f"{s.label} exited {code} on SIGTERM: {s.log_tail()}")
    for s in servers:
        lines = [x for x in s.log_path.read_text(errors="replace").splitlines() if x.strip()]
        if lines:
            log(f"shared: {name}: {s.label} logged {len(lines)} lines (warnings and errors; {s.log_path}), "
                f"the first: " + "\n  ".join(lines[:3]))
            pedigree.setdefault("logs", []).append((s.label, lines))
    result["pedigree"] = pedigree
    log(f"shared: {name}: Pedigree {pedigree['calls'] / args.seconds:,.0f} calls/s, {len(pedigree['errors'])} errors")

    # ml-metadata: the same clients through library connections to a fresh database.
    db = fresh(base, "shared_mlmd")
    log(f"shared: {name}: generate {args.executions} executions into {redact(db)} for ml-metadata")
    probe_type = prepare(args.pedigree, db, args.executions)
    jobs = jobs_for(args, [("db", db)], nonce, {"url": db, "type_id": probe_type})
    results, (first, last) = workers.run(jobs, args.seconds, lambda: cpu_seconds([]))
    library = summarize(results, args.seconds)
    library["machine_cpu"] = last[1] - first[1]
    result["mlmd"] = library
    log(f"shared: {name}: ml-metadata {library['calls'] / args.seconds:,.0f} calls/s, {len(library['errors'])} errors")
    result["problems"] = problems
    return result


def ms(seconds):
    return f"{seconds * 1e3:.2f} ms"


def ratio(peer, pedigree):
    if not pedigree:
        return ""
    r = peer / pedigree
    return f"{r:,.0f}×" if r >= 100 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"


def report(args, results):
    print(f"{args.servers} `pedigree serve` (release, `--follow-interval {args.follow_interval}`) on one database, "
          f"{args.clients} client processes (ml-metadata {version()}, its gRPC client) spread round-robin over "
          f"them, {args.seconds:g} s; the peer: the same {args.clients} client processes through ml-metadata's "
          f"library connections (`ConnectionConfig`) straight to a fresh database of the same server "
          f"(ml-metadata's usual deployment, no server binary). Each database is pre-loaded with "
          f"{args.executions:,} executions (`pedigree generate`, chain shape). Mix per 10 calls: 2 put_execution "
          f"(1 execution, 2 input and 2 output artifacts, 1 run context), 3 get_lineage_subgraph (upstream, 10 "
          f"hops, from one of the client's latest outputs), 3 get_artifacts_by_context, 2 "
          f"get_events_by_execution_ids (5 executions). Ratios: ml-metadata's figure over Pedigree's.")
    for r in results:
        p, m = r["pedigree"], r["mlmd"]
        print(f"\n### {r['name']}: {args.servers} servers against ml-metadata direct\n")
        print("| call | Pedigree calls/s | p50 | p99 | ml-metadata calls/s | p50 | p99 | p50 ratio | p99 ratio | mean answer |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for k in KINDS:
            a, b = p["latencies"][k], m["latencies"][k]
            if not a or not b:
                print(f"| {k} | {len(a) / args.seconds:,.0f} | | | {len(b) / args.seconds:,.0f} | | | | | |")
                continue
            unit = {"put_execution": "", "get_lineage_subgraph": " nodes", "get_artifacts_by_context": " artifacts",
                    "get_events_by_execution_ids": " events"}[k]
            answer = f"{p['sizes'][k] / len(a):.1f}{unit}" if unit else "1 execution"
            print(f"| {k} | {len(a) / args.seconds:,.0f} | {ms(pct(a, 50))} | {ms(pct(a, 99))} "
                  f"| {len(b) / args.seconds:,.0f} | {ms(pct(b, 50))} | {ms(pct(b, 99))} "
                  f"| {ratio(pct(b, 50), pct(a, 50))} | {ratio(pct(b, 99), pct(a, 99))} | {answer} |")
        print(f"| all | {p['calls'] / args.seconds:,.0f} | | | {m['calls'] / args.seconds:,.0f} | | | "
              f"throughput {ratio(m['calls'], p['calls'])} | | |")
        print()
        print("| commit to visible | probes | p50 | p99 | max |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for what, v in ((f"Pedigree: on another server, without a token (polled every {POLL_SECONDS * 1e3:g} ms)", p["visible"]),
                        (f"Pedigree: on another server, one read with the write's `{TOKEN_KEY}`", p["tokened"]),
                        ("ml-metadata: on another connection to the database", m["visible"])):
            if v:
                print(f"| {what} | {len(v)} | {ms(pct(v, 50))} | {ms(pct(v, 99))} | {ms(max(v))} |")
            else:
                print(f"| {what} | 0 | | | |")
        print()
        print(f"- errors: Pedigree {len(p['errors'])}, ml-metadata {len(m['errors'])}")
        for e in (p["errors"] + m["errors"])[:10]:
            print(f"  - {e}")
        if not any("acknowledged executions" in x for x in r["problems"]):
            print(f"- every server holds all {len(p['executions']):,} executions the clients saw acknowledged "
                  f"(checked in {p.get('check_seconds', 0):.2f} s after the load)")
        available = os.cpu_count() * args.seconds
        print(f"- CPU during the load ({os.cpu_count()} CPUs × {args.seconds:g} s = {available:g} CPU-seconds): "
              f"machine busy {p['machine_cpu'] / available:.0%} (Pedigree's run: its servers {p.get('server_cpu', 0):.1f} s, "
              f"the clients {p['client_cpu']:.1f} s) and {m['machine_cpu'] / available:.0%} (ml-metadata's run: the "
              f"clients, the library in process, {m['client_cpu']:.1f} s); the rest is mostly the database server and the prober")
        took = [x for x in p.get("settled", []) if x is not None]
        if took:
            print(f"- before the load, the servers completed a catch-up round with no ids pending "
                  f"(`pedigree status`) {min(took):.1f} to {max(took):.1f} s after they began serving")
        print(f"- catch-up rounds per server during the run (`pedigree status`): "
              f"{', '.join(str(x) for x in p.get('rounds', []))}")
        if p.get("logs"):
            print(f"- the servers' logs (`--log-level warning`): " + "; ".join(
                f"{label}: {len(lines)} lines, the first `{lines[0][:200]}`" for label, lines in p["logs"]))
        for failure in failures(r):
            print(f"- **failed**: {failure}")


def failures(r):
    """Why a backend's run fails (nothing when it passes)."""
    out = list(r["problems"])
    for side, title in (("pedigree", "Pedigree"), ("mlmd", "ml-metadata")):
        s = r[side]
        if s["errors"]:
            out.append(f"{title}: {len(s['errors'])} calls or probes failed")
        missing = [k for k in KINDS if not s["latencies"][k]]
        if missing:
            out.append(f"{title}: no successful {', '.join(missing)}")
        if not s["visible"]:
            out.append(f"{title}: no probe completed")
    if not r["pedigree"]["tokened"]:
        out.append("Pedigree: no read with a commit token completed")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--executions", type=int, default=5000)
    ap.add_argument("--backends", default="postgresql,mysql")
    ap.add_argument("--follow-interval", type=int, default=200)
    ap.add_argument("--visible-timeout", type=float, default=10)
    ap.add_argument("--settle-timeout", type=float, default=300)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    args.work = Path(args.workdir or tempfile.mkdtemp(prefix="pedigree-shared-bench-"))
    args.work.mkdir(parents=True, exist_ok=True)
    backends = []
    for key in args.backends.split(","):
        variable, name = BACKENDS[key]
        base = os.environ.get(variable)
        if base:
            backends.append((name, base))
        else:
            log(f"shared: {variable} is not set; {name} skipped")
    if not backends:
        log("shared: no database server: set PEDIGREE_POSTGRES_URL or PEDIGREE_MYSQL_URL")
        return 1

    workers = Workers(args.clients + 1)
    try:
        results = [run_backend(args, workers, name, base) for name, base in backends]
    finally:
        workers.close()
    report(args, results)
    failed = any(failures(r) for r in results)
    if failed:
        log(f"shared: FAILED: see the errors and problems above; the servers' logs are in {args.work}")
    elif args.workdir is None:
        shutil.rmtree(args.work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
