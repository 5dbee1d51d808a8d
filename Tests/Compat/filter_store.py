"""Write a store for the filter_query differential test with the real ml-metadata library.

Usage: $PY filter_store.py DB [--seed N] [--size K]

DB must not exist yet. The content is a function of the seed and the size, except the
timestamps the library stamps itself. It is shaped to exercise filter_query:

- every property kind, declared and custom, present and absent, also a custom property whose
  name is declared with another kind by a type, property names with upper-case letters,
  spaces and punctuation, and properties named like columns of MLMD's property tables
  (`name`, `string_value`), which MLMD's SQL reads as those columns;
- names, uris and string values with '%', '_', quotes, backslashes, upper and lower case,
  unicode, digits only, column names (`uri`, `name`), empty, absent;
- every artifact state and execution state, and none;
- several contexts per node, nodes in no context, parent contexts on three levels (a context
  with two parents), a type named `type`;
- events of every type, with explicit and library-stamped times;
- updates after creation, so that last_update_time orders nodes differently from ids.
"""

import argparse
import os
import random
import sys
import time

from google.protobuf import any_pb2, struct_pb2
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

INT, DOUBLE, STRING, STRUCT, PROTO, BOOLEAN = (
    mlmd.INT, mlmd.DOUBLE, mlmd.STRING, mlmd.STRUCT, mlmd.PROTO, mlmd.BOOLEAN)
A, X, EV = mlmd.Artifact, mlmd.Execution, mlmd.Event

ARTIFACT_TYPES = {
    "Dataset": {"rows": INT, "split": STRING, "score": DOUBLE, "ok": BOOLEAN, "meta": STRUCT},
    "Model": {"accuracy": DOUBLE, "layers": INT, "framework": STRING, "my prop": INT,
              "Mixed": INT, "name": STRING, "a:b.c": STRING, "sig": PROTO},
    "type": {"rows": STRING},
    "Stats%_x": {},
}
EXECUTION_TYPES = {
    "Trainer": {"epochs": INT, "lr": DOUBLE, "optimizer": STRING, "distributed": BOOLEAN},
    "Transform": {"mode": STRING, "string_value": STRING},
}
CONTEXT_TYPES = {
    "Pipeline": {"owner": STRING},
    "Run": {"run_no": INT, "started": DOUBLE},
    "Experiment": {},
}

WORDS = ["train", "eval", "Train", "TRAIN", "test_1", "test%2", "50%", "a_b", "modèle", "日本",
         "Ünïcode", "5", "12", "uri", "name", "it's", 'say "hi"', "back\\slash", "", "x"]
DOUBLES = [0.5, 0.25, 0.123456, 1.0, -3.5, 1000000.0, 0.0, 2.0, 99.75]
INTS = [0, 1, 2, 3, 5, 12, 100, 250, -7, 9223372036854775807, -9223372036854775808]


def props(r, schema, p=0.75):
    """Values for a random subset of a type's declared properties."""
    out = {}
    for name, kind in schema.items():
        if r.random() < p:
            out[name] = value(r, kind)
    return out


def value(r, kind):
    if kind == INT:
        return ("int_value", r.choice(INTS))
    if kind == DOUBLE:
        return ("double_value", r.choice(DOUBLES))
    if kind == STRING:
        return ("string_value", r.choice(WORDS))
    if kind == BOOLEAN:
        return ("bool_value", r.random() < 0.5)
    if kind == STRUCT:
        s = struct_pb2.Struct()
        s.update({"k": r.choice(WORDS), "n": r.randint(0, 9)})
        return ("struct_value", s)
    a = any_pb2.Any()
    a.Pack(struct_pb2.Value(string_value=r.choice(WORDS)))
    return ("proto_value", a)


CUSTOM = {"note": STRING, "count": INT, "weight": DOUBLE, "flag": BOOLEAN, "blob": STRUCT,
          "pb": PROTO, "Tag": STRING, "tag": INT, "rows": STRING, "name": STRING,
          "int_value": INT, "sp ace": DOUBLE}


def set_props(r, node, schema):
    for name, (field, v) in props(r, schema).items():
        assign(node.properties[name], field, v)
    for name, kind in CUSTOM.items():
        if r.random() < 0.35:
            field, v = value(r, kind)
            assign(node.custom_properties[name], field, v)


def assign(target, field, v):
    if field in ("struct_value", "proto_value"):
        getattr(target, field).CopyFrom(v)
    else:
        setattr(target, field, v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=int, default=40, help="number of artifacts")
    args = ap.parse_args()
    if os.path.exists(args.db):
        sys.exit(f"{args.db} exists already")
    r = random.Random(args.seed)
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = args.db
    config.sqlite.connection_mode = 3
    store = metadata_store.MetadataStore(config)

    def put_type(cls, putter, name, schema):
        t = cls(name=name)
        for p, k in schema.items():
            t.properties[p] = k
        return putter(t)

    atypes = {n: put_type(mlmd.ArtifactType, store.put_artifact_type, n, s) for n, s in ARTIFACT_TYPES.items()}
    etypes = {n: put_type(mlmd.ExecutionType, store.put_execution_type, n, s) for n, s in EXECUTION_TYPES.items()}
    ctypes = {n: put_type(mlmd.ContextType, store.put_context_type, n, s) for n, s in CONTEXT_TYPES.items()}

    # Contexts: pipelines, experiments, runs (each run a child of a pipeline, some also of an
    # experiment), and a few contexts of odd names.
    contexts = []
    def new_context(tname, name):
        c = mlmd.Context(type_id=ctypes[tname], name=name)
        set_props(r, c, CONTEXT_TYPES[tname])
        if r.random() < 0.3:
            c.external_id = f"ctx-ext-{args.seed}-{len(contexts)}"
        contexts.append(c)
        return len(contexts) - 1
    pipelines = [new_context("Pipeline", n) for n in ["taxi", "Taxi", "ranking_v2"]]
    experiments = [new_context("Experiment", n) for n in ["exp%1", "exp_2"]]
    runs = [new_context("Run", f"{r.choice(['taxi', 'ranking'])}-run-{i}") for i in range(max(3, args.size // 10))]
    odd = [new_context("Run", n) for n in ["uri", "it's", "日本-run", "RUN_X"]]
    cids = store.put_contexts(contexts)
    parents = []
    for i in runs + odd:
        parents.append(mlmd.ParentContext(child_id=cids[i], parent_id=cids[r.choice(pipelines)]))
        if r.random() < 0.4:
            parents.append(mlmd.ParentContext(child_id=cids[i], parent_id=cids[r.choice(experiments)]))
    for e in experiments:
        parents.append(mlmd.ParentContext(child_id=cids[e], parent_id=cids[pipelines[0]]))
    store.put_parent_contexts(parents)

    # Artifacts.
    states = [None, A.UNKNOWN, A.PENDING, A.LIVE, A.LIVE, A.MARKED_FOR_DELETION, A.DELETED, A.ABANDONED, A.REFERENCE]
    uris = ["gs://bucket/{w}/{i}", "/tmp/Data_{i}", "s3://x%y/{i}", "GS://Bucket/{i}", "{w}", "", "file:///{w}.txt"]
    artifacts = []
    tnames = list(ARTIFACT_TYPES)
    for i in range(args.size):
        t = r.choices(tnames, weights=[5, 5, 1, 1])[0]
        a = mlmd.Artifact(type_id=atypes[t])
        roll = r.random()
        if roll < 0.6:
            a.name = f"{t.lower()}-{i}"
        elif roll < 0.8:
            a.name = r.choice(WORDS) + f"#{i}"
        u = r.choice(uris)
        if u:
            a.uri = u.format(w=r.choice(WORDS), i=i)
        s = r.choice(states)
        if s is not None:
            a.state = s
        if r.random() < 0.3:
            a.external_id = f"art-ext-{args.seed}-{i}"
        set_props(r, a, ARTIFACT_TYPES[t])
        artifacts.append(a)
    # A name equal to its uri, and a name equal to its type's name.
    artifacts[0].name, artifacts[0].uri = "same", "same"
    artifacts[1].name = "Model" if artifacts[1].type_id == atypes["Model"] else "Dataset"
    aids = []
    for chunk in range(0, len(artifacts), 7):
        aids += store.put_artifacts(artifacts[chunk:chunk + 7])

    # Executions with events.
    xstates = [None, X.UNKNOWN, X.NEW, X.RUNNING, X.COMPLETE, X.COMPLETE, X.FAILED, X.CACHED, X.CANCELED]
    inputs = [EV.INPUT, EV.INPUT, EV.DECLARED_INPUT, EV.INTERNAL_INPUT]
    outputs = [EV.OUTPUT, EV.OUTPUT, EV.DECLARED_OUTPUT, EV.INTERNAL_OUTPUT, EV.PENDING_OUTPUT]
    eids = []
    for i in range(max(4, args.size // 2)):
        t = r.choice(list(EXECUTION_TYPES))
        x = mlmd.Execution(type_id=etypes[t])
        if r.random() < 0.8:
            x.name = f"{t.lower()}-{i}" if r.random() < 0.7 else r.choice(WORDS) + f"#{i}"
        s = r.choice(xstates)
        if s is not None:
            x.last_known_state = s
        if r.random() < 0.3:
            x.external_id = f"exe-ext-{args.seed}-{i}"
        set_props(r, x, EXECUTION_TYPES[t])
        [eid] = store.put_executions([x])
        eids.append(eid)
        events = []
        used = set()
        for kinds, n in ((inputs, r.randint(0, 3)), (outputs, r.randint(0, 3))):
            for _ in range(n):
                aid = r.choice(aids)
                k = r.choice(kinds)
                if (aid, k) in used:
                    continue
                used.add((aid, k))
                e = mlmd.Event(artifact_id=aid, execution_id=eid, type=k)
                if r.random() < 0.5:
                    e.milliseconds_since_epoch = 1000 + r.randint(0, 50)
                events.append(e)
        if events:
            store.put_events(events)

    # Membership: several contexts per node, some nodes in none.
    attributions = []
    for aid in aids:
        for c in r.sample(range(len(cids)), r.choice([0, 1, 1, 2, 3])):
            attributions.append(mlmd.Attribution(context_id=cids[c], artifact_id=aid))
    associations = []
    for eid in eids:
        for c in r.sample(range(len(cids)), r.choice([0, 1, 2])):
            associations.append(mlmd.Association(context_id=cids[c], execution_id=eid))
    store.put_attributions_and_associations(attributions, associations)

    # Updates, later: last_update_time no longer follows the ids.
    time.sleep(0.005)
    for aid in r.sample(aids, len(aids) // 4):
        [a] = store.get_artifacts_by_id([aid])
        a.state = r.choice([A.LIVE, A.DELETED])
        store.put_artifacts([a])
        time.sleep(0.001)
    for eid in r.sample(eids, len(eids) // 4):
        [x] = store.get_executions_by_id([eid])
        x.last_known_state = X.COMPLETE
        store.put_executions([x])
        time.sleep(0.001)
    for cid in r.sample(cids, len(cids) // 3):
        [c] = store.get_contexts_by_id([cid])
        c.custom_properties["touched"].int_value = 1
        store.put_contexts([c])
        time.sleep(0.001)
    print(f"{args.db}: {len(aids)} artifacts, {len(eids)} executions, {len(cids)} contexts")


if __name__ == "__main__":
    main()
