"""Write a branching lineage store with the real ml-metadata library.

Usage: $PY lineage_fixture.py DB [--seed N] [--executions K]

DB must not exist yet. Everything written is a function of the seed and K,
except the timestamps the library stamps itself. The store is for the lineage
differential test (lineage_diff.py), so its shape is what matters:

- sources (Dataset artifacts with no producer) and layered executions that read
  1 to 4 artifacts, mostly recent ones, sometimes old ones (long edges, fan-in),
  and write 0 to 3 new artifacts;
- popular artifacts read by many executions (fan-out) and diamonds;
- every event type the library accepts: INPUT, OUTPUT, DECLARED_INPUT,
  DECLARED_OUTPUT, INTERNAL_INPUT, INTERNAL_OUTPUT, PENDING_OUTPUT (UNKNOWN is
  refused by the library);
- two events between one pair (DECLARED_INPUT and INPUT; INPUT and OUTPUT of an
  artifact updated in place, a one-execution cycle);
- artifacts with two producers, and directed cycles across executions (an
  execution writes an artifact that is upstream of its own inputs);
- isolated artifacts and executions, unnamed nodes, nodes in no context, in one
  or in two run contexts; runs are children of pipeline contexts.
"""

import argparse
import os
import random
import sys

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

EV = mlmd.Event
INPUTS = [EV.INPUT] * 6 + [EV.DECLARED_INPUT, EV.INTERNAL_INPUT]
OUTPUTS = [EV.OUTPUT] * 6 + [EV.DECLARED_OUTPUT, EV.INTERNAL_OUTPUT, EV.PENDING_OUTPUT]
ARTIFACT_TYPES = {"Dataset": {"split": mlmd.STRING, "rows": mlmd.INT},
                  "Examples": {"split": mlmd.STRING, "rows": mlmd.INT},
                  "Model": {"score": mlmd.DOUBLE},
                  "Metrics": {"score": mlmd.DOUBLE},
                  "Config": {}}
EXECUTION_TYPES = {"Ingest": {"step": mlmd.INT}, "Train": {"step": mlmd.INT},
                   "Eval": {"step": mlmd.INT}, "Deploy": {}}
OUTPUT_TYPES = {"Ingest": "Examples", "Train": "Model", "Eval": "Metrics", "Deploy": "Config"}


def open_new(path):
    if os.path.exists(path):
        raise SystemExit(f"{path} exists already")
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


def put_types(store):
    ids = {}
    for name, props in ARTIFACT_TYPES.items():
        t = mlmd.ArtifactType(name=name)
        for p, kind in props.items():
            t.properties[p] = kind
        ids[name] = store.put_artifact_type(t)
    for name, props in EXECUTION_TYPES.items():
        t = mlmd.ExecutionType(name=name)
        for p, kind in props.items():
            t.properties[p] = kind
        ids[name] = store.put_execution_type(t)
    for name in ("Pipeline", "Run"):
        ids[name] = store.put_context_type(mlmd.ContextType(name=name))
    return ids


def write(store, seed, executions):
    rng = random.Random(seed)
    tid = put_types(store)

    pipelines = [mlmd.Context(type_id=tid["Pipeline"], name=f"pipeline-{p}") for p in range(2)]
    runs = [mlmd.Context(type_id=tid["Run"], name=f"run-{r}") for r in range(max(2, executions // 20))]
    context_ids = store.put_contexts(pipelines + runs)
    pipeline_ids, run_ids = context_ids[:2], context_ids[2:]
    store.put_parent_contexts([mlmd.ParentContext(child_id=c, parent_id=pipeline_ids[i % 2])
                               for i, c in enumerate(run_ids)])

    def artifact(type_name, name, **props):
        a = mlmd.Artifact(type_id=tid[type_name], uri=f"/lineage/{name or 'unnamed'}",
                          state=mlmd.Artifact.LIVE)
        if name is not None:  # some artifacts have no name (a NULL name in the store)
            a.name = name
        for k, v in props.items():
            if isinstance(v, str):
                a.properties[k].string_value = v
            elif isinstance(v, float):
                a.properties[k].double_value = v
            else:
                a.properties[k].int_value = v
        if rng.random() < 0.3:
            a.custom_properties["tag"].string_value = rng.choice(["gold", "silver"])
        return a

    # Sources, and artifacts nothing ever touches.
    sources = [artifact("Dataset", f"data-{d}", split=rng.choice(["train", "eval"]), rows=100 * d)
               for d in range(6)]
    loners = [artifact("Config", f"loner-{d}") for d in range(2)]
    artifact_ids = store.put_artifacts(sources + loners)
    alive = artifact_ids[:6]           # artifacts executions may read
    attributions = [(run_ids[0], artifact_ids[0]), (run_ids[-1], artifact_ids[1])]
    associations = []
    events = []
    names = {}

    def add_event(a, x, kind):
        events.append(EV(artifact_id=a, execution_id=x, type=kind))

    kinds = list(EXECUTION_TYPES)
    for i in range(executions):
        kind = kinds[i % 4] if i % 7 else "Ingest"
        x = mlmd.Execution(type_id=tid[kind], last_known_state=mlmd.Execution.COMPLETE)
        if i % 11 != 5:  # a few executions have no name
            x.name = f"x-{i}"
        if kind != "Deploy":
            x.properties["step"].int_value = i
        [x_id] = store.put_executions([x])
        names[x_id] = x.name
        if i % 23 == 17:  # an execution with no events at all
            continue
        # Inputs: mostly among the newest artifacts, sometimes any older one.
        n_in = rng.choice([1, 1, 2, 2, 3, 4])
        picks = set()
        for _ in range(n_in):
            pool = alive[-12:] if rng.random() < 0.75 else alive
            picks.add(rng.choice(pool))
        for a in sorted(picks):
            add_event(a, x_id, rng.choice(INPUTS))
            if rng.random() < 0.08:  # declared and actual input of one pair
                add_event(a, x_id, EV.DECLARED_INPUT if events[-1].type != EV.DECLARED_INPUT else EV.INPUT)
        # Outputs: new artifacts, sometimes an artifact updated in place or a second producer.
        n_out = rng.choice([0, 1, 1, 2, 2, 3])
        out_type = OUTPUT_TYPES[kind]
        new = []
        for j in range(n_out):
            name = None if (i + j) % 13 == 6 else f"{out_type.lower()}-{i}-{j}"
            props = {}
            if out_type in ("Examples",):
                props = {"split": rng.choice(["train", "eval"]), "rows": rng.randrange(1000)}
            elif out_type in ("Model", "Metrics") and rng.random() < 0.7:
                props = {"score": round(rng.random(), 3)}
            new.append(artifact(out_type, name, **props))
        new_ids = store.put_artifacts(new) if new else []
        for a in new_ids:
            add_event(a, x_id, rng.choice(OUTPUTS))
        if picks and rng.random() < 0.06:  # updated in place: INPUT and OUTPUT of one pair
            a = min(picks)
            add_event(a, x_id, EV.OUTPUT)
        if rng.random() < 0.05 and len(alive) > 20:  # a second producer of an older artifact: a cycle
            a = rng.choice(alive[:len(alive) // 2])
            if a not in picks:
                add_event(a, x_id, EV.INTERNAL_OUTPUT)
        alive.extend(new_ids)
        # Contexts: one run, sometimes two, sometimes none.
        if i % 17 != 9:
            ctx = [run_ids[(i // 20) % len(run_ids)]]
            if i % 9 == 4:
                ctx.append(run_ids[(i // 20 + 1) % len(run_ids)])
            for c in ctx:
                associations.append((c, x_id))
                for a in sorted(set(picks) | set(new_ids)):
                    attributions.append((c, a))

    # Popular artifacts: a few artifacts read by many later executions (fan-out).
    hubs = rng.sample(alive[6:len(alive) // 3], 3) if len(alive) > 30 else alive[:1]
    all_x = sorted(names)
    seen = {(e.artifact_id, e.execution_id, e.type) for e in events}
    for h in hubs:
        for x_id in rng.sample(all_x[len(all_x) // 3:], min(8, len(all_x) // 3)):
            if (h, x_id, EV.INPUT) not in seen:
                seen.add((h, x_id, EV.INPUT))
                add_event(h, x_id, EV.INPUT)

    store.put_events(events)
    atts = [mlmd.Attribution(context_id=c, artifact_id=a) for c, a in sorted(set(attributions))]
    asss = [mlmd.Association(context_id=c, execution_id=x) for c, x in sorted(set(associations))]
    store.put_attributions_and_associations(atts, asss)
    # Pipelines hold their first execution directly, too.
    store.put_attributions_and_associations(
        [mlmd.Attribution(context_id=pipeline_ids[0], artifact_id=artifact_ids[2])],
        [mlmd.Association(context_id=pipeline_ids[1], execution_id=all_x[0])])
    return len(alive) + len(loners), len(all_x), len(events)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--executions", type=int, default=120)
    args = parser.parse_args(argv)
    store = open_new(args.db)
    a, x, e = write(store, args.seed, args.executions)
    print(f"wrote {args.db}: {a} artifacts, {x} executions, {e} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
