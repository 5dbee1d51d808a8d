"""The lineage explorer's pages and API on a generated tfx store (`make bench`: 200,000 executions):
the server time of each (its `Server-Timing` header, which the server also logs per request at
--log-level debug), median, 95th percentile and worst of --runs requests after one warm-up, against
the budget of 100 ms. Prints a markdown section.

    python3 Benchmarks/web/web_bench.py --pedigree .build-bench/release/pedigree --executions 200000
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BUDGET_MS = 100.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--executions", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    pedigree = os.path.abspath(args.pedigree)
    work = args.workdir or tempfile.mkdtemp(prefix="pedigree-web-bench.")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, f"tfx-{args.executions}.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    t = time.time()
    subprocess.run([pedigree, "generate", "--db", db, "--shape", "tfx", "--executions", str(args.executions), "--seed", "42"],
                   check=True, capture_output=True)
    generated = time.time() - t
    log_path = os.path.join(work, "web.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([pedigree, "web", "--db", db, "--port", "0", "--log-level", "debug"], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        t = time.time()
        line = proc.stdout.readline()
        m = re.match(r"pedigree: explorer at http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            raise SystemExit(f"no explorer line: {line!r}")
        opened = time.time() - t
        base = f"http://127.0.0.1:{m.group(1)}"
        # The first search right after the start builds the search index (names and uris in one
        # buffer), as a search after the store changed does when the background refresh is behind.
        with urllib.request.urlopen(base + "/api/v1/nodes?q=first", timeout=120) as r:
            first_search = float(re.search(r"dur=([\d.]+)", r.headers.get("Server-Timing", "")).group(1))

        def get(path):
            with urllib.request.urlopen(base + path, timeout=120) as r:
                body = r.read()
                timing = r.headers.get("Server-Timing", "")
                return r.status, float(re.search(r"dur=([\d.]+)", timing).group(1)), body

        def find(q, kind):
            _, _, body = get("/api/v1/nodes?" + urllib.parse.urlencode({"q": q, "kind": kind, "limit": 1}))
            nodes = json.loads(body)["nodes"]
            return nodes[0]["id"] if nodes and nodes[0].get("name") == q else None

        _, _, body = get("/api/v1/nodes?" + urllib.parse.urlencode({"q": "pipeline-0-run-", "kind": "context", "limit": 1}))
        runs = json.loads(body)["total"]
        mid = runs // 2
        model = find(f"pipeline-0-run-{mid}/model", "artifact")
        examples = next(i for i in (find(f"pipeline-0-run-{r}/examples", "artifact") for r in range(mid, runs)) if i)
        run = find(f"pipeline-0-run-{mid}", "context")
        dataset = find("dataset-0-2", "artifact")
        _, _, body = get(f"/api/v1/lineage/artifact/{model}?up=1&down=0")
        trainer = next(n["id"] for n in json.loads(body)["nodes"] if n["kind"] == "execution")
        _, _, body = get(f"/api/v1/lineage/artifact/{model}?up=8&down=0")
        far = min((n for n in json.loads(body)["nodes"] if n["kind"] == "artifact"), key=lambda n: n["distance"])["id"]
        stats = json.loads(get("/api/v1/stats")[2])

        q_models = f"artifact(type = 'Dataset' and name = 'dataset-0-2') downstream* artifact(type = 'Model')"
        q_run = f"node() in context(name = 'pipeline-0-run-{mid}') return subgraph"
        cases = [
            ("search page, empty (store summary)", "/"),
            ("search page, `pipeline-0-run-1`", "/?q=pipeline-0-run-1"),
            ("search API, a word in many names (`examples`)", "/api/v1/nodes?q=examples"),
            ("search API, no match (every name and uri read)", "/api/v1/nodes?q=no-such-name"),
            ("search API, an id", f"/api/v1/nodes?q={model}"),
            ("node page, a model, 2 up / 2 down", f"/node/artifact/{model}"),
            ("node page, a model, 6 up / 6 down", f"/node/artifact/{model}?up=6&down=6"),
            ("node page, a model, 6 up, trainer collapsed, one node expanded",
             f"/node/artifact/{model}?up=6&down=0&collapse=execution:{trainer}&expand=artifact:{far}"),
            ("node page, a model, 4 up, paths only to an artifact 8 hops up", f"/node/artifact/{model}?path=artifact:{far}"),
            ("node page, a dataset, 2 down (drawn summarised)", f"/node/artifact/{dataset}?up=0&down=2"),
            ("node page, a trainer execution", f"/node/execution/{trainer}"),
            ("node page, a pipeline run context (its members)", f"/node/context/{run}"),
            ("lineage API, JSON, 6 up / 6 down", f"/api/v1/lineage/artifact/{model}?up=6&down=6"),
            ("lineage API, SVG, 6 up / 6 down", f"/api/v1/lineage/artifact/{model}?up=6&down=6&format=svg"),
            ("node API (`show`)", f"/api/v1/nodes/artifact/{model}"),
            ("impact page, a run's examples (downstream counts, delete dry run)", f"/impact/artifact/{examples}"),
            ("query page, the models from a dataset, table", "/query?" + urllib.parse.urlencode({"q": q_models})),
            ("query page, one run's subgraph, diagram", "/query?" + urllib.parse.urlencode({"q": q_run, "view": "diagram"})),
            ("query API, the models from a dataset, JSON", "/api/v1/query?" + urllib.parse.urlencode({"q": q_models})),
            ("query page, an error with its diagnostics", "/query?" + urllib.parse.urlencode({"q": "artifact(type = 'Modell')"})),
            ("script", "/static/pedigree.js"),
        ]
        rows = []
        over = []
        for label, path in cases:
            status, _, body = get(path)  # warm-up
            if status != 200 and "error" not in label:
                raise SystemExit(f"{path}: status {status}")
            times = []
            for _ in range(args.runs):
                _, ms, body = get(path)
                times.append(ms)
            times.sort()
            med, p95, worst = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.95))], times[-1]
            if worst > BUDGET_MS:
                over.append(label)
            rows.append((label, path, med, p95, worst, len(body)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    logged = sum(1 for line in open(log_path) if "latency_us=" in line)

    print(f"A tfx store of {args.executions:,} executions ({stats['artifacts']:,} artifacts, {stats['contexts']:,} contexts, "
          f"{stats['events']:,} events; generated in {generated:.0f} s), opened by `pedigree web` in {opened:.1f} s. Server time of "
          f"each request (its `Server-Timing` header; the server logged {logged:,} request lines with `latency_us`), "
          f"{args.runs} requests after a warm-up, one at a time. Budget: {BUDGET_MS:.0f} ms.")
    print()
    print("| page or call | median | p95 | worst | answer |")
    print("|---|---|---|---|---|")
    for label, path, med, p95, worst, size in rows:
        mark = " **over budget**" if worst > BUDGET_MS else ""
        print(f"| {label} | {med:.1f} ms | {p95:.1f} ms | {worst:.1f} ms{mark} | {size / 1024:.0f} KiB |")
    print()
    print(f"Every page within {BUDGET_MS:.0f} ms: {'yes' if not over else 'no (' + ', '.join(over) + ')'}. The first search "
          f"after the start, which builds the search index, took {first_search:.0f} ms; the index then follows the store in the "
          f"background.")


if __name__ == "__main__":
    sys.exit(main())
