"""The compat suite's MySQL and PostgreSQL databases, through the `mariadb` and `psql` clients.

    server_db.py exists URL            exit 0 when the database exists, 1 when it does not
    server_db.py drop URL...           drops the databases (missing ones are fine)
    server_db.py snapshot URL OUT      writes every table's rows, the schema and the id counters
    server_db.py schema URL [OUT]      writes the schema as information_schema describes it

A snapshot holds everything a reader could change: the schema (schema()), each table's rows
sorted on every column (as bytes: the library's latin1 double-encoded text stays as stored), the
MySQL AUTO_INCREMENT counters and the PostgreSQL sequences. Two snapshots of a database are
equal when nothing was written in between.

The schema is the part of information_schema a store's schema consists of, without anything the
data changes (AUTO_INCREMENT counters, row counts, sizes): the database's character set and
collation, tables (and MySQL's engine), columns (position, type, nullability, default, MySQL's
extra and character set), indexes with their columns in order, and constraints (primary keys,
unique constraints) with their columns.
Passwords reach the clients through the environment (MYSQL_PWD, PGPASSWORD), never their
command line, and are never printed.
"""

import os
import shutil
import subprocess
import sys

import mlmd_location


class ClientError(Exception):
    pass


def _tool(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise ClientError(f"none of {', '.join(names)} is installed")


def _run(cmd, env, what):
    p = subprocess.run(cmd, capture_output=True, env=env)
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip()
        raise ClientError(mlmd_location.redact(f"{what}: {err}"))
    return p.stdout


def query(db, *sqls, database=None):
    """The rows of the SQL statements, run in order by one client on the server of DB (in DB's
    database unless database is given; "" runs them outside any database), as tuples of bytes;
    NULL is None."""
    s = mlmd_location.parse(db)
    name = s.database if database is None else database
    if s.engine == "mysql":
        cmd = [_tool("mariadb", "mysql"), "--no-defaults", "--batch", "--skip-column-names",
               "--default-character-set=latin1", "-u", s.user]
        cmd += ["--socket", s.socket] if s.socket else ["--protocol=TCP", "-h", s.host, "-P", str(s.port)]
        # No --raw: tabs, newlines and backslashes in values come escaped, NULL as the bare word.
        cmd += ([name] if name else []) + ["-e", ";\n".join(sqls)]
        env = dict(os.environ, MYSQL_PWD=s.password)
        out = _run(cmd, env, f"mariadb {name or '(server)'}")
        null = b"NULL"
    else:
        cmd = [_tool("psql"), "-X", "-q", "-A", "-t", "-F", "\t", "-P", "null=\\N",
               "-v", "ON_ERROR_STOP=1", "-d", name or "postgres"]
        for sql in sqls:
            cmd += ["-c", sql]
        env = dict(os.environ, PGHOST=s.host, PGPORT=str(s.port), PGUSER=s.user,
                   PGPASSWORD=s.password, PGCLIENTENCODING="UTF8")
        out = _run(cmd, env, f"psql {name or 'postgres'}")
        null = b"\\N"
    rows = []
    for line in out.split(b"\n"):
        if line:
            rows.append(tuple(None if v == null else v for v in line.split(b"\t")))
    return rows


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def exists(db):
    s = mlmd_location.parse(db)
    if s.engine == "mysql":
        sql = f"SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {_literal(s.database)}"
    else:
        sql = f"SELECT 1 FROM pg_database WHERE datname = {_literal(s.database)}"
    return bool(query(db, sql, database=""))


def drop(db):
    s = mlmd_location.parse(db)
    if s.engine == "mysql":
        query(db, f"DROP DATABASE IF EXISTS `{s.database}`", database="")
    else:
        query(db, f'DROP DATABASE IF EXISTS "{s.database}" WITH (FORCE)', database="")


def schema_queries(db):
    """The SQL statements that describe the schema of DB's database, one line per table, column,
    index column, constraint column (and PostgreSQL sequence), each line led by what it is;
    the first line is the database's default character set and collation."""
    s = mlmd_location.parse(db)
    if s.engine == "mysql":
        where = f"TABLE_SCHEMA = {_literal(s.database)}"
        return [
            "SELECT 'database', DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
            f"FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {_literal(s.database)}",
            "SELECT 'table', TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS "
            f"FROM information_schema.TABLES WHERE {where} ORDER BY TABLE_NAME",
            "SELECT 'column', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, "
            "COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY "
            f"FROM information_schema.COLUMNS WHERE {where} ORDER BY TABLE_NAME, ORDINAL_POSITION",
            "SELECT 'index', TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, "
            "COLLATION, INDEX_TYPE, NULLABLE "
            f"FROM information_schema.STATISTICS WHERE {where} "
            "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            "SELECT 'constraint', c.TABLE_NAME, c.CONSTRAINT_NAME, c.CONSTRAINT_TYPE, k.ORDINAL_POSITION, "
            "k.COLUMN_NAME FROM information_schema.TABLE_CONSTRAINTS c "
            "LEFT JOIN information_schema.KEY_COLUMN_USAGE k "
            "ON k.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
            "AND k.CONSTRAINT_NAME = c.CONSTRAINT_NAME "
            f"WHERE c.CONSTRAINT_SCHEMA = {_literal(s.database)} "
            "ORDER BY c.TABLE_NAME, c.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        ]
    return [
        "SELECT 'database', pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
        "WHERE datname = current_database()",
        "SELECT 'table', table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'public' ORDER BY table_name",
        "SELECT 'column', table_name, ordinal_position, column_name, data_type, "
        "character_maximum_length, numeric_precision, is_nullable, column_default, is_identity "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "ORDER BY table_name, ordinal_position",
        "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' ORDER BY tablename, indexname",
        "SELECT 'constraint', c.table_name, c.constraint_name, c.constraint_type, k.ordinal_position, "
        "k.column_name FROM information_schema.table_constraints c "
        "LEFT JOIN information_schema.key_column_usage k "
        "ON k.constraint_schema = c.constraint_schema AND k.table_name = c.table_name "
        "AND k.constraint_name = c.constraint_name "
        "WHERE c.constraint_schema = 'public' AND c.constraint_type <> 'CHECK' "
        "ORDER BY c.table_name, c.constraint_name, k.ordinal_position",
        "SELECT 'sequence', sequence_name, data_type, start_value, increment "
        "FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY sequence_name",
    ]


def _line(row):
    return b"\t".join(b"\\N" if v is None else v for v in row)


def schema(db):
    """The schema of DB's database as lines of bytes (schema_queries)."""
    return [_line(row) for row in query(db, *schema_queries(db))]


def snapshot(db):
    """Everything stored in DB's database, as lines of bytes (see the module's text)."""
    s = mlmd_location.parse(db)
    if s.engine == "mysql":
        columns = query(db, "SELECT TABLE_NAME, COUNT(*) FROM information_schema.COLUMNS "
                            f"WHERE TABLE_SCHEMA = {_literal(s.database)} GROUP BY TABLE_NAME ORDER BY TABLE_NAME")
        quote, counters = "`", ("SELECT 'counter', TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                                f"WHERE TABLE_SCHEMA = {_literal(s.database)} ORDER BY TABLE_NAME")
    else:
        columns = query(db, "SELECT table_name, COUNT(*) FROM information_schema.columns "
                            "WHERE table_schema = 'public' GROUP BY table_name ORDER BY table_name")
        quote, counters = '"', ("SELECT 'counter', sequencename, last_value FROM pg_sequences "
                                "WHERE schemaname = 'public' ORDER BY sequencename")
    rows = []
    for table, ncols in columns:
        table, ncols = table.decode(), int(ncols)
        order = ", ".join(str(i) for i in range(2, ncols + 2))  # after the label
        rows.append(f"SELECT {_literal('row ' + table)}, t.* FROM {quote}{table}{quote} t ORDER BY {order}")
    return [_line(row) for row in query(db, *schema_queries(db), *rows, counters)]


def _write(lines, path):
    with open(path, "wb") as f:
        for line in lines:
            f.write(line + b"\n")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    usage = "usage: server_db.py exists URL | drop URL... | snapshot URL OUT | schema URL [OUT]"
    if not argv or argv[0] not in ("exists", "drop", "snapshot", "schema"):
        print(usage, file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    try:
        if command == "exists" and len(args) == 1:
            return 0 if exists(args[0]) else 1
        if command == "drop" and args:
            for db in args:
                drop(db)
            return 0
        if command == "snapshot" and len(args) == 2:
            _write(snapshot(args[0]), args[1])
            return 0
        if command == "schema" and len(args) in (1, 2):
            lines = schema(args[0])
            if len(args) == 2:
                _write(lines, args[1])
            else:
                sys.stdout.buffer.write(b"".join(line + b"\n" for line in lines))
            return 0
    except (ClientError, ValueError) as e:
        print(f"server_db: {mlmd_location.redact(e)}", file=sys.stderr)
        return 1
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
