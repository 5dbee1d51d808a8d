#!/usr/bin/env python3
"""The real ml-metadata 1.17.1 client against the private MariaDB and PostgreSQL servers.

Run after `Scripts/dbservers.sh start DIR` (see `make dbserver-smoke`):

    .venv/bin/python Tests/Compat/dbserver_smoke.py [--env DIR/env] [--dump-ddl]

Reads PEDIGREE_MYSQL_URL, PEDIGREE_POSTGRES_URL and MARIADB_SOCKET from the environment (or from
the `export` lines of --env). On each server, in a fresh database, the library creates its own
schema; then the script writes an artifact type, an artifact with every kind of property, an
execution, an event, a context with an attribution and an association, reads them back through
the library and exits 1 on any mismatch. MariaDB is used over TCP and over its unix socket
(ConnectionConfig.mysql.socket).

--dump-ddl writes what the library created to /tmp/mlmd-ddl-mysql.sql and
/tmp/mlmd-ddl-postgres.sql (SHOW CREATE TABLE / pg_dump --schema-only, MLMDEnv, the indexes, the
columns, and the raw property rows of a struct, a proto, a bool and doubles), using the
`mariadb` and `pg_dump`/`psql` command-line clients. The name is not test_*.py on purpose: the
compat suite's pytest run does not collect it; it needs the servers.
"""

import argparse
import math
import os
import shutil
import subprocess
import sys
import uuid
from urllib.parse import urlparse

from google.protobuf import struct_pb2
from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print(f"  MISMATCH: {what}", file=sys.stderr)


def load_env(path):
    """Reads `export NAME=VALUE` lines into os.environ (values without quotes, as dbservers.sh writes)."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export ") and "=" in line:
                name, value = line[len("export "):].split("=", 1)
                os.environ.setdefault(name, value.strip("'\""))


def parse_url(name):
    url = os.environ.get(name)
    if not url:
        sys.exit(f"dbserver_smoke: {name} is not set (source DIR/env of Scripts/dbservers.sh start DIR)")
    u = urlparse(url)
    return u.hostname or "127.0.0.1", u.port, u.username or "", u.password or ""


def fresh_name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------------------------------
# What is written and read back


def struct_of(d):
    s = struct_pb2.Struct()
    s.update(d)
    return s


def exercise(store, label):
    """Writes one small lineage through the library and checks it reads back the same."""
    print(f"[{label}] schema created; writing")

    # Types with every property kind.
    at = mlmd.ArtifactType(name="SmokeDataset", version="1", description="smoke")
    for pname, ptype in [("i", mlmd.INT), ("d", mlmd.DOUBLE), ("s", mlmd.STRING),
                         ("st", mlmd.STRUCT), ("p", mlmd.PROTO), ("b", mlmd.BOOLEAN)]:
        at.properties[pname] = ptype
    at.base_type = mlmd.ArtifactType.DATASET
    at_id = store.put_artifact_type(at)

    et = mlmd.ExecutionType(name="SmokeTrainer")
    et.properties["step"] = mlmd.INT
    et_id = store.put_execution_type(et)

    ct = mlmd.ContextType(name="SmokeRun")
    ct.properties["owner"] = mlmd.STRING
    ct_id = store.put_context_type(ct)

    packed_type = mlmd.ArtifactType(name="packed-in-an-Any", id=99)

    a = mlmd.Artifact(type_id=at_id, name="dataset-1", uri="file:///data/1", external_id="ext-a-1",
                      state=mlmd.Artifact.LIVE)
    a.properties["i"].int_value = -(2 ** 31)  # MySQL's int_value is INT (32 bits)
    a.properties["d"].double_value = 2.5
    a.properties["s"].string_value = "héllo, wörld \U0001F389"
    a.properties["st"].struct_value.CopyFrom(struct_of({"k": "v", "n": 3.0, "l": [1.0, "x", True]}))
    a.properties["p"].proto_value.Pack(packed_type)
    a.properties["b"].bool_value = True
    a.custom_properties["c_int"].int_value = 7
    a.custom_properties["c_str"].string_value = ""
    a.custom_properties["c_bool"].bool_value = False
    a.custom_properties["c_struct"].struct_value.CopyFrom(struct_of({"nested": {"a": 1.0}}))
    [a_id] = store.put_artifacts([a])

    e = mlmd.Execution(type_id=et_id, name="train-1", last_known_state=mlmd.Execution.RUNNING)
    e.properties["step"].int_value = 3
    e.custom_properties["lr"].double_value = 0.125
    [e_id] = store.put_executions([e])

    ev = mlmd.Event(artifact_id=a_id, execution_id=e_id, type=mlmd.Event.OUTPUT,
                    milliseconds_since_epoch=1_700_000_000_123)
    ev.path.steps.add().key = "examples"
    ev.path.steps.add().index = 0
    store.put_events([ev])

    c = mlmd.Context(type_id=ct_id, name="run-1")
    c.properties["owner"].string_value = "ci"
    [c_id] = store.put_contexts([c])
    store.put_attributions_and_associations(
        [mlmd.Attribution(artifact_id=a_id, context_id=c_id)],
        [mlmd.Association(execution_id=e_id, context_id=c_id)])

    # Read back.
    print(f"[{label}] reading back")
    got_at = store.get_artifact_type("SmokeDataset", "1")
    check(got_at.id == at_id, f"{label}: artifact type id {got_at.id} != {at_id}")
    check(dict(got_at.properties) == dict(at.properties), f"{label}: artifact type properties {dict(got_at.properties)}")
    check(got_at.base_type == mlmd.ArtifactType.DATASET, f"{label}: base_type {got_at.base_type}")
    check(got_at.version == "1" and got_at.description == "smoke", f"{label}: type version/description")

    [ga] = store.get_artifacts_by_id([a_id])
    for field in ("type_id", "name", "uri", "external_id", "state"):
        check(getattr(ga, field) == getattr(a, field), f"{label}: artifact {field} {getattr(ga, field)!r} != {getattr(a, field)!r}")
    check(ga.type == "SmokeDataset", f"{label}: artifact type name {ga.type!r}")
    check(ga.create_time_since_epoch > 0 and ga.last_update_time_since_epoch > 0, f"{label}: artifact times")
    for key in a.properties:
        check(ga.properties[key] == a.properties[key],
              f"{label}: property {key}: {ga.properties[key]} != {a.properties[key]}")
    check(set(ga.properties) == set(a.properties), f"{label}: property keys {set(ga.properties)}")
    for key in a.custom_properties:
        check(key in ga.custom_properties and ga.custom_properties[key] == a.custom_properties[key],
              f"{label}: custom property {key}: {ga.custom_properties.get(key)} != {a.custom_properties[key]}")
    check(set(ga.custom_properties) == set(a.custom_properties), f"{label}: custom keys {set(ga.custom_properties)}")
    unpacked = mlmd.ArtifactType()
    check(ga.properties["p"].proto_value.Unpack(unpacked) and unpacked == packed_type, f"{label}: proto_value unpack")

    [ge] = store.get_executions_by_id([e_id])
    check(ge.name == "train-1" and ge.last_known_state == mlmd.Execution.RUNNING, f"{label}: execution {ge}")
    check(ge.properties["step"].int_value == 3, f"{label}: execution property step")
    check(ge.custom_properties["lr"].double_value == 0.125, f"{label}: execution custom lr")

    events = store.get_events_by_execution_ids([e_id])
    check(len(events) == 1, f"{label}: {len(events)} events")
    if events:
        g = events[0]
        check((g.artifact_id, g.execution_id, g.type, g.milliseconds_since_epoch)
              == (a_id, e_id, mlmd.Event.OUTPUT, 1_700_000_000_123), f"{label}: event {g}")
        check(g.path == ev.path, f"{label}: event path {g.path}")
    check(len(store.get_events_by_artifact_ids([a_id])) == 1, f"{label}: events by artifact")

    [gc] = store.get_contexts_by_id([c_id])
    check(gc.name == "run-1" and gc.properties["owner"].string_value == "ci", f"{label}: context {gc}")
    check([x.id for x in store.get_contexts_by_artifact(a_id)] == [c_id], f"{label}: contexts by artifact")
    check([x.id for x in store.get_contexts_by_execution(e_id)] == [c_id], f"{label}: contexts by execution")
    check([x.id for x in store.get_artifacts_by_context(c_id)] == [a_id], f"{label}: artifacts by context")
    check([x.id for x in store.get_executions_by_context(c_id)] == [e_id], f"{label}: executions by context")

    # An update through the library, and a filter query (the SQL the library generates per backend).
    ga.properties["i"].int_value = 5
    ga.custom_properties["c_int"].int_value = 8
    store.put_artifacts([ga])
    [gb] = store.get_artifacts_by_id([a_id])
    check(gb.properties["i"].int_value == 5 and gb.custom_properties["c_int"].int_value == 8, f"{label}: update")
    found = store.get_artifacts(list_options=metadata_store.ListOptions(
        filter_query="properties.i.int_value = 5 AND contexts_a.name = 'run-1'"))
    check([x.id for x in found] == [a_id], f"{label}: filter query found {[x.id for x in found]}")

    # Facts, not checks: values the SQL columns or the SQL text cannot hold exactly.
    facts = {}
    probe = mlmd.Artifact(type_id=at_id, name="doubles")
    probe.custom_properties["third"].double_value = 1 / 3
    probe.custom_properties["tiny"].double_value = 1.5e-7
    probe.custom_properties["big"].double_value = 2.0 ** 70
    [p_id] = store.put_artifacts([probe])
    [gp] = store.get_artifacts_by_id([p_id])
    facts["doubles"] = {k: repr(gp.custom_properties[k].double_value) for k in ("third", "tiny", "big")}
    for name, key, setter in [
            ("nan", "nan", lambda v: setattr(v, "double_value", math.nan)),
            ("int64", "wide", lambda v: setattr(v, "int_value", 2 ** 40)),
            ("int64max", "max", lambda v: setattr(v, "int_value", 2 ** 63 - 1))]:
        x = mlmd.Artifact(type_id=at_id, name=f"probe-{name}")
        setter(x.custom_properties[key])
        try:
            [x_id] = store.put_artifacts([x])
            try:
                [gx] = store.get_artifacts_by_id([x_id])
                facts[name] = f"written (id {x_id}); reads back as {gx.custom_properties[key]}".strip()
            except errors.StatusError as ex:
                facts[name] = f"written (id {x_id}); reading it back fails: {type(ex).__name__}: {ex}"
        except errors.StatusError as ex:
            facts[name] = f"put_artifacts fails: {type(ex).__name__}: {str(ex)[:300]}"
    for k, v in facts.items():
        print(f"[{label}] fact: {k}: {v}")
    return {"artifact": a_id, "doubles": p_id}


# ---------------------------------------------------------------------------------------------
# Backends


def mysql_config(db, socket=None):
    host, port, user, password = parse_url("PEDIGREE_MYSQL_URL")
    cfg = mlmd.ConnectionConfig()
    cfg.mysql.database = db
    cfg.mysql.user = user
    cfg.mysql.password = password
    if socket:
        cfg.mysql.socket = socket
    else:
        cfg.mysql.host = host
        cfg.mysql.port = port
    return cfg


def postgres_config(db):
    host, port, user, password = parse_url("PEDIGREE_POSTGRES_URL")
    cfg = mlmd.ConnectionConfig()
    cfg.postgresql.host = host
    cfg.postgresql.port = str(port)
    cfg.postgresql.user = user
    cfg.postgresql.password = password
    cfg.postgresql.dbname = db
    return cfg


def tool(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
        for d in ("/usr/lib/postgresql/15/bin", "/usr/sbin"):
            if os.path.exists(os.path.join(d, n)):
                return os.path.join(d, n)
    raise SystemExit(f"dbserver_smoke: none of {names} found")


def mysql_cli(db, sql):
    host, port, user, password = parse_url("PEDIGREE_MYSQL_URL")
    cmd = [tool("mariadb", "mysql"), "--no-defaults", "--protocol=TCP", "-h", host, "-P", str(port),
           "-u", user, f"-p{password}", "--batch", "--raw"]
    if db:
        cmd.append(db)
    return subprocess.run(cmd + ["-e", sql], check=True, capture_output=True, text=True).stdout


def pg_env():
    host, port, user, password = parse_url("PEDIGREE_POSTGRES_URL")
    return dict(os.environ, PGHOST=host, PGPORT=str(port), PGUSER=user, PGPASSWORD=password)


def psql(db, sql):
    return subprocess.run([tool("psql"), "-X", "-P", "null=NULL", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True, text=True, env=pg_env()).stdout


# ---------------------------------------------------------------------------------------------
# The DDL dumps


def dump_mysql(db, ids, path):
    out = [f"-- What ml-metadata 1.17.1 created on {mysql_cli(None, 'SELECT VERSION()').split()[-1]}",
           f"-- database {db}; server variables:",
           *("--   " + l for l in mysql_cli(None, "SELECT @@lower_case_table_names, @@character_set_server, "
                                           "@@collation_server, @@sql_mode, @@default_storage_engine").splitlines()),
           "", "-- SHOW TABLES (names as stored)"]
    tables = mysql_cli(db, "SHOW TABLES").split("\n")[1:]
    tables = [t for t in tables if t]
    out += ["--   " + t for t in tables]
    out.append("")
    for t in tables:
        create = mysql_cli(db, f"SHOW CREATE TABLE `{t}`").split("\n", 1)[1]
        # --batch --raw output: "name<TAB>create statement"; the statement keeps its newlines.
        out.append(create.split("\t", 1)[1].rstrip("\n") + ";")
        out.append("")
    out.append("-- SELECT * FROM MLMDEnv")
    out += ["--   " + l for l in mysql_cli(db, "SELECT * FROM MLMDEnv").splitlines()]
    out.append("")
    out.append("-- indexes: information_schema.STATISTICS")
    out += ["--   " + l for l in mysql_cli(db,
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE "
            f"FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db}' "
            "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX").splitlines()]
    out.append("")
    out.append("-- columns: information_schema.COLUMNS")
    out += ["--   " + l for l in mysql_cli(db,
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA "
            f"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' "
            "ORDER BY TABLE_NAME, ORDINAL_POSITION").splitlines()]
    out.append("")
    out += ["-- note: the library connects with the connector's default character set, latin1, so the",
            "-- UTF-8 bytes it sends are stored double-encoded in these utf8mb4 columns (see the HEX",
            "-- of 's' below); the mariadb client shows them as such.", ""]
    out += raw_rows(lambda sql: mysql_cli(db, sql), ids,
                    ("Artifact", "ArtifactProperty", "Event", "EventPath", "ParentType", "Attribution", "Association"),
                    "SELECT name, HEX(string_value), HEX(proto_value) FROM {prop} "
                    "WHERE artifact_id = {id} AND name IN ('s', 'p', 'c_struct')")
    out += ["-- SELECT * FROM Type ORDER BY id"] + ["--   " + l for l in mysql_cli(db, "SELECT * FROM Type ORDER BY id").splitlines()]
    out += ["", "-- SELECT * FROM TypeProperty ORDER BY type_id, name"]
    out += ["--   " + l for l in mysql_cli(db, "SELECT * FROM TypeProperty ORDER BY type_id, name").splitlines()]
    write(path, out)


def dump_postgres(db, ids, path):
    version = psql(db, "SHOW server_version").splitlines()[2].strip()
    schema = subprocess.run([tool("pg_dump"), "--schema-only", "--no-owner", "-d", db],
                            check=True, capture_output=True, text=True, env=pg_env()).stdout
    out = [f"-- What ml-metadata 1.17.1 created on PostgreSQL {version}, database {db}",
           "-- pg_dump --schema-only --no-owner", "", schema.rstrip(), "",
           "-- SELECT * FROM mlmdenv"]
    out += ["--   " + l for l in psql(db, "SELECT * FROM mlmdenv").splitlines()]
    out.append("")
    out.append("-- tables as stored (pg_tables)")
    out += ["--   " + l for l in psql(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").splitlines()]
    out.append("")
    out.append("-- indexes (pg_indexes)")
    out += ["--   " + l for l in psql(db, "SELECT tablename, indexname, indexdef FROM pg_indexes "
                                         "WHERE schemaname = 'public' ORDER BY 1, 2").splitlines()]
    out.append("")
    out.append("-- columns (information_schema.columns)")
    out += ["--   " + l for l in psql(db, "SELECT table_name, column_name, data_type, is_nullable, column_default "
                                         "FROM information_schema.columns WHERE table_schema = 'public' "
                                         "ORDER BY table_name, ordinal_position").splitlines()]
    out.append("")
    out += raw_rows(lambda sql: psql(db, sql), ids,
                    ("artifact", "artifactproperty", "event", "eventpath", "parenttype", "attribution", "association"),
                    "SELECT name, encode(convert_to(string_value, 'UTF8'), 'hex') AS string_hex, "
                    "encode(proto_value, 'hex') AS proto_hex FROM {prop} "
                    "WHERE artifact_id = {id} AND name IN ('s', 'p', 'c_struct')")
    out += ["-- SELECT * FROM type ORDER BY id"] + ["--   " + l for l in psql(db, "SELECT * FROM type ORDER BY id").splitlines()]
    out += ["", "-- SELECT * FROM typeproperty ORDER BY type_id, name"]
    out += ["--   " + l for l in psql(db, "SELECT * FROM typeproperty ORDER BY type_id, name").splitlines()]
    write(path, out)


def raw_rows(run, ids, tables, hex_sql):
    """The rows the library wrote: the artifacts, events, links and the smoke artifact's and
    the doubles probe's properties, and the bytes of a UTF-8 string, a proto and a struct."""
    art, prop, event, evpath, parent, attr, assoc = tables
    out = ["-- raw rows written by the library"]
    ids_in = f"({ids['artifact']}, {ids['doubles']})"
    for sql in (f"SELECT * FROM {prop} WHERE artifact_id IN {ids_in} ORDER BY artifact_id, is_custom_property, name",
                hex_sql.format(prop=prop, id=ids["artifact"]),
                f"SELECT * FROM {art} ORDER BY id",
                f"SELECT * FROM {event} ORDER BY id",
                f"SELECT * FROM {evpath}",
                f"SELECT * FROM {parent}",
                f"SELECT * FROM {attr}",
                f"SELECT * FROM {assoc}"):
        out.append(f"-- {sql}")
        out += ["--   " + l for l in run(sql).splitlines()]
        out.append("")
    return out


def write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--env", help="a DIR/env file written by Scripts/dbservers.sh start DIR")
    ap.add_argument("--dump-ddl", action="store_true", help="write the schema the library created")
    ap.add_argument("--mysql-ddl", default="/tmp/mlmd-ddl-mysql.sql")
    ap.add_argument("--postgres-ddl", default="/tmp/mlmd-ddl-postgres.sql")
    ap.add_argument("--keep", action="store_true", help="keep the databases (default: drop them)")
    args = ap.parse_args()
    if args.env:
        load_env(args.env)

    my_db = fresh_name("mlmd_smoke")
    my_sock_db = fresh_name("mlmd_smoke_sock")
    pg_db = fresh_name("mlmd_smoke")

    # MariaDB over TCP: the library creates the database and its schema.
    store = metadata_store.MetadataStore(mysql_config(my_db))
    my_ids = exercise(store, "mariadb tcp")
    del store
    # Over the unix socket: a second fresh database, and the first one read back.
    socket = os.environ.get("MARIADB_SOCKET")
    if socket:
        store = metadata_store.MetadataStore(mysql_config(my_sock_db, socket=socket))
        exercise(store, "mariadb socket")
        again = metadata_store.MetadataStore(mysql_config(my_db, socket=socket))
        [ga] = again.get_artifacts_by_id([my_ids["artifact"]])
        check(ga.name == "dataset-1", "mariadb socket: reading the TCP database")
        del store, again
    else:
        print("MARIADB_SOCKET not set: socket connection not tried", file=sys.stderr)

    # PostgreSQL: the library creates the database (dbname) and its schema.
    store = metadata_store.MetadataStore(postgres_config(pg_db))
    pg_ids = exercise(store, "postgresql")
    del store
    # A second connection to the existing database: the library finds its schema (no re-creation).
    store = metadata_store.MetadataStore(postgres_config(pg_db))
    check(store.get_artifact_type("SmokeDataset", "1").name == "SmokeDataset", "postgresql: reopen")
    del store

    if args.dump_ddl:
        dump_mysql(my_db, my_ids, args.mysql_ddl)
        dump_postgres(pg_db, pg_ids, args.postgres_ddl)

    if not args.keep:
        for db in (my_db, my_sock_db):
            mysql_cli(None, f"DROP DATABASE IF EXISTS `{db}`")
        psql("postgres", f'DROP DATABASE IF EXISTS "{pg_db}"')

    if FAILURES:
        print(f"dbserver_smoke: {len(FAILURES)} mismatches", file=sys.stderr)
        return 1
    print("dbserver_smoke: MariaDB (tcp, socket) and PostgreSQL read back what the library wrote")
    return 0


if __name__ == "__main__":
    sys.exit(main())
