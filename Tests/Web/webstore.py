"""Shared by the explorer's tests: a demo store with a hostile node, and a running explorer."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

failures = []


def check(cond, what):
    """Records a failed expectation and goes on, so that one run reports them all."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def finish(name):
    """Prints the suite's verdict and exits 1 when anything failed."""
    print(f"{name}: {'FAILED ' + str(len(failures)) if failures else 'all passed'}")
    sys.exit(1 if failures else 0)


EVIL_NAME = '<script>alert("pwned")</script>'
EVIL_URI = '"><img src=x onerror=alert(1)>'
EVIL_NOTE = '<b>bold</b> & "quoted"'


def records(pedigree, db):
    out = subprocess.run([pedigree, "export", "--db", db, "-"], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def make_store(pedigree, db):
    """`pedigree demo`, plus a Model artifact whose name, uri and property are markup, written by a
    Trainer: the pages must show them as text. Returns (records, evil artifact id)."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    subprocess.run([pedigree, "demo", "--db", db], check=True, capture_output=True)
    recs = records(pedigree, db)
    model_type = next(r["id"] for r in recs if r["record"] == "type" and r["kind"] == "artifact" and r["name"] == "Model")
    trainer_type = next(r["id"] for r in recs if r["record"] == "type" and r["kind"] == "execution" and r["name"] == "Trainer")
    trainer = max(r["id"] for r in recs if r["record"] == "execution" and r["type_id"] == trainer_type)
    evil = max(r["id"] for r in recs if r["record"] == "artifact") + 100
    event = max(r["id"] for r in recs if r["record"] == "event") + 100
    lines = [
        {"record": "header", "format": "pedigree-jsonl", "version": 1, "mlmd_schema_version": 10},
        {"record": "artifact", "id": evil, "type_id": model_type, "name": EVIL_NAME, "uri": EVIL_URI, "state": "LIVE",
         "properties": {}, "custom_properties": {"note": {"string": EVIL_NOTE}}},
        {"record": "event", "id": event, "artifact_id": evil, "execution_id": trainer, "type": "OUTPUT", "path": []},
    ]
    path = db + ".evil.jsonl"
    with open(path, "w") as f:
        f.write("\n".join(json.dumps(x) for x in lines) + "\n")
    subprocess.run([pedigree, "import", "--db", db, path], check=True, capture_output=True)
    os.remove(path)
    return records(pedigree, db), evil


class Explorer:
    """`pedigree web` (or `serve --http-port`) on a store, on a free loopback port."""

    def __init__(self, pedigree, args, scheme="http"):
        self.proc = subprocess.Popen([pedigree] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.grpc_port = None
        self.http_port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server stopped: " + self.proc.stderr.read())
            m = re.match(r"pedigree: serving .* on [\d.]+:(\d+)", line)
            if m:
                self.grpc_port = int(m.group(1))
            m = re.match(r"pedigree: explorer at (https?)://127\.0\.0\.1:(\d+)/", line)
            if m:
                assert m.group(1) == scheme, line
                self.http_port = int(m.group(2))
                break
        assert self.http_port, "no explorer line"
        self.base = f"{scheme}://127.0.0.1:{self.http_port}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode


def fetch(url, data=None, headers=None, method=None, context=None):
    """(status, headers, body bytes) for a URL; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    handlers = [NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
