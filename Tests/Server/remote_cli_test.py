"""`pedigree query|explain|render --server HOST:PORT` prints what `--db FILE` prints.

A real `pedigree serve` on 127.0.0.1 (a free port) over the demo store; every query of
Grammar/examples (with its `# params:`) in every format (table, json, csv, ids) run both ways, and
standard output, standard error and the exit code compared byte for byte. Then explain, render
(dot, mermaid and svg, to standard output and to a file, with the drawing options), bad queries
(diagnostics drawn with carets, or as JSON data: exit 65), budgets, a server that answers in pages
(a small --max-response-bytes), PEDIGREE_SERVER, and a server that cannot be reached (exit 69).

Usage: python3 remote_cli_test.py --pedigree BIN
"""
import argparse
import concurrent.futures
import glob
import os
import socket
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--pedigree", required=True)
args = parser.parse_args()
PEDIGREE = os.path.abspath(args.pedigree)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
failures = []
checked = 0


def run(argv, env=None, stdin=None):
    environment = {k: v for k, v in os.environ.items() if k != "PEDIGREE_SERVER"}
    environment.update(env or {})
    p = subprocess.run([PEDIGREE, *argv], capture_output=True, env=environment, input=stdin, timeout=120)
    return p.returncode, p.stdout, p.stderr


def start(db, *extra):
    proc = subprocess.Popen([PEDIGREE, "serve", "--db", db, "--port", "0", "--log-level", "warning", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if " on 127.0.0.1:" not in line:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read()}")
    return proc, "127.0.0.1:" + line.strip().rsplit(":", 1)[1]


def stop(proc):
    proc.terminate()
    if proc.wait(timeout=30) != 0:
        failures.append(f"the server exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")


def same(name, local, remote, expect_rc=None):
    """Both runs gave the same exit code, standard output and standard error."""
    global checked
    checked += 1
    if local != remote:
        parts = []
        for what, a, b in zip(("exit code", "stdout", "stderr"), local, remote):
            if a != b:
                parts.append(f"  {what}:\n    --db:     {a!r:.600}\n    --server: {b!r:.600}")
        failures.append(f"{name}: --db and --server differ\n" + "\n".join(parts))
    elif expect_rc is not None and local[0] != expect_rc:
        failures.append(f"{name}: exit {local[0]}, expected {expect_rc}: {local[2].decode()[-400:]}")


def examples():
    """(name, query, params) of every Grammar/examples file."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Grammar", "examples", "*.pq"))):
        params, query = [], []
        for line in open(path, encoding="utf-8").read().split("\n----\n")[0].splitlines():
            if line.startswith("# params: "):
                params = line[len("# params: "):].split()
            elif not line.startswith("#"):
                query.append(line)
        out.append((os.path.basename(path), "\n".join(query), params))
    return out


def both(db, server, argv, **kw):
    """`pedigree ARGV` with --db, and with --server (argv[0] is the command)."""
    return run([argv[0], "--db", db, *argv[1:]], **kw), run([argv[0], "--server", server, *argv[1:]], **kw)


with tempfile.TemporaryDirectory() as work:
    db = os.path.join(work, "demo.sqlite")
    subprocess.run([PEDIGREE, "demo", "--db", db], check=True, capture_output=True)
    server_proc, server = start(db)
    try:
        # Every example in every format, a few processes at a time.
        cases = []
        for name, query, params in examples():
            flags = [f for p in params for f in ("--param", p)]
            for fmt in ("table", "json", "csv", "ids"):
                cases.append((f"{name} --format {fmt}", ["query", query, "--format", fmt, *flags]))
                if fmt == "table":
                    cases.append((f"explain {name}", ["explain", query.removeprefix("explain "), *flags]))
        extra = [
            # Depths, order and limits; a limit that truncates says so on stderr.
            ("with depth csv", ["query", "artifact(id = 29) upstream{1,3} return nodes with depth", "--format", "csv"]),
            ("limit truncates", ["query", "artifact(type = 'Examples') downstream* limit 2"]),
            ("limit truncates json", ["query", "artifact(type = 'Examples') downstream* limit 2", "--format", "json"]),
            ("subgraph json", ["query", "artifact(id = 29) upstream* return subgraph", "--format", "json"]),
            ("paths csv", ["query", "all paths artifact(id = 1) downstream{1,4} artifact(type = 'Model')", "--format", "csv"]),
            ("query from stdin", ["query", "-", "--format", "ids"]),
            # Refused queries: diagnostics drawn (stderr) or as data (stdout, json), exit 65.
            ("syntax error", ["query", "artifact(type = ) downstream"]),
            ("syntax error json", ["query", "artifact(type = ) downstream", "--format", "json"]),
            ("unknown type", ["query", "artifact(type = 'Modle')"]),
            ("unknown type, non-ASCII before the caret", ["query", "artifact(name = 'modèle' and type = 'Modle')"]),
            ("missing parameter", ["query", "artifact(id = $missing)"]),
            ("bad param", ["query", "artifact(id = $x)", "--param", "x=notanumber"]),
            ("explain error json", ["explain", "artifact(type = 'Modle')", "--format", "json"]),
            # Budgets: the engine's own message and exit code.
            ("visit budget", ["query", "artifact(type = 'Examples') downstream*", "--max-visits", "2"]),
            # Diagrams.
            ("render dot", ["render", "artifact(id = 29) upstream* return subgraph", "--format", "dot"]),
            ("render mermaid TB", ["render", "artifact(id = 29) upstream* return subgraph", "--format", "mermaid", "--rankdir", "TB"]),
            ("render svg stdout", ["render", "artifact(id = 29) upstream* return subgraph", "--format", "svg", "-o", "-"]),
            ("render options", ["render", "artifact(id = 29) upstream* return subgraph", "--format", "dot", "--collapse", "executions",
                                "--no-legend", "--max-nodes", "4"]),
            ("render cluster", ["render", "--cluster-by", "context-type", "PipelineRun", "artifact(id = 29) upstream* return subgraph",
                                "--format", "dot"]),
            ("render truncated", ["render", "artifact(type = 'Examples') downstream* limit 3", "--format", "dot"]),
            ("render bad query", ["render", "artifact(type = 'Modle')", "--format", "dot"]),
            ("render unknown format", ["render", "artifact(id = 29) upstream*", "--format", "gif"]),
        ]
        cases += extra
        stdin = {"query from stdin": b"artifact(id = 29) upstream{1,2}"}
        expected_rc = {"syntax error": 65, "syntax error json": 65, "unknown type": 65, "missing parameter": 65,
                       "visit budget": 65, "render bad query": 65, "limit truncates": 0, "render dot": 0}
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = {pool.submit(both, db, server, argv, stdin=stdin.get(name)): name for name, argv in cases}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                local, remote = future.result()
                same(name, local, remote, expected_rc.get(name))
        # The diagnostics are drawn with carets, as the local run draws them.
        rc, _, err = run(["query", "--server", server, "artifact(type = 'Modle')"])
        if rc != 65 or b"^^^^^^^" not in err or b"line 1, column 17" not in err:
            failures.append(f"remote diagnostics: exit {rc}, {err!r}")

        # A file written by render: the same bytes, and the same line about it.
        for ext in ("svg", "png", "mmd"):
            a, b = os.path.join(work, f"local.{ext}"), os.path.join(work, f"remote.{ext}")
            q = "artifact(id = 29) upstream* return subgraph"
            ra, rb = run(["render", "--db", db, q, "-o", a]), run(["render", "--server", server, q, "-o", b])
            same(f"render -o .{ext}", (ra[0], ra[1].replace(a.encode(), b"F"), ra[2]), (rb[0], rb[1].replace(b.encode(), b"F"), rb[2]), 0)
            if ext != "png" and open(a, "rb").read() != open(b, "rb").read():
                failures.append(f"render -o .{ext}: the files differ")

        # PEDIGREE_SERVER is the default; --db beats it; --db and --server together are a usage error.
        q = "artifact(type = 'Model') return count"
        via_env = run(["query", q], env={"PEDIGREE_SERVER": server})
        same("PEDIGREE_SERVER", run(["query", "--db", db, q]), via_env, 0)
        bad_env = run(["query", "--db", db, q], env={"PEDIGREE_SERVER": "127.0.0.1:1"})
        same("--db beats PEDIGREE_SERVER", run(["query", "--db", db, q]), bad_env, 0)
        rc, _, err = run(["query", "--db", db, "--server", server, q])
        if rc != 64 or b"exclude each other" not in err:
            failures.append(f"--db with --server: exit {rc}, {err!r}")
        rc, _, err = run(["query", "--server", "nohost", q])
        if rc != 64 or b"HOST:PORT" not in err:
            failures.append(f"--server without a port: exit {rc}, {err!r}")

        # --timing and --repeat against the server.
        rc, out, err = run(["query", "--server", server, q, "--timing", "--repeat", "3"])
        if rc != 0 or b"median of 3 round trips" not in err or out != run(["query", "--db", db, q])[1]:
            failures.append(f"--timing --repeat 3: exit {rc}, {out!r} {err!r}")
    finally:
        stop(server_proc)

    # An answer larger than the server sends at once comes in pages and prints the same.
    small_proc, small = start(db, "--max-response-bytes", "3000")
    try:
        for fmt in ("table", "json"):
            q = "artifact(type = 'Examples') downstream*"
            same(f"paged answer --format {fmt}", run(["query", "--db", db, q, "--format", fmt]),
                 run(["query", "--server", small, q, "--format", fmt]), 0)
        # A subgraph comes whole: too large for the server's limit, it says so (and not about pages).
        rc, _, err = run(["query", "--server", small, "artifact(type = 'Examples') downstream* return subgraph"])
        if rc != 65 or b"--max-response-bytes" not in err:
            failures.append(f"subgraph over --max-response-bytes: exit {rc}, {err!r}")
    finally:
        stop(small_proc)

    # A server that is not there: a clear message and 69, quickly.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    for argv in (["query", "artifact(id = 1)"], ["explain", "artifact(id = 1)"], ["render", "artifact(id = 1)", "--format", "dot"]):
        rc, out, err = run([argv[0], "--server", f"127.0.0.1:{closed}", *argv[1:]])
        checked += 1
        if rc != 69 or b"cannot reach a server at 127.0.0.1:" not in err or out:
            failures.append(f"{argv[0]} against a closed port: exit {rc}, stdout {out!r}, stderr {err!r}")

if failures:
    print(f"remote CLI: {len(failures)} of {checked} checks failed", file=sys.stderr)
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    sys.exit(1)
print(f"remote CLI: {checked} checks, --server printed what --db printed")
