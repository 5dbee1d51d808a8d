"""Check the counts of `pedigree stats --format json` against an interchange file.

Usage: $PY check_stats.py STATS.json REF.jsonl

STATS.json is a JSON object with the counts types, artifacts, executions,
contexts, events, attributions, associations and parent_contexts, at its top
level or under "counts". `types` counts every type, the nine built-in mlmd.*
types included, as the store holds them like any other. The counts per type
kind (artifact_types, execution_types, context_types) and the node counts per
type in `by_type` (keyed NAME or NAME@VERSION; a type without nodes may be
left out) are checked when present.
"""

import argparse
import json
import sys
from collections import Counter

REQUIRED = {
    "types": "type",
    "artifacts": "artifact",
    "executions": "execution",
    "contexts": "context",
    "events": "event",
    "attributions": "attribution",
    "associations": "association",
    "parent_contexts": "parent_context",
}
OPTIONAL = ("artifact_types", "execution_types", "context_types")


def expected_counts(path):
    per_record, per_type_kind, type_labels, per_type = Counter(), Counter(), {}, Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            per_record[rec["record"]] += 1
            if rec["record"] == "type":
                per_type_kind[f"{rec['kind']}_types"] += 1
                version = f"@{rec['version']}" if "version" in rec else ""
                type_labels[rec["id"]] = rec["name"] + version
            elif rec["record"] in ("artifact", "execution", "context"):
                per_type[type_labels[rec["type_id"]]] += 1
    counts = {name: per_record[record] for name, record in REQUIRED.items()}
    counts.update({name: per_type_kind[name] for name in OPTIONAL})
    counts["by_type"] = dict(per_type)
    return counts


def check(stats, expected):
    """Returns a list of problems; empty when the stats agree."""
    if not isinstance(stats, dict):
        return ["stats output is not a JSON object"]
    counts = stats.get("counts", stats)
    if not isinstance(counts, dict):
        return ['"counts" is not a JSON object']
    problems = []
    for name in (*REQUIRED, *OPTIONAL):
        if name not in counts:
            if name in REQUIRED:
                problems.append(f"{name}: missing (expected {expected[name]})")
            continue
        got = counts[name]
        if type(got) is not int or got != expected[name]:
            problems.append(f"{name}: pedigree says {got!r}, "
                            f"the library's records {expected[name]}")
    by_type = counts.get("by_type")
    if by_type is not None:
        if not isinstance(by_type, dict):
            return problems + ['"by_type" is not a JSON object']
        want = expected["by_type"]
        for label in sorted(want.keys() | by_type.keys()):
            got = by_type.get(label, 0)
            if type(got) is not int or got != want.get(label, 0):
                problems.append(f"by_type[{label!r}]: pedigree says {got!r}, "
                                f"the library's records {want.get(label, 0)}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stats", help="output of pedigree stats --format json")
    parser.add_argument("ref", help="interchange file dumped by mlmd_dump.py")
    args = parser.parse_args(argv)
    try:
        with open(args.stats, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_stats: {args.stats}: {e}", file=sys.stderr)
        return 1
    expected = expected_counts(args.ref)
    problems = check(stats, expected)
    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"check_stats: {len(problems)} counts differ")
        return 1
    print("check_stats: equal: " + " ".join(f"{k}={expected[k]}" for k in REQUIRED))
    return 0


if __name__ == "__main__":
    sys.exit(main())
