"""Compare two interchange files as sets of records.

Usage: $PY compare.py A.jsonl B.jsonl [--strict-ids]

Line order, key order and the header line do not matter. Records are matched
by identity (types and nodes by id, events by artifact, execution and type,
links by their two ends) and compared field by field:
- the `id` of events, attributions and associations is ignored unless
  --strict-ids is given (the MLMD API does not expose it);
- doubles are compared as numbers ("NaN" equals "NaN"; 0.0 equals -0.0,
  which SQLite cannot keep apart);
- struct JSON is compared as parsed JSON where 1 and 1.0 are equal but true
  and 1 are not;
- proto values are compared by type_url and decoded bytes;
- an absent properties map or path equals an empty one.

Prints the first 20 differences and a summary with record counts per kind.
Exits 0 when equal, 1 when different, 2 when a file is malformed.
"""

import argparse
import base64
import binascii
import json
import math
import sys

KINDS = ("type", "artifact", "execution", "context", "event", "attribution", "association",
         "parent_context")
UNNUMBERED = {"event", "attribution", "association"}
IDENTITY = {
    "type": ("id",),
    "artifact": ("id",),
    "execution": ("id",),
    "context": ("id",),
    "event": ("artifact_id", "execution_id", "type"),
    "attribution": ("context_id", "artifact_id"),
    "association": ("context_id", "execution_id"),
    "parent_context": ("child_id", "parent_id"),
}
SHOWN = 20
WIDTH = 160


class Malformed(Exception):
    pass


class Invalid:
    """A value the format does not allow: it equals nothing, itself included."""

    def __eq__(self, other):
        return False

    __hash__ = None


def reject_constant(token):
    raise ValueError(f"bare {token} is not JSON; non-finite doubles are strings")


def unique_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def load(path):
    """Returns [(line number, record)] without the header; raises Malformed."""
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except (OSError, UnicodeDecodeError) as e:
        raise Malformed(f"{path}: {e}") from e
    for n, line in enumerate(lines, 1):
        where = f"{path}:{n}"
        try:
            rec = json.loads(line, parse_constant=reject_constant,
                             object_pairs_hook=unique_keys)
        except ValueError as e:
            raise Malformed(f"{where}: {e}") from e
        if not isinstance(rec, dict):
            raise Malformed(f"{where}: not a JSON object")
        kind = rec.get("record")
        if kind == "header":
            continue
        if kind not in IDENTITY:
            raise Malformed(f"{where}: unknown record {kind!r}")
        for field in IDENTITY[kind]:
            value = rec.get(field)
            wanted = str if field == "type" else int
            if type(value) is not wanted:
                raise Malformed(f"{where}: {kind} record needs {wanted.__name__} {field!r}")
        records.append((n, rec))
    return records


# --- canonical forms: equal forms mean equal values ---

def canon_scalar(x):
    """Tags JSON scalars by type so that true != 1 while ids and times compare exactly."""
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, (int, float, str)) or x is None:
        return (type(x).__name__, x)
    return ("json", json.dumps(x, sort_keys=True))


def canon_json(x):
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, (int, float)):
        return ("num", x)  # Python compares int and float exactly: 1 == 1.0
    if isinstance(x, str):
        return ("str", x)
    if x is None:
        return ("null",)
    if isinstance(x, list):
        return ("list", tuple(canon_json(v) for v in x))
    return ("dict", tuple((k, canon_json(x[k])) for k in sorted(x)))


def parse_double(x):
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(x)


def canon_value(v):
    invalid = Invalid()
    if not isinstance(v, dict) or len(v) != 1:
        return invalid
    [(tag, x)] = v.items()
    if tag == "int" and type(x) is int:
        return ("int", x)
    if tag == "double":
        d = parse_double(x)
        if d is None:
            return invalid
        return ("double", "NaN") if math.isnan(d) else ("double", d)
    if tag == "string" and isinstance(x, str):
        return ("string", x)
    if tag == "bool" and isinstance(x, bool):
        return ("bool", x)
    if tag == "struct" and isinstance(x, dict):
        return ("struct", canon_json(x))
    if tag == "proto" and isinstance(x, dict) and set(x) == {"type_url", "value"} \
            and isinstance(x["type_url"], str) and isinstance(x["value"], str):
        try:
            return ("proto", x["type_url"], base64.b64decode(x["value"], validate=True))
        except binascii.Error:
            return invalid
    return invalid


def canon_path(steps):
    if not isinstance(steps, list):
        return Invalid()
    out = []
    for step in steps:
        if not (isinstance(step, dict) and len(step) == 1):
            return Invalid()
        [(tag, x)] = step.items()
        if not ((tag == "index" and type(x) is int) or (tag == "key" and isinstance(x, str))):
            return Invalid()
        out.append((tag, x))
    return tuple(out)


def fields(kind, rec, strict_ids):
    """{field label: (canonical form, raw JSON)}, with property maps flattened."""
    out = {}
    for name, raw in rec.items():
        if name == "record" or (name == "id" and kind in UNNUMBERED and not strict_ids):
            continue
        if name in ("properties", "custom_properties") and isinstance(raw, dict):
            canon = canon_scalar if kind == "type" else canon_value
            for prop, value in raw.items():
                out[f"{name}[{prop!r}]"] = (canon(value), value)
        elif name == "path":
            if raw != []:
                out[name] = (canon_path(raw), raw)
        else:
            out[name] = (canon_scalar(raw), raw)
    return out


# --- comparison ---

def index(records, label):
    by_kind = {kind: {} for kind in KINDS}
    problems = []
    for n, rec in records:
        kind = rec["record"]
        key = tuple(rec[f] for f in IDENTITY[kind])
        if key in by_kind[kind]:
            problems.append(f"{describe(kind, key)}: duplicate in {label} (lines "
                            f"{by_kind[kind][key][0]} and {n})")
            continue
        by_kind[kind][key] = (n, rec)
    return by_kind, problems


def describe(kind, key):
    if kind == "type":
        return f"type id={key[0]}"
    return kind + " " + " ".join(f"{f}={v}" for f, v in zip(IDENTITY[kind], key, strict=True))


def short(raw):
    text = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


def show(field):
    if field is None:
        return "(absent)"
    canon, raw = field
    return short(raw) + (" (not a valid value)" if isinstance(canon, Invalid) else "")


def compare(a_records, b_records, strict_ids=False):
    """Returns (differences, counts of A by kind, counts of B by kind)."""
    a, diffs = index(a_records, "A")
    b, b_problems = index(b_records, "B")
    diffs += b_problems
    for kind in KINDS:
        for key in sorted(a[kind].keys() | b[kind].keys()):
            what = describe(kind, key)
            if key not in b[kind]:
                diffs.append(f"{what}: only in A: {short(a[kind][key][1])}")
                continue
            if key not in a[kind]:
                diffs.append(f"{what}: only in B: {short(b[kind][key][1])}")
                continue
            fa = fields(kind, a[kind][key][1], strict_ids)
            fb = fields(kind, b[kind][key][1], strict_ids)
            for name in sorted(fa.keys() | fb.keys()):
                ca, cb = fa.get(name), fb.get(name)
                if ca is not None and cb is not None and ca[0] == cb[0]:
                    continue
                ra = show(ca)
                rb = show(cb)
                diffs.append(f"{what}: {name}: A {ra} | B {rb}")
    counts = lambda index: {kind: len(index[kind]) for kind in KINDS}  # noqa: E731
    return diffs, counts(a), counts(b)


def summary(counts):
    return " ".join(f"{kind}={n}" for kind, n in counts.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="first JSON-lines file")
    parser.add_argument("b", help="second JSON-lines file")
    parser.add_argument("--strict-ids", action="store_true",
                        help="also compare the ids of events, attributions and associations")
    args = parser.parse_args(argv)
    try:
        a_records, b_records = load(args.a), load(args.b)
    except Malformed as e:
        print(f"compare: malformed input: {e}", file=sys.stderr)
        return 2
    diffs, a_counts, b_counts = compare(a_records, b_records, args.strict_ids)
    if not diffs:
        print(f"compare: equal: {summary(a_counts)}")
        return 0
    print(f"compare: A={args.a} B={args.b}")
    for line in diffs[:SHOWN]:
        print(f"  {line}")
    if len(diffs) > SHOWN:
        print(f"  ... and {len(diffs) - SHOWN} more")
    print(f"compare: {len(diffs)} differences; A: {summary(a_counts)}; B: {summary(b_counts)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
