"""Several `pedigree serve` on one database agree with it, and read-your-writes works across them.

Each server holds the graph in memory and follows what the others (and ml-metadata writing the
database directly) commit. This script proves, with the real ml-metadata 1.17.1 client and library:

1. Shared databases. Three servers on one fresh PostgreSQL database, one on a fresh MariaDB
   database, two on one SQLite file. Writers in threads, one per server (the ml-metadata gRPC
   client) and one per database (the ml-metadata library writing the database directly), write at
   the same time: put_execution with an input artifact (written by any writer, through any server)
   and output artifacts, a pipeline and a run context (attributions and associations),
   put_parent_contexts (run -> pipeline -> project, and across writers), updates of artifacts and
   executions (states, custom properties), put_events and put_attributions_and_associations
   across writers. Operations that meet a busy database (ABORTED, "database is locked", a
   deadlock) are retried a few times; any other failure fails the test. When the writers stop
   (time T), every server's `pedigree status` must report a catch-up round begun after T within
   --sync-seconds (how long after T it began is printed: the observed staleness); then every
   server must answer every list and lineage question exactly
   as the library reads the database: all types, artifacts, executions, contexts (properties
   included, by id and by type), events (with paths) by execution and by artifact, contexts by
   artifact and by execution, artifacts and executions by context, parent and child contexts, and
   get_lineage_subgraph (upstream, downstream, both) from several artifacts. Every record any
   writer saw acknowledged (nodes, events, attributions, associations, parent links) must be there.
2. Read-your-writes across servers with commit tokens. Beside a server A, a server B with
   `--follow-interval 0` (it catches up only before its own writes and for token reads). On
   PostgreSQL 30 times (MariaDB and SQLite a few): a write on A (PutExecution or PutArtifacts,
   alternating, and updates of an artifact's custom property), then at once a read on B without the
   token, which must NOT see the write (the control: B does not follow by itself, so the test can
   fail), then a read on B with `pedigree-min-commit: TOKEN`, which must see exactly what A
   answers (the new nodes, events, contexts; the updated value). Malformed tokens are refused
   with INVALID_ARGUMENT, by reads and by writes (which then write nothing). Then 100 times more
   while B itself writes back to back (its writes catch up too, concurrently with the token
   reads): every read with a token must see the write it names.
3. SIGKILL. During part 1's writes one PostgreSQL server is killed (while two extra writers put
   executions through it back to back, so that one is likely in flight) and started again on the same
   database; its writers' calls fail while it is down and they carry on with the new server. After
   the writes, the restarted server agrees like the others, and everything it acknowledged before
   the kill is there.
Finally every server exits 0 on SIGTERM and `pedigree check` passes on each database.

The MySQL and PostgreSQL parts need PEDIGREE_MYSQL_URL and PEDIGREE_POSTGRES_URL (base URLs ending
in /, as Scripts/dbservers.sh's env exports them; `make test` sets them); without them those parts
are skipped with a note. Their databases are named pedigree_multi_<random>_{pg,my}; they are
dropped after a passing run and kept (with the temporary directory of the SQLite file and the
servers' logs) after a failing one. Every server the script started is killed on the way out.

Usage: $PY multi_server_test.py --pedigree BIN [--seconds 4] [--ops 30] [--sync-seconds 15] [--seed N]
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

os.environ.setdefault("GLOG_minloglevel", "1")    # the library's C++ INFO lines ("Connecting to database.")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Compat"))

import grpc  # noqa: E402
from absl import logging as absl_logging  # noqa: E402
from google.protobuf import text_format  # noqa: E402
from ml_metadata import errors  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as mlmd  # noqa: E402
from ml_metadata.proto import metadata_store_service_pb2 as svc  # noqa: E402
from ml_metadata.proto import metadata_store_service_pb2_grpc as rpc  # noqa: E402

import mlmd_dump  # noqa: E402
import mlmd_location  # noqa: E402
import server_db  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--pedigree", required=True)
parser.add_argument("--seconds", type=float, default=4, help="how long part 1's writers write")
parser.add_argument("--ops", type=int, default=30, help="operations per writer in part 1")
parser.add_argument("--sync-seconds", type=float, default=15,
                    help="how long a server may take to report a round begun after the writes stopped")
parser.add_argument("--token-rounds", type=int, default=30, help="part 2's writes on PostgreSQL")
parser.add_argument("--seed", type=int, default=None)
args = parser.parse_args()
PEDIGREE = os.path.abspath(args.pedigree)
absl_logging.set_verbosity(absl_logging.FATAL)    # the client's "... failed after retrying 1 times." (counted here)
SEED = args.seed if args.seed is not None else random.randrange(1 << 30)

MIN_COMMIT, COMMIT = "pedigree-min-commit", "pedigree-commit"
TOKEN = re.compile(r"^v1:(artifact|execution|context|event|attribution|association):[1-9][0-9]*(@[0-9]+)?$|^v1:now$")

failures = []
failures_lock = threading.Lock()
started = []            # every Popen, killed on the way out


def fail(what):
    with failures_lock:
        failures.append(what)
    print(f"  FAIL: {what}", flush=True)


def note(what):
    print(f"  {what}", flush=True)


def text(message):
    return text_format.MessageToString(message, as_one_line=True)


def now_ms():
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------------------
# Servers

class Server:
    """A `pedigree serve --db DB --port 0`; its output goes to files in the work directory."""

    def __init__(self, work, label, db, *extra):
        self.work, self.label, self.db, self.extra = work, label, db, list(extra)
        self.generation = 0         # bumped by every start: clients of an older one are stale
        self.down = False           # killed on purpose, not yet started again
        self.start()

    def start(self):
        self.generation += 1
        base = os.path.join(self.work, f"{self.label}.{self.generation}")
        self.out_path, self.err_path = base + ".out", base + ".err"
        t0 = time.monotonic()
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([PEDIGREE, "serve", "--db", self.db, "--port", "0", "--log-level", "warning",
                                          *self.extra], stdout=out, stderr=err)
        started.append(self.proc)
        deadline = time.monotonic() + 60
        while True:
            with open(self.out_path) as f:
                line = f.readline()
            if line.endswith("\n") and " on 127.0.0.1:" in line:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"{self.label}: pedigree serve did not start: {line!r} {self.log_tail()}")
            time.sleep(0.02)
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.start_seconds = time.monotonic() - t0

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def client(self):
        """The ml-metadata gRPC client. Its own retry of ABORTED (sleeps of 2 s on average) is
        turned off: the writers retry busy operations themselves, briefly."""
        store = metadata_store.MetadataStore(mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=self.port))
        store._max_num_retries = 1
        return store

    def stub(self):
        return rpc.MetadataStoreServiceStub(grpc.insecure_channel(self.address))

    def status(self):
        """`pedigree status --server` as JSON, with proto JSON's omitted defaults filled in."""
        p = subprocess.run([PEDIGREE, "status", "--server", self.address, "--format", "json"],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(f"{self.label}: pedigree status exited {p.returncode}: {p.stderr.strip()[:300]}")
        status = {"rounds": 0, "applied_at_ms": 0, "staleness_ms": 0, "changed_at_ms": 0, "highest_ids": {},
                  "pending_ids": 0, "horizon": "", "last_error": "", "generation": 0, "artifacts": 0,
                  "executions": 0, "contexts": 0, "events": 0, "follows": False, "follow_interval_ms": 0}
        status.update(json.loads(p.stdout))
        for k in ("rounds", "applied_at_ms", "staleness_ms", "changed_at_ms", "pending_ids", "generation",
                  "artifacts", "executions", "contexts", "events", "follow_interval_ms"):
            status[k] = int(status[k])      # proto JSON writes 64-bit integers as strings
        return status

    def kill(self):
        self.down = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def restart(self):
        self.start()
        self.down = False

    def stop(self):
        """SIGTERM; the server must exit 0."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail(f"{self.label}: still running 30 s after SIGTERM; killed. {self.log_tail()}")
            return
        if code != 0:
            fail(f"{self.label}: exited {code} after SIGTERM. {self.log_tail()}")

    def log_tail(self, chars=1500):
        try:
            with open(self.err_path, errors="replace") as f:
                return "log: " + f.read()[-chars:].strip()
        except OSError:
            return ""


class Database:
    """One database, the servers on it, and what the writers share about it."""

    def __init__(self, label, db):
        self.label, self.db = label, db
        self.shown = mlmd_location.redact(db)
        self.servers = []
        self.lock = threading.Lock()
        self.artifacts, self.executions, self.pipelines = [], [], []    # ids any writer may use

    def library(self):
        """The ml-metadata library on the database itself (its retry of ABORTED off, as above)."""
        config = mlmd_location.connection_config(self.db, mlmd_location.READWRITE)
        config.retry_options.max_num_retries = 1
        return metadata_store.MetadataStore(config)

    def share(self, kind, ids):
        with self.lock:
            getattr(self, kind).extend(ids)

    def pick(self, kind, rng):
        with self.lock:
            pool = getattr(self, kind)
            return rng.choice(pool) if pool else None


# ---------------------------------------------------------------------------------------------
# Part 1's writers

TRANSIENT = re.compile(r"locked|busy|deadlock|could not serialize|try restarting transaction|lock wait timeout",
                       re.IGNORECASE)


def event_path(*steps):
    path = mlmd.Event.Path()
    for step in steps:
        if isinstance(step, int):
            path.steps.add().index = step
        else:
            path.steps.add().key = step
    return path


FAILED = object()       # what Writer.call returns when a call failed


class Writer(threading.Thread):
    """Writes --ops operations over --seconds through one server (or the library when server is
    None), recording every write that was acknowledged."""

    def __init__(self, database, server, label, types, rng, start_at, span, burst=False):
        super().__init__(daemon=True, name=label)
        self.burst = burst
        self.database, self.server, self.label, self.types, self.rng = database, server, label, types, rng
        self.start_at, self.span = start_at, span
        self.store, self.generation = None, 0
        self.acked = []                 # what was acknowledged: see check_acknowledged
        self.ops = {}                   # operation -> acknowledged count
        self.retries = {}               # busy retries, by error
        self.lost = 0                   # calls lost to the killed server
        self.linked = set()             # events, attributions, associations, parent links made here
        self.my_executions, self.my_runs = [], []
        self.i = 0

    # The store to call: a new client after the server was restarted.
    def current(self):
        if self.server is None:
            if self.store is None:
                self.store = self.database.library()
            return self.store
        deadline = time.monotonic() + 60
        while self.server.down and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.store is None or self.generation != self.server.generation:
            self.generation = self.server.generation
            self.store = self.server.client()
        return self.store

    def call(self, what, fn):
        """fn(store)'s result; FAILED when the call failed: in a way the test tolerates (the killed
        server was down: the write may or may not have happened, nothing relies on it), or not
        (recorded as a failure)."""
        for attempt in range(10):
            store = self.current()
            generation = self.generation
            try:
                return fn(store)
            except errors.UnavailableError as e:
                if self.server is not None and (self.server.down or self.server.generation != generation):
                    self.lost += 1
                    return FAILED
                fail(f"{self.label}: {what}: {type(e).__name__}: {e}")
                return FAILED
            except errors.AbortedError as e:
                error = e
            except (errors.InternalError, errors.UnknownError) as e:
                if not TRANSIENT.search(str(e)):
                    fail(f"{self.label}: {what}: {type(e).__name__}: {e}")
                    return FAILED
                error = e
            except errors.StatusError as e:
                fail(f"{self.label}: {what}: {type(e).__name__}: {e}")
                return FAILED
            message = " ".join(str(error).split())
            reason = f"{type(error).__name__}: {message if len(message) < 90 else message[:40] + ' ... ' + message[-40:]}"
            self.retries[reason] = self.retries.get(reason, 0) + 1
            time.sleep(min(0.5, 0.01 * 2 ** attempt) * (0.5 + self.rng.random()))
        fail(f"{self.label}: {what}: still failing after 10 attempts: {type(error).__name__}: {error}")
        return FAILED

    def get(self, what, fn):
        """The nodes fn(store) reads; none when the call failed."""
        got = self.call(what, fn)
        return [] if got is FAILED else got

    def done(self, op):
        self.ops[op] = self.ops.get(op, 0) + 1

    def run(self):
        try:
            self.setup()
            if self.burst:
                # put_execution back to back until the server is killed: the kill finds one in flight.
                generation = self.server.generation
                while not self.server.down and self.server.generation == generation:
                    self.put_execution()
                return
            for n in range(args.ops):
                # Spread the operations over the period (a writer behind its schedule does not sleep).
                delay = self.start_at + self.span * n / args.ops - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.one_operation()
        except Exception as e:  # noqa: BLE001
            fail(f"{self.label}: {type(e).__name__}: {e}")

    def setup(self):
        """The writer's pipeline context, a child of the database's project context."""
        t = self.types
        name = f"{self.label}-pipeline"
        ids = self.call("put_contexts", lambda s: s.put_contexts([mlmd.Context(
            type_id=t["Pipeline"], name=name, properties={"owner": mlmd.Value(string_value=self.label)})]))
        if ids is FAILED:
            raise RuntimeError("could not create its pipeline context")
        self.pipeline = ids[0]
        self.acked.append(("context", self.pipeline, name))
        link = mlmd.ParentContext(child_id=self.pipeline, parent_id=t["project"])
        if self.call("put_parent_contexts", lambda s: s.put_parent_contexts([link])) is not FAILED:
            self.acked.append(("parent", self.pipeline, t["project"]))
            self.done("put_parent_contexts")
        self.database.share("pipelines", [self.pipeline])

    def one_operation(self):
        ops = [self.put_execution] * 4
        if self.my_executions:
            ops += [self.update_artifact, self.update_execution] * 2 + [self.put_events, self.put_links, self.parent]
        self.rng.choice(ops)()

    def put_execution(self):
        t, i, rng = self.types, self.i, self.rng
        self.i += 1
        pairs, inputs = [], []
        earlier = None if self.burst else self.database.pick("artifacts", rng)
        if earlier is not None:
            got = self.get("get_artifacts_by_id", lambda s: s.get_artifacts_by_id([earlier]))
            if got:     # (a server that has not followed that write yet answers nothing: no input then)
                pairs.append((got[0], mlmd.Event(type=mlmd.Event.INPUT, path=event_path("examples", 0))))
                inputs.append(earlier)
        for k in range(rng.randint(1, 2)):
            pairs.append((mlmd.Artifact(
                type_id=t["Model"] if k else t["Dataset"], uri=f"/{self.label}/{i}/{k}", name=f"{self.label}-a{i}-{k}",
                state=mlmd.Artifact.LIVE,
                properties={"accuracy": mlmd.Value(double_value=round(rng.random(), 4))} if k else
                {"split": mlmd.Value(string_value=rng.choice(["train", "eval"]))},
                custom_properties={"writer": mlmd.Value(string_value=self.label), "k": mlmd.Value(int_value=k)}),
                mlmd.Event(type=mlmd.Event.OUTPUT, path=event_path("out", k))))
        execution = mlmd.Execution(type_id=t["Trainer"], name=f"{self.label}-e{i}", last_known_state=mlmd.Execution.RUNNING,
                                   properties={"epochs": mlmd.Value(int_value=i)})
        contexts = [mlmd.Context(id=self.pipeline, type_id=t["Pipeline"], name=f"{self.label}-pipeline"),
                    mlmd.Context(type_id=t["PipelineRun"], name=f"{self.label}-run{i}",
                                 custom_properties={"attempt": mlmd.Value(int_value=1)})]
        got = self.call("put_execution", lambda s: s.put_execution(execution, pairs, contexts, force_reuse_context=True))
        if got is FAILED:
            return
        eid, aids, cids = got
        outputs = aids[len(inputs):]
        events = [(a, mlmd.Event.INPUT) for a in inputs] + [(a, mlmd.Event.OUTPUT) for a in outputs]
        self.acked.append(("execution", eid, execution.name))
        self.acked += [("artifact", a, pairs[len(inputs) + k][0].name) for k, a in enumerate(outputs)]
        self.acked.append(("context", cids[1], contexts[1].name))
        self.acked += [("event", a, eid, kind) for a, kind in events]
        self.acked += [("attribution", c, a) for c in cids for a in aids] + [("association", c, eid) for c in cids]
        self.linked |= {("event", a, eid, kind) for a, kind in events}
        self.linked |= {("attribution", c, a) for c in cids for a in aids} | {("association", c, eid) for c in cids}
        self.my_executions.append(eid)
        self.my_runs.append(cids[1])
        self.database.share("artifacts", outputs)
        self.database.share("executions", [eid])
        self.done("put_execution")
        # The run is a child of the writer's pipeline.
        link = mlmd.ParentContext(child_id=cids[1], parent_id=self.pipeline)
        self.linked.add(("parent", cids[1], self.pipeline))
        if self.call("put_parent_contexts", lambda s: s.put_parent_contexts([link])) is not FAILED:
            self.acked.append(("parent", cids[1], self.pipeline))
            self.done("put_parent_contexts")

    def update_artifact(self):
        aid = self.database.pick("artifacts", self.rng)
        got = self.get("get_artifacts_by_id", lambda s: s.get_artifacts_by_id([aid]))
        if not got:
            return
        a = got[0]
        a.state = self.rng.choice([mlmd.Artifact.LIVE, mlmd.Artifact.MARKED_FOR_DELETION, mlmd.Artifact.DELETED])
        a.custom_properties["touched_by"].string_value = self.label
        a.custom_properties["touches"].int_value += 1
        if self.call("put_artifacts (update)", lambda s: s.put_artifacts([a])) is not FAILED:
            self.done("update artifact")

    def update_execution(self):
        eid = self.database.pick("executions", self.rng)
        got = self.get("get_executions_by_id", lambda s: s.get_executions_by_id([eid]))
        if not got:
            return
        e = got[0]
        e.last_known_state = self.rng.choice([mlmd.Execution.COMPLETE, mlmd.Execution.FAILED, mlmd.Execution.CACHED])
        e.custom_properties["finished_by"].string_value = self.label
        e.custom_properties["score"].double_value = round(self.rng.random(), 3)
        if self.call("put_executions (update)", lambda s: s.put_executions([e])) is not FAILED:
            self.done("update execution")

    def put_events(self):
        """An input event from an artifact of any writer to one of this writer's executions."""
        eid, aid = self.rng.choice(self.my_executions), self.database.pick("artifacts", self.rng)
        if ("event", aid, eid, mlmd.Event.INPUT) in self.linked:
            return
        self.linked.add(("event", aid, eid, mlmd.Event.INPUT))
        event = mlmd.Event(artifact_id=aid, execution_id=eid, type=mlmd.Event.INPUT, path=event_path("extra", len(self.linked)))
        if self.call("put_events", lambda s: s.put_events([event])) is not FAILED:
            self.acked.append(("event", aid, eid, mlmd.Event.INPUT))
            self.done("put_events")

    def put_links(self):
        """An artifact of any writer attributed to one of this writer's runs; one of this writer's
        executions associated with another writer's pipeline."""
        run, aid = self.rng.choice(self.my_runs), self.database.pick("artifacts", self.rng)
        eid, pipeline = self.rng.choice(self.my_executions), self.database.pick("pipelines", self.rng)
        attributions = [] if ("attribution", run, aid) in self.linked else [mlmd.Attribution(context_id=run, artifact_id=aid)]
        associations = [] if ("association", pipeline, eid) in self.linked else [
            mlmd.Association(context_id=pipeline, execution_id=eid)]
        if not attributions and not associations:
            return
        self.linked |= {("attribution", run, aid), ("association", pipeline, eid)}
        if self.call("put_attributions_and_associations",
                     lambda s: s.put_attributions_and_associations(attributions, associations)) is not FAILED:
            self.acked += [("attribution", x.context_id, x.artifact_id) for x in attributions]
            self.acked += [("association", x.context_id, x.execution_id) for x in associations]
            self.done("put_attributions_and_associations")

    def parent(self):
        """One of this writer's runs becomes a child of another writer's pipeline too."""
        run, pipeline = self.rng.choice(self.my_runs), self.database.pick("pipelines", self.rng)
        if ("parent", run, pipeline) in self.linked:
            return
        self.linked.add(("parent", run, pipeline))
        link = mlmd.ParentContext(child_id=run, parent_id=pipeline)
        if self.call("put_parent_contexts", lambda s: s.put_parent_contexts([link])) is not FAILED:
            self.acked.append(("parent", run, pipeline))
            self.done("put_parent_contexts")


def create_types(store):
    """The types and the project context, once per database; their ids by name."""
    t = {
        "Dataset": store.put_artifact_type(mlmd.ArtifactType(name="Dataset", properties={"split": mlmd.STRING})),
        "Model": store.put_artifact_type(mlmd.ArtifactType(name="Model", properties={"accuracy": mlmd.DOUBLE})),
        "Trainer": store.put_execution_type(mlmd.ExecutionType(name="Trainer", properties={"epochs": mlmd.INT})),
        "Pipeline": store.put_context_type(mlmd.ContextType(name="Pipeline", properties={"owner": mlmd.STRING})),
        "PipelineRun": store.put_context_type(mlmd.ContextType(name="PipelineRun")),
    }
    [t["project"]] = store.put_contexts([mlmd.Context(type_id=t["Pipeline"], name="project",
                                                      properties={"owner": mlmd.Value(string_value="test")})])
    return t


# ---------------------------------------------------------------------------------------------
# What a client can ask, in comparable form

BY_ID = metadata_store.ListOptions(order_by=metadata_store.OrderByField.ID)


def ids_of(nodes):
    return sorted(n.id for n in nodes)


def questions(store, lineage_from):
    """Every list and lineage answer of the store: {question: [lines]} (sorted where the API does
    not promise an order)."""
    q = {}
    q["types (by id, built-in ones included)"] = [f"{kind} {text(t)}" for kind, t in mlmd_dump.all_types(store)]
    q["types (listed)"] = sorted([f"artifact {text(t)}" for t in store.get_artifact_types()] +
                                 [f"execution {text(t)}" for t in store.get_execution_types()] +
                                 [f"context {text(t)}" for t in store.get_context_types()])
    artifacts = sorted(store.get_artifacts(), key=lambda n: n.id)
    executions = sorted(store.get_executions(), key=lambda n: n.id)
    contexts = sorted(store.get_contexts(), key=lambda n: n.id)
    q["artifacts"] = [text(n) for n in artifacts]
    q["executions"] = [text(n) for n in executions]
    q["contexts"] = [text(n) for n in contexts]
    q["artifacts (pages of 20, by id)"] = [str(n.id) for n in store.get_artifacts(list_options=BY_ID)]
    a_ids, e_ids, c_ids = [n.id for n in artifacts], [n.id for n in executions], [n.id for n in contexts]
    q["nodes by id"] = (sorted(text(n) for n in store.get_artifacts_by_id(a_ids)) +
                        sorted(text(n) for n in store.get_executions_by_id(e_ids)) +
                        sorted(text(n) for n in store.get_contexts_by_id(c_ids)))
    q["nodes by type"] = sorted(
        [f"artifact {t.name}: {ids_of(store.get_artifacts_by_type(t.name))}" for t in store.get_artifact_types()] +
        [f"execution {t.name}: {ids_of(store.get_executions_by_type(t.name))}" for t in store.get_execution_types()] +
        [f"context {t.name}: {ids_of(store.get_contexts_by_type(t.name))}" for t in store.get_context_types()])
    q["events by execution"] = sorted(text(e) for e in store.get_events_by_execution_ids(e_ids))
    q["events by artifact"] = sorted(text(e) for e in store.get_events_by_artifact_ids(a_ids))
    q["contexts by artifact"] = [f"{a}: {ids_of(store.get_contexts_by_artifact(a))}" for a in a_ids]
    q["contexts by execution"] = [f"{e}: {ids_of(store.get_contexts_by_execution(e))}" for e in e_ids]
    q["artifacts by context"] = [f"{c}: {ids_of(store.get_artifacts_by_context(c))}" for c in c_ids]
    q["executions by context"] = [f"{c}: {ids_of(store.get_executions_by_context(c))}" for c in c_ids]
    q["parent contexts"] = [f"{c}: {ids_of(store.get_parent_contexts_by_context(c))}" for c in c_ids]
    q["child contexts"] = [f"{c}: {ids_of(store.get_children_contexts_by_context(c))}" for c in c_ids]
    for aid, hops, direction in lineage_from:
        options = mlmd.LineageSubgraphQueryOptions(
            starting_artifacts=mlmd.LineageSubgraphQueryOptions.StartingNodes(filter_query=f"id = {aid}"),
            max_num_hops=hops, direction=direction)
        lines = []
        try:
            graph = store.get_lineage_subgraph(options)
            for field in mlmd.LineageGraph.DESCRIPTOR.fields:
                lines += sorted(f"{field.name} {text(m)}" for m in getattr(graph, field.name))
        except errors.StatusError as e:
            lines.append(f"error: {type(e).__name__}: {e}")
        q[f"lineage subgraph from artifact {aid}, {hops} hops, "
          f"{mlmd.LineageSubgraphQueryOptions.Direction.Name(direction)}"] = lines
    return q


def lineage_starts(store):
    """A few artifacts spread over the store, with the hops and direction to ask."""
    ids = sorted(a.id for a in store.get_artifacts())
    if not ids:
        return []
    picks = sorted({ids[0], ids[len(ids) // 4], ids[len(ids) // 2], ids[3 * len(ids) // 4], ids[-1]})
    D = mlmd.LineageSubgraphQueryOptions
    directions = [D.BIDIRECTIONAL, D.UPSTREAM, D.DOWNSTREAM, D.DIRECTION_UNSPECIFIED]
    return [(a, 2 + k % 3, directions[k % len(directions)]) for k, a in enumerate(picks)]


def compare(label, got, want):
    """Prints the first differences of two question dumps; True when equal."""
    differing = [k for k in want if got.get(k) != want[k]] + [k for k in got if k not in want]
    for k in differing[:4]:
        diff = list(difflib.unified_diff(want.get(k, []), got.get(k, []), "the library", label, lineterm="", n=1))
        shown = "\n".join("      " + line[:300] for line in diff[:16])
        more = f"\n      ... {len(diff) - 16} more diff lines" if len(diff) > 16 else ""
        fail(f"{label} differs from the library: {k}\n{shown}{more}")
    if len(differing) > 4:
        fail(f"{label}: {len(differing) - 4} more questions differ: {differing[4:]}")
    return not differing


# ---------------------------------------------------------------------------------------------
# Part 1 and 3

def part1(work, databases, pg):
    print(f"part 1: concurrent writers on shared databases (seed {SEED})", flush=True)
    master = random.Random(SEED)
    writers = []
    for d in databases:
        d.types = create_types(d.servers[0].client())
    start_at = time.monotonic() + 0.2
    for d in databases:
        for s in d.servers:
            writers.append(Writer(d, s, f"{s.label}-w", d.types, random.Random(master.random()), start_at, args.seconds))
        writers.append(Writer(d, None, f"{d.label}-lib-w", d.types, random.Random(master.random()), start_at, args.seconds))
    for w in writers:
        w.start()

    # Part 3: SIGKILL one PostgreSQL server in the middle of the writes, then start it again.
    killed = None
    if pg is None:
        note("part 3 (SIGKILL) runs on PostgreSQL: skipped")
    else:
        killed = pg.servers[1]
        kill_at = start_at + args.seconds * 0.4
        time.sleep(max(0.0, kill_at - 0.5 - time.monotonic()))
        bursts = [Writer(pg, killed, f"{killed.label}-burst{k + 1}-w", pg.types, random.Random(master.random()), 0, 0,
                         burst=True) for k in range(2)]
        writers += bursts
        for w in bursts:
            w.start()
        time.sleep(max(0.0, kill_at - time.monotonic()))
        old_port = killed.port
        killed.kill()
        acked_before_kill = [a for w in writers if w.server is killed for a in w.acked]
        time.sleep(0.3)
        killed.restart()
        note(f"part 3: SIGKILLed {killed.label} (port {old_port}) after it had acknowledged {len(acked_before_kill)} records "
             f"({sum(w.ops.get('put_execution', 0) for w in bursts)} put_execution back to back by two writers in its "
             f"last 0.5 s; {sum(w.lost for w in bursts)} in flight failed); started again on port {killed.port} in {killed.start_seconds:.2f} s")

    for w in writers:
        w.join(timeout=args.seconds + 120)
        if w.is_alive():
            fail(f"{w.label}: still writing {args.seconds + 120:.0f} s after the start")
    stopped = now_ms()
    write_seconds = time.monotonic() - start_at
    total = sum(sum(w.ops.values()) for w in writers)
    by_op = {}
    for w in writers:
        for op, n in w.ops.items():
            by_op[op] = by_op.get(op, 0) + n
    note(f"{len(writers)} writers made {total} acknowledged write calls in {write_seconds:.1f} s: "
         + ", ".join(f"{n} {op}" for op, n in sorted(by_op.items())))
    note(f"calls lost to the killed server: {sum(w.lost for w in writers)}; busy retries: "
         + ("; ".join(f"{w.label} {sum(w.retries.values())} ({', '.join(f'{n}x {r}' for r, n in w.retries.items())})"
                      for w in writers if w.retries) or "none"))
    for w in writers:
        if not w.ops.get("put_execution"):
            # The burst writers only make a call in flight at the kill likely; on a loaded machine
            # they may get no answer before it. Every other writer must have written.
            if "burst" in w.label:
                note(f"{w.label}: no put_execution was acknowledged before the kill (a loaded machine)")
            else:
                fail(f"{w.label}: no put_execution was acknowledged: the test tested nothing there")

    # Every server reports a round begun after the writes stopped (all asked at once, every 50 ms).
    print("  waiting for every server to apply everything committed before the writes stopped", flush=True)
    def ask(server):
        try:
            return server, server.status(), None
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            return server, None, e

    pending = [s for d in databases for s in d.servers]
    with concurrent.futures.ThreadPoolExecutor(len(pending)) as pool:
        while pending:
            asked = now_ms()
            for s, st, error in list(pool.map(ask, pending)):
                if st is None:
                    if asked - stopped > args.sync_seconds * 1000:
                        pending.remove(s)
                        fail(f"{s.label}: pedigree status failed: {error}")
                elif st["applied_at_ms"] > stopped:
                    pending.remove(s)
                    s.final_status = st
                    note(f"{s.label}: applied a round begun {st['applied_at_ms'] - stopped} ms after the writes stopped, "
                         f"reported {now_ms() - stopped} ms after ({st['rounds']} rounds, horizon {st['horizon']}, "
                         f"pending ids {st['pending_ids']})")
                    if st["last_error"]:
                        fail(f"{s.label}: pedigree status reports an error after a good round: {st['last_error']}")
                elif asked - stopped > args.sync_seconds * 1000:
                    pending.remove(s)
                    fail(f"{s.label}: {asked - stopped} ms after the writes stopped its status still says applied_at_ms "
                         f"{st['applied_at_ms']} ({stopped - st['applied_at_ms']} ms before they stopped; "
                         f"rounds {st['rounds']}, last_error {st['last_error']!r})")
            time.sleep(0.05)

    # Every server answers as the library reads the database.
    for d in databases:
        t0 = time.monotonic()
        library = d.library()
        starts = lineage_starts(library)
        want = questions(library, starts)
        n_questions = sum(len(v) for v in want.values())
        note(f"{d.label}: the library's answers: {len(want['artifacts'])} artifacts, {len(want['executions'])} executions, "
             f"{len(want['contexts'])} contexts, {len(want['events by execution'])} events, {len(starts)} lineage subgraphs "
             f"({time.monotonic() - t0:.1f} s)")
        check_acknowledged(d, [w for w in writers if w.database is d], library)
        for s in d.servers:
            t1 = time.monotonic()
            try:
                got = questions(s.client(), starts)
            except errors.StatusError as e:
                fail(f"{s.label}: asking the questions failed: {type(e).__name__}: {e}")
                continue
            if compare(s.label, got, want):
                note(f"{s.label}: same {n_questions} answer lines as the library ({time.monotonic() - t1:.1f} s)")
            st = getattr(s, "final_status", None)
            if st:
                counts = {k: st[k] for k in ("artifacts", "executions", "contexts", "events")}
                expect = {"artifacts": len(want["artifacts"]), "executions": len(want["executions"]),
                          "contexts": len(want["contexts"]), "events": len(want["events by execution"])}
                if counts != expect:
                    fail(f"{s.label}: pedigree status counts {counts}, the database holds {expect}")
        del library
    if killed is not None:
        note(f"part 3: {killed.label} (SIGKILLed mid-write, restarted) agreed like the others; "
             f"all {len(acked_before_kill)} records it acknowledged before the kill are there")


def check_acknowledged(d, writers, library):
    """Every write any writer saw acknowledged is in the database (as the library reads it):
    ("artifact" | "execution" | "context", id, name), ("event", artifact, execution, type),
    ("attribution", context, artifact), ("association", context, execution), ("parent", child, parent)."""
    acked = [a for w in writers for a in w.acked]
    stored = {("artifact", n.id, n.name) for n in library.get_artifacts()}
    stored |= {("execution", n.id, n.name) for n in library.get_executions()}
    contexts = library.get_contexts()
    stored |= {("context", n.id, n.name) for n in contexts}
    stored |= {("event", e.artifact_id, e.execution_id, e.type)
               for e in library.get_events_by_execution_ids([k[1] for k in stored if k[0] == "execution"])}
    for c in contexts:
        stored |= {("attribution", c.id, a.id) for a in library.get_artifacts_by_context(c.id)}
        stored |= {("association", c.id, e.id) for e in library.get_executions_by_context(c.id)}
        stored |= {("parent", c.id, p.id) for p in library.get_parent_contexts_by_context(c.id)}
    missing = [a for a in acked if a not in stored]
    if missing:
        fail(f"{d.label}: {len(missing)} of {len(acked)} acknowledged records are not in the database: {missing[:10]}")
    else:
        kinds = {}
        for a in acked:
            kinds[a[0]] = kinds.get(a[0], 0) + 1
        note(f"{d.label}: all {len(acked)} acknowledged records are in the database "
             f"({', '.join(f'{n} {k}s' for k, n in sorted(kinds.items()))})")


# ---------------------------------------------------------------------------------------------
# Part 2

def metadata_of(call):
    return dict(call.initial_metadata() or ())


def part2(work, d, a_server, rounds):
    """A writes, B (--follow-interval 0) reads: without the token it must not see the write, with
    it it must see exactly what A answers."""
    failed_before = len(failures)
    b_server = Server(work, f"{d.label}-B", d.db, "--follow-interval", "0")
    d.servers.append(b_server)
    a, b = a_server.stub(), b_server.stub()
    t = d.types
    latencies, kinds = [], {}
    updatable = None            # (artifact id, its custom property "rev")

    def same(what, got, want):
        if got != want:
            fail(f"{d.label}: {what}: B answered with the token\n      {got}\n    A answers\n      {want}")
            return False
        return True

    def token_of(call, what):
        tok = metadata_of(call).get(COMMIT)
        if tok is None or not TOKEN.match(tok):
            fail(f"{d.label}: {what}: the answer's {COMMIT} header is {tok!r}")
            return None
        return tok

    def with_token(method, request, tok):
        t0 = time.monotonic()
        answer = getattr(b, method)(request, metadata=[(MIN_COMMIT, tok)])
        latencies.append((time.monotonic() - t0) * 1000)
        return answer

    for i in range(rounds):
        kind = "update" if i % 5 == 4 and updatable else ("PutExecution" if i % 2 == 0 else "PutArtifacts")
        kinds[kind] = kinds.get(kind, 0) + 1
        what = f"write {i + 1} ({kind})"
        if kind == "PutExecution":
            request = svc.PutExecutionRequest(
                execution=mlmd.Execution(type_id=t["Trainer"], name=f"token-{d.label}-e{i}",
                                         properties={"epochs": mlmd.Value(int_value=i)}),
                artifact_event_pairs=[svc.PutExecutionRequest.ArtifactAndEvent(
                    artifact=mlmd.Artifact(type_id=t["Model"], uri=f"/token/{i}", name=f"token-{d.label}-a{i}"),
                    event=mlmd.Event(type=mlmd.Event.OUTPUT, path=event_path("model")))],
                contexts=[mlmd.Context(type_id=t["PipelineRun"], name=f"token-{d.label}-run{i}")])
            answer, call = a.PutExecution.with_call(request)
            tok = token_of(call, what)
            eid, aids, cids = answer.execution_id, list(answer.artifact_ids), list(answer.context_ids)
            by_id = svc.GetExecutionsByIDRequest(execution_ids=[eid])
            if b.GetExecutionsByID(by_id).executions:
                fail(f"{d.label}: {what}: B answered the new execution {eid} without the token "
                     "(it should not follow with --follow-interval 0): the test cannot tell the token works")
            if tok is None:
                continue
            got = with_token("GetExecutionsByID", by_id, tok)
            if not got.executions:
                fail(f"{d.label}: {what}: B did not answer execution {eid} with {MIN_COMMIT}: {tok}")
                continue
            # The token's round applied the whole commit: the artifacts, events and contexts too.
            same(what + ": the execution", got, a.GetExecutionsByID(by_id))
            for method, request in (("GetArtifactsByID", svc.GetArtifactsByIDRequest(artifact_ids=aids)),
                                    ("GetEventsByExecutionIDs", svc.GetEventsByExecutionIDsRequest(execution_ids=[eid])),
                                    ("GetContextsByExecution", svc.GetContextsByExecutionRequest(execution_id=eid)),
                                    ("GetContextsByID", svc.GetContextsByIDRequest(context_ids=cids))):
                same(f"{what}: {method}", getattr(b, method)(request), getattr(a, method)(request))
        elif kind == "PutArtifacts":
            request = svc.PutArtifactsRequest(artifacts=[mlmd.Artifact(
                type_id=t["Dataset"], uri=f"/token/{i}", name=f"token-{d.label}-a{i}",
                properties={"split": mlmd.Value(string_value="train")},
                custom_properties={"rev": mlmd.Value(int_value=0)})])
            answer, call = a.PutArtifacts.with_call(request)
            tok = token_of(call, what)
            [aid] = answer.artifact_ids
            by_id = svc.GetArtifactsByIDRequest(artifact_ids=[aid])
            if b.GetArtifactsByID(by_id).artifacts:
                fail(f"{d.label}: {what}: B answered the new artifact {aid} without the token: the test cannot tell the token works")
            if tok is None:
                continue
            got = with_token("GetArtifactsByID", by_id, tok)
            if not got.artifacts:
                fail(f"{d.label}: {what}: B did not answer artifact {aid} with {MIN_COMMIT}: {tok}")
                continue
            if same(what, got, a.GetArtifactsByID(by_id)):
                updatable = (aid, 0)
        else:
            aid, rev = updatable
            by_id = svc.GetArtifactsByIDRequest(artifact_ids=[aid])
            [artifact] = a.GetArtifactsByID(by_id).artifacts
            artifact.custom_properties["rev"].int_value = rev + 1
            answer, call = a.PutArtifacts.with_call(svc.PutArtifactsRequest(artifacts=[artifact]))
            tok = token_of(call, what)
            updatable = (aid, rev + 1)
            [before] = b.GetArtifactsByID(by_id).artifacts or [None]
            if before is None or before.custom_properties["rev"].int_value != rev:
                fail(f"{d.label}: {what}: without the token B should still answer rev {rev} of artifact {aid}, "
                     f"it answered {before and before.custom_properties['rev']}: the test cannot tell the token works")
            if tok is None:
                continue
            got = with_token("GetArtifactsByID", by_id, tok)
            if not got.artifacts or got.artifacts[0].custom_properties["rev"].int_value != rev + 1:
                fail(f"{d.label}: {what}: with {MIN_COMMIT}: {tok} B answered {got} (expected rev {rev + 1})")
                continue
            same(what, got, a.GetArtifactsByID(by_id))

    # Malformed tokens: INVALID_ARGUMENT, from a read and from a write (which writes nothing).
    bad_tokens = ["garbage", "v1", "v1:", "v2:artifact:1", "v1:artifact", "v1:artifact:", "v1:artifact:0",
                  "v1:artifact:-3", "v1:artifact:x", "v1:artifact:1@", "v1:artifact:1@x", "v1:nosuchtable:1",
                  "v1:now:1", "v1:artifact:1:2"]
    refused = 0
    for bad in bad_tokens:
        for method, request in (("GetArtifactsByID", svc.GetArtifactsByIDRequest(artifact_ids=[1])),
                                ("PutArtifacts", svc.PutArtifactsRequest(artifacts=[mlmd.Artifact(
                                    type_id=t["Dataset"], uri="/malformed-token")]))):
            try:
                getattr(b, method)(request, metadata=[(MIN_COMMIT, bad)])
                fail(f"{d.label}: {method} with {MIN_COMMIT}: {bad!r} was answered; expected INVALID_ARGUMENT")
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    fail(f"{d.label}: {method} with {MIN_COMMIT}: {bad!r}: {e.code()} {e.details()}; expected INVALID_ARGUMENT")
                else:
                    refused += 1
    written = a.GetArtifactsByURI(svc.GetArtifactsByURIRequest(uris=["/malformed-token"]), metadata=[(MIN_COMMIT, "v1:now")])
    if written.artifacts:
        fail(f"{d.label}: a PutArtifacts refused for its malformed token wrote {len(written.artifacts)} artifacts")
    latencies.sort()
    if latencies and len(failures) == failed_before:
        note(f"{d.label}: {rounds} writes on {a_server.label} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
             f"each unseen on {b_server.label} (--follow-interval 0) without the token and seen exactly with it; "
             f"token reads took {latencies[len(latencies) // 2]:.0f} ms median, {latencies[-1]:.0f} ms at most")
    note(f"{d.label}: {refused} of {2 * len(bad_tokens)} calls with a malformed token refused with INVALID_ARGUMENT")
    st = b_server.status()
    if st["follow_interval_ms"] != 0:
        fail(f"{b_server.label}: pedigree status says follow_interval_ms {st['follow_interval_ms']}, started with 0")
    tokens_while_writing(d, a_server, b_server, 100)


def tokens_while_writing(d, a_server, b_server, n):
    """Token reads on B while B itself writes back to back (each of its writes catches up first,
    so B's rounds now run concurrently with the token reads): every read must still see the write
    its token names."""
    a, b, b_writes = a_server.stub(), b_server.stub(), b_server.stub()
    stop, written, problems = threading.Event(), [0], []

    def write_on_b():
        while not stop.is_set():
            try:
                b_writes.PutArtifacts(svc.PutArtifactsRequest(artifacts=[mlmd.Artifact(
                    type_id=d.types["Dataset"], uri=f"/busy-b/{written[0]}")]))
                written[0] += 1
            except grpc.RpcError as e:
                problems.append(f"a write on B failed: {e.code()} {e.details()}")
                return

    thread = threading.Thread(target=write_on_b, daemon=True)
    thread.start()
    stale = []
    t0 = time.monotonic()
    try:
        for i in range(n):
            answer, call = a.PutArtifacts.with_call(svc.PutArtifactsRequest(artifacts=[mlmd.Artifact(
                type_id=d.types["Dataset"], uri=f"/token-busy/{i}")]))
            tok = metadata_of(call).get(COMMIT, "")
            if not TOKEN.match(tok):
                fail(f"{d.label}: a PutArtifacts on A answered {COMMIT}: {tok!r}")
                continue
            by_id = svc.GetArtifactsByIDRequest(artifact_ids=list(answer.artifact_ids))
            if not b.GetArtifactsByID(by_id, metadata=[(MIN_COMMIT, tok)]).artifacts:
                stale.append(f"write {i + 1} ({tok})")
    finally:
        stop.set()
        thread.join(timeout=60)
    seconds = time.monotonic() - t0
    for problem in problems:
        fail(f"{d.label}: {problem}")
    if stale:
        fail(f"{d.label}: while {b_server.label} was writing ({written[0]} writes), {len(stale)} of {n} reads with "
             f"{MIN_COMMIT} answered without the write the token names: {', '.join(stale[:5])}")
    else:
        note(f"{d.label}: {n} token reads on {b_server.label} while it wrote {written[0]} times itself: "
             f"each saw the write ({seconds:.1f} s)")


# ---------------------------------------------------------------------------------------------

def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("multi_server_test: terminated"))
    work = tempfile.mkdtemp(prefix="pedigree-multi-")
    run = f"pedigree_multi_{uuid.uuid4().hex[:8]}"
    made = []           # server databases to drop after a passing run
    databases = []
    t0 = time.monotonic()
    try:
        pg = None
        for label, var, suffix in (("postgresql", "PEDIGREE_POSTGRES_URL", "pg"), ("mysql", "PEDIGREE_MYSQL_URL", "my")):
            base = os.environ.get(var)
            if not base:
                print(f"note: {var} is not set: the {label} parts are skipped "
                      "(. .build/dbservers/env, or make dbservers-start)", flush=True)
                continue
            d = Database(label, base.rstrip("/") + f"/{run}_{suffix}")
            made.append(d)
            databases.append(d)
            if label == "postgresql":
                pg = d
        databases.append(Database("sqlite", os.path.join(work, "shared.sqlite")))
        for d in databases:
            count = {"postgresql": 3, "mysql": 1, "sqlite": 2}[d.label]
            for k in range(count):      # the first creates the database
                d.servers.append(Server(work, f"{d.label}-{k + 1}", d.db))
            plural = "s" if count > 1 else ""
            note(f"{d.label}: {count} server{plural} on {d.shown} (port{plural} {', '.join(str(s.port) for s in d.servers)}; "
                 f"started in {', '.join(f'{s.start_seconds:.2f}' for s in d.servers)} s)")

        t1 = time.monotonic()
        part1(work, databases, pg)
        print(f"part 1 and 3: {time.monotonic() - t1:.1f} s", flush=True)

        t1 = time.monotonic()
        print("part 2: read-your-writes across servers with commit tokens", flush=True)
        for d in databases:
            part2(work, d, d.servers[0], args.token_rounds if d.label == "postgresql" else 6)
        print(f"part 2: {time.monotonic() - t1:.1f} s", flush=True)

        print("finally: SIGTERM every server, pedigree check every database", flush=True)
        for d in databases:
            failed_before = len(failures)
            for s in d.servers:
                s.stop()
            p = subprocess.run([PEDIGREE, "check", "--db", d.db], capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                fail(f"{d.label}: pedigree check exited {p.returncode}: {mlmd_location.redact(p.stdout + p.stderr)[-1000:]}")
            elif len(failures) == failed_before:
                note(f"{d.label}: every server exited 0; pedigree check: {p.stdout.strip().splitlines()[-1][:200]}")
    except Exception as e:  # noqa: BLE001
        print(mlmd_location.redact(traceback.format_exc()), end="")
        fail(f"{type(e).__name__}: {mlmd_location.redact(e)}")
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    elapsed = time.monotonic() - t0
    if failures:
        kept = ", ".join(d.shown for d in made)
        print(f"multi_server_test: {len(failures)} failures in {elapsed:.1f} s (seed {SEED}); kept for inspection: "
              f"{work} (SQLite file, servers' logs){'; ' + kept if kept else ''}")
        return 1
    for d in made:
        try:
            server_db.drop(d.db)
        except server_db.ClientError as e:
            print(f"note: could not drop {d.shown}: {e}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"ok: {sum(len(d.servers) for d in databases)} servers on {len(databases)} shared databases "
          f"({', '.join(d.label for d in databases)}) agree with ml-metadata, follow a SIGKILL, "
          f"and honour commit tokens ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
