#!/usr/bin/env python3
"""Pedigree side by side with its peers on the same generated stores (issue 6).

For a store written by `pedigree generate --shape chain --executions N --seed S`, asks five
lineage questions of each peer and checks every answer (a set of artifact and execution ids)
against Pedigree's:

  Q1 downstream of dataset-0 within 20 hops      Q4 full downstream closure of dataset-0
  Q2 upstream of a-<N-1>-1 within 20 hops        Q5 Model artifacts downstream of dataset-3
  Q3 both ways from a-<N/2>-0 within 4 hops

(one hop is one event, as MLMD's max_num_hops counts them). Then, for a store written by
`pedigree generate --shape tfx` with the same N and S (TFX pipelines, many runs each, cached
executions, warm starts), two questions a platform asks, answered from pipeline-0 (which trains
continuously: each Trainer warm-starts from the previous model):

  T1 the Model artifacts trained from dataset-0-2 (its downstream closure, Models only)
  T2 everything a deletion of one run's data would affect, counted by type (the downstream
     closure of the Examples of the first run from the middle of pipeline-0 on whose
     ExampleGen was not cached); the answer is the count per type name

The peers:

  ml-metadata  the real library (1.17.1), in-process, get_lineage_subgraph on the file
  SQLite       a recursive CTE over an edge table built from Event when the peer connects (a TEMP
               table, so the MLMD file is left as it is): one integer per node (2 * id + kind),
               keyed (src, dst) without rowid, with an index (dst, src) for upstream walks
  SQLite-MLMD  a recursive CTE over MLMD's own tables (Event, Artifact, Execution, Type) in the same
               file, with MLMD's own indexes: the start found through UNIQUE(type_id, name), the
               events through UNIQUE(artifact_id, execution_id, type) and idx_event_execution_id
  DuckDB       the same recursive CTE over the same tables, copied into a DuckDB file
  Kuzu         Cypher shortest-path walks (reachability) over Artifact/Execution nodes
  Pedigree     the release CLI, store opened once, `--repeat`; its own timing on stderr
  C            a yardstick rather than a peer (--c-bfs, Benchmarks/cbfs/cbfs.c): the Event table
               loaded into CSR arrays, then a plain breadth-first search; its own timing (the walk
               alone, median of --repeat), the same answers checked; reported as Pedigree / C

It prints markdown: the median latency of each question per peer with the ratio peer/Pedigree,
load time and size per peer, and the durable single-execution write latency (ml-metadata's
put_execution on a file; Pedigree's from `PedigreeBenchmarks put-execution` when given).
A peer that cannot give an answer is marked "capped" (a documented limit) or "wrong" (an answer
that differs from Pedigree's), with the reason; a peer that is not installed is marked so.

  run_peers.py --pedigree .build-bench/release/pedigree --executions 200000 --seed 42 \\
      [--swift-bench Benchmarks/.build/release/PedigreeBenchmarks] [--workdir DIR]
      [--repeat 25] [--budget 10] [--write-calls 300] [--peers mlmd,sqlite,sqlite-mlmd,duckdb,kuzu] [--shapes chain,tfx]
      [--c-bfs .build-bench/cbfs]
"""

import argparse
import csv
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

INPUT_TYPES = (2, 3, 5)        # INPUT, DECLARED_INPUT, INTERNAL_INPUT: artifact -> execution
OUTPUT_TYPES = (1, 4, 6, 7)    # OUTPUT, DECLARED_OUTPUT, INTERNAL_OUTPUT, PENDING_OUTPUT
MLMD_MAX_HOPS = 100            # kQueryLineageSubgraphMaxNumHops
KUZU_MAX_DEPTH = 30            # Kuzu's default var_length_extend_max_depth
PEERS = ["mlmd", "sqlite", "sqlite-mlmd", "duckdb", "kuzu"]
TITLE = {"pedigree": "Pedigree", "mlmd": "ml-metadata", "sqlite": "SQLite", "sqlite-mlmd": "SQLite (MLMD tables)",
         "duckdb": "DuckDB", "kuzu": "Kuzu",
         "c": "C (CSR BFS)"}


class Question:
    def __init__(self, key, text, start, direction, hops, model=False, by_type=False):
        self.key, self.text, self.start, self.direction = key, text, start, direction
        self.hops, self.model = hops, model      # hops None: no limit (excludes the start node)
        self.by_type = by_type                   # the answer: (type name, count) pairs

    def pedigree(self):
        walk = {"down": "downstream", "up": "upstream", "both": "both"}[self.direction]
        if self.hops is not None:
            return f"artifact(name = '{self.start}') {walk}{{0,{self.hops}}} return subgraph"
        if self.model:
            return f"artifact(name = '{self.start}') {walk}* artifact(type = 'Model')"
        if self.by_type:
            return f"artifact(name = '{self.start}') {walk}* return count group by type"
        return f"artifact(name = '{self.start}') {walk}*"


def chain_questions(n):
    return [
        Question("Q1", "downstream of dataset-0, 20 hops", "dataset-0", "down", 20),
        Question("Q2", f"upstream of a-{n - 1}-1, 20 hops", f"a-{n - 1}-1", "up", 20),
        Question("Q3", f"both ways from a-{n // 2}-0, 4 hops", f"a-{n // 2}-0", "both", 4),
        Question("Q4", "downstream closure of dataset-0", "dataset-0", "down", None),
        Question("Q5", "Model artifacts downstream of dataset-3", "dataset-3", "down", None, model=True),
    ]


def tfx_questions(db):
    """T1 and T2 on a tfx store; T2's run is read from the store (a run whose ExampleGen was
    cached has no Examples of its own)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        runs = conn.execute("SELECT count(*) FROM Context WHERE name LIKE 'pipeline-0-run-%'").fetchone()[0]
        own = {name for (name,) in conn.execute("SELECT name FROM Artifact WHERE name LIKE 'pipeline-0-run-%/examples'")}
    run = next(j for j in range(runs // 2, runs) if f"pipeline-0-run-{j}/examples" in own)
    return [
        Question("T1", "Models trained from dataset-0-2", "dataset-0-2", "down", None, model=True),
        Question("T2", f"deletion of pipeline-0-run-{run}'s examples, by type", f"pipeline-0-run-{run}/examples",
                 "down", None, by_type=True),
    ]


def answer_size(q, answer):
    """Nodes in an answer (a set of nodes, or (type, count) pairs)."""
    return sum(c for _, c in answer) if q.by_type else len(answer)


def describe(q, answer):
    if q.by_type:
        return f"{answer_size(q, answer)} nodes in {len(answer)} types"
    return f"{len(answer)} nodes"


def describe_difference(q, answer, want):
    if q.by_type:
        got, exp = dict(answer), dict(want)
        wrong = sorted(t for t in got.keys() | exp.keys() if got.get(t) != exp.get(t))
        return (f"{answer_size(q, answer)} nodes, {len(wrong)} of {len(exp.keys() | got.keys())} type counts differ "
                f"(of {answer_size(q, want)} nodes)")
    missing, extra = len(want - answer), len(answer - want)
    return f"{len(answer)} nodes, {missing} missing, {extra} extra of {len(want)}"


class Capped(Exception):
    """A documented limit of the peer keeps it from giving the answer."""


# ---------------------------------------------------------------------------------------------
# Timing

def timed(fn, repeat, budget):
    """(median seconds, runs, last answer): at least one run, at most `repeat`, stopping early
    once `budget` seconds have been spent."""
    times, answer, spent = [], None, 0.0
    while len(times) < repeat and (not times or spent < budget):
        t0 = time.perf_counter()
        answer = fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
    return statistics.median(times), len(times), answer


def fmt(s):
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def parse_duration(text):
    m = re.match(r"\s*([0-9.]+)\s*(ns|µs|us|ms|s)\s*$", text)
    if not m:
        raise ValueError(f"cannot read the duration {text!r}")
    return float(m.group(1)) * {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]


def size_of(path):
    p = Path(path)
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    total = 0
    for suffix in ("", "-wal", "-shm", ".wal"):
        q = Path(str(p) + suffix)
        if q.exists():
            total += q.stat().st_size
    return total


def mib(n):
    return f"{n / 1048576:.1f} MiB"


# ---------------------------------------------------------------------------------------------
# Pedigree

class Pedigree:
    def __init__(self, binary, db):
        self.binary, self.db = binary, db
        self.open_times = []

    def run(self, q, repeat):
        cmd = [self.binary, "query", "--db", self.db, "--format", "csv" if q.by_type else "ids", "--timing",
               "--repeat", str(repeat), q.pedigree()]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"pedigree query failed ({p.returncode}): {p.stderr.strip()}")
        m = re.search(r"open: (.+?); query: (.+?) \(median of (\d+)\)", p.stderr)
        if not m:
            raise RuntimeError(f"no timing on pedigree's stderr: {p.stderr!r}")
        self.open_times.append(parse_duration(m.group(1)))
        if q.by_type:
            rows = list(csv.reader(p.stdout.splitlines()))
            if rows[:1] != [["type", "count"]]:
                raise RuntimeError(f"unexpected csv from pedigree: {p.stdout[:200]!r}")
            return parse_duration(m.group(2)), int(m.group(3)), frozenset((t, int(c)) for t, c in rows[1:])
        answer = set()
        for line in p.stdout.splitlines():
            kind, _, ident = line.partition(" ")
            if kind in ("artifact", "execution"):
                answer.add((kind, int(ident)))
        return parse_duration(m.group(2)), int(m.group(3)), answer


# ---------------------------------------------------------------------------------------------
# C: a breadth-first search over CSR arrays (Benchmarks/cbfs/cbfs.c), the yardstick for Pedigree's walks

class CBFS:
    def __init__(self, binary, db):
        self.binary, self.db = binary, db
        self.load_times = []

    def run(self, q, repeat):
        cmd = [self.binary, "--db", self.db, "--start", q.start, "--direction", q.direction, "--repeat", str(repeat)]
        if q.hops is not None:
            cmd += ["--hops", str(q.hops)]
        cmd += ["--by-type"] if q.by_type else ["--model", "--ids"] if q.model else ["--ids"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"cbfs failed ({p.returncode}): {p.stderr.strip()}")
        m = re.search(r"load: ([0-9.]+) s; query: ([0-9.]+) s \(median of (\d+)\)", p.stderr)
        if not m:
            raise RuntimeError(f"no timing on cbfs's stderr: {p.stderr!r}")
        self.load_times.append(float(m.group(1)))
        if q.by_type:
            rows = list(csv.reader(p.stdout.splitlines()))
            return float(m.group(2)), int(m.group(3)), frozenset((t, int(c)) for t, c in rows[1:])
        answer = set()
        for line in p.stdout.splitlines():
            kind, _, ident = line.partition(" ")
            if kind in ("artifact", "execution"):
                answer.add((kind, int(ident)))
        return float(m.group(2)), int(m.group(3)), answer


# ---------------------------------------------------------------------------------------------
# SQL peers: one recursive CTE over MLMD's tables (k 0 = artifact, 1 = execution)

# MLMD indexes Artifact by UNIQUE(type_id, name) and not by name alone: a lookup by name alone scans
# the whole index (600k entries at 200k executions, about 17 ms, which was most of every bounded
# question's time here). Naming the artifact types turns it into one index search per type.
START_BY_NAME = "FROM Artifact WHERE type_id IN (SELECT id FROM Type WHERE type_kind = 1) AND name = {param}"


def cte_sql(q, param):
    """The recursive query for a question; `param` is the placeholder for the start name."""
    ins, outs = ",".join(map(str, INPUT_TYPES)), ",".join(map(str, OUTPUT_TYPES))
    down = [
        f"SELECT 1, e.execution_id{{d}} FROM w JOIN Event e ON w.k = 0 AND e.artifact_id = w.id AND e.type IN ({ins}){{lim}}",
        f"SELECT 0, e.artifact_id{{d}} FROM w JOIN Event e ON w.k = 1 AND e.execution_id = w.id AND e.type IN ({outs}){{lim}}",
    ]
    up = [
        f"SELECT 1, e.execution_id{{d}} FROM w JOIN Event e ON w.k = 0 AND e.artifact_id = w.id AND e.type IN ({outs}){{lim}}",
        f"SELECT 0, e.artifact_id{{d}} FROM w JOIN Event e ON w.k = 1 AND e.execution_id = w.id AND e.type IN ({ins}){{lim}}",
    ]
    steps = {"down": down, "up": up, "both": down + up}[q.direction]
    if q.hops is None:
        cols, seed, d, lim = "k, id", "SELECT 0, id " + START_BY_NAME.format(param=param), "", ""
    else:
        cols, seed, d, lim = "k, id, d", "SELECT 0, id, 0 " + START_BY_NAME.format(param=param), ", w.d + 1", f" WHERE w.d < {q.hops}"
    body = "\n  UNION ".join([seed] + [s.format(d=d, lim=lim) for s in steps])
    if q.model:
        tail = ("SELECT w.k, w.id FROM w JOIN Artifact a ON w.k = 0 AND a.id = w.id "
                "JOIN Type t ON t.id = a.type_id AND t.name = 'Model'")
    elif q.by_type:
        # Each node once (UNION already keeps each (k, id) once), without the start node.
        tail = (f"SELECT t.name, count(*) FROM w LEFT JOIN Artifact a ON w.k = 0 AND a.id = w.id "
                f"LEFT JOIN Execution x ON w.k = 1 AND x.id = w.id JOIN Type t ON t.id = coalesce(a.type_id, x.type_id) "
                f"WHERE NOT (w.k = 0 AND w.id IN (SELECT id {START_BY_NAME.format(param=param)})) GROUP BY t.name")
    elif q.hops is None:
        tail = "SELECT k, id FROM w"  # UNION already keeps each (k, id) once
    else:
        tail = "SELECT DISTINCT k, id FROM w"  # a node reached at several depths is in w once per depth
    return f"WITH RECURSIVE w({cols}) AS (\n  {body}\n)\n{tail}"


def to_answer(rows, q, start_id):
    if q.by_type:
        return frozenset((t, int(c)) for t, c in rows)
    answer = {("artifact" if k == 0 else "execution", int(i)) for k, i in rows}
    if q.hops is None:
        answer.discard(("artifact", start_id))
    return answer


def sqlite_connect(db):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    # What a user tuning a read-only connection for whole-store walks sets (none changes the
    # file): a page cache that holds the event indexes (the default is 2 MB for a file of 100+ MB),
    # memory-mapped reads, and the CTE's queue and UNION set (and TEMP tables) in memory.
    for pragma in ("PRAGMA cache_size = -262144", "PRAGMA mmap_size = 1073741824", "PRAGMA temp_store = MEMORY"):
        conn.execute(pragma)
    return conn


class SQLiteMLMDPeer:
    """The recursive CTE straight over MLMD's tables."""

    def __init__(self, db):
        self.conn = sqlite_connect(db)

    def query(self, q):
        sql = cte_sql(q, "?")
        start = self.conn.execute("SELECT id FROM Artifact WHERE name = ?", (q.start,)).fetchone()[0]
        params = (q.start,) * (2 if q.by_type else 1)
        return lambda: to_answer(self.conn.execute(sql, params).fetchall(), q, start)


class SQLitePeer:
    """The recursive CTE over an edge table derived from Event (node = 2 * id + kind, kind 0 artifact,
    1 execution), built in TEMP when connecting: one recursive SELECT per direction, an integer
    UNION key, covering keys both ways. About half the time of the CTE over MLMD's tables on
    whole-store closures (which join Event through two indexes and carry (kind, id) pairs)."""

    def __init__(self, db):
        self.conn = sqlite_connect(db)
        ins, outs = ",".join(map(str, INPUT_TYPES)), ",".join(map(str, OUTPUT_TYPES))
        self.conn.execute("CREATE TEMP TABLE Lineage(src INTEGER NOT NULL, dst INTEGER NOT NULL, PRIMARY KEY (src, dst)) WITHOUT ROWID")
        self.conn.execute(f"INSERT INTO temp.Lineage SELECT 2 * artifact_id, 2 * execution_id + 1 FROM Event WHERE type IN ({ins}) "
                          f"UNION SELECT 2 * execution_id + 1, 2 * artifact_id FROM Event WHERE type IN ({outs}) ORDER BY 1, 2")
        self.conn.execute("CREATE INDEX temp.lineage_dst ON Lineage(dst, src)")

    @staticmethod
    def sql(q):
        steps = {"down": [("dst", "src")], "up": [("src", "dst")], "both": [("dst", "src"), ("src", "dst")]}[q.direction]
        start = START_BY_NAME.format(param="?")
        if q.hops is None:
            cols, seed, d, lim = "n", f"SELECT 2 * id {start}", "", ""
        else:
            cols, seed, d, lim = "n, d", f"SELECT 2 * id, 0 {start}", ", w.d + 1", f" WHERE w.d < {q.hops}"
        body = "\n  UNION ".join([seed] + [f"SELECT l.{to}{d} FROM w JOIN temp.Lineage l ON l.{frm} = w.n{lim}" for to, frm in steps])
        if q.model:
            tail = ("SELECT 0, a.id FROM w JOIN Artifact a ON w.n % 2 = 0 AND a.id = w.n / 2 "
                    "JOIN Type t ON t.id = a.type_id AND t.name = 'Model'")
        elif q.by_type:
            tail = ("SELECT t.name, count(*) FROM w "
                    "LEFT JOIN Artifact a ON w.n % 2 = 0 AND a.id = w.n / 2 "
                    "LEFT JOIN Execution x ON w.n % 2 = 1 AND x.id = w.n / 2 "
                    "JOIN Type t ON t.id = coalesce(a.type_id, x.type_id) "
                    f"WHERE w.n NOT IN (SELECT 2 * id {start}) GROUP BY t.name")
        elif q.hops is None:
            tail = "SELECT n % 2, n / 2 FROM w"  # UNION already keeps each node once
        else:
            tail = "SELECT DISTINCT n % 2, n / 2 FROM w"  # a node reached at several depths is in w once per depth
        return f"WITH RECURSIVE w({cols}) AS (\n  {body}\n)\n{tail}"

    def query(self, q):
        sql = self.sql(q)
        start = self.conn.execute("SELECT id FROM Artifact WHERE name = ?", (q.start,)).fetchone()[0]
        params = (q.start,) * (2 if q.by_type else 1)
        return lambda: to_answer(self.conn.execute(sql, params).fetchall(), q, start)


def export_csv(db, work):
    """The tables the peers need, as CSV files (DuckDB's sqlite extension downloads from outside
    PyPI, so the copy goes through Python's sqlite3)."""
    work.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    files = {}
    queries = {
        "artifact": "SELECT a.id, a.type_id, a.name, t.name FROM Artifact a JOIN Type t ON t.id = a.type_id",
        "execution": "SELECT x.id, x.type_id, t.name FROM Execution x JOIN Type t ON t.id = x.type_id",
        "type": "SELECT id, name FROM Type",
        "event": "SELECT artifact_id, execution_id, type FROM Event",
        "consumes": f"SELECT artifact_id, execution_id FROM Event WHERE type IN {INPUT_TYPES}",
        "produces": f"SELECT execution_id, artifact_id FROM Event WHERE type IN {OUTPUT_TYPES}",
        "artifact_name": "SELECT DISTINCT name FROM Artifact WHERE name IS NOT NULL",
        "named": "SELECT name, id FROM Artifact WHERE name IS NOT NULL",
    }
    for name, sql in queries.items():
        path = work / f"{name}.csv"
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(conn.execute(sql))
        files[name] = path
    conn.close()
    return files


class DuckDBPeer:
    def __init__(self, files, work, name):
        import duckdb
        self.path = work / f"{name}.duckdb"
        if self.path.exists():
            self.path.unlink()
        self.conn = duckdb.connect(str(self.path))
        c = self.conn
        c.execute(f"CREATE TABLE Artifact AS SELECT column0::BIGINT AS id, column1::BIGINT AS type_id, column2::VARCHAR AS name "
                  f"FROM read_csv('{files['artifact']}', header = false, all_varchar = true)")
        c.execute(f"CREATE TABLE Execution AS SELECT column0::BIGINT AS id, column1::BIGINT AS type_id "
                  f"FROM read_csv('{files['execution']}', header = false, all_varchar = true)")
        c.execute(f"CREATE TABLE Type AS SELECT column0::BIGINT AS id, column1::VARCHAR AS name "
                  f"FROM read_csv('{files['type']}', header = false, all_varchar = true)")
        c.execute(f"CREATE TABLE Event AS SELECT column0::BIGINT AS artifact_id, column1::BIGINT AS execution_id, "
                  f"column2::INTEGER AS type FROM read_csv('{files['event']}', header = false)")
        # DuckDB's recursive CTE may name itself only once, so the two event directions become one
        # edge table (node = 2 * id + kind, kind 0 artifact, 1 execution), built here from Event.
        ins, outs = ",".join(map(str, INPUT_TYPES)), ",".join(map(str, OUTPUT_TYPES))
        c.execute(f"CREATE TABLE Lineage AS SELECT 2 * artifact_id AS src, 2 * execution_id + 1 AS dst FROM Event "
                  f"WHERE type IN ({ins}) UNION ALL SELECT 2 * execution_id + 1, 2 * artifact_id FROM Event "
                  f"WHERE type IN ({outs})")
        c.execute("CREATE TABLE LineageBoth AS SELECT src, dst FROM Lineage UNION ALL SELECT dst, src FROM Lineage")
        c.execute("CHECKPOINT")

    @staticmethod
    def sql(q):
        table = "LineageBoth" if q.direction == "both" else "Lineage"
        src, dst = ("dst", "src") if q.direction == "up" else ("src", "dst")
        if q.hops is None:
            cols, seed, d, lim = "n", "SELECT 2 * id FROM Artifact WHERE name = ?", "", ""
        else:
            cols, seed, d, lim = "n, d", "SELECT 2 * id, 0 FROM Artifact WHERE name = ?", ", w.d + 1", f" WHERE w.d < {q.hops}"
        body = f"{seed}\n  UNION SELECT l.{dst}{d} FROM w JOIN {table} l ON l.{src} = w.n{lim}"
        if q.model:
            tail = ("SELECT 0, a.id FROM w JOIN Artifact a ON w.n % 2 = 0 AND a.id = w.n // 2 "
                    "JOIN Type t ON t.id = a.type_id AND t.name = 'Model'")
        elif q.by_type:
            tail = ("SELECT t.name, count(*) FROM (SELECT DISTINCT n FROM w) v "
                    "LEFT JOIN Artifact a ON v.n % 2 = 0 AND a.id = v.n // 2 "
                    "LEFT JOIN Execution x ON v.n % 2 = 1 AND x.id = v.n // 2 "
                    "JOIN Type t ON t.id = coalesce(a.type_id, x.type_id) "
                    "WHERE v.n NOT IN (SELECT 2 * id FROM Artifact WHERE name = ?) GROUP BY t.name")
        elif q.hops is None:
            tail = "SELECT n % 2, n // 2 FROM w"  # UNION already keeps each node once
        else:
            tail = "SELECT DISTINCT n % 2, n // 2 FROM w"
        return f"WITH RECURSIVE w({cols}) AS (\n  {body}\n)\n{tail}"

    def query(self, q):
        sql = self.sql(q)
        start = self.conn.execute("SELECT id FROM Artifact WHERE name = ?", [q.start]).fetchone()[0]
        params = [q.start] * (2 if q.by_type else 1)
        return lambda: to_answer(self.conn.execute(sql, params).fetchall(), q, start)


class KuzuPeer:
    def __init__(self, files, work, name):
        import kuzu
        self.path = work / f"{name}.kuzu"
        if self.path.exists():
            shutil.rmtree(self.path) if self.path.is_dir() else self.path.unlink()
        self.db = kuzu.Database(str(self.path))
        self.conn = kuzu.Connection(self.db)
        c = self.conn
        c.execute("CREATE NODE TABLE Artifact(id INT64, type_id INT64, name STRING, type STRING, PRIMARY KEY(id))")
        c.execute("CREATE NODE TABLE Execution(id INT64, type_id INT64, type STRING, PRIMARY KEY(id))")
        c.execute("CREATE REL TABLE Lineage(FROM Artifact TO Execution, FROM Execution TO Artifact)")
        # Kuzu indexes a node table by its primary key only, and MLMD's artifact names are unique
        # per type, not overall: a lookup by name on Artifact scans every artifact (8 ms of the
        # 10-12 ms of a small question here). Names become nodes of their own, keyed by the name,
        # each pointing at the artifacts that carry it.
        c.execute("CREATE NODE TABLE ArtifactName(name STRING, PRIMARY KEY(name))")
        c.execute("CREATE REL TABLE Named(FROM ArtifactName TO Artifact)")
        c.execute(f"COPY Artifact FROM '{files['artifact']}' (header = false)")
        c.execute(f"COPY Execution FROM '{files['execution']}' (header = false)")
        c.execute(f"COPY Lineage FROM '{files['consumes']}' (from = 'Artifact', to = 'Execution', header = false)")
        c.execute(f"COPY Lineage FROM '{files['produces']}' (from = 'Execution', to = 'Artifact', header = false)")
        c.execute(f"COPY ArtifactName FROM '{files['artifact_name']}' (header = false)")
        c.execute(f"COPY Named FROM '{files['named']}' (header = false)")

    def cypher(self, q):
        arrow = {"down": ("-", "->"), "up": ("<-", "-"), "both": ("-", "-")}[q.direction]
        bound = f" 1..{q.hops}" if q.hops is not None else ""
        # The target stays unlabelled and is filtered after the walk: with (m:Artifact) and the name
        # lookup through ArtifactName, Kuzu plans the walk from every Model artifact (seconds).
        where = " WITH DISTINCT m WHERE label(m) = 'Artifact' AND m.type = 'Model'" if q.model else ""
        ret = "WITH DISTINCT m RETURN m.type, count(*)" if q.by_type else "RETURN DISTINCT label(m), m.id"
        return (f"MATCH (:ArtifactName {{name: $name}})-[:Named]->(s:Artifact)"
                f"{arrow[0]}[:Lineage* SHORTEST{bound}]{arrow[1]}(m){where} {ret}")

    def query(self, q):
        cypher = self.cypher(q)
        start = self.conn.execute("MATCH (a:Artifact {name: $name}) RETURN a.id", {"name": q.start}).get_next()[0]

        def run():
            r = self.conn.execute(cypher, {"name": q.start})
            if q.by_type:
                rows = []
                while r.has_next():
                    rows.append(r.get_next())
                return frozenset((t, int(c)) for t, c in rows)
            answer = set()
            while r.has_next():
                label, ident = r.get_next()
                answer.add((label.lower(), int(ident)))
            if q.hops is not None:
                answer.add(("artifact", start))
            return answer
        return run


# ---------------------------------------------------------------------------------------------
# ml-metadata

def mlmd_store(path, readonly):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = (mlmd.SqliteMetadataSourceConfig.READONLY if readonly
                                     else mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
    return metadata_store.MetadataStore(config)


class MLMDPeer:
    MASK = ["artifacts", "executions", "contexts", "events", "attributions", "associations"]

    def __init__(self, db):
        from ml_metadata.proto import metadata_store_pb2 as mlmd
        self.mlmd = mlmd
        self.store = mlmd_store(db, readonly=True)
        self.model_type = self.store.get_artifact_type("Model").id
        self.artifact_types = {t.id: t.name for t in self.store.get_artifact_types()}
        self.execution_types = {t.id: t.name for t in self.store.get_execution_types()}
        self.db = db

    def start_id(self, name):
        """The start artifact's id (only to leave it out of closures, as Pedigree's `*` does)."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT id FROM Artifact WHERE name = ?", (name,)).fetchone()[0]

    def query(self, q):
        Q = self.mlmd.LineageSubgraphQueryOptions
        direction = {"down": Q.DOWNSTREAM, "up": Q.UPSTREAM, "both": Q.BIDIRECTIONAL}[q.direction]
        hops = q.hops if q.hops is not None else MLMD_MAX_HOPS
        options = Q(max_num_hops=hops, direction=direction)
        options.starting_artifacts.filter_query = f"name = '{q.start}'"
        start_id = self.start_id(q.start)

        def run():
            g = self.store.get_lineage_subgraph(query_options=options, field_mask_paths=self.MASK)
            if q.model:
                return {("artifact", a.id) for a in g.artifacts if a.type_id == self.model_type}
            if q.by_type:  # counted by the client: the library has no aggregation
                counts = Counter(self.artifact_types[a.type_id] for a in g.artifacts if a.id != start_id)
                counts.update(self.execution_types[x.type_id] for x in g.executions)
                return frozenset(counts.items())
            answer = {("artifact", a.id) for a in g.artifacts} | {("execution", x.id) for x in g.executions}
            if q.hops is None:
                answer.discard(("artifact", start_id))
            return answer
        return run


def mlmd_put_execution_latency(work, calls):
    """ml-metadata's put_execution on a file: the workload of `PedigreeBenchmarks put-execution`."""
    path = work / "mlmd-put-execution.sqlite"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = mlmd_store(path, readonly=False)
    median, p90 = put_execution_workload(store, calls)
    journal = sqlite3.connect(str(path)).execute("PRAGMA journal_mode").fetchone()[0]
    del store
    return median, p90, journal


def put_execution_workload(store, calls):
    """Times `calls` put_execution calls on an ml-metadata store (1 execution, the previous
    call's 2 outputs as inputs, 2 new outputs, 1 context reused by name); (median, p90) seconds."""
    types = put_execution_types(store)
    inputs = put_execution_inputs(store, types)
    times = []
    for c in range(calls):
        request, outputs = put_execution_request(types, inputs, c)
        t0 = time.perf_counter()
        _, artifact_ids, _ = store.put_execution(*request, reuse_context_if_already_exist=True)
        times.append(time.perf_counter() - t0)
        inputs = put_execution_outputs(outputs, artifact_ids)
    times.sort()
    return times[len(times) // 2], times[len(times) * 9 // 10]


# The steps of put_execution_workload, for workloads that interleave its writes with other calls
# (Benchmarks/servers/shared.py): `prefix` keeps the names of concurrent writers apart.

def put_execution_types(store):
    """The workload's types (Dataset, Model, Trainer, PipelineRun): their ids."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    return (store.put_artifact_type(mlmd.ArtifactType(name="Dataset")),
            store.put_artifact_type(mlmd.ArtifactType(name="Model")),
            store.put_execution_type(mlmd.ExecutionType(name="Trainer")),
            store.put_context_type(mlmd.ContextType(name="PipelineRun")))


def put_execution_inputs(store, types, prefix=""):
    """The first call's 2 input artifacts (Dataset), written."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    inputs = []
    for i in range(2):
        a = mlmd.Artifact(type_id=types[0], name=f"{prefix}input-{i}", uri=f"/data/{prefix}input-{i}", state=mlmd.Artifact.LIVE)
        [a.id] = store.put_artifacts([a])
        inputs.append(a)
    return inputs


def put_execution_request(types, inputs, c, prefix="", context="bench-run"):
    """Call c's put_execution arguments (execution, artifact and event pairs, contexts) and its 2
    output artifacts (Model, without ids yet)."""
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    _, model, trainer, run = types
    outputs = [mlmd.Artifact(type_id=model, name=f"{prefix}m-{c}-{j}", uri=f"/data/{prefix}m-{c}-{j}", state=mlmd.Artifact.LIVE)
               for j in range(2)]
    pairs = ([(a, mlmd.Event(type=mlmd.Event.INPUT)) for a in inputs]
             + [(a, mlmd.Event(type=mlmd.Event.OUTPUT)) for a in outputs])
    execution = mlmd.Execution(type_id=trainer, name=f"{prefix}e-{c}", last_known_state=mlmd.Execution.COMPLETE)
    return (execution, pairs, [mlmd.Context(type_id=run, name=f"{prefix}{context}")]), outputs


def put_execution_outputs(outputs, artifact_ids):
    """The outputs with the ids put_execution gave them: the next call's inputs."""
    for a, i in zip(outputs, artifact_ids[2:]):
        a.id = i
    return outputs


# ---------------------------------------------------------------------------------------------

class Comparison:
    """The questions asked of one store, and what each peer answered."""

    def __init__(self, shape, db, generate_time):
        self.shape, self.db, self.generate_time = shape, db, generate_time
        self.qs = []
        self.notes = []       # footnotes: why a peer is missing, capped or wrong
        self.loads = {}       # peer -> (load seconds, size bytes, how)
        self.results = {}     # (peer, Q) -> (median, runs, status, detail)
        self.answers = {}


def compare(c, peers, args, log):
    """Asks c's questions of Pedigree and of each peer, checking every answer against Pedigree's."""
    work = c.db.parent
    ped = Pedigree(args.pedigree, str(c.db))
    for q in c.qs:
        t, runs, answer = ped.run(q, args.repeat)
        c.answers[q.key] = answer
        c.results[("pedigree", q.key)] = (t, runs, "ok", "")
        log(f"pedigree {c.shape} {q.key}: {fmt(t)} ({describe(q, answer)})")
    for q in c.qs:
        if answer_size(q, c.answers[q.key]) <= (1 if q.hops is not None else 0):
            c.notes.append(f"{q.key}: the answer is trivial with seed {args.seed} ({q.start} has no lineage); "
                           "pick another seed for a meaningful comparison.")
    c.loads["pedigree"] = (statistics.median(ped.open_times), size_of(c.db), "open: MLMD file to ready graph")

    for peer in peers:
        try:
            if peer == "mlmd":
                from ml_metadata.metadata_store import metadata_store  # noqa: F401  (import is not load)
            t0 = time.perf_counter()
            if peer == "mlmd":
                impl, how, size = MLMDPeer(str(c.db)), "connect to the MLMD file", size_of(c.db)
            elif peer == "sqlite":
                impl, how, size = (SQLitePeer(str(c.db)), "connect to the MLMD file + an edge table from Event (TEMP, in memory)",
                                   size_of(c.db))
            elif peer == "sqlite-mlmd":
                impl, how, size = SQLiteMLMDPeer(str(c.db)), "connect to the MLMD file", size_of(c.db)
            elif peer == "duckdb":
                import duckdb  # noqa: F401  (fails here if not installed)
                impl = DuckDBPeer(export_csv(c.db, work / f"{c.shape}-duckdb-csv"), work, c.shape)
                how = "CSV export of Artifact, Execution, Type, Event from the MLMD file + CREATE TABLE AS (+ edge tables)"
                size = size_of(impl.path)
            elif peer == "kuzu":
                import kuzu  # noqa: F401
                impl = KuzuPeer(export_csv(c.db, work / f"{c.shape}-kuzu-csv"), work, c.shape)
                how, size = "CSV export from the MLMD file + COPY of nodes and edges", size_of(impl.path)
            else:
                raise SystemExit(f"unknown peer {peer}")
            c.loads[peer] = (time.perf_counter() - t0, size, how)
        except ImportError as e:
            c.notes.append(f"{TITLE[peer]}: not installed ({e}); not measured.")
            log(f"{peer}: not installed: {e}")
            continue
        log(f"{peer}: loaded the {c.shape} store in {fmt(c.loads[peer][0])}")
        for q in c.qs:
            try:
                t, runs, answer = timed(impl.query(q), args.repeat, args.budget)
            except Exception as e:  # a peer's own error is reported, not hidden
                c.results[(peer, q.key)] = (None, 0, "error", f"{type(e).__name__}: {e}".splitlines()[0][:200])
                c.notes.append(f"{TITLE[peer]} {q.key}: error: {c.results[(peer, q.key)][3]}")
                log(f"{peer} {q.key}: error {e}")
                continue
            record(c, peer, q, t, runs, answer, log)
        del impl

    if args.c_bfs:
        cb = CBFS(args.c_bfs, str(c.db))
        # The whole-store closures only: a bounded question's answer in Pedigree is a subgraph
        # (events and all), which the C walk does not build.
        for q in (q for q in c.qs if q.hops is None):
            try:
                t, runs, answer = cb.run(q, args.repeat)
            except Exception as e:
                c.results[("c", q.key)] = (None, 0, "error", f"{type(e).__name__}: {e}".splitlines()[0][:200])
                c.notes.append(f"{TITLE['c']} {q.key}: error: {c.results[('c', q.key)][3]}")
                log(f"c {q.key}: error {e}")
                continue
            record(c, "c", q, t, runs, answer, log)
        if cb.load_times:
            c.loads["c"] = (statistics.median(cb.load_times), size_of(c.db),
                            "Event (and node types) read from the MLMD file into CSR arrays")


def record(c, peer, q, t, runs, answer, log):
    """Checks a peer's answer against Pedigree's and records its time, status and why."""
    want = c.answers[q.key]
    if answer == want:
        status, detail = "ok", ""
    else:
        diff = describe_difference(q, answer, want)
        if peer == "mlmd" and q.hops is None:
            status = "capped"
            detail = (f"get_lineage_subgraph takes at most {MLMD_MAX_HOPS} hops (max_num_hops); "
                      f"the closure needs more: {diff}")
        elif peer == "kuzu" and q.hops is None:
            status = "wrong"
            detail = (f"Kuzu clamps a variable-length path without an upper bound at {KUZU_MAX_DEPTH} hops "
                      f"(var_length_extend_max_depth); answered {diff}")
        else:
            status, detail = "wrong", f"answered {diff}"
        c.notes.append(f"{TITLE[peer]} {q.key} {status}: {detail}")
    c.results[(peer, q.key)] = (t, runs, status, detail)
    log(f"{peer} {q.key}: {fmt(t)} x{runs} {status} {detail}")


def print_questions(c, peers, args):
    n, seed = args.executions, args.seed
    print(f"### Lineage questions: {c.shape} store, {n} executions, seed {seed}\n")
    print(f"Median latency (runs in parentheses where fewer than {args.repeat}); × is the ratio peer / Pedigree, "
          "given only for answers equal to Pedigree's (every answer is checked: node sets, or counts per type).\n")
    cols = ["pedigree"] + [p for p in peers if p in c.loads]
    print("| question | answer | " + " | ".join(TITLE[col] for col in cols) + " |")
    print("| --- | --- |" + " --- |" * len(cols))
    for q in c.qs:
        base = c.results[("pedigree", q.key)][0]
        cells = []
        for col in cols:
            t, runs, status, _ = c.results.get((col, q.key), (None, 0, "–", ""))
            if t is None:
                cells.append(status)
                continue
            cell = fmt(t)
            if runs < args.repeat:
                cell += f" ({runs})"
            if col != "pedigree" and status == "ok":
                cell += f" ({t / base:,.0f}×)" if t / base >= 10 else f" ({t / base:.1f}×)"
            if status != "ok":
                cell = f"**{status}**: {cell}"
            cells.append(cell)
        print(f"| {q.key}: {q.text} | {describe(q, c.answers[q.key])} | " + " | ".join(cells) + " |")
    print()
    if "c" in c.loads:
        print("Whole-store closures against the C yardstick (a breadth-first search over CSR arrays built from the "
              "Event table, Benchmarks/cbfs/cbfs.c; the walk alone, median of its own runs, the same answer checked; "
              "Pedigree's figure is its query time, the median of its own runs): Pedigree / C, goal at most 2×.\n")
        print("| question | Pedigree | C | Pedigree / C |")
        print("| --- | --- | --- | --- |")
        for q in (q for q in c.qs if q.hops is None):
            base = c.results[("pedigree", q.key)][0]
            t, _, status, _ = c.results.get(("c", q.key), (None, 0, "–", ""))
            ratio = f"{base / t:.1f}×" if t and status == "ok" else status
            print(f"| {q.key}: {q.text} | {fmt(base)} | {fmt(t)} | {ratio} |")
        print()
    for q in c.qs:
        print(f"- {q.key} in Pedigree: `{q.pedigree()}`")
    if c.notes:
        print()
        for note in c.notes:
            print(f"- {note}")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pedigree", required=True, help="the release pedigree binary")
    ap.add_argument("--executions", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", help="where the stores go (default: a temporary directory, removed after)")
    ap.add_argument("--repeat", type=int, default=25, help="runs per question and peer (median)")
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per question and peer before stopping early")
    ap.add_argument("--write-calls", type=int, default=300, help="put_execution calls (median)")
    ap.add_argument("--swift-bench", help="PedigreeBenchmarks binary, for Pedigree's put_execution latency")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--c-bfs", help="the cbfs binary (Benchmarks/cbfs/cbfs.c): the C yardstick for Pedigree's walks")
    ap.add_argument("--shapes", default="chain,tfx", help="the stores to ask: chain (Q1-Q5), tfx (T1, T2)")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a peer is missing, fails, or answers wrong other than by its known limit "
                         "(the smoke run, so the comparison never rots)")
    args = ap.parse_args()

    peers = [p for p in args.peers.split(",") if p]
    shapes = [s for s in args.shapes.split(",") if s]
    if not shapes or any(s not in ("chain", "tfx") for s in shapes):
        raise SystemExit(f"--shapes: chain, tfx or both, not {args.shapes!r}")
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="pedigree-peers-"))
    work.mkdir(parents=True, exist_ok=True)
    n, seed = args.executions, args.seed
    log = lambda msg: print(f"[peers] {msg}", file=sys.stderr, flush=True)

    comparisons = []
    for shape in shapes:
        db = work / f"{shape}-n{n}-s{seed}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        t0 = time.perf_counter()
        subprocess.run([args.pedigree, "generate", "--db", str(db), "--shape", shape, "--executions", str(n),
                        "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
        c = Comparison(shape, db, time.perf_counter() - t0)
        log(f"generated {db} in {c.generate_time:.1f} s")
        c.qs = chain_questions(n) if shape == "chain" else tfx_questions(db)
        compare(c, peers, args, log)
        comparisons.append(c)

    write = {}
    if "mlmd" in peers and any("mlmd" in c.loads for c in comparisons):
        m, p90, journal = mlmd_put_execution_latency(work, args.write_calls)
        write["mlmd"] = (m, p90, f"rollback journal (journal_mode={journal}), MLMD's own SQLite settings")
        log(f"mlmd put_execution: {fmt(m)}")
    if args.swift_bench:
        p = subprocess.run([args.swift_bench, "put-execution", "--write-calls", str(args.write_calls),
                            "--dir", str(work / "swift-put")], capture_output=True, text=True, check=True)
        m = re.search(r"put_execution\.durable\.file \| (.+?) median, (.+?) p90", p.stdout)
        if m:
            write["pedigree"] = (parse_duration(m.group(1)), parse_duration(m.group(2)), "WAL, synchronous=FULL")
        log(f"pedigree put_execution: {p.stdout.strip().splitlines()[-1]}")

    # -- the tables
    for c in comparisons:
        print_questions(c, peers, args)
    print("### Load and size\n")
    print("Stores generated by " + " and ".join(
        f"`pedigree generate --shape {c.shape} --executions {n} --seed {seed}` in {c.generate_time:.1f} s"
        for c in comparisons) + ".\n")
    print("| store | peer | load | size | how |")
    print("| --- | --- | --- | --- | --- |")
    for c in comparisons:
        for col in ["pedigree"] + [p for p in peers + ["c"] if p in c.loads]:
            t, size, how = c.loads[col]
            print(f"| {c.shape} | {TITLE[col]} | {fmt(t)} | {mib(size)} | {how} |")
    if write:
        print(f"\n### Durable single-execution write (put_execution on a file, median of {args.write_calls})\n")
        print("One execution, 2 input artifacts (the previous call's outputs, with ids), 2 new output artifacts, "
              "1 context reused by name; each call its own transaction.\n")
        print("| store | median | p90 | journal |")
        print("| --- | --- | --- | --- |")
        for col in ("pedigree", "mlmd"):
            if col in write:
                m, p90, how = write[col]
                print(f"| {TITLE[col]} | {fmt(m)} | {fmt(p90)} | {how} |")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    if args.strict:
        bad = []
        for c in comparisons:
            bad += [f"{c.shape}: {p}" for p in peers + (["c"] if args.c_bfs else []) if p not in c.loads]
            for (peer, key), (_, _, status, _) in c.results.items():
                known = status == "capped" or (status == "wrong" and peer == "kuzu"
                                               and next(q for q in c.qs if q.key == key).hops is None)
                if status != "ok" and not known:
                    bad.append(f"{c.shape}: {peer} {key}: {status}")
        if bad:
            print(f"[peers] strict: {'; '.join(bad)}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
