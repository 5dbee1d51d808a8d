"""Differential test of filter_query: Pedigree's `list --filter` against the real ml-metadata.

Usage: $PY filter_diff.py --pedigree BIN --work DIR [--stores SEED:SIZE,...] [--existing DB]... [--jobs N]

For each store (written by filter_store.py with the library) and each query of a large list
(every construct ListOperationOptions.filter_query documents, the quirks of MLMD's SQL, inputs
MLMD rejects, and random AND/OR/NOT combinations with the same and different aliases), it
compares

    store.get_artifacts / get_executions / get_contexts(list_options=ListOptions(filter_query=Q,
                                                         order_by=..., is_asc=...))

(the client pages until the results are exhausted) with

    pedigree list artifacts|executions|contexts --db DB --filter=Q --order-by ... [--desc] --format ids

on the same file: the same ids in the same order, or an error on both sides (MLMD raises;
Pedigree exits 65). Every query runs ordered by id; a fifth of them also under another order.
The first store gets every query, the others a sample. An --existing store (one Pedigree wrote
from edge_values.py: NaN, infinities, no uri, events without time) gets queries on those values
and a small sample of the others. An --existing DB may be a mysql:// or postgresql:// URL
(mlmd_location.py); --stores '' leaves out the generated SQLite stores.

Pedigree answers with SQLite's semantics on every backend (README: "SQLite's comparisons"), while
the library's SQL means something else on a server: MySQL compares strings without case (its
utf8mb4_general_ci); `custom_properties.name` matches every property row on SQLite (the
property's name collides with the column `name`) and none on the servers; a double literal
beyond DOUBLE's range fails on MySQL, and on PostgreSQL too (the library casts it AS FLOAT64);
on PostgreSQL a filter with order_by LAST_UPDATE_TIME fails ("for SELECT DISTINCT, ORDER BY
expressions must appear in select list"). --twin DB=FILE
names an SQLite file with the same records as the server store DB (Pedigree imported the same
file into both): a disagreement on DB where the library on FILE gives Pedigree's answer is the
library's dialect, not Pedigree; it is counted and shown as such ("DIALECT"), not failed.
Prints one line per disagreement and a summary; exits 1 if anything disagrees.
"""

import argparse
import concurrent.futures
import logging
import os
import random
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

import filter_store  # noqa: E402
import mlmd_location  # noqa: E402
from ml_metadata import errors  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402

logging.getLogger("absl").setLevel(logging.ERROR)  # the client logs every Internal error

ORDERS = [("id", True), ("id", False), ("create_time", True), ("create_time", False),
          ("last_update_time", True), ("last_update_time", False)]
ORDER_FIELDS = {"id": metadata_store.OrderByField.ID,
                "create_time": metadata_store.OrderByField.CREATE_TIME,
                "last_update_time": metadata_store.OrderByField.UPDATE_TIME}
KINDS = {"artifacts": "get_artifacts", "executions": "get_executions", "contexts": "get_contexts"}


def lit(s):
    """A ZetaSQL string literal for s."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


class Values:
    """Values picked from a store, so that filters select something."""

    def __init__(self, store, r):
        self.r = r
        self.nodes = {"artifacts": store.get_artifacts(), "executions": store.get_executions(),
                      "contexts": store.get_contexts()}
        self.types = {"artifacts": store.get_artifact_types(), "executions": store.get_execution_types(),
                      "contexts": store.get_context_types()}
        self.events = store.get_events_by_artifact_ids([a.id for a in self.nodes["artifacts"]])

    def pick(self, kind, attr, quote=True):
        vals = [getattr(n, attr) for n in self.nodes[kind] if n.HasField(attr)]
        v = self.r.choice(vals) if vals else ""
        return lit(v) if quote and isinstance(v, str) else v

    def id(self, kind):
        return self.r.choice(self.nodes[kind]).id

    def mid(self, kind):
        ids = sorted(n.id for n in self.nodes[kind])
        return ids[len(ids) // 2]

    def time(self, kind, attr="create_time_since_epoch"):
        return getattr(self.r.choice(self.nodes[kind]), attr)

    def type_name(self, kind):
        return lit(self.r.choice(self.types[kind]).name)

    def type_id(self, kind):
        return self.r.choice(self.types[kind]).id

    def prop(self, kind, field, custom=False):
        """A property name and a value of its kind that some node has."""
        found = []
        for n in self.nodes[kind]:
            m = n.custom_properties if custom else n.properties
            for name, v in m.items():
                if v.WhichOneof("value") == field:
                    found.append((name, getattr(v, field)))
        if not found:
            return None
        name, v = self.r.choice(found)
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, str):
            v = lit(v)
        qname = name if name.replace("_", "a").isalnum() and name.isascii() else "`" + name + "`"
        return qname, v


def common_queries(kind, v):
    """Attributes every node kind has."""
    i, j, mid = v.id(kind), v.id(kind), v.mid(kind)
    name, name2 = v.pick(kind, "name"), v.pick(kind, "name")
    t = v.type_name(kind)
    ct, ut = v.time(kind), v.time(kind, "last_update_time_since_epoch")
    return [
        f"id = {i}", f"id != {i}", f"id <> {i}", f"id IN ({i}, {j}, 99999)", f"id > {mid}", f"id >= {mid} AND id < {mid + 5}",
        f"id = {i}.0", "id = 1.5", f"id IN (1, 2.5, {i})", f"NOT id IN ({i}, {j})", f"id NOT IN ({i})", f"id <= -1",
        f"type_id = {v.type_id(kind)}", f"type_id != {v.type_id(kind)}", f"type = {t}", "type = 'Nope'", f"type != {t}",
        "type LIKE 'T%'", f"type IN ({t}, 'Nope')", "type = 'type'", "type = 'TYPE'", "type LIKE '%\\_%'",
        f"name = {name}", f"name != {name}", f"name > {name}", f"name <= {name2}", f"name IN ({name}, {name2})",
        f"name NOT IN ({name})", "name LIKE '%-1%'", "name LIKE 'T%'", "name LIKE 't%'", "name LIKE '%#_'", "name LIKE '%\\%'",
        "name IS NULL", "name IS NOT NULL", "NOT name IS NULL", "NOT (name IS NOT NULL)", "name = 'Nope'",
        "name = 'uri'", "name = 'name'", "name = 'id'", "name = 'ID'", "name > 'rowid'", "name = 'type_id'", "name = type",
        "name LIKE 'it%'", "name LIKE '%\"%'", "name LIKE '%日本%'", "name LIKE '%ü%'", "name LIKE '%Ü%'", "name LIKE '_#%'",
        "name = 'back\\\\slash#1'", "name LIKE 'back\\\\%'", "name LIKE '%\\n%'", "name = \"it's#3\"", "name LIKE \"it's%\"",
        "name LIKE 'say \"%'",
        f"external_id = {v.pick(kind, 'external_id')}", "external_id IS NULL", "external_id IS NOT NULL",
        "external_id LIKE '%-1%'", "external_id > 'd'",
        "NOT(create_time_since_epoch < 1 OR last_update_time_since_epoch < 1)", f"create_time_since_epoch > {ct}",
        f"create_time_since_epoch <= {ct}", f"create_time_since_epoch = {ct}", f"last_update_time_since_epoch >= {ut}",
        "last_update_time_since_epoch > create_time_since_epoch", "last_update_time_since_epoch = create_time_since_epoch",
        f"ID = {i}", "Name IS NULL", f"TYPE = {t}", f"id = {i} and name is not null", f"id = {i} Or id = {j}",
        f"id = +{i}", f"id = 0x{i:x}", f"id = {i} -- a comment", f"id = {i} /* c */ OR id = {j}", f"id = {i} # c",
        f"id = {i}.", f"((id = {i}))", f"NOT NOT id = {i}", f"id = -{i}",
        # Rejected by MLMD.
        "foo = 1", "id = 'x'", "name = 1", "name = true", "id LIKE '1'", "name LIKE 1", "name = NULL", "id = 1 AND",
        "(id = 1", "name == 'x'", "name = 'it''s'", "  ", "id = 99999999999999999999", "name = 'a\\%'", "name IN ()",
        "id IN (1, 'a')", "properties.x = 1", "properties.x.y.int_value = 1", "properties.x.foo = 1",
        "custom_properties.x.INT_VALUE = 1", "contexts = 1", "$x = 1", "name = $x", "name = \"a\\\"b'c\"",
        "name = 'x' AND name = LIVE", "name IS NULL AND", "id = 1 OR OR id = 2", "type_id = type", "name = 'x",
        "`name` = 'x'", "name = r'back\\slash#1'", "name = b'x'", "id = 1e400",
    ]


def property_queries(kind, v):
    out = []
    for field, ops in (("int_value", ["= {v}", "> {v}", "<= {v}", "!= {v}", "IN ({v}, 1)", "= {v}.5", "IS NULL"]),
                       ("double_value", ["= {v}", "< {v}", ">= {v}", "= 1", "> 1", "IS NOT NULL"]),
                       ("string_value", ["= {v}", "!= {v}", "LIKE 'T%'", "LIKE '%a%'", "> {v}", "IN ({v}, 'x')"]),
                       ("bool_value", ["= {v}", "!= {v}", "= true", "= false", "IS NULL"])):
        for custom in (False, True):
            found = v.prop(kind, field, custom)
            if not found:
                continue
            name, value = found
            prefix = "custom_properties" if custom else "properties"
            for op in ops:
                out.append(f"{prefix}.{name}.{field} " + op.format(v=value))
            # The same property read as another kind, and its absence.
            other = {"int_value": "string_value", "double_value": "int_value", "string_value": "double_value",
                     "bool_value": "int_value"}[field]
            out.append(f"{prefix}.{name}.{other} IS NULL")
            out.append(f"NOT {prefix}.{name}.{other} IS NULL")
            out.append(f"{prefix}.{name}.{field} IS NULL OR id = {v.id(kind)}")
    out += [
        "properties.nope.int_value IS NULL", "custom_properties.nope.int_value = 1", "custom_properties.nope.string_value IS NULL",
        "properties.name.string_value IS NOT NULL", "properties.name.int_value = 5", "custom_properties.name.string_value = 'x'",
        "custom_properties.name.int_value IS NULL", "custom_properties.int_value.int_value IS NOT NULL",
        "properties.string_value.string_value IS NOT NULL", "properties.Mixed.int_value IS NOT NULL",
        "properties.mixed.int_value IS NOT NULL", "custom_properties.Tag.string_value IS NOT NULL",
        "custom_properties.tag.int_value IS NOT NULL", "custom_properties.tag.string_value IS NOT NULL",
        "custom_properties.Tag.string_value IS NOT NULL AND custom_properties.tag.int_value > 0",
        "custom_properties.rows.string_value IS NOT NULL", "custom_properties.rows.int_value IS NULL",
        "properties.rows.string_value LIKE '%'", "properties.rows.int_value > 0 OR properties.rows.string_value = 'x'",
        "properties.`my prop`.int_value > 0", "properties.`a:b.c`.string_value LIKE '%'", "custom_properties.`sp ace`.double_value > 0",
        "properties.meta.string_value LIKE 'mlmd-struct::%'", "custom_properties.blob.string_value LIKE 'mlmd-struct::%'",
        "custom_properties.blob.string_value IS NULL", "custom_properties.pb.string_value IS NULL",
        "custom_properties.pb.int_value IS NULL", "properties.sig.string_value IS NULL",
        "custom_properties.count.int_value > 2 AND custom_properties.count.int_value < 200",
        "custom_properties.count.int_value > 2 OR custom_properties.weight.double_value > 0.3",
        "NOT custom_properties.flag.bool_value = true",
        
        "custom_properties.weight.double_value = 0.123456", "custom_properties.weight.double_value IN (0.5, 1, 2)",
        "custom_properties.count.int_value IN (1, 2.0, 12)", "custom_properties.count.double_value IS NULL",
        "custom_properties.note.string_value = 'uri'", "custom_properties.note.string_value = 'name'",
        "custom_properties.note.string_value = 'string_value'", "custom_properties.note.string_value = 'int_value'",
        "custom_properties.note.string_value LIKE '%\\'%'", "custom_properties.flag.bool_value = 1",
        "custom_properties.flag.bool_value < true", "custom_properties.note.string_value = 5",
        "custom_properties.`x`.int_value = 1", "custom_properties.`a\"b`.int_value = 1", "custom_properties.`a(b`.int_value = 1",
        "custom_properties.count.int_value = 1 AND custom_properties.COUNT.int_value = 1",
    ]
    return out


def node_queries(kind, v):
    if kind == "artifacts":
        uri = v.pick(kind, "uri")
        return [
            f"uri = {uri}", "uri = 'same'", "uri LIKE 'gs://%'", "uri LIKE 'GS://%'", "uri LIKE '%\\_%'", "uri LIKE '%_%'",
            "uri LIKE '%%%'", "uri LIKE 's3://x%y%'", "uri IS NOT NULL", "uri IS NULL", "uri = ''", "uri != ''",
            "uri NOT LIKE 's3%'", "uri LIKE '%è%'", "uri LIKE '_'", "uri = name", "uri LIKE name", "uri > 'f'",
            "uri = 'uri'", "uri IN ('', 'same')", f"uri = {uri} OR uri = 'same'", "Uri LIKE '/tmp/%'",
            "uri LIKE '%\\\\%'", "uri = 'a\"b\\'c'",
            "state = LIVE", "state IS NULL", "state IS NOT NULL", "state IN (PENDING, LIVE)", "state != LIVE",
            "state NOT IN (LIVE, DELETED)", "NOT state = LIVE", "NOT (state != LIVE)", "NOT state IN (LIVE)",
            "state = UNKNOWN", "state = MARKED_FOR_DELETION", "state in (live)", "state in (LIVE)", "state IN(LIVE)",
            "state = ABANDONED", "state = REFERENCE", "state = live", "state = 2", "state IN (2)", "state IN (12)",
            "state IN (2, 3)", "state > 1", "state <= 2", "state = 'LIVE'", "state = LIVE OR state = LIVE",
            "state = LIVE OR state = DELETED", "state = LIVE OR state != LIVE", "state=LIVE", "state  =  DELETED",
            "state IN (UNKNOWN,PENDING,LIVE,MARKED_FOR_DELETION,DELETED)", "state IN LIVE", "state NOT IN ()",
            "STATE = LIVE", "State > 1", "state IN (LIVE, )", "state = LIVE AND name = 'state = LIVE'",
            "state IN ( LIVE , DELETED )", "state NOT  IN (PENDING)", "state <> LIVE", "state = LIVE.x",
        ] + event_queries(kind, v, "execution_id", "executions") + context_queries(v, kind)
    if kind == "executions":
        return [
            "last_known_state = RUNNING", "last_known_state != RUNNING", "last_known_state NOT IN (FAILED, CANCELED)",
            "last_known_state IN (COMPLETE, CACHED)", "last_known_state IS NULL", "last_known_state = UNKNOWN",
            "last_known_state = NEW OR last_known_state = FAILED", "NOT last_known_state = COMPLETE",
            "last_known_state = COMPLETE OR last_known_state = COMPLETE", "last_known_state = LIVE",
            "last_known_state > 3", "last_known_state = 3", "state = LIVE", "uri = 'x'",
            "last_known_state IN (NEW, RUNNING, COMPLETE, FAILED, CACHED, CANCELED)",
        ] + event_queries(kind, v, "artifact_id", "artifacts") + context_queries(v, kind)
    c1, c2 = v.pick("contexts", "name"), v.pick("contexts", "name")
    a, x = v.pick("artifacts", "name"), v.pick("executions", "name")
    return [
        f"parent_contexts_a.id = {v.id('contexts')}", "parent_contexts_a.type = 'Pipeline'", f"parent_contexts_a.name = {c1}",
        f"child_contexts_a.name = {c2}", "child_contexts_a.type = 'Run'", "child_contexts_a.id > 0",
        "parent_contexts_a.name = 'taxi' AND parent_contexts_b.name LIKE 'exp%'",
        "parent_contexts_a.name = 'taxi' AND parent_contexts_a.name LIKE 'exp%'", "parent_contexts_a.name LIKE 'TAXI'",
        "parent_contexts_a.type = 'Pipeline' OR name = 'uri'", "NOT parent_contexts_a.type = 'Pipeline'",
        "child_contexts_a.type = 'Run' AND parent_contexts_a.type = 'Pipeline'", "child_contexts_a.name IS NULL",
        "parent_contexts_a.create_time_since_epoch > 0", "child_contexts_a.last_update_time_since_epoch > 0",
        "parent_contexts_a.type_id = 1", "parent_contexts_a.external_id = 'x'",
        f"artifacts_a.id = {v.id('artifacts')}", "artifacts_a.type = 'Dataset'", f"artifacts_a.name = {a}",
        "artifacts_a.uri LIKE 'gs://%'", "artifacts_a.state = LIVE", "artifacts_a.state IN (PENDING, LIVE)",
        "artifacts_a.state != LIVE", "artifacts_a.state NOT IN (LIVE)", "artifacts_a.external_id = 'x'",
        "artifacts_a.create_time_since_epoch > 0",
        "artifacts_a.type = 'Model' AND artifacts_b.type = 'Dataset'", "artifacts_a.type = 'Model' AND artifacts_a.type = 'Dataset'",
        "artifacts_a.state = LIVE AND artifacts_b.state = DELETED", "artifacts_a.state = LIVE AND artifacts_b.state = LIVE",
        "artifacts_a.uri IS NULL", "artifacts_a.name IS NULL", "artifacts_a.type = 'type'",
        f"executions_a.id = {v.id('executions')}", "executions_a.type = 'Trainer'", f"executions_a.name = {x}",
        "executions_a.last_known_state = RUNNING", "executions_a.last_known_state IN (NEW, RUNNING)",
        "executions_a.last_known_state != RUNNING", "executions_a.external_id = 'x'",
        "executions_a.create_time_since_epoch > 0", "executions_a.name = 'x' AND executions_b.name LIKE 'train%'",
        "executions_a.type = 'Trainer' OR artifacts_a.type = 'Model'", "artifacts_a.uri = 'same' OR name = 'taxi'",
        "contexts_a.name = 'x'", "events_0.type = INPUT", "state = LIVE", "last_known_state = RUNNING",
        "name = 'uri'", "name = 'context_id' AND artifacts_a.id > 0", "name = 'id' AND artifacts_a.id > 0",
        "name = 'child_context_id' AND parent_contexts_a.id > 0", "name = 'type' AND artifacts_a.id > 0",
        "ARTIFACTS_a.id > 0", "artifacts_A.id > 0", "artifacts_a.NAME IS NOT NULL", "artifacts_a.id > 0 AND artifacts_A.id > 0",
    ]


def event_queries(kind, v, other, other_kind):
    e = v.r.choice(v.events) if v.events else None
    oid = getattr(e, other) if e else 1
    t = e.milliseconds_since_epoch if e else 0
    wrong = "artifact_id" if other == "execution_id" else "execution_id"
    return [
        "events_0.type = INPUT", "events_0.type = OUTPUT", "events_0.type IN (INPUT, DECLARED_INPUT)", "events_0.type != INPUT",
        "events_0.type NOT IN (INPUT, OUTPUT)", "events_0.type = DECLARED_OUTPUT", "events_0.type = INTERNAL_OUTPUT",
        "events_0.type = PENDING_OUTPUT", "events_0.type = UNKNOWN", "events_0.type = 3", "events_0.type > 3",
        f"events_0.{other} = {oid}", f"events_0.milliseconds_since_epoch > {t}", "events_0.milliseconds_since_epoch < 2000",
        "events_0.type = INPUT AND events_1.type = OUTPUT", f"events_0.type = INPUT AND events_0.{other} = {oid}",
        "events_0.type = INPUT AND events_1.type = INPUT", "events_x.type = OUTPUT OR id = 1", "NOT events_0.type = INPUT",
        f"events_0.{wrong} = 1", "events_0.id = 1", "name = 'rowid' AND events_0.type = OUTPUT",
        "events_0.milliseconds_since_epoch IS NULL", "events_a.type = INPUT OR events_b.type = OUTPUT",
    ]


def context_queries(v, kind):
    c1, c2 = v.pick("contexts", "name"), v.pick("contexts", "name")
    return [
        f"contexts_a.id = {v.id('contexts')}", "contexts_a.type = 'Run'", f"contexts_a.name = {c1}",
        "contexts_a.create_time_since_epoch > 0",
        f"contexts_a.name = {c1} AND contexts_b.name = {c2}", f"contexts_a.name = {c1} AND contexts_a.name = {c2}",
        f"contexts_a.name = {c1} OR id = {v.id(kind)}", "contexts_a.type = 'Run' AND contexts_a.name LIKE '%1'",
        "NOT contexts_a.type = 'Run'", "contexts_a.type != 'Run'", "contexts_a.name IN ('taxi', 'Taxi')",
        "contexts_a.name LIKE 'TAXI'", "contexts_a.name = 'uri'", "contexts_a.type = 'Pipeline' AND contexts_b.type = 'Experiment'",
        "contexts_a.external_id = 'x'", "contexts_a.properties.owner.string_value = 'x'", "contexts_a.type_id = 1",
        "contexts_A.name = 'taxi'", "contexts_a.name = 'taxi' AND contexts_A.name = 'taxi'", "contexts_a.NAME = 'taxi'",
        "name = 'id' AND contexts_a.id > 0", "name = 'artifact_id' AND contexts_a.id > 0", "contexts_a.name = name",
        "contexts_a.name = 'taxi' OR contexts_b.name = 'Taxi'", "contexts_0.id IS NULL",
        "parent_contexts_a.name = 'x'",
    ]


# ZetaSQL expressions outside Pedigree's grammar (none is documented for filter_query): MLMD
# accepts them, Pedigree rejects them with exit 65. Checked apart: Pedigree must reject them.
OUTSIDE_GRAMMAR = [
    "custom_properties.flag.bool_value", "NOT custom_properties.flag.bool_value",
    "custom_properties.count.int_value = custom_properties.count.int_value",
    "create_time_since_epoch = contexts_a.create_time_since_epoch", "id BETWEEN 1 AND 3", "id = 1 + 1",
    "LOWER(name) = 'x'", "id IN UNNEST([1, 2])", "name IS TRUE", "name = CONCAT('a', 'b')", "'x' = name", "1 < id",
    "TRUE", "id = 1 OR TRUE",
]


# For stores Pedigree wrote from edge_values.py: values the library reads but cannot write
# (NaN as the text 'NaN', infinities, -0, denormals, no uri, events without time).
EDGE_QUERIES = [
    "custom_properties.nan.double_value > 0", "custom_properties.nan.double_value < 0", "custom_properties.nan.double_value = 0",
    "custom_properties.nan.double_value != 1", "custom_properties.nan.double_value IS NULL", "custom_properties.nan.double_value IN (1, 2)",
    "custom_properties.nan.double_value > 1e308", "custom_properties.nan.int_value IS NULL", "custom_properties.nan.string_value IS NULL",
    "custom_properties.pos_inf.double_value > 1e308", "custom_properties.pos_inf.double_value = 1e400",
    "custom_properties.neg_inf.double_value < -1e308", "custom_properties.neg_zero.double_value = 0",
    "custom_properties.neg_zero.double_value < 0", "custom_properties.denormal_min.double_value > 0",
    "custom_properties.tiny.double_value > 0", "custom_properties.tiny.double_value < 1e-299",
    "custom_properties.fifteen_digits.double_value = 0.333333333333333", "custom_properties.fifteen_digits.double_value > 0.333333",
    "custom_properties.integral_json.double_value = 3", "custom_properties.integral_json.double_value IN (3)",
    "custom_properties.small.double_value > 0", "custom_properties.small.double_value = 0.00000015",
    "properties.score.double_value > 0", "properties.score.double_value IS NOT NULL", "properties.note.string_value = ''",
    "uri IS NULL", "uri = ''", "uri IS NOT NULL AND uri = ''", "name IS NULL", "state IS NULL", "state = UNKNOWN",
    "state != UNKNOWN", "events_0.milliseconds_since_epoch IS NULL", "events_0.milliseconds_since_epoch > 0",
    "events_0.type = INPUT AND events_0.milliseconds_since_epoch IS NULL", "type = 'CompatEdge'", "type = 'CompatEdgeRun'",
    "custom_properties.neg_inf.double_value < 0",
]


def combos(kind, v, r, n):
    """Random AND/OR/NOT combinations of atoms, with aliases repeated or not."""
    ids = [v.id(kind) for _ in range(4)]
    atoms = [
        lambda: f"id > {r.choice(ids)}", lambda: f"id = {r.choice(ids)}", lambda: f"name LIKE '%{r.randint(0, 9)}%'",
        lambda: "name IS NULL", lambda: f"type = {v.type_name(kind)}", lambda: "external_id IS NOT NULL",
        lambda: f"custom_properties.count.int_value > {r.choice([0, 2, 5])}", lambda: "custom_properties.note.string_value LIKE '%a%'",
        lambda: "custom_properties.flag.bool_value = true", lambda: "custom_properties.weight.double_value IS NULL",
        lambda: "custom_properties.note.int_value IS NULL",
    ]
    if kind == "artifacts":
        atoms += [lambda: r.choice(["state = LIVE", "state != DELETED", "state IN (PENDING, LIVE)", "state IS NULL",
                                    "state NOT IN (UNKNOWN)"]),
                  lambda: "uri LIKE 'gs://%'", lambda: "properties.rows.int_value > 50", lambda: "properties.accuracy.double_value > 0.3"]
    if kind == "executions":
        atoms += [lambda: r.choice(["last_known_state = COMPLETE", "last_known_state != FAILED", "last_known_state IS NULL",
                                    "last_known_state IN (NEW, RUNNING)"]),
                  lambda: "properties.epochs.int_value >= 3", lambda: "properties.mode.string_value = 'train'"]
    if kind in ("artifacts", "executions"):
        atoms += [lambda: f"contexts_{r.choice('ab')}.type = {v.type_name('contexts')}",
                  lambda: f"contexts_{r.choice('ab')}.name LIKE '%{r.choice(['taxi', 'run', '1', 'x'])}%'",
                  lambda: f"events_{r.choice('01')}.type = {r.choice(['INPUT', 'OUTPUT', 'DECLARED_INPUT'])}",
                  lambda: f"events_{r.choice('01')}.milliseconds_since_epoch < 1030"]
    else:
        atoms += [lambda: f"parent_contexts_{r.choice('ab')}.type = {v.type_name('contexts')}",
                  lambda: f"child_contexts_{r.choice('ab')}.name LIKE '%{r.choice(['run', '1', 'x'])}%'",
                  lambda: f"artifacts_{r.choice('ab')}.type = {v.type_name('artifacts')}",
                  lambda: f"artifacts_{r.choice('ab')}.state = {r.choice(['LIVE', 'DELETED', 'PENDING'])}",
                  lambda: f"executions_{r.choice('ab')}.last_known_state IN (COMPLETE)",
                  lambda: "properties.run_no.int_value > 3", lambda: "properties.owner.string_value IS NOT NULL"]

    def expr(depth):
        if depth == 0 or r.random() < 0.3:
            a = r.choice(atoms)()
            return f"NOT {a}" if r.random() < 0.15 else a
        op = r.choice(["AND", "OR", "AND"])
        e = f"{expr(depth - 1)} {op} {expr(depth - 1)}"
        roll = r.random()
        if roll < 0.35:
            return f"({e})"
        if roll < 0.5:
            return f"NOT ({e})"
        return e
    return [expr(3) for _ in range(n)]


def queries_for(kind, v, r, n_combos):
    qs = common_queries(kind, v) + property_queries(kind, v) + node_queries(kind, v) + combos(kind, v, r, n_combos)
    seen, out = set(), []
    for q in qs:
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


def mlmd_ids(store, kind, q, field, asc):
    opts = metadata_store.ListOptions(filter_query=q, order_by=ORDER_FIELDS[field], is_asc=asc)
    # The library's C++ side writes RE2's complaints about some filters to stderr: keep them out.
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    try:
        return [n.id for n in getattr(store, KINDS[kind])(list_options=opts)]
    except errors.StatusError as e:
        return ("error", type(e).__name__)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def pedigree_ids(binary, db, kind, q, field, asc):
    cmd = [binary, "list", kind, "--db", db, f"--filter={q}", "--order-by", field, "--format", "ids"]
    if not asc:
        cmd.append("--desc")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode == 65:
        return ("error", p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "")
    if p.returncode != 0:
        return ("crash", f"exit {p.returncode}: {p.stderr.strip()[-300:]}")
    return [int(x) for x in p.stdout.split()]


def show(result):
    if isinstance(result, tuple):
        return f"{result[0]} ({result[1]})"
    return f"{len(result)} ids {result}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--stores", default="1:150,2:40,3:12", help="SEED:SIZE,...")
    ap.add_argument("--combos", type=int, default=30, help="random combinations per kind and store")
    ap.add_argument("--sample", type=float, default=0.15, help="share of the queries run on the stores after the first")
    ap.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    ap.add_argument("--existing", action="append", default=[],
                    help="also an existing store (opened read-only): the edge queries and 5%% of the others")
    ap.add_argument("--twin", action="append", default=[], metavar="DB=FILE",
                    help="an SQLite file with the same records as the --existing server store DB")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    twins = dict(t.rsplit("=", 1) for t in args.twin)  # a URL may hold "=", the file not
    os.makedirs(args.work, exist_ok=True)
    start = time.time()
    failures = comparisons = errors_agreed = dialect = 0
    distinct = set()
    outside_rejected = outside_total = 0
    specs = [s for s in args.stores.split(",") if s] + args.existing
    for n, spec in enumerate(specs):
        existing = spec in args.existing
        if existing:
            db, seed, size = spec, 0, os.path.basename(spec)
        else:
            seed, size = (int(x) for x in spec.split(":"))
            db = os.path.join(args.work, f"filter-{seed}-{size}.sqlite")
            if os.path.exists(db):
                os.remove(db)
            sys.argv = ["filter_store.py", db, "--seed", str(seed), "--size", str(size)]
            filter_store.main()
        store = metadata_store.MetadataStore(mlmd_location.connection_config(
            db, mlmd_location.READONLY if existing else mlmd_location.READWRITE_OPENCREATE))
        twin = (metadata_store.MetadataStore(mlmd_location.connection_config(twins[db]))
                if db in twins else None)
        engine = mlmd_location.parse(db).engine if mlmd_location.is_server(db) else "sqlite"
        r = random.Random(seed * 7919)
        values = Values(store, r)
        jobs, pending = [], []
        pool = concurrent.futures.ThreadPoolExecutor(args.jobs)

        def add(kind, q, field, asc, expected):
            jobs.append((kind, q, field, asc, expected))
            pending.append(pool.submit(pedigree_ids, args.pedigree, db, kind, q, field, asc))

        for kind in KINDS:
            qs = queries_for(kind, values, r, args.combos)
            if existing:
                qs = (EDGE_QUERIES if kind != "contexts" else []) + r.sample(qs, len(qs) // 20)
            elif n > 0:
                # The first store gets every query; the others a sample (time).
                qs = r.sample(qs, int(len(qs) * args.sample))
            for k, q in enumerate(qs):
                distinct.add((kind, q))
                orders = [("id", True)]
                if k % 5 == 0:
                    orders.append(ORDERS[1 + (k // 5) % 5])
                for field, asc in orders:
                    add(kind, q, field, asc, mlmd_ids(store, kind, q, field, asc))
            if n == 0 and not existing:
                for q in OUTSIDE_GRAMMAR:
                    add(kind, q, "id", True, ("outside", ""))
        with pool:
            for (kind, q, field, asc, expected), future in zip(jobs, pending):
                got = future.result()
                where = f"[{seed}:{size}] {kind} {field} {'asc' if asc else 'desc'} {q!r}"
                if expected == ("outside", ""):
                    outside_total += 1
                    if isinstance(got, tuple) and got[0] == "error":
                        outside_rejected += 1
                    else:
                        failures += 1
                        print(f"FAIL  {where}: outside the grammar, yet pedigree gave {show(got)}")
                    continue
                comparisons += 1
                both_errors = isinstance(expected, tuple) and isinstance(got, tuple) and got[0] == "error"
                if both_errors:
                    errors_agreed += 1
                if both_errors or expected == got:
                    if args.verbose:
                        print(f"ok    {where}: {show(expected)}")
                    continue
                if twin is not None:
                    on_sqlite = mlmd_ids(twin, kind, q, field, asc)
                    if on_sqlite == got or (isinstance(on_sqlite, tuple) and isinstance(got, tuple)
                                            and got[0] == "error"):
                        dialect += 1
                        print(f"DIALECT {where}: mlmd on {engine} {show(expected)}; "
                              f"mlmd on SQLite and pedigree {show(got)}")
                        continue
                failures += 1
                print(f"FAIL  {where}: mlmd {show(expected)} pedigree {show(got)}")
    print(f"filter-diff: {len(distinct)} distinct queries, {comparisons} comparisons with ml-metadata "
          f"({errors_agreed} rejected by both), {outside_rejected}/{outside_total} outside the grammar rejected, "
          f"{failures} failed, {time.time() - start:.1f}s"
          + (f"; {dialect} where the library's SQL means something else on the server than on "
             f"SQLite (DIALECT lines)" if args.twin else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
