"""Check that the real library can write to an existing store, e.g. one Pedigree made.

Usage: $PY write_after.py DB

DB is an SQLite file or a mysql:// or postgresql:// URL (mlmd_location.py).
Opens DB read-write (never creating it) and adds three types, an artifact, an
execution with an output and an input event, a context with an attribution,
an association and a parent. Then checks that the new records read back as
written, that their ids lie above every existing id of their kind, and that
every record that was there before is unchanged.
"""

import argparse
import json
import sys
from collections import Counter

from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as mlmd

import mlmd_dump
import mlmd_location

EXPECTED_NEW = Counter(type=3, artifact=1, execution=1, context=1, event=2, attribution=2,
                       association=1, parent_context=1)


def key(rec):
    return json.dumps(rec, sort_keys=True)


def write_new_records(store, before):
    """Adds the records; returns the new artifact as written (with its id)."""
    old = {kind: [r for r in before if r["record"] == kind] for kind in ("artifact", "context")}
    type_id = store.put_artifact_type(mlmd.ArtifactType(
        name="CompatWriteAfter", base_type=mlmd.ArtifactType.DATASET,
        properties={"n": mlmd.INT, "note": mlmd.STRING}))
    execution_type_id = store.put_execution_type(mlmd.ExecutionType(name="CompatWriteAfterRun"))
    context_type_id = store.put_context_type(mlmd.ContextType(name="compat_write_after"))

    artifact = mlmd.Artifact(type_id=type_id, name="written-after-import",
                             uri="file:///tmp/written-after", state=mlmd.Artifact.LIVE)
    artifact.properties["n"].int_value = 42
    artifact.properties["note"].string_value = "écrit après"
    artifact.custom_properties["ratio"].double_value = 0.25
    execution = mlmd.Execution(type_id=execution_type_id, name="write-after",
                               last_known_state=mlmd.Execution.COMPLETE)
    context = mlmd.Context(type_id=context_type_id, name="write-after")
    output = mlmd.Event(type=mlmd.Event.OUTPUT)
    output.path.steps.add().key = "out"
    x_id, [a_id], [c_id] = store.put_execution(execution, [(artifact, output)], [context])
    artifact.id = a_id

    # Links to records that were already there (not through put_execution,
    # which would rewrite the old artifact).
    old_artifact = max(old["artifact"], key=lambda r: r["id"], default=None)
    old_context = max(old["context"], key=lambda r: r["id"], default=None)
    if old_artifact:
        store.put_events([mlmd.Event(artifact_id=old_artifact["id"], execution_id=x_id,
                                     type=mlmd.Event.INPUT)])
        store.put_attributions_and_associations(
            [mlmd.Attribution(context_id=c_id, artifact_id=old_artifact["id"])], [])
    if old_context:
        store.put_parent_contexts([mlmd.ParentContext(child_id=c_id, parent_id=old_context["id"])])
    return artifact, bool(old_artifact), bool(old_context)


def check(before, after, artifact, linked_artifact, linked_context):
    problems = []
    after_keys = {key(r) for r in after}
    changed = [r for r in before if key(r) not in after_keys]
    for rec in changed[:10]:
        problems.append(f"changed or lost: {json.dumps(rec, ensure_ascii=False)[:200]}")
    if len(changed) > 10:
        problems.append(f"... and {len(changed) - 10} more changed or lost")

    before_keys = {key(r) for r in before}
    new = [r for r in after if key(r) not in before_keys]
    expected = Counter(EXPECTED_NEW)
    expected["event"] -= not linked_artifact
    expected["attribution"] -= not linked_artifact
    expected["parent_context"] -= not linked_context
    got = Counter(r["record"] for r in new)
    if got != +expected:
        problems.append(f"new records {dict(got)}, expected {dict(+expected)}")

    for kind in ("type", "artifact", "execution", "context"):
        old_max = max((r["id"] for r in before if r["record"] == kind), default=0)
        for rec in new:
            if rec["record"] == kind and rec["id"] <= old_max:
                problems.append(f"new {kind} got id {rec['id']}, not above {old_max}")

    wanted = mlmd_dump.node_record("artifact", artifact)
    stored = next((r for r in new if r["record"] == "artifact" and r["id"] == artifact.id), None)
    if stored is None:
        problems.append("the new artifact is missing")
    else:
        for field, value in wanted.items():
            if stored.get(field) != value:
                problems.append(f"new artifact {field}: wrote {value!r}, "
                                f"read {stored.get(field)!r}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="existing MLMD SQLite file or server database (it is written to)")
    args = parser.parse_args(argv)
    try:
        store = mlmd_dump.open_store(args.db, mlmd_dump.READWRITE)
        before = mlmd_dump.dump_records(store)
        artifact, linked_artifact, linked_context = write_new_records(store, before)
        after = mlmd_dump.dump_records(store)
    except (mlmd_dump.DumpError, RuntimeError, errors.StatusError) as e:
        print(mlmd_location.redact(f"write_after: {args.db}: {type(e).__name__}: {e}"), file=sys.stderr)
        return 1
    problems = check(before, after, artifact, linked_artifact, linked_context)
    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"write_after: {len(problems)} problems")
        return 1
    print(f"write_after: ok: {len(before) - 1} records kept, "
          f"{len(after) - len(before)} written and read back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
