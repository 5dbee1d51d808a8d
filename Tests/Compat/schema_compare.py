"""Compares the schema objects (tables, indexes, their SQL) of two SQLite files.

    schema_compare.py LIBRARY.sqlite PEDIGREE.sqlite
    schema_compare.py LIBRARY_URL PEDIGREE_URL

Exit 0 when both hold the same tables and indexes with the same SQL text, 1 otherwise.
Two MySQL or two PostgreSQL databases (mlmd_location.py URLs) are compared through
information_schema instead (server_db.schema: tables, columns with their types, nullability
and defaults, indexes with their columns, primary keys and unique constraints with their
columns, sequences), with the rows of MLMDEnv.
"""
import sqlite3
import sys

import mlmd_location


# The fields that name a line of server_db.schema, by what it describes (see there).
SERVER_KEYS = {"database": (), "table": (0,), "sequence": (0,), "column": (0, 2), "index": (0, 1, 3),
               "constraint": (0, 1, 3)}


def server_schema(url):
    import server_db  # the mariadb/psql clients
    lines = server_db.schema(url)
    env = "MLMDEnv" if mlmd_location.parse(url).engine == "mysql" else "mlmdenv"
    version = server_db.query(url, f"SELECT * FROM {env} ORDER BY 1")
    by_name = {}
    for line in lines:
        what, *fields = line.decode("utf-8", "replace").split("\t")
        # what names the line: table [table], column [table, column], index [table, index,
        # position] (PostgreSQL: one line per index), constraint [table, constraint, position]
        names = [fields[i] for i in SERVER_KEYS[what] if i < len(fields)]
        key = f"{what} {'.'.join(names)}"
        if key in by_name:
            raise ValueError(f"{mlmd_location.redact(url)}: two schema lines named {key}")
        by_name[key] = (what, *fields)
    return list(by_name.values()), version, by_name


def schema(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name").fetchall()
        version = con.execute("SELECT schema_version FROM MLMDEnv").fetchall()
    finally:
        con.close()
    return rows, version


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    servers = [mlmd_location.is_server(a) for a in sys.argv[1:3]]
    if any(servers):
        engines = {mlmd_location.parse(a).engine for a in sys.argv[1:3] if mlmd_location.is_server(a)}
        if not all(servers) or len(engines) != 1:
            print("schema_compare: two SQLite files or two databases on the same kind of server",
                  file=sys.stderr)
            return 2
        (lib, lib_version, lib_by_name), (ped, ped_version, ped_by_name) = (
            server_schema(sys.argv[1]), server_schema(sys.argv[2]))
    else:
        (lib, lib_version), (ped, ped_version) = schema(sys.argv[1]), schema(sys.argv[2])
        lib_by_name = {r[1]: r for r in lib}
        ped_by_name = {r[1]: r for r in ped}
    ok = True
    if lib_version != ped_version:
        print(f"MLMDEnv differs: library {lib_version}, pedigree {ped_version}")
        ok = False
    for name in sorted(set(lib_by_name) | set(ped_by_name)):
        a, b = lib_by_name.get(name), ped_by_name.get(name)
        if a != b:
            ok = False
            print(f"{name}:\n  library:  {a}\n  pedigree: {b}")
    where = "database" if any(servers) else "file"
    print(f"schema: {len(lib)} objects in the library's {where}, {len(ped)} in Pedigree's; "
          + ("identical" if ok else "different"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
