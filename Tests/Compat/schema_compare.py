"""Compares the schema objects (tables, indexes, their SQL) of two SQLite files.

    schema_compare.py LIBRARY.sqlite PEDIGREE.sqlite

Exit 0 when both hold the same tables and indexes with the same SQL text, 1 otherwise.
"""
import sqlite3
import sys


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
    (lib, lib_version), (ped, ped_version) = schema(sys.argv[1]), schema(sys.argv[2])
    ok = True
    if lib_version != ped_version:
        print(f"MLMDEnv differs: library {lib_version}, pedigree {ped_version}")
        ok = False
    lib_by_name = {r[1]: r for r in lib}
    ped_by_name = {r[1]: r for r in ped}
    for name in sorted(set(lib_by_name) | set(ped_by_name)):
        a, b = lib_by_name.get(name), ped_by_name.get(name)
        if a != b:
            ok = False
            print(f"{name}:\n  library:  {a}\n  pedigree: {b}")
    print(f"schema: {len(lib)} objects in the library's file, {len(ped)} in Pedigree's; "
          + ("identical" if ok else "different"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
