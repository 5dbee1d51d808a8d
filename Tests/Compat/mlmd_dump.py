"""Dump an MLMD SQLite store to Pedigree's JSON-lines interchange format.

Usage: $PY mlmd_dump.py DB OUT.jsonl

DB is an SQLite file or a mysql:// or postgresql:// URL (mlmd_location.py).
The store is read by the real ml-metadata library through its public API only,
on a READONLY connection, so the file is never altered (a server database is
never created: nothing makes a server connection read-only). The format is the one
in docs/INTERCHANGE.md. The API does not expose the row ids of events,
attributions and associations, so those records carry no `id`.
"""

import argparse
import base64
import json
import math
import os
import sys

from google.protobuf import json_format
from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

import mlmd_location

HEADER = {
    "record": "header",
    "format": "pedigree-jsonl",
    "version": 1,
    "mlmd_schema_version": 10,
}

# Every new store holds these; get_*_types() hides them, get_*_type(name) finds them.
BUILTIN_TYPE_NAMES = {
    "artifact": ("mlmd.Dataset", "mlmd.Model", "mlmd.Metrics", "mlmd.Statistics"),
    "execution": ("mlmd.Train", "mlmd.Transform", "mlmd.Process", "mlmd.Evaluate", "mlmd.Deploy"),
}

READONLY = mlmd.SqliteMetadataSourceConfig.READONLY
READWRITE = mlmd.SqliteMetadataSourceConfig.READWRITE

BY_ID = metadata_store.ListOptions(order_by=metadata_store.OrderByField.ID)


class DumpError(Exception):
    pass


def open_store(path, mode=READONLY):
    """Opens an existing store; on SQLite READONLY never creates or changes the file.
    A server database must exist: it is opened without creating it."""
    if not mlmd_location.is_server(path) and not os.path.isfile(path):
        raise DumpError(f"{path}: no such file")
    return metadata_store.MetadataStore(mlmd_location.connection_config(path, mode))


def double_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def sorted_keys(obj):
    """The JSON value with object keys in order (a Struct's map order is arbitrary)."""
    if isinstance(obj, dict):
        return {k: sorted_keys(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [sorted_keys(v) for v in obj]
    return obj


def value_json(value, where):
    kind = value.WhichOneof("value")
    if kind == "int_value":
        return {"int": value.int_value}
    if kind == "double_value":
        return {"double": double_json(value.double_value)}
    if kind == "string_value":
        return {"string": value.string_value}
    if kind == "bool_value":
        return {"bool": value.bool_value}
    if kind == "struct_value":
        try:
            return {"struct": sorted_keys(json_format.MessageToDict(value.struct_value))}
        except ValueError as e:  # NaN or infinity inside the Struct: JSON cannot carry it
            raise DumpError(f"{where}: struct value has no JSON form: {e}") from e
    if kind == "proto_value":
        return {
            "proto": {
                "type_url": value.proto_value.type_url,
                "value": base64.b64encode(value.proto_value.value).decode("ascii"),
            }
        }
    raise DumpError(f"{where}: value has no kind set")


def properties_json(props, where):
    return {name: value_json(props[name], f"{where} {name!r}") for name in sorted(props)}


def put_optional(rec, message, fields):
    for field in fields:
        if message.HasField(field):
            rec[field] = getattr(message, field)


def type_record(kind, t):
    rec = {"record": "type", "kind": kind, "id": t.id, "name": t.name}
    put_optional(rec, t, ("version", "description", "external_id"))
    if kind != "context" and t.HasField("base_type") and t.base_type != 0:
        rec["base_type"] = type(t).SystemDefinedBaseType.Name(t.base_type)
    if t.properties:
        rec["properties"] = {name: mlmd.PropertyType.Name(t.properties[name])
                             for name in sorted(t.properties)}
    return rec


def node_record(kind, node):
    where = f"{kind} {node.id}"
    rec = {"record": kind, "id": node.id, "type_id": node.type_id}
    put_optional(rec, node, ("name",))
    if kind == "artifact":
        put_optional(rec, node, ("uri",))
        if node.HasField("state"):
            rec["state"] = mlmd.Artifact.State.Name(node.state)
    if kind == "execution" and node.HasField("last_known_state"):
        rec["last_known_state"] = mlmd.Execution.State.Name(node.last_known_state)
    put_optional(rec, node, ("external_id",))
    if node.properties:
        rec["properties"] = properties_json(node.properties, f"{where} property")
    if node.custom_properties:
        rec["custom_properties"] = properties_json(node.custom_properties,
                                                   f"{where} custom property")
    put_optional(rec, node, ("create_time_since_epoch", "last_update_time_since_epoch"))
    return rec


def event_record(event):
    rec = {
        "record": "event",
        "artifact_id": event.artifact_id,
        "execution_id": event.execution_id,
        "type": mlmd.Event.Type.Name(event.type),
    }
    steps = [{step.WhichOneof("value"): getattr(step, step.WhichOneof("value"))}
             for step in event.path.steps if step.WhichOneof("value")]
    if steps:
        rec["path"] = steps
    put_optional(rec, event, ("milliseconds_since_epoch",))
    return rec


def all_types(store):
    """(kind, type) for every type, by id.

    get_*_types() leaves out the built-in types and the types' external_id, so
    it only supplies the ids; get_*_types_by_id() gives the full types.
    """
    ids = {
        "artifact": [t.id for t in store.get_artifact_types()],
        "execution": [t.id for t in store.get_execution_types()],
        "context": [t.id for t in store.get_context_types()],
    }
    by_name = {"artifact": store.get_artifact_type, "execution": store.get_execution_type}
    for kind, names in BUILTIN_TYPE_NAMES.items():
        ids[kind] += [by_name[kind](name).id for name in names]
    by_id = {
        "artifact": store.get_artifact_types_by_id,
        "execution": store.get_execution_types_by_id,
        "context": store.get_context_types_by_id,
    }
    found = [(kind, t) for kind in ids for t in by_id[kind](sorted(set(ids[kind])))]
    return sorted(found, key=lambda kt: kt[1].id)


def chunks(items, size=500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def dump_records(store):
    """Returns every record of the store as interchange dicts, in file order."""
    records = [dict(HEADER)]
    records += [type_record(kind, t) for kind, t in all_types(store)]

    artifacts = store.get_artifacts(list_options=BY_ID)
    executions = store.get_executions(list_options=BY_ID)
    contexts = store.get_contexts(list_options=BY_ID)
    for kind, nodes in (("artifact", artifacts), ("execution", executions), ("context", contexts)):
        records += [node_record(kind, n) for n in sorted(nodes, key=lambda n: n.id)]

    # Row ids are not exposed: events come grouped by execution, in the order the
    # library returns them within one execution.
    events = []
    for ids in chunks(sorted(e.id for e in executions)):
        events += store.get_events_by_execution_ids(ids)
    events.sort(key=lambda e: e.execution_id)
    records += [event_record(e) for e in events]

    attributions, associations, parents = [], [], []
    for ctx in sorted(contexts, key=lambda c: c.id):
        attributions += [{"record": "attribution", "context_id": ctx.id, "artifact_id": a.id}
                         for a in store.get_artifacts_by_context(ctx.id, list_options=BY_ID)]
        associations += [{"record": "association", "context_id": ctx.id, "execution_id": e.id}
                         for e in store.get_executions_by_context(ctx.id, list_options=BY_ID)]
        parents += [{"record": "parent_context", "child_id": ctx.id, "parent_id": p.id}
                    for p in store.get_parent_contexts_by_context(ctx.id)]
    parents.sort(key=lambda r: (r["child_id"], r["parent_id"]))
    return records + attributions + associations + parents


def write_jsonl(records, path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
            f.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="MLMD SQLite file (opened read-only) or server URL")
    parser.add_argument("out", help="JSON-lines file to write")
    args = parser.parse_args(argv)
    try:
        records = dump_records(open_store(args.db))
    except (DumpError, RuntimeError, errors.StatusError) as e:
        print(mlmd_location.redact(f"mlmd_dump: {args.db}: {type(e).__name__}: {e}"), file=sys.stderr)
        return 1
    write_jsonl(records, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
