"""Rewrite an interchange file so that every id is large.

Usage: $PY large_ids.py IN.jsonl OUT.jsonl [--int32]

The real library cannot choose ids, so a store with large ids is made by
Pedigree's import of the rewritten file and then read back by the library.
Each id space gets its own offset, all above 2**33, so that an id cut to 32
bits or looked up in the wrong table shows up. The nine built-in mlmd.* types
keep their ids: every new store already has them, and import accepts them only
when identical. All references are rewritten with the ids they point to.

--int32 keeps every id below 2**31, for MySQL and PostgreSQL, whose id columns
are 32-bit integers in the library's schema: each id space gets its own offset
from 2**24 to 2**30 (the input's ids must stay below 2**24), so that an id
looked up in the wrong table still shows up.
"""

import argparse
import json
import sys

OFFSETS = {
    "type": 2**34,
    "artifact": 2**40,
    "execution": 2**41,
    "context": 2**42,
    "event": 2**36,
    "attribution": 2**37,
    "association": 2**38,
}
OFFSETS_INT32 = {
    "type": 2**24,
    "event": 2**25,
    "attribution": 2**26,
    "association": 2**27,
    "artifact": 2**28,
    "execution": 2**29,
    "context": 2**30,
}
BUILTIN_TYPES = {"mlmd.Dataset", "mlmd.Model", "mlmd.Metrics", "mlmd.Statistics", "mlmd.Train",
                 "mlmd.Transform", "mlmd.Process", "mlmd.Evaluate", "mlmd.Deploy"}
# field -> the id space it refers to
REFERENCES = {
    "type_id": "type",
    "artifact_id": "artifact",
    "execution_id": "execution",
    "context_id": "context",
    "child_id": "context",
    "parent_id": "context",
}


def shift(space, value, builtin_type_ids, offsets=OFFSETS):
    if space == "type" and value in builtin_type_ids:
        return value
    if offsets is OFFSETS_INT32 and not 0 < value < 2**24:
        raise ValueError(f"{space} id {value}: --int32 needs ids below 2**24")
    return value + offsets[space]


def rewrite(records, offsets=OFFSETS):
    builtin_type_ids = {r["id"] for r in records
                        if r["record"] == "type" and r["name"] in BUILTIN_TYPES}
    out = []
    for rec in records:
        rec = dict(rec)
        kind = rec["record"]
        if "id" in rec and kind in OFFSETS:
            rec["id"] = shift(kind, rec["id"], builtin_type_ids, offsets)
        for field, space in REFERENCES.items():
            if field in rec:
                rec[field] = shift(space, rec[field], builtin_type_ids, offsets)
        out.append(rec)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", help="interchange file to read")
    parser.add_argument("dst", help="interchange file to write")
    parser.add_argument("--int32", action="store_true",
                        help="ids below 2**31 (the id columns of MySQL and PostgreSQL)")
    args = parser.parse_args(argv)
    with open(args.src, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    with open(args.dst, "w", encoding="utf-8", newline="\n") as f:
        for rec in rewrite(records, OFFSETS_INT32 if args.int32 else OFFSETS):
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
