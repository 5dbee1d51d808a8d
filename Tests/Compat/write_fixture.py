"""Write a TFX-like MLMD store with the real ml-metadata library.

Usage: $PY write_fixture.py DB [--seed N] [--runs K] [--portable]

DB is an SQLite file or a mysql:// or postgresql:// URL (mlmd_location.py); it
must not exist yet (the library creates it). Everything written is a function
of the seed, the run count and the backend, except the timestamps that the
library stamps itself.

The store holds one pipeline run K times: ExampleGen, StatisticsGen,
SchemaGen, Transform, Trainer, Evaluator, Pusher, written the way TFX does it
(put_execution with the inputs while RUNNING, then again with the outputs).
Run 0's first Trainer attempt fails; later Trainers warm-start from the
previous run's model; run 2's ExampleGen is CACHED; unblessed models are not
pushed. Edge cases (unicode, empty versus absent, int64 limits, binary protos,
versioned types) are added at the end.

Limits of the real library that shape the content (see README.md): doubles
are written as "%f" (6 decimals) and read back with 15 significant digits, and
NaN or infinity cannot be written at all; strings are cut at a NUL; an unset
artifact uri is stored as ""; a type version "" is stored as no version;
contexts need a non-empty name. On MySQL and PostgreSQL its int_value and
step_index columns are 32-bit integers: there the int64 limits become the int32
ones (under the same property names). On PostgreSQL it cannot write a string
holding a backslash (it quotes PQescapeLiteral's E'...' once more: a syntax
error), so there the backslash of the "text" value becomes a slash. --portable
writes what every backend can hold (both changes) whatever DB is.
"""

import argparse
import math
import os
import random
import sys

from google.protobuf import any_pb2, struct_pb2
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

import mlmd_location

INT, DOUBLE, STRING, STRUCT, PROTO, BOOLEAN = (
    mlmd.INT, mlmd.DOUBLE, mlmd.STRING, mlmd.STRUCT, mlmd.PROTO, mlmd.BOOLEAN)
A, X = mlmd.Artifact, mlmd.Execution
EV = mlmd.Event

# name, base type, properties, other fields
ARTIFACT_TYPES = [
    ("Examples", "DATASET", {"span": INT, "version": INT, "split_names": STRING}, {}),
    ("ExampleStatistics", "STATISTICS", {"span": INT, "split_names": STRING}, {}),
    ("Schema", None, {}, {"description": ""}),
    ("TransformGraph", None, {}, {}),
    ("Model", "MODEL", {"framework": STRING, "num_params": INT, "warm_started": BOOLEAN}, {}),
    ("Model", "MODEL",
     {"framework": STRING, "num_params": INT, "warm_started": BOOLEAN, "signature": PROTO},
     {"version": "2.0", "description": "Model with a serving signature",
      "external_id": "type:artifact:Model@2.0"}),
    ("ModelEvaluation", "METRICS",
     {"accuracy": DOUBLE, "blessed": BOOLEAN, "slicing": STRUCT, "eval_config": PROTO}, {}),
    ("PushedModel", None, {"pushed_destination": STRING, "pushed_version": INT},
     {"version": "v1", "description": "A model pushed to serving"}),
]
EXECUTION_TYPES = [
    ("ExampleGen", "PROCESS", {"input_base": STRING, "span": INT}, {}),
    ("StatisticsGen", "PROCESS", {}, {}),
    ("SchemaGen", "PROCESS", {"infer_feature_shape": BOOLEAN}, {}),
    ("Transform", "TRANSFORM", {"module_file": STRING, "splits_config": STRUCT}, {}),
    ("Trainer", "TRAIN",
     {"train_steps": INT, "learning_rate": DOUBLE, "warm_start": BOOLEAN,
      "hparams": STRUCT, "train_args": PROTO},
     {"description": "Trains a model", "external_id": "type:execution:Trainer"}),
    ("Evaluator", "EVALUATE", {"threshold": DOUBLE}, {}),
    ("Pusher", "DEPLOY", {"push_destination": STRING}, {}),
]
CONTEXT_TYPES = [
    ("pipeline", None, {"pipeline_root": STRING},
     {"version": "1.17.1", "description": "A TFX pipeline"}),
    ("pipeline_run", None, {"run_number": INT, "started_by": STRING},
     {"version": "1.17.1", "description": "One run of a pipeline"}),
    ("node", None, {}, {}),
]
COMPONENTS = [name for name, *_ in EXECUTION_TYPES]

UNICODE_NAME = "modèle-β-数据"
INT64_MAX, INT64_MIN = 2**63 - 1, -2**63
INT32_MAX, INT32_MIN = 2**31 - 1, -2**31


def library_stable(x):
    """True if the library writes and reads x back unchanged ("%f" out, 15 digits in)."""
    return math.isfinite(x) and float(f"{float(f'{x:f}'):.15g}") == x


def set_value(target, value):
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        if not library_stable(value):
            raise ValueError(f"double {value!r} does not survive the library's text round trip")
        target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, dict):
        target.struct_value.SetInParent()  # an empty dict must still set the oneof
        target.struct_value.update(value)
    elif isinstance(value, any_pb2.Any):
        target.proto_value.SetInParent()
        target.proto_value.CopyFrom(value)
    else:
        raise TypeError(f"no MLMD value for {value!r}")


def set_values(value_map, values):
    for name, value in values.items():
        set_value(value_map[name], value)


def packed(message):
    out = any_pb2.Any()
    out.Pack(message)
    return out


def event(kind, *path, ms=None):
    e = EV(type=kind)
    for step in path:
        if isinstance(step, int):
            e.path.steps.add().index = step
        else:
            e.path.steps.add().key = step
    if ms is not None:
        e.milliseconds_since_epoch = ms
    return e


class FixtureWriter:
    def __init__(self, store, rng, engine="sqlite"):
        self.store = store
        self.rng = rng
        self.type_ids = {}
        # engine: sqlite, mysql, postgresql, or portable (what all three hold)
        self.int_max, self.int_min = (INT64_MAX, INT64_MIN) if engine == "sqlite" else (INT32_MAX, INT32_MIN)
        self.backslash = "/" if engine in ("postgresql", "portable") else "\\"

    # --- types ---

    def put_types(self):
        puts = (("artifact", mlmd.ArtifactType, self.store.put_artifact_type, ARTIFACT_TYPES),
                ("execution", mlmd.ExecutionType, self.store.put_execution_type, EXECUTION_TYPES),
                ("context", mlmd.ContextType, self.store.put_context_type, CONTEXT_TYPES))
        for _, cls, put, specs in puts:
            for name, base, props, fields in specs:
                t = cls(name=name, **fields)
                if base:
                    t.base_type = cls.SystemDefinedBaseType.Value(base)
                for prop, kind in props.items():
                    t.properties[prop] = kind
                self.type_ids.setdefault(name, {})[fields.get("version")] = put(t)

    def tid(self, name, version=None):
        """The type's id; without a version, the unversioned type or the only one."""
        versions = self.type_ids[name]
        if version is None and None not in versions and len(versions) == 1:
            return next(iter(versions.values()))
        return versions[version]

    # --- nodes ---

    def artifact(self, type_name, name=None, *, version=None, uri=None, state=A.LIVE,
                 props=None, custom=None, **fields):
        a = A(type_id=self.tid(type_name, version), **fields)
        if name is not None:
            a.name = name
        if uri is not None:
            a.uri = uri
        if state is not None:
            a.state = state
        set_values(a.properties, props or {})
        set_values(a.custom_properties, custom or {})
        return a

    def context(self, type_name, name, *, props=None, custom=None, **fields):
        c = mlmd.Context(type_id=self.tid(type_name), name=name, **fields)
        set_values(c.properties, props or {})
        set_values(c.custom_properties, custom or {})
        [c.id] = self.store.put_contexts([c])
        return c

    def fresh(self, artifact_ids):
        return self.store.get_artifacts_by_id(artifact_ids)

    def run_component(self, component, name, contexts, inputs, outputs, *, state=X.COMPLETE,
                      props=None, custom=None, pending=()):
        """Writes one execution the TFX way; returns its id, the output and the pending ids.

        inputs and outputs are lists of (artifact, event). Artifacts that are
        already stored are passed as re-read from the store: put_execution
        overwrites a stored artifact with whatever it is given. `pending`
        artifacts are registered with the inputs (PENDING_OUTPUT events).
        """
        x = X(type_id=self.tid(component), name=name, last_known_state=X.RUNNING)
        set_values(x.properties, props or {})
        set_values(x.custom_properties, custom or {})
        x.id, ids, _ = self.store.put_execution(
            x, self.as_stored(inputs) + list(pending), contexts, force_reuse_context=True)
        pending_ids = ids[len(inputs):]
        x.last_known_state = state
        _, out_ids, _ = self.store.put_execution(
            x, self.as_stored(outputs), contexts, force_reuse_context=True)
        return x.id, out_ids, pending_ids

    def as_stored(self, pairs):
        stored = {a.id: a for a in self.fresh([a.id for a, _ in pairs if a.HasField("id")])}
        return [(stored[a.id] if a.HasField("id") else a, e) for a, e in pairs]

    # --- the pipeline ---

    def write(self, runs):
        rng = self.rng
        self.put_types()
        pipeline = self.context(
            "pipeline", "taxi", external_id="pipeline:taxi",
            props={"pipeline_root": "gs://bucket/taxi"},
            custom={"owner": "ml-platform", "tfx_version": "1.17.1"})
        other_pipeline = self.context(
            "pipeline", UNICODE_NAME, external_id="pipeline:ünïcode",
            props={"pipeline_root": ""}, custom={"note": "Übergröße ✓ 🚀"})
        nodes = {}
        for comp in COMPONENTS:
            nodes[comp] = self.context("node", f"taxi.{comp}")
        self.store.put_parent_contexts(
            [mlmd.ParentContext(child_id=n.id, parent_id=pipeline.id) for n in nodes.values()])

        [raw_id] = self.store.put_artifacts([self.artifact(
            "Examples", "raw-csv", uri="gs://bucket/data/raw/*.csv", state=A.REFERENCE,
            external_id="dataset:raw-csv",
            props={"span": 0, "version": 1, "split_names": '["train","eval"]'},
            custom={"is_external": 1})])
        self.store.put_attributions_and_associations(
            [mlmd.Attribution(context_id=pipeline.id, artifact_id=raw_id)], [])
        raw = A(id=raw_id)

        prev = {}  # artifacts of the previous run, by role
        first = {}  # artifacts of run 0, by role
        for r in range(runs):
            run = self.context(
                "pipeline_run", f"taxi-run-{r:03d}", external_id=f"run:{r}",
                props={"run_number": r, "started_by": "" if r == 1 else "scheduler"},
                custom={"attempt": 1, "seed_draw": rng.randrange(1000)})
            parents = [pipeline] + ([other_pipeline] if r == 0 else [])
            self.store.put_parent_contexts(
                [mlmd.ParentContext(child_id=run.id, parent_id=p.id) for p in parents])
            cur = self.write_run(r, r == runs - 1, run, pipeline, nodes, raw, prev)
            if r == 0:
                first = cur
            prev = cur

        # Retention: run 0's data is being cleaned up.
        examples, stats = self.fresh([first["examples"].id, first["statistics"].id])
        examples.state, stats.state = A.DELETED, A.MARKED_FOR_DELETION
        self.store.put_artifacts([examples, stats])

        self.write_edge_cases(pipeline, other_pipeline, raw, prev)

    def write_run(self, r, last, run, pipeline, nodes, raw, prev):
        rng = self.rng
        ctx = lambda comp: [pipeline, run, nodes[comp]]  # noqa: E731
        out = {}
        base = f"gs://bucket/taxi/run-{r:03d}"

        # ExampleGen: cached in run 2 (same span as run 1), otherwise new examples.
        eg_props = {"input_base": "gs://bucket/data/raw", "span": 1 if r == 2 else r}
        if r == 2:
            self.run_component(
                "ExampleGen", f"ExampleGen@{r}", ctx("ExampleGen"),
                [(raw, event(EV.DECLARED_INPUT))],
                [(prev["examples"], event(EV.OUTPUT, "examples", 0))],
                state=X.CACHED, props=eg_props)
            out["examples"] = prev["examples"]
        else:
            examples = self.artifact(
                "Examples", f"examples-{r}", uri=f"{base}/ExampleGen/examples",
                props={"span": r, "version": 0, "split_names": '["train","eval"]'},
                custom={"num_examples": rng.randrange(10_000, 100_000), "tfx_version": "1.17.1"})
            _, [eid], _ = self.run_component(
                "ExampleGen", f"ExampleGen@{r}", ctx("ExampleGen"),
                [(raw, event(EV.DECLARED_INPUT))],
                [(examples, event(EV.OUTPUT, "examples", 0))], props=eg_props)
            out["examples"] = A(id=eid)

        stats = self.artifact(
            "ExampleStatistics", f"statistics-{r}", uri=f"{base}/StatisticsGen/statistics",
            props={"span": r, "split_names": '["train","eval"]'},
            custom={"anomalies": 0})
        _, [sid], _ = self.run_component(
            "StatisticsGen", f"StatisticsGen@{r}", ctx("StatisticsGen"),
            [(out["examples"], event(EV.INPUT, "examples", 0))],
            [(stats, event(EV.OUTPUT, "statistics", 0))])
        out["statistics"] = A(id=sid)

        schema = self.artifact("Schema", f"schema-{r}", uri=f"{base}/SchemaGen/schema",
                               custom={"feature_count": 14})
        _, [schema_id], _ = self.run_component(
            "SchemaGen", f"SchemaGen@{r}", ctx("SchemaGen"),
            [(out["statistics"], event(EV.INPUT, "statistics", 0))],
            [(schema, event(EV.OUTPUT, "schema", 0))],
            props={"infer_feature_shape": r % 2 == 0})
        out["schema"] = A(id=schema_id)

        inputs = [(out["examples"], event(EV.INPUT, "examples", 0)),
                  (out["schema"], event(EV.INPUT, "schema", 0))]
        if "cache" in prev:
            inputs.append((prev["cache"], event(EV.INTERNAL_INPUT, "analyzer_cache", 0)))
        outputs = [
            (self.artifact("TransformGraph", f"transform-graph-{r}", uri=f"{base}/Transform/graph"),
             event(EV.OUTPUT, "transform_graph", 0)),
            (self.artifact("Examples", f"transformed-examples-{r}",
                           uri=f"{base}/Transform/transformed_examples",
                           props={"span": r, "version": 0, "split_names": '["train","eval"]'}),
             event(EV.OUTPUT, "transformed_examples", 0)),
            (self.artifact("TransformGraph", f"analyzer-cache-{r}", uri=f"{base}/Transform/cache",
                           custom={"cache_key": f"{rng.getrandbits(64):016x}"}),
             event(EV.INTERNAL_OUTPUT, "updated_analyzer_cache", 0)),
        ]
        _, [graph_id, tex_id, cache_id], _ = self.run_component(
            "Transform", f"Transform@{r}", ctx("Transform"), inputs, outputs,
            props={"module_file": "gs://bucket/modules/preprocessing.py",
                   "splits_config": {"analyze": ["train"], "transform": ["train", "eval"]}})
        out["cache"] = A(id=cache_id)

        train_inputs = [(A(id=tex_id), event(EV.INPUT, "examples", 0)),
                        (A(id=graph_id), event(EV.INPUT, "transform_graph", 0)),
                        (out["schema"], event(EV.INPUT, "schema", 0))]
        steps = rng.choice([1000, 2000, 5000])
        hparams = {"layers": [rng.choice([64, 128]), 32], "dropout": rng.choice([0.1, 0.25]),
                   "optimizer": {"name": "adam", "beta": [0.9, 0.999]}, "early_stop": None,
                   "use_bn": r % 2 == 1}
        train_props = {"train_steps": steps, "learning_rate": rng.choice([0.001, 0.0005, 0.01]),
                       "warm_start": "model" in prev, "hparams": hparams,
                       "train_args": packed(mlmd.Value(int_value=steps))}
        if r == 0:
            doomed = self.artifact("Model", "model-0-attempt-1", uri=f"{base}/Trainer/model/1",
                                   state=A.PENDING, props={"framework": "tensorflow"})
            x_id, _, [doomed_id] = self.run_component(
                "Trainer", "Trainer@0#1", ctx("Trainer"), train_inputs, [], state=X.RUNNING,
                props=train_props, pending=[(doomed, event(EV.PENDING_OUTPUT, "model", 0))])
            [doomed] = self.fresh([doomed_id])
            doomed.state = A.ABANDONED
            failed = X(id=x_id, type_id=self.tid("Trainer"), name="Trainer@0#1",
                       last_known_state=X.FAILED)
            set_values(failed.properties, train_props)
            set_values(failed.custom_properties,
                       {"error_message": "ResourceExhausted: OOM when allocating tensor",
                        "exit_code": 137})
            self.store.put_execution(failed, [(doomed, None)], ctx("Trainer"),
                                     force_reuse_context=True)
        if "model" in prev:
            train_inputs.append((prev["model"], event(EV.INPUT, "base_model", 0)))
        model = self.artifact(
            "Model", UNICODE_NAME if last else f"model-{r}", version="2.0" if last else None,
            uri=f"{base}/Trainer/model",
            props={"framework": "tensorflow", "num_params": rng.randrange(10**5, 10**7),
                   "warm_started": "model" in prev,
                   **({"signature": packed(struct_pb2.Struct(fields={
                       "serving_default": struct_pb2.Value(string_value="predict")}))}
                      if last else {})},
            custom={"loss": round(rng.uniform(0.1, 0.9), 4)})
        _, [model_id], _ = self.run_component(
            "Trainer", f"Trainer@{r}", ctx("Trainer"), train_inputs,
            [(model, event(EV.OUTPUT, "model", 0))], props=train_props)
        out["model"] = A(id=model_id)

        threshold = 0.7
        accuracy = round(rng.uniform(0.6, 0.95), 4)
        blessed = accuracy >= threshold
        eval_inputs = [(out["model"], event(EV.INPUT, "model", 0)),
                       (A(id=tex_id), event(EV.INPUT, "examples", 0))]
        if "model" in prev:
            eval_inputs.append((prev["model"], event(EV.INPUT, "baseline_model", 0)))
        evaluation = self.artifact(
            "ModelEvaluation", f"evaluation-{r}", uri=f"{base}/Evaluator/evaluation",
            props={"accuracy": accuracy, "blessed": blessed,
                   "slicing": {"slices": [{"feature": "trip_start_hour", "values": [0, 6, 12, 18]},
                                          {"feature": None}], "overall": True},
                   "eval_config": packed(mlmd.Value(string_value="metrics: [AUC, Accuracy]"))})
        _, [eval_id], _ = self.run_component(
            "Evaluator", f"Evaluator@{r}", ctx("Evaluator"), eval_inputs,
            [(evaluation, event(EV.OUTPUT, "evaluation", 0))], props={"threshold": threshold})

        push_inputs = [(out["model"], event(EV.INPUT, "model", 0)),
                       (A(id=eval_id), event(EV.INPUT, "model_blessing", 0))]
        if blessed:
            pushed = self.artifact(
                "PushedModel", f"pushed-{r}", version="v1", uri=f"gs://serving/taxi/{r}",
                props={"pushed_destination": "gs://serving/taxi", "pushed_version": r})
            x_id, [pushed_id], _ = self.run_component(
                "Pusher", f"Pusher@{r}", ctx("Pusher"), push_inputs,
                [(pushed, event(EV.OUTPUT, "pushed_model", 0))],
                props={"push_destination": "gs://serving/taxi"})
            declared = event(EV.DECLARED_OUTPUT, "pushed_model", 0)
            declared.artifact_id, declared.execution_id = pushed_id, x_id
            self.store.put_events([declared])
        else:
            self.run_component("Pusher", f"Pusher@{r}", ctx("Pusher"), push_inputs, [],
                               state=X.CANCELED, props={"push_destination": "gs://serving/taxi"},
                               custom={"reason": "model not blessed"})

        return out

    def write_edge_cases(self, pipeline, other_pipeline, raw, last_run):
        rng = self.rng
        every_kind = {
            "int64_max": self.int_max, "int64_min": self.int_min, "zero": 0,
            "big_double": 1e300, "neg_big_double": -1e300, "micro": 0.000001,
            "mixed_double": 123456789.123456, "neg_double": -2.5, "zero_double": 0.0,
            "empty": "", "text": f"it's \"quoted\" {self.backslash} back\nslash\ttab ✓ 🚀",
            "flag_true": True, "flag_false": False,
            "struct": {"list": [1, 2.5, None, True, "x", {"nested": []}], "empty": {},
                       "int_as_double": 3.0, "two_pow_53": float(2**53), "neg": -7, "s": ""},
            "proto_value": packed(mlmd.Value(double_value=0.5)),
            "proto_raw": any_pb2.Any(type_url="type.googleapis.com/tfx.Opaque",
                                     value=bytes([0, 255, 1, 128, 10, 0])),
            "proto_empty": any_pb2.Any(type_url="type.googleapis.com/google.protobuf.Empty"),
            "schlüssel-键": rng.choice(["α", "β", "γ"]),
        }
        edge = [
            self.artifact("Schema", "", uri="", custom=every_kind),  # empty name, empty uri
            self.artifact("Schema", uri=None, state=None),  # no name, no uri, no state
            self.artifact("Schema", "external-empty", external_id="", state=A.UNKNOWN),
            self.artifact("Schema", UNICODE_NAME, uri=f"file:///tmp/{UNICODE_NAME}",
                          external_id=f"artifact:{UNICODE_NAME}"),
            self.artifact("Schema", "it's \"quoted\"", state=A.PENDING,
                          custom={"empty_struct": {}, "empty_string": ""}),
            self.artifact("Examples", "orphan", props={"span": self.int_max, "version": self.int_min,
                                                       "split_names": ""}),
        ]
        ids = self.store.put_artifacts(edge)

        idle = [
            X(type_id=self.tid("ExampleGen"), name="ExampleGen@next", last_known_state=X.NEW),
            X(type_id=self.tid("SchemaGen")),  # no name, no state
            X(type_id=self.tid("StatisticsGen"), name="", last_known_state=X.UNKNOWN,
              external_id="execution:empty-name"),
            X(type_id=self.tid("Transform"), name=UNICODE_NAME, last_known_state=X.COMPLETE,
              external_id=""),
        ]
        set_values(idle[3].custom_properties, every_kind)
        x_ids = self.store.put_executions(idle)
        self.store.put_attributions_and_associations(
            [mlmd.Attribution(context_id=other_pipeline.id, artifact_id=i) for i in ids[:4]],
            [mlmd.Association(context_id=pipeline.id, execution_id=x_ids[0]),
             mlmd.Association(context_id=other_pipeline.id, execution_id=x_ids[3])])
        # an event with a caller-chosen time, one with a deep path, one with none
        events = [(raw.id, event(EV.INTERNAL_INPUT, ms=1_500_000_000_000)),
                  (last_run["model"].id, event(EV.INPUT, "a", 0, "b", 1, "", self.int_max)),
                  (ids[0], event(EV.OUTPUT))]
        for artifact_id, e in events:
            e.artifact_id, e.execution_id = artifact_id, x_ids[3]
        self.store.put_events([e for _, e in events])
        self.context("node", "taxi.Empty-Context-Props", custom={"": ""})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLite file or server database to create (must not exist)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="pipeline runs (default 3)")
    parser.add_argument("--portable", action="store_true",
                        help="only values every backend holds (32-bit ints, no backslash)")
    args = parser.parse_args(argv)
    server = mlmd_location.is_server(args.db)
    if server:
        import server_db  # the mariadb/psql clients, only needed here
        if server_db.exists(args.db):
            parser.error(f"{mlmd_location.redact(args.db)} exists; the fixture is written to a new database")
    elif os.path.exists(args.db):
        parser.error(f"{args.db} exists; the fixture is written to a new file")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    config = mlmd_location.connection_config(args.db, mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
    engine = "portable" if args.portable else mlmd_location.parse(args.db).engine if server else "sqlite"
    writer = FixtureWriter(metadata_store.MetadataStore(config), random.Random(args.seed), engine)
    writer.write(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
