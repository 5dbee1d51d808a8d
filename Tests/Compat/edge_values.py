"""Add to an interchange file the values that the real library reads but cannot write.

Usage: $PY edge_values.py IN.jsonl OUT.jsonl [--nan] [--finite]

ml-metadata 1.17.1 writes a double into its SQL text with "%f": NaN and
infinity make the statement fail and small values lose their digits. It also
stores an unset artifact uri as "" and stamps a time on every event. Its reader
has none of these limits, so once Pedigree has imported the output, the
library's dump of that store must equal it. The new records take ids after the
largest ones in the file and go at the end of their sections.

NaN comes only with --nan: SQLite turns a bound NaN into NULL, which the
library cannot read ("Attempt to populate property with null value"), but it
reads the TEXT 'NaN' in a double column back as NaN.

--finite leaves the infinities out, for MySQL: its DOUBLE holds neither
infinity nor NaN ("Incorrect double value: 'inf'"), so no client can store them
there. The score property and the infinite values are then 1e308 and -1e308
instead (DBL_MAX would not do: the library reads it from SQLite as infinity).

Left out on purpose, because the library cannot read them back as written:
doubles that need more than 15 significant digits (it reads 15) and struct
numbers that are not finite (no JSON form).
"""

import argparse
import json
import sys

SECTION = {"header": 0, "type": 1, "artifact": 2, "execution": 3, "context": 4, "event": 5,
           "attribution": 6, "association": 7, "parent_context": 8}
T0 = 1_700_000_000_000


def edge_records(records, with_nan=False, finite=False):
    def next_id(*kinds):
        return 1 + max((r["id"] for r in records if r["record"] in kinds), default=0)

    artifact_type, execution_type = next_id("type"), next_id("type") + 1
    a, x = next_id("artifact"), next_id("execution")
    contexts = [r["id"] for r in records if r["record"] == "context"]
    times = {"create_time_since_epoch": T0, "last_update_time_since_epoch": T0 + 1}
    doubles = {
        "pos_inf": {"double": "Infinity"},
        "neg_inf": {"double": "-Infinity"},
        "neg_zero": {"double": -0.0},
        "denormal_min": {"double": 5e-324},
        "tiny": {"double": 1e-300},
        "fifteen_digits": {"double": 0.333333333333333},
        "integral_json": {"double": 3},
    }
    if with_nan:
        doubles["nan"] = {"double": "NaN"}
    pos_inf, neg_inf = {"double": "Infinity"}, {"double": "-Infinity"}
    if finite:
        pos_inf, neg_inf = {"double": 1e308}, {"double": -1e308}
        doubles["pos_inf"], doubles["neg_inf"] = pos_inf, neg_inf
    out = [
        {"record": "type", "kind": "artifact", "id": artifact_type, "name": "CompatEdge",
         "properties": {"score": "DOUBLE", "note": "STRING"}},
        {"record": "type", "kind": "execution", "id": execution_type, "name": "CompatEdgeRun"},
        # no name, no uri, no state
        {"record": "artifact", "id": a, "type_id": artifact_type,
         "properties": {"score": pos_inf, "note": {"string": ""}},
         "custom_properties": doubles, **times},
        {"record": "artifact", "id": a + 1, "type_id": artifact_type, "name": "edge-empty-uri",
         "uri": "", "state": "UNKNOWN", "custom_properties": {"small": {"double": 1.5e-7}},
         **times},
        # no name, no state
        {"record": "execution", "id": x, "type_id": execution_type,
         "custom_properties": {"neg_inf": neg_inf}, **times},
        # no time, with and without a path
        {"record": "event", "artifact_id": a, "execution_id": x, "type": "INPUT"},
        {"record": "event", "artifact_id": a + 1, "execution_id": x, "type": "OUTPUT",
         "path": [{"index": -1}, {"key": "ü"}]},
    ]
    if contexts:
        out.append({"record": "attribution", "context_id": contexts[0], "artifact_id": a})
        out.append({"record": "association", "context_id": contexts[0], "execution_id": x})
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", help="interchange file to read")
    parser.add_argument("dst", help="interchange file to write")
    parser.add_argument("--nan", action="store_true", help="also a NaN double")
    parser.add_argument("--finite", action="store_true",
                        help="no infinities: 1e308 and -1e308 instead (MySQL)")
    args = parser.parse_args(argv)
    with open(args.src, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    records = sorted(records + edge_records(records, args.nan, args.finite),
                     key=lambda r: SECTION[r["record"]])
    with open(args.dst, "w", encoding="utf-8", newline="\n") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
