"""Tests of the compatibility tools themselves, against the real ml-metadata library.

Run: $PY -m pytest Tests/Compat
"""

import copy
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import check_stats
import compare
import edge_values
import large_ids
import mlmd_dump
import mlmd_location
import write_fixture

HERE = Path(__file__).parent
TABLES = {"type": "Type", "artifact": "Artifact", "execution": "Execution", "context": "Context",
          "event": "Event", "attribution": "Attribution", "association": "Association",
          "parent_context": "ParentContext"}


def run(script, *args):
    return subprocess.run([sys.executable, str(HERE / script), *map(str, args)],
                          capture_output=True, text=True)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A fixture store and its dump: (db path, jsonl path)."""
    tmp = tmp_path_factory.mktemp("compat")
    db, out = tmp / "a.sqlite", tmp / "a.jsonl"
    assert run("write_fixture.py", db, "--seed", 3, "--runs", 3).returncode == 0
    result = run("mlmd_dump.py", db, out)
    assert result.returncode == 0, result.stderr
    return db, out


@pytest.fixture
def records(store):
    return compare.load(store[1])


def diffs(a, b, strict_ids=False):
    return compare.compare(a, b, strict_ids)[0]


def find(records, kind, **match):
    for _, rec in records:
        if rec["record"] == kind and all(rec.get(k) == v for k, v in match.items()):
            return rec
    raise LookupError(f"no {kind} with {match}")


# --- mlmd_dump ---

def test_dump_leaves_the_file_alone_and_is_repeatable(store, tmp_path):
    db, out = store
    before = digest(db)
    again = tmp_path / "again.jsonl"
    assert run("mlmd_dump.py", db, again).returncode == 0
    assert digest(db) == before
    assert again.read_bytes() == out.read_bytes()


def test_dump_has_every_row_of_every_table(store):
    db, out = store
    kinds = [json.loads(line)["record"] for line in out.read_text(encoding="utf-8").splitlines()]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for kind, table in TABLES.items():
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert kinds.count(kind) == rows, kind
    assert kinds[0] == "header"


def test_dump_follows_the_documented_line_order(store):
    order = ["header", "type", "artifact", "execution", "context", "event", "attribution",
             "association", "parent_context"]
    lines = [json.loads(line) for line in store[1].read_text(encoding="utf-8").splitlines()]
    ranks = [order.index(rec["record"]) for rec in lines]
    assert ranks == sorted(ranks)
    for kind in ("type", "artifact", "execution", "context"):
        ids = [rec["id"] for rec in lines if rec["record"] == kind]
        assert ids == sorted(ids)


def test_dump_keeps_absent_and_empty_apart(records):
    nodes = [r for _, r in records if r["record"] in ("artifact", "execution")]
    assert any("name" not in r and "state" not in r for r in nodes if r["record"] == "artifact")
    assert any("name" not in r and "last_known_state" not in r
               for r in nodes if r["record"] == "execution")
    empty = find(records, "execution", external_id="execution:empty-name")
    assert empty["name"] == "" and empty["last_known_state"] == "UNKNOWN"
    assert find(records, "artifact", name="external-empty")["external_id"] == ""
    assert find(records, "type", name="Schema")["description"] == ""
    assert "description" not in find(records, "type", name="TransformGraph")


def test_dump_values_of_every_kind(records):
    custom = find(records, "artifact", name="")["custom_properties"]
    assert custom["int64_max"] == {"int": 2**63 - 1}
    assert custom["int64_min"] == {"int": -2**63}
    assert custom["big_double"] == {"double": 1e300}
    assert custom["flag_false"] == {"bool": False}
    assert custom["empty"] == {"string": ""}
    assert custom["struct"]["struct"]["list"] == [1.0, 2.5, None, True, "x", {"nested": []}]
    assert custom["proto_raw"] == {"proto": {"type_url": "type.googleapis.com/tfx.Opaque",
                                             "value": "AP8BgAoA"}}
    types = {r["name"]: r for _, r in records if r["record"] == "type"}
    assert {"mlmd.Dataset", "mlmd.Deploy"} <= types.keys()
    assert find(records, "type", name="Trainer")["external_id"] == "type:execution:Trainer"


def test_dump_refuses_a_missing_file(tmp_path):
    result = run("mlmd_dump.py", tmp_path / "none.sqlite", tmp_path / "out.jsonl")
    assert result.returncode == 1
    assert not (tmp_path / "none.sqlite").exists()


def test_double_json_spells_non_finite_values():
    assert mlmd_dump.double_json(float("nan")) == "NaN"
    assert mlmd_dump.double_json(float("inf")) == "Infinity"
    assert mlmd_dump.double_json(float("-inf")) == "-Infinity"
    assert mlmd_dump.double_json(0.5) == 0.5


def test_fixture_only_uses_doubles_the_library_keeps():
    assert write_fixture.library_stable(0.7)
    assert write_fixture.library_stable(1e300)
    assert not write_fixture.library_stable(1 / 3)  # written as 0.333333
    assert not write_fixture.library_stable(1.5e-7)  # written as 0.000000
    assert not write_fixture.library_stable(float("inf"))


# --- compare ---

def test_compare_equal_to_itself_in_any_order(records):
    shuffled = list(reversed(records))
    assert diffs(records, shuffled) == []
    assert diffs(records, records, strict_ids=True) == []


def perturbed(records, kind, change, **match):
    out = copy.deepcopy(records)
    for _, rec in out:
        if rec["record"] == kind and all(rec.get(k) == v for k, v in match.items()):
            change(rec)
            return out
    raise LookupError(match)


def set_custom(name, value):
    return lambda rec: rec["custom_properties"].__setitem__(name, value)


@pytest.mark.parametrize("kind, match, change", [
    ("artifact", {"name": ""}, set_custom("big_double", {"double": 1.0000000000000002e300})),
    ("artifact", {"name": ""}, set_custom("zero", {"double": 0.0})),
    ("artifact", {"name": ""}, set_custom("flag_true", {"int": 1})),
    ("artifact", {"name": ""}, set_custom("empty", {"string": " "})),
    ("artifact", {"name": ""}, set_custom("proto_raw", {"proto": {
        "type_url": "type.googleapis.com/tfx.Opaque", "value": "AP8BgAoB"}})),
    ("artifact", {"name": ""}, set_custom("proto_raw", {"proto": {
        "type_url": "type.googleapis.com/tfx.Other", "value": "AP8BgAoA"}})),
    ("artifact", {"name": ""}, lambda rec: rec["custom_properties"]["struct"]["struct"]
     .__setitem__("neg", 7)),
    ("artifact", {"name": ""}, lambda rec: rec["custom_properties"]["struct"]["struct"]
     ["list"].__setitem__(3, 1)),
    ("artifact", {"name": ""}, lambda rec: rec["custom_properties"].pop("empty")),
    ("artifact", {"name": ""}, lambda rec: rec.pop("name")),
    ("artifact", {"name": ""}, lambda rec: rec.__setitem__("state", "DELETED")),
    ("artifact", {"name": ""}, lambda rec: rec.__setitem__("create_time_since_epoch", 1)),
    ("type", {"name": "Trainer"}, lambda rec: rec["properties"].__setitem__("hparams", "STRING")),
    ("type", {"name": "Trainer"}, lambda rec: rec.__setitem__("kind", "artifact")),
    ("event", {"type": "PENDING_OUTPUT"}, lambda rec: rec["path"][1].__setitem__("index", 1)),
    ("event", {"type": "PENDING_OUTPUT"}, lambda rec: rec.pop("path")),
    ("event", {"type": "PENDING_OUTPUT"}, lambda rec: rec.__setitem__("type", "OUTPUT")),
    ("parent_context", {}, lambda rec: rec.__setitem__("parent_id", rec["parent_id"] + 1)),
])
def test_compare_finds_each_change(records, kind, match, change):
    changed = perturbed(records, kind, change, **match)
    assert diffs(records, changed)
    assert diffs(changed, records)


def test_compare_finds_missing_and_duplicate_records(records):
    assert diffs(records, records[:-1])
    assert diffs(records, records + records[-1:])


def test_compare_equal_forms(records):
    def loosen(rec):
        c = rec["custom_properties"]
        c["neg_double"] = {"double": -2.5}
        c["zero_double"] = {"double": -0.0}  # SQLite cannot keep -0.0
        c["big_double"] = {"double": 1e300}
        c["struct"]["struct"]["neg"] = -7  # 1 == 1.0 inside structs
        rec["custom_properties"] = dict(reversed(c.items()))
    assert diffs(records, perturbed(records, "artifact", loosen, name="")) == []
    no_props = perturbed(records, "execution", lambda rec: rec.__setitem__("properties", {}),
                         name="Evaluator@0")
    with_props = perturbed(no_props, "execution", lambda rec: rec.pop("properties"),
                           name="Evaluator@0")
    assert diffs(no_props, with_props) == []


def test_compare_non_finite_doubles():
    def artifact(value):
        return [(1, {"record": "artifact", "id": 1, "type_id": 10,
                     "custom_properties": {"x": {"double": value}}})]
    assert diffs(artifact("NaN"), artifact("NaN")) == []
    assert diffs(artifact("Infinity"), artifact("Infinity")) == []
    assert diffs(artifact("NaN"), artifact("Infinity"))
    assert diffs(artifact("-Infinity"), artifact("Infinity"))
    assert diffs(artifact("nan"), artifact("nan"))  # not a spelling the format allows


def test_compare_event_ids_only_when_strict(records):
    def with_ids(start):
        out = copy.deepcopy(records)
        for n, (_, rec) in enumerate(r for r in out if r[1]["record"] in compare.UNNUMBERED):
            rec["id"] = start + n
        return out
    assert diffs(with_ids(1), with_ids(100)) == []
    assert diffs(with_ids(1), with_ids(100), strict_ids=True)
    assert diffs(records, with_ids(1), strict_ids=True)


def test_compare_cli(store, tmp_path):
    _, ref = store
    assert run("compare.py", ref, ref).returncode == 0
    lines = ref.read_text(encoding="utf-8").splitlines()
    timeless = [json.dumps({k: v for k, v in json.loads(line).items()
                            if k != "create_time_since_epoch"}) for line in lines]
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(timeless) + "\n", encoding="utf-8")
    result = run("compare.py", ref, other)
    assert result.returncode == 1
    shown = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(shown) == compare.SHOWN + 1 and shown[-1].startswith("  ... and ")
    assert result.stdout.splitlines()[-1].startswith("compare: ")

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"record":"artifact","id":1,"type_id":2,"custom_properties":'
                   '{"x":{"double":NaN}}}\n', encoding="utf-8")
    assert run("compare.py", ref, bad).returncode == 2
    bad.write_text('{"record":"artifact","id":1,"id":2,"type_id":2}\n', encoding="utf-8")
    assert run("compare.py", ref, bad).returncode == 2
    bad.write_text('{"record":"artefact","id":1}\n', encoding="utf-8")
    assert run("compare.py", ref, bad).returncode == 2


# --- large_ids and edge_values ---

def referenced(records):
    """(space, id) pairs that records point to, and those they define."""
    defined, used = set(), set()
    for rec in records:
        if "id" in rec and rec["record"] in ("type", "artifact", "execution", "context"):
            defined.add((rec["record"], rec["id"]))
        for field, space in large_ids.REFERENCES.items():
            if field in rec:
                used.add((space, rec[field]))
    return defined, used


def test_large_ids_are_large_and_consistent(store):
    original = [rec for _, rec in compare.load(store[1])]
    shifted = large_ids.rewrite(original)
    defined, used = referenced(shifted)
    assert used <= defined
    for rec in shifted:
        if rec["record"] == "type" and rec["name"] in large_ids.BUILTIN_TYPES:
            assert rec["id"] < 10
        elif "id" in rec:
            assert rec["id"] > 2**33
    spaces = {space: {i for s, i in defined if s == space} for space in large_ids.OFFSETS}
    assert not spaces["artifact"] & spaces["execution"]
    unshift = lambda rec: {k: v for k, v in rec.items()  # noqa: E731
                           if k != "id" and k not in large_ids.REFERENCES}
    assert [unshift(r) for r in shifted] == [unshift(r) for r in original]


def test_edge_values_extend_the_file_consistently(store, tmp_path):
    out = tmp_path / "edge.jsonl"
    assert run("edge_values.py", store[1], out).returncode == 0
    edge = compare.load(out)
    added = diffs(compare.load(store[1]), edge)
    assert added and all(": only in B: " in line for line in added)
    defined, used = referenced([rec for _, rec in edge])
    assert used <= defined
    kinds = [rec["record"] for _, rec in edge]
    order = list(edge_values.SECTION)
    assert [order.index(k) for k in kinds] == sorted(order.index(k) for k in kinds)


def test_large_ids_int32_fit_the_servers_id_columns(store):
    original = [rec for _, rec in compare.load(store[1])]
    shifted = large_ids.rewrite(original, large_ids.OFFSETS_INT32)
    defined, used = referenced(shifted)
    assert used <= defined
    ids = [rec["id"] for rec in shifted if "id" in rec and rec.get("name") not in large_ids.BUILTIN_TYPES]
    assert ids and all(2**24 < i < 2**31 for i in ids)
    spaces = {space: {i for s, i in defined if s == space} for space in large_ids.OFFSETS_INT32}
    assert not spaces["artifact"] & spaces["execution"]
    with pytest.raises(ValueError):
        large_ids.rewrite([{"record": "artifact", "id": 2**24, "type_id": 1}], large_ids.OFFSETS_INT32)


def test_edge_values_finite_has_no_infinity(store, tmp_path):
    out = tmp_path / "edge.jsonl"
    assert run("edge_values.py", "--finite", store[1], out).returncode == 0
    text = out.read_text()
    assert "Infinity" not in text and "NaN" not in text and "1e+308" in text


# --- mlmd_location ---

def test_location_sqlite_config_as_before():
    config = mlmd_location.connection_config("a/b.sqlite", mlmd_location.READWRITE_OPENCREATE)
    assert config.WhichOneof("config") == "sqlite"
    assert config.sqlite.filename_uri == "a/b.sqlite"
    assert config.sqlite.connection_mode == mlmd_location.READWRITE_OPENCREATE
    assert not mlmd_location.is_server("a/b.sqlite") and not mlmd_location.is_server(":memory:")


def test_location_mysql_and_postgresql(monkeypatch):
    monkeypatch.delenv("PEDIGREE_DB_PASSWORD", raising=False)
    my = mlmd_location.connection_config("mysql://u:p%40ss@db.host:3307/meta")
    assert (my.mysql.host, my.mysql.port, my.mysql.database, my.mysql.user, my.mysql.password) == (
        "db.host", 3307, "meta", "u", "p@ss")
    assert my.mysql.skip_db_creation and not my.mysql.socket
    sock = mlmd_location.connection_config("mysql://u:p@localhost/meta?socket=/run/m.sock",
                                           mlmd_location.READWRITE_OPENCREATE)
    assert sock.mysql.socket == "/run/m.sock" and not sock.mysql.host and not sock.mysql.skip_db_creation
    pg = mlmd_location.connection_config("postgresql://u:p@127.0.0.1:5433/meta")
    assert (pg.postgresql.host, pg.postgresql.port, pg.postgresql.dbname, pg.postgresql.user,
            pg.postgresql.password) == ("127.0.0.1", "5433", "meta", "u", "p")
    assert mlmd_location.parse("postgres://u@h/d").port == 5432
    monkeypatch.setenv("PEDIGREE_DB_PASSWORD", "from-env")
    assert mlmd_location.parse("mysql://u@h/d").password == "from-env"
    with pytest.raises(ValueError):
        mlmd_location.parse("mysql://u:p@h:1/")


def test_location_redacts_passwords():
    text = "x mysql://u:s3cr@t@h:1/d?socket=/s y postgresql://v:pw@h:2/e z mysql://w@h/f"
    out = mlmd_location.redact(text)
    assert "s3cr" not in out and "pw@" not in out
    assert out == "x mysql://u:***@h:1/d?socket=/s y postgresql://v:***@h:2/e z mysql://w@h/f"
    assert mlmd_location.redact("/tmp/a.sqlite") == "/tmp/a.sqlite"


# --- write_after and check_stats ---

def test_write_after_on_a_copy(store, tmp_path):
    db = tmp_path / "copy.sqlite"
    db.write_bytes(store[0].read_bytes())
    result = run("write_after.py", db)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_stats(store):
    expected = check_stats.expected_counts(store[1])
    good = {name: expected[name] for name in check_stats.REQUIRED}
    assert check_stats.check(good, expected) == []
    assert check_stats.check({"counts": good}, expected) == []
    assert check_stats.check({**good, "artifacts": good["artifacts"] - 1}, expected)
    assert check_stats.check({**good, "artifact_types": 0}, expected)
    assert check_stats.check({k: v for k, v in good.items() if k != "events"}, expected)
    assert check_stats.check({**good, "types": float(good["types"])}, expected)
    by_type = dict(expected["by_type"], **{"mlmd.Dataset": 0})
    assert check_stats.check({**good, "by_type": by_type}, expected) == []
    assert expected["by_type"]["Model@2.0"] == 1
    by_type["Model@2.0"] = 2
    assert check_stats.check({**good, "by_type": by_type}, expected)
