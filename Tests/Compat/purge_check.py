"""A purge by Pedigree, read back by the real ml-metadata library.

Usage: $PY purge_check.py --pedigree BIN --work DIR DB QUERY

DB (an SQLite file or a mysql:// / postgresql:// URL) is a store Pedigree wrote. The library
dumps it (mlmd_dump.py); Pedigree lists the nodes QUERY returns, reports the purge's impact
(a dry run, which must leave the library's view unchanged), refuses the apply with a wrong
token, then applies it with the dry run's token. The library dumps the store again, and that
dump must equal the first less exactly the purged nodes and every event, attribution,
association and parent-context link that names one of them; the impact's counts must equal
what the library no longer finds, and `pedigree check` must find nothing wrong (no dangling
reference). Exits 0 when all of that holds.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, check=True):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])}...: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def dump(db, out):
    run([sys.executable, os.path.join(HERE, "mlmd_dump.py"), db, out])
    with open(out) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("db")
    ap.add_argument("query")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    pedigree, db, query = args.pedigree, args.db, args.query

    before = dump(db, os.path.join(args.work, "purge-before.jsonl"))
    listed = json.loads(run([pedigree, "query", "--db", db, query, "--format", "json"]).stdout)
    nodes = listed.get("nodes")
    if nodes is None:  # a subgraph
        nodes = [dict(n, kind="artifact") for n in listed["subgraph"]["artifacts"]] + \
                [dict(n, kind="execution") for n in listed["subgraph"]["executions"]]
    artifacts = {n["id"] for n in nodes if n["kind"] == "artifact"}
    executions = {n["id"] for n in nodes if n["kind"] == "execution"}
    if not artifacts and not executions:
        sys.exit(f"{query} selects nothing")

    dry = run([pedigree, "delete", "--db", db, query, "--mode", "purge", "--format", "json"])
    impact = json.loads(dry.stdout)
    token = impact["token"]
    if impact["applied"]:
        sys.exit("the dry run says it applied")
    if dump(db, os.path.join(args.work, "purge-dry.jsonl")) != before:
        sys.exit("the dry run changed what the library reads")

    wrong = run([pedigree, "delete", "--db", db, query, "--mode", "purge", "--force", "--apply",
                 "--token", "d1-" + "0" * 32], check=False)
    if wrong.returncode == 0 or "nothing was deleted" not in wrong.stderr:
        sys.exit(f"a wrong token was not refused: exit {wrong.returncode}, {wrong.stderr}")
    if dump(db, os.path.join(args.work, "purge-refused.jsonl")) != before:
        sys.exit("a refused delete changed what the library reads")

    applied = json.loads(run([pedigree, "delete", "--db", db, query, "--mode", "purge", "--force",
                              "--apply", "--token", token, "--format", "json"]).stdout)
    if not applied["applied"] or applied["token"] != token:
        sys.exit(f"not applied: {applied}")

    after = dump(db, os.path.join(args.work, "purge-after.jsonl"))

    def names_deleted(r):
        kind = r["record"]
        if kind == "artifact":
            return r["id"] in artifacts
        if kind == "execution":
            return r["id"] in executions
        if kind in ("event", "attribution"):
            return r.get("artifact_id") in artifacts or r.get("execution_id") in executions
        if kind == "association":
            return r.get("execution_id") in executions
        return False

    def key(r):
        return json.dumps(r, sort_keys=True)

    expected = sorted(key(r) for r in before if not names_deleted(r))
    found = sorted(key(r) for r in after)
    if expected != found:
        missing = set(expected) - set(found)
        extra = set(found) - set(expected)
        for line in sorted(missing)[:10]:
            print("missing after the purge:", line[:300])
        for line in sorted(extra)[:10]:
            print("unexpected after the purge:", line[:300])
        sys.exit("the library's view after the purge is not the one before less the purged records")

    def count(records, kind):
        return sum(1 for r in records if r["record"] == kind)

    gone = {k: count(before, k) - count(after, k) for k in
            ("artifact", "execution", "context", "event", "attribution", "association", "parent_context")}
    counts = impact["counts"]
    want = {"artifact": len(artifacts), "execution": len(executions), "context": 0,
            "event": counts["events"], "attribution": counts["attributions"],
            "association": counts["associations"], "parent_context": counts["parent_contexts"]}
    if gone != want:
        sys.exit(f"the library no longer finds {gone}; the impact said {want}")

    check = run([pedigree, "check", "--db", db], check=False)
    if check.returncode != 0 or "warning" in check.stdout.lower():
        sys.exit(f"pedigree check after the purge: exit {check.returncode}\n{check.stdout}\n{check.stderr}")
    print(f"purged {len(artifacts)} artifacts and {len(executions)} executions with {counts['events']} events, "
          f"{counts['attributions']} attributions, {counts['associations']} associations; "
          f"the library reads the {len(after)} records left unchanged")


if __name__ == "__main__":
    main()
