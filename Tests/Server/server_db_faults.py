"""Bad input and failures of the database server, for `pedigree serve` and the CLI on MySQL
(MariaDB) and PostgreSQL stores.

For each server (PEDIGREE_MYSQL_URL, PEDIGREE_POSTGRES_URL: base URLs ending in /, as
Scripts/dbservers.sh's env exports them), with `pedigree stats`, `check` and `serve`:

  wrong password       exit 77, "refused the user or password", the password never printed
  unreachable port     exit 69, "cannot reach the database", within seconds
  missing database     a reading command: exit 65 "no such database", and it is not created
  not an MLMD database (an empty database with one table of its own): exit 65 "not an MLMD
                       database" from every command, serve included, and the database untouched
  schema version 9     (ml-metadata 1.17.1 creates the store, then MLMDEnv.schema_version = 9):
                       exit 65 "MLMD schema version 9", and the version is left at 9
  connection dropped   while `pedigree serve` runs, the server ends its connections (KILL /
                       pg_terminate_backend): reads still answer; the next write succeeds; what
                       the real library commits afterwards is followed without a write through
                       Pedigree

With --restart-postgres, also: the PostgreSQL server of Scripts/dbservers.sh (data directory
$DBSERVERS_DIR/postgres) is stopped with pg_ctl while `pedigree serve` runs on it: reads answer
from memory, a write fails with UNAVAILABLE (quickly, and is not applied), the server keeps
running; the database is started again on the same port (with the options of postmaster.opts):
the next write succeeds, a commit of the real library is followed, SIGTERM exits 0 and `pedigree
check` passes. PostgreSQL is started again whatever happens.

The databases made here are named pedigree_faults_<random>_*; they are dropped (with the mariadb
and psql clients) after a passing run, kept after a failing one.

Usage: $PY server_db_faults.py --pedigree BIN [--restart-postgres] [--only mysql|postgresql]
"""
import argparse
import glob
import os
import tempfile
import json
import re
import shlex
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--pedigree")
parser.add_argument("--restart-postgres", action="store_true")
parser.add_argument("--only", choices=["mysql", "postgresql"])
parser.add_argument("--library", nargs="+", help=argparse.SUPPRESS)  # internal: URL OP [ARG]
args = parser.parse_args()


# ---------------------------------------------------------------------------------------------
# The real library, in a child process (its C++ logging goes to the child's standard error).

def library_config(url):
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    u = urlparse(url)
    c = mlmd.ConnectionConfig()
    if u.scheme == "mysql":
        c.mysql.host, c.mysql.port, c.mysql.database = u.hostname, u.port, u.path.lstrip("/")
        c.mysql.user, c.mysql.password = u.username or "", u.password or ""
    else:
        c.postgresql.host, c.postgresql.port, c.postgresql.dbname = u.hostname, str(u.port), u.path.lstrip("/")
        c.postgresql.user, c.postgresql.password = u.username or "", u.password or ""
    return c


if args.library:
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as mlmd
    url, op, *rest = args.library
    store = metadata_store.MetadataStore(library_config(url))
    if op == "create":
        t = store.put_artifact_type(mlmd.ArtifactType(name="FaultType"))
        store.put_artifacts([mlmd.Artifact(type_id=t, uri="/created")])
    elif op == "put":
        t = store.get_artifact_type("FaultType")
        store.put_artifacts([mlmd.Artifact(type_id=t.id, uri=rest[0])])
    sys.exit(0)

if not args.pedigree:
    parser.error("--pedigree is required")

import grpc  # noqa: E402
from ml_metadata import errors  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as mlmd  # noqa: E402

PEDIGREE = os.path.abspath(args.pedigree)
RUN = f"pedigree_faults_{uuid.uuid4().hex[:8]}"
failures = []
made = []          # (backend, database) to drop after a passing run
WRONG_PASSWORD = "not-the-password-4f1c"


def fail(what):
    failures.append(what)
    print(f"  FAIL: {what}")


def note(what):
    print(f"  {what}")


class Backend:
    def __init__(self, name, base):
        u = urlparse(base)
        self.name, self.base = name, base.rstrip("/") + "/"
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.user, self.password = u.username or "", u.password or ""

    def url(self, db, password=None, port=None):
        return f"{self.scheme}://{self.user}:{self.password if password is None else password}@{self.host}:{port or self.port}/{db}"

    def sql(self, sql, db=None):
        """Runs SQL with the command-line client; returns its output (tab-separated rows)."""
        if self.scheme == "mysql":
            argv = ["mariadb", "--no-defaults", "--protocol=TCP", "-h", self.host, "-P", str(self.port), "-u", self.user,
                    "--batch", "--skip-column-names", *([db] if db else []), "-e", sql]
            env = {**os.environ, "MYSQL_PWD": self.password}
        else:
            argv = ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
                    "-U", self.user, "-d", db or "postgres", "-c", sql]
            env = {**os.environ, "PGPASSWORD": self.password}
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"{argv[0]}: {sql}: {p.stderr.strip()}")
        return p.stdout.strip()

    def create(self, db):
        made.append((self, db))
        self.sql(f"CREATE DATABASE {self.quote(db)}")

    def drop(self, db):
        self.sql(f"DROP DATABASE IF EXISTS {self.quote(db)}")

    def quote(self, name):
        return f"`{name}`" if self.scheme == "mysql" else f'"{name}"'

    def exists(self, db):
        if self.scheme == "mysql":
            return self.sql(f"SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{db}'") == "1"
        return self.sql(f"SELECT count(*) FROM pg_database WHERE datname = '{db}'") == "1"

    def tables(self, db):
        if self.scheme == "mysql":
            rows = self.sql(f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{db}'")
        else:
            rows = self.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", db)
        return sorted(r.lower() for r in rows.split("\n") if r)

    def drop_connections(self, db):
        """The database server ends every connection to `db` (as a restart or a timeout would)."""
        if self.scheme == "mysql":
            ids = self.sql(f"SELECT id FROM information_schema.processlist WHERE db = '{db}'").split()
            for i in ids:
                try:
                    self.sql(f"KILL {i}")
                except RuntimeError:
                    pass        # already gone
            return len(ids)
        return len(self.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            f"WHERE datname = '{db}' AND pid <> pg_backend_pid()").split())


def run(*argv, timeout=60):
    t0 = time.monotonic()
    p = subprocess.run([PEDIGREE, *argv], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


def library(url, op, *rest):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--library", url, op, *rest],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"the library ({op} on {url}): " + "\n".join(p.stderr.strip().splitlines()[-3:]))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def expect_exit(label, argv, code, contains, secret=None, max_seconds=30):
    try:
        got, out, seconds = run(*argv, timeout=max_seconds + 30)
    except subprocess.TimeoutExpired:
        fail(f"{label}: `pedigree {argv[0]}` still running after {max_seconds + 30} s")
        return ""
    first = out.strip().splitlines()[0] if out.strip() else ""
    note(f"{label}: pedigree {argv[0]} -> exit {got} in {seconds:.1f} s: {first[:220]}")
    if got != code:
        fail(f"{label}: `pedigree {' '.join(argv[:1])}` exited {got}, expected {code}: {out.strip()[:300]}")
    if contains not in out:
        fail(f"{label}: `pedigree {argv[0]}`: no {contains!r} in {out.strip()[:300]!r}")
    if secret and secret in out:
        fail(f"{label}: `pedigree {argv[0]}` printed the password")
    if seconds > max_seconds:
        fail(f"{label}: `pedigree {argv[0]}` took {seconds:.1f} s")
    return out


class Serve:
    """A `pedigree serve --db URL` on a free port."""

    def __init__(self, url, *extra):
        self.proc = subprocess.Popen([PEDIGREE, "serve", "--db", url, "--port", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r" on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            raise RuntimeError(f"pedigree serve did not start: {line}{self.proc.stderr.read()[-2000:]}")
        self.port = int(m.group(1))
        self.store = metadata_store.MetadataStore(mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=self.port))

    def uris(self):
        return sorted(a.uri for a in self.store.get_artifacts())

    def put(self, uri):
        t = self.store.get_artifact_type("FaultType")
        return self.store.put_artifacts([mlmd.Artifact(type_id=t.id, uri=uri)])

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; the exit code and the log's warning lines."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            return None, err
        return self.proc.returncode, err


def try_write(serve, uri):
    """(None, seconds) when the write succeeded, else (code, message, seconds)."""
    t0 = time.monotonic()
    try:
        serve.put(uri)
        return None, "", time.monotonic() - t0
    except errors.StatusError as e:
        return e.error_code, str(e).splitlines()[0], time.monotonic() - t0
    except grpc.RpcError as e:
        return e.code(), e.details(), time.monotonic() - t0


def seen_within(serve, uri, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if uri in serve.uris():
            return True
        time.sleep(0.1)
    return False


def bad_databases(b):
    print(f"[{b.name}] bad databases")
    db = f"{RUN}_x"
    out = expect_exit("wrong password", ["stats", "--db", b.url(db, password=WRONG_PASSWORD)], 77,
                      "refused the user or password", secret=WRONG_PASSWORD)
    expect_exit("wrong password", ["serve", "--port", "0", "--db", b.url(db, password=WRONG_PASSWORD)], 77,
                "refused the user or password", secret=WRONG_PASSWORD)
    if "UNAUTHENTICATED" not in out:
        fail("wrong password: no [UNAUTHENTICATED]")
    port = free_port()
    expect_exit("unreachable port", ["stats", "--db", b.url(db, port=port)], 69, "cannot reach the database")
    expect_exit("unreachable port", ["serve", "--port", "0", "--db", b.url(db, port=port)], 69, "cannot reach the database")
    expect_exit("unreachable port", ["init", "--db", b.url(db, port=port)], 69, "cannot reach the database")

    missing = f"{RUN}_missing"
    made.append((b, missing))
    expect_exit("missing database", ["stats", "--db", b.url(missing)], 65, "no such database")
    expect_exit("missing database", ["check", "--db", b.url(missing)], 65, "no such database")
    if b.exists(missing):
        fail("missing database: a reading command created it")

    other = f"{RUN}_notmlmd"
    b.create(other)
    b.sql("CREATE TABLE not_mlmd (x INT)", db=other)
    for command in (["stats"], ["check"], ["list", "artifacts"], ["init"], ["serve", "--port", "0"]):
        expect_exit("not an MLMD database", [*command, "--db", b.url(other)], 65, "not an MLMD database")
    if b.tables(other) != ["not_mlmd"]:
        fail(f"not an MLMD database: its tables are now {b.tables(other)}")

    old = f"{RUN}_v9"
    made.append((b, old))
    library(b.url(old), "create")
    b.sql("UPDATE MLMDEnv SET schema_version = 9", db=old)
    for command in (["stats"], ["check"], ["init"], ["serve", "--port", "0"]):
        expect_exit("schema version 9", [*command, "--db", b.url(old)], 65, "MLMD schema version 9")
    version = b.sql("SELECT schema_version FROM MLMDEnv", db=old)
    if version != "9":
        fail(f"schema version 9: MLMDEnv now says {version}")


def dropped_connections(b):
    print(f"[{b.name}] the database server drops pedigree serve's connections")
    db = f"{RUN}_drop"
    made.append((b, db))
    library(b.url(db), "create")
    serve = Serve(b.url(db), "--log-level", "warning")
    try:
        before = serve.uris()
        n = b.drop_connections(db)
        time.sleep(0.5)
        note(f"ended {n} connection(s) of pedigree serve")
        if serve.uris() != before:
            fail("dropped connection: reads changed")
        code, message, seconds = try_write(serve, "/after-drop")
        if code is None:
            note(f"the next write succeeded ({seconds:.2f} s)")
        else:
            fail(f"dropped connection: the next write failed with {code}: {message}")
            code, message, _ = try_write(serve, "/after-drop-2")
            note("the write after it " + ("succeeded" if code is None else f"failed too: {code} {message}"))
        # Then with no write through Pedigree: the follower must reconnect by itself.
        n = b.drop_connections(db)
        time.sleep(0.5)
        library(b.url(db), "put", "/library-after-drop")
        if seen_within(serve, "/library-after-drop", 3):
            note("the library's commit after the drop was followed")
        else:
            fail("dropped connection: what the library committed afterwards was not followed within 3 s "
                 "(pedigree serve reads stale data until a write through it reconnects)")
    finally:
        status, log = serve.stop()
    warnings = log.count("following the database failed")
    note(f"pedigree serve exited {status}; {warnings} 'following the database failed' warnings in its log")
    if status != 0:
        fail(f"dropped connection: pedigree serve exited {status} after SIGTERM")
    # With no follower (--follow-interval 0) nothing notices the drop before the next write.
    serve = Serve(b.url(db), "--log-level", "warning", "--follow-interval", "0")
    try:
        b.drop_connections(db)
        time.sleep(0.2)
        code, message, _ = try_write(serve, "/after-drop-unfollowed")
        if code is None:
            note("--follow-interval 0: the next write after the drop succeeded")
        else:
            fail(f"dropped connection, --follow-interval 0: the next write failed with {code}: {message}")
            code, message, _ = try_write(serve, "/after-drop-unfollowed-2")
            note("the write after it " + ("succeeded" if code is None else f"failed too: {code} {message}"))
    finally:
        status, _ = serve.stop()
    if status != 0:
        fail(f"dropped connection, --follow-interval 0: pedigree serve exited {status} after SIGTERM")


# ---------------------------------------------------------------------------------------------
# The PostgreSQL server stopped and started again

def lost_mid_import(b):
    """The server drops the connection in the middle of an import (one transaction): the import
    fails as UNAVAILABLE (exit 69) and the database holds nothing of it."""
    print(f"[{b.name}] the database server drops the connection in the middle of an import")
    db = f"{RUN}_mid"
    made.append((b, db))
    with tempfile.TemporaryDirectory() as tmp:
        store, lines = os.path.join(tmp, "big.sqlite"), os.path.join(tmp, "big.jsonl")
        for argv in (["generate", "--executions", "6000", "--db", store], ["export", "--db", store, lines]):
            code, out, _ = run(*argv, timeout=300)
            if code != 0:
                fail(f"mid-import: pedigree {argv[0]} failed: {out.strip()[:300]}")
                return
        run("init", "--db", b.url(db))
        p = subprocess.Popen([PEDIGREE, "import", "--db", b.url(db), lines], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        if p.poll() is not None:
            fail("mid-import: the import ended before its connection could be dropped; use a larger file")
            return
        n = b.drop_connections(db)
        out = p.communicate(timeout=300)[0]
    note(f"ended {n} connection(s) of pedigree import; it exited {p.returncode}: {out.strip()[:200]}")
    if p.returncode != 69 or "UNAVAILABLE" not in out:
        fail(f"mid-import: expected exit 69 with UNAVAILABLE, got {p.returncode}: {out.strip()[:300]}")
    code, out, _ = run("stats", "--db", b.url(db), "--format", "json")
    counts = json.loads(out) if code == 0 else {}
    if code != 0 or any(counts.get(k) for k in ("artifacts", "executions", "contexts", "events")):
        fail(f"mid-import: the interrupted import left records behind (exit {code}): {out.strip()[:300]}")


def pg_ctl_argv():
    bindir = os.environ.get("PG_BINDIR") or sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                                   key=lambda d: int(d.split("/")[-2]))[-1]
    data = os.path.join(os.environ["DBSERVERS_DIR"], "postgres")
    owner = os.stat(data).st_uid
    run_as = ["runuser", "-u", __import__("pwd").getpwuid(owner).pw_name, "--"] if os.getuid() == 0 and owner != 0 else []
    return [*run_as, os.path.join(bindir, "pg_ctl"), "-D", data], data


def postgres_options(data):
    """The server's options (as started) from postmaster.opts, less the binary and -D."""
    with open(os.path.join(data, "postmaster.opts")) as f:
        words = shlex.split(f.read())[1:]
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w == "-D":
            skip = True
        else:
            out.append(w)
    return " ".join(shlex.quote(w) for w in out)


def postgres_running(pg_ctl):
    return subprocess.run([*pg_ctl, "status"], capture_output=True).returncode == 0


def restart_postgres(b):
    print(f"[{b.name}] the PostgreSQL server stops while pedigree serve runs, then starts again")
    pg_ctl, data = pg_ctl_argv()
    options = postgres_options(data)
    log = os.path.join(os.environ["DBSERVERS_DIR"], "run", "postgres.log")
    start = [*pg_ctl, "-l", log, "-w", "-t", "60", "-o", options, "start"]
    db = f"{RUN}_restart"
    made.append((b, db))
    library(b.url(db), "create")
    serve = Serve(b.url(db), "--log-level", "warning")
    try:
        before = serve.uris()
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "-t", "60", "stop"], check=True, capture_output=True)
        try:
            time.sleep(0.5)
            if not serve.alive():
                fail("stopped database: pedigree serve exited")
            reads = serve.uris()
            note(f"reads while the database is down: {reads} (before: {before})")
            if reads != before:
                fail("stopped database: reads do not answer from memory")
            code, message, seconds = try_write(serve, "/while-down")
            note(f"a write while the database is down: {code} in {seconds:.2f} s: {message[:200]}")
            if code not in (errors.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE):
                fail(f"stopped database: a write answered {code}, expected UNAVAILABLE")
            if seconds > 10:
                fail(f"stopped database: the failing write took {seconds:.1f} s")
            if "/while-down" in serve.uris():
                fail("stopped database: the failed write is visible")
            time.sleep(1)
        finally:
            subprocess.run(start, check=True, capture_output=True)
        time.sleep(0.5)
        # First what another writer commits (no write through Pedigree yet), then Pedigree's own write.
        library(b.url(db), "put", "/library-after-restart")
        if seen_within(serve, "/library-after-restart", 3):
            note("the library's commit after the restart was followed")
        else:
            fail("restarted database: what the library committed after the restart was not followed within 3 s "
                 "(no write through pedigree serve yet)")
        code, message, _ = try_write(serve, "/after-restart")
        if code is None:
            note("the first write after the restart succeeded")
        else:
            fail(f"restarted database: the first write failed with {code}: {message}")
            code, message, _ = try_write(serve, "/after-restart-2")
            note("the write after it " + ("succeeded" if code is None else f"failed too: {code} {message}"))
        if not seen_within(serve, "/library-after-restart", 3):
            fail("restarted database: the library's commit is still not seen after a write through Pedigree")
        note(f"reads after the restart: {serve.uris()}")
    finally:
        status, log_text = serve.stop()
        if not postgres_running(pg_ctl):
            subprocess.run(start, capture_output=True)
    note(f"pedigree serve exited {status}; {log_text.count('following the database failed')} "
         "'following the database failed' warnings in its log")
    if status != 0:
        fail(f"restarted database: pedigree serve exited {status} after SIGTERM")
    code, out, _ = run("check", "--db", b.url(db))
    if code != 0:
        fail(f"restarted database: pedigree check exited {code}: {out.strip()[:300]}")
    if "/while-down" in out:
        fail("restarted database: the failed write was stored")


backends = []
for name, var in (("mysql", "PEDIGREE_MYSQL_URL"), ("postgresql", "PEDIGREE_POSTGRES_URL")):
    if args.only and args.only != name:
        continue
    if not os.environ.get(var):
        sys.exit(f"server_db_faults: {var} is not set (. DIR/env of Scripts/dbservers.sh start DIR)")
    backends.append(Backend(name, os.environ[var]))

t0 = time.monotonic()
for b in backends:
    try:
        bad_databases(b)
        dropped_connections(b)
        lost_mid_import(b)
        if args.restart_postgres and b.name == "postgresql":
            restart_postgres(b)
    except Exception as e:  # noqa: BLE001
        fail(f"{b.name}: {type(e).__name__}: {e}")

if failures:
    print(f"{len(failures)} failed; databases kept: {', '.join(sorted({d for _, d in made}))}")
    sys.exit(1)
for b, db in made:
    b.drop(db)
print(f"ok: bad databases and dropped connections on {', '.join(b.name for b in backends)} "
      f"({time.monotonic() - t0:.1f} s)")
