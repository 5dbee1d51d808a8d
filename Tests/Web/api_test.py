"""The explorer's JSON API (/api/v1/) against the CLI's own answers on the same store, its answers to
bad input, the escaping of its pages, the token and TLS.

    python Tests/Web/api_test.py --pedigree .build/debug/pedigree
"""
import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from webstore import EVIL_NAME, EVIL_NOTE, EVIL_URI, Explorer, check, fetch, finish, make_store  # noqa: E402

def cli_json(pedigree, db, *args):
    out = subprocess.run([pedigree, *args, "--db", db, "--format", "json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    args = ap.parse_args()
    pedigree = os.path.abspath(args.pedigree)
    work = tempfile.mkdtemp(prefix="pedigree-web-api.")
    db = os.path.join(work, "demo.sqlite")
    recs, evil = make_store(pedigree, db)

    # gRPC and HTTP side by side on one store, both on loopback.
    server = Explorer(pedigree, ["serve", "--db", db, "--port", "0", "--http-port", "0"])
    base = server.base
    check(server.grpc_port and server.grpc_port != server.http_port, "serve prints both ports")

    def get(path, **kw):
        return fetch(base + path, **kw)

    def get_json(path, status=200):
        code, headers, body = get(path)
        check(code == status, f"GET {path}: status {code}, expected {status}: {body[:300]!r}")
        check(headers.get("Content-Type", "").startswith("application/json"), f"GET {path}: JSON content type")
        check("app;dur=" in (headers.get("Server-Timing") or ""), f"GET {path}: Server-Timing header")
        return json.loads(body)

    try:
        artifacts = [r for r in recs if r["record"] == "artifact"]
        executions = [r for r in recs if r["record"] == "execution"]
        contexts = [r for r in recs if r["record"] == "context"]
        types = {r["id"]: r for r in recs if r["record"] == "type"}

        # stats
        s = get_json("/api/v1/stats")
        check((s["artifacts"], s["executions"], s["contexts"]) == (len(artifacts), len(executions), len(contexts)), "stats counts")

        # search: every node whose name or uri holds the text (any case), or whose type is named so
        def expected_search(text, kinds=("artifact", "execution", "context")):
            t = text.lower()
            out = set()
            for kind, rows in (("artifact", artifacts), ("execution", executions), ("context", contexts)):
                if kind not in kinds:
                    continue
                for r in rows:
                    if t in (r.get("name") or "").lower() or (kind == "artifact" and t in (r.get("uri") or "").lower()) \
                            or types[r["type_id"]]["name"].lower() == t:
                        out.add((kind, r["id"]))
            return out

        for text in ("model", "TAXI-RUN-2", "gs://serving", "Trainer"):
            got = get_json("/api/v1/nodes?" + urllib.parse.urlencode({"q": text, "limit": 1000}))
            found = {(n["kind"], n["id"]) for n in got["nodes"]}
            want = expected_search(text)
            check(found == want and got["total"] == len(want), f"search {text!r}: {sorted(found ^ want)[:6]} differ")
        got = get_json("/api/v1/nodes?q=model&kind=execution&limit=1000")
        check({(n["kind"], n["id"]) for n in got["nodes"]} == expected_search("model", ("execution",)), "search with kind")
        got = get_json("/api/v1/nodes?q=model&limit=2")
        check(len(got["nodes"]) == 2 and got["total"] == len(expected_search("model")), "search limit keeps the total")
        check(any(t["name"] == "Model" for t in got["types"]), "search lists matching types")
        # exact names rank first
        name = artifacts[3]["name"]
        got = get_json("/api/v1/nodes?" + urllib.parse.urlencode({"q": name}))
        check(got["nodes"][0]["id"] == artifacts[3]["id"] and got["nodes"][0]["matched"] == "name", "an exact name comes first")
        # ids
        got = get_json("/api/v1/nodes?q=5")
        want = {(k, 5) for k, rows in (("artifact", artifacts), ("execution", executions), ("context", contexts)) if any(r["id"] == 5 for r in rows)}
        check({(n["kind"], n["id"]) for n in got["nodes"] if n["matched"] == "id"} == want, "search by id")
        got = get_json("/api/v1/nodes?q=artifact:5")
        check([(n["kind"], n["id"]) for n in got["nodes"]] == [("artifact", 5)], "search by kind:id")
        for bad in ("kind=widget&q=a", "limit=0&q=a", "limit=abc&q=a"):
            e = get_json("/api/v1/nodes?" + bad, status=400)
            check(e["error"] and e["status"] == 400, f"search {bad}: a message")

        # a node: exactly what `pedigree show --format json` prints
        for kind, nid in (("artifact", 29), ("execution", 23), ("context", 1), ("artifact", evil)):
            api = get_json(f"/api/v1/nodes/{kind}/{nid}")
            cli = json.loads(subprocess.run([pedigree, "show", "--db", db, kind, str(nid), "--format", "json"], check=True,
                                            capture_output=True, text=True).stdout)
            check(api == cli, f"node {kind} {nid} equals show's JSON")
        check(get_json(f"/api/v1/nodes/artifact/{evil}")["name"] == EVIL_NAME, "JSON carries the raw name")
        get_json("/api/v1/nodes/artifact/99999", status=404)
        get_json("/api/v1/nodes/widget/1", status=400)
        get_json("/api/v1/nodes/artifact/abc", status=400)

        # lineage: the union of the two walks the language describes
        def query_nodes(q):
            r = cli_json(pedigree, db, "query", q)
            return {(n["kind"], n["id"]) for n in r["nodes"]}

        for up, down in ((2, 0), (3, 2), (0, 4), (6, 6)):
            got = get_json(f"/api/v1/lineage/artifact/1?up={up}&down={down}")
            nodes = {(n["kind"], n["id"]) for n in got["nodes"]}
            want = query_nodes(f"artifact(id = 1) upstream{{0,{up}}} return subgraph") | \
                query_nodes(f"artifact(id = 1) downstream{{0,{down}}} return subgraph")
            check(nodes == want, f"lineage up={up} down={down}: {sorted(nodes ^ want)[:6]} differ")
            ids = nodes
            edges = {(e["artifact_id"], e["execution_id"]) for e in got["edges"]}
            check(all(("artifact", a) in ids and ("execution", x) in ids for a, x in edges), "lineage edges join shown nodes")
        got = get_json("/api/v1/lineage/artifact/29?up=2&down=0")
        dist = {(n["kind"], n["id"]): n["distance"] for n in got["nodes"]}
        check(dist[("artifact", 29)] == 0 and all(d <= 0 for d in dist.values()) and min(dist.values()) == -2, "distances upstream")

        # collapse: an upstream execution hides what lies beyond it
        full = get_json("/api/v1/lineage/artifact/29?up=4&down=0")
        trainer = next(n for n in full["nodes"] if n["distance"] == -1 and n["kind"] == "execution")
        cut = get_json(f"/api/v1/lineage/artifact/29?up=4&down=0&collapse=execution:{trainer['id']}")
        cn = next(n for n in cut["nodes"] if n["kind"] == "execution" and n["id"] == trainer["id"])
        check(cn.get("collapsed") and cn["hidden_beyond"] > 0, "a collapsed node counts what it hides")
        check(len(cut["nodes"]) < len(full["nodes"]), "collapse shows fewer nodes")
        # expand: a boundary node with more upstream shows it
        small = get_json("/api/v1/lineage/artifact/29?up=1&down=0")
        edge = next(n for n in small["nodes"] if n["more_upstream"] > 0 and n["distance"] == -1)
        grown = get_json(f"/api/v1/lineage/artifact/29?up=1&down=0&expand={edge['kind']}:{edge['id']}")
        want = query_nodes(f"{edge['kind']}(id = {edge['id']}) upstream{{0,2}} return subgraph")
        check(want <= {(n["kind"], n["id"]) for n in grown["nodes"]}, "expand shows two hops further")
        # types
        typed = get_json("/api/v1/lineage/artifact/29?up=6&down=0&types=Examples,Schema")
        check(all(n["type"] in ("Examples", "Schema") or n["id"] == 29 for n in typed["nodes"]) and typed["hidden_by_type"], "type filter")
        hidden = get_json("/api/v1/lineage/artifact/29?up=6&down=0&hide=Schema")
        full6 = get_json("/api/v1/lineage/artifact/29?up=6&down=0")
        check({(n["kind"], n["id"]) for n in hidden["nodes"]} == {(n["kind"], n["id"]) for n in full6["nodes"] if n["type"] != "Schema"}
              and hidden["hidden_by_type"] == {"Schema": sum(1 for n in full6["nodes"] if n["type"] == "Schema")}, "hide a type")
        # the page's boxes: offered minus ticked are hidden
        boxes = get_json("/api/v1/lineage/artifact/29?up=6&down=0&offered=Schema,Examples,Model&types=Examples,Model")
        check(boxes["hide"] == ["Schema"], "offered and ticked types make the hidden list")
        # path-only: nodes on some path between the two
        far = next(n for n in full["nodes"] if n["distance"] == -4 and n["kind"] == "artifact")
        path = get_json(f"/api/v1/lineage/artifact/29?path=artifact:{far['id']}")
        want = query_nodes("artifact(id = 29) upstream* return subgraph") & query_nodes(f"artifact(id = {far['id']}) downstream* return subgraph")
        check({(n["kind"], n["id"]) for n in path["nodes"]} == want and len(want) >= 5 and not path["no_path"], "path view = the nodes between")
        back = get_json(f"/api/v1/lineage/artifact/{far['id']}?path=artifact:29")
        check({(n["kind"], n["id"]) for n in back["nodes"]} == want, "path view from the other end")
        nopath = get_json(f"/api/v1/lineage/artifact/29?path=artifact:{evil}")
        check(nopath["no_path"] is True and len(nopath["nodes"]) == 2, "no path is said")
        # exports
        for fmt, ctype, magic in (("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG"), ("pdf", "application/pdf", b"%PDF"),
                                  ("dot", "text/vnd.graphviz", b"digraph"), ("mermaid", "text/plain", b"flowchart"),
                                  ("csv", "text/csv", b"kind,id,type,name")):
            code, headers, body = get(f"/api/v1/lineage/artifact/29?up=2&format={fmt}&download=1")
            check(code == 200 and headers["Content-Type"].startswith(ctype) and body.startswith(magic), f"lineage as {fmt}: {code} {body[:40]!r}")
            check("attachment" in (headers.get("Content-Disposition") or ""), f"lineage {fmt} download")
        code, _, body = get("/api/v1/lineage/artifact/29?up=2&format=csv")
        check(len(body.decode().strip().splitlines()) == len(get_json("/api/v1/lineage/artifact/29?up=2")["nodes"]) + 1, "csv rows")
        for bad, status in (("up=-1", 400), ("up=abc", 400), ("down=51", 400), ("expand=artifact:99999", 404), ("path=context:1", 400),
                            ("format=gif", 400), ("collapse=bogus", 400), ("rankdir=XY", 400)):
            e = get_json("/api/v1/lineage/artifact/29?" + bad, status=status)
            check(e.get("error"), f"lineage {bad}: message")

        # query: what `pedigree query --format json|csv` prints
        for q in ("artifact(type = 'Model') upstream* return subgraph", "execution() return count group by type, state",
                  "shortest path artifact(id = 14) upstream* artifact(id = 1)", "artifact(type = 'Examples') return nodes"):
            api = get_json("/api/v1/query?" + urllib.parse.urlencode({"q": q}))
            check(api == cli_json(pedigree, db, "query", q), f"query {q!r} equals the CLI's JSON")
            code, _, body = get("/api/v1/query?" + urllib.parse.urlencode({"q": q, "format": "csv"}))
            cli = subprocess.run([pedigree, "query", "--db", db, q, "--format", "csv"], check=True, capture_output=True, text=True).stdout
            check(code == 200 and body.decode() == cli, f"query {q!r} as CSV")
        q = "artifact(type = $t) return count"
        body = json.dumps({"q": q, "parameters": {"t": "Model"}}).encode()
        code, _, out = get("/api/v1/query", data=body, headers={"Content-Type": "application/json"}, method="POST")
        check(code == 200 and json.loads(out)["count"] == sum(1 for a in artifacts if types[a["type_id"]]["name"] == "Model"), "POST JSON with parameters")
        code, _, out = get("/api/v1/query", data=urllib.parse.urlencode({"q": q, "p.t": "Schema"}).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
        check(code == 200 and json.loads(out)["count"] == sum(1 for a in artifacts if types[a["type_id"]]["name"] == "Schema"), "POST form")
        e = get_json("/api/v1/query?" + urllib.parse.urlencode({"q": "artifact(type = 'Modell') downstream*"}), status=400)
        d = e["errors"][0]
        check(d["line"] == 1 and d["column"] == 17 and d["start"] == 16 and "Modell" in d["message"] and "did you mean 'Model'?" in d["notes"], "query diagnostics")
        check("^^^^^^^^" in e["rendered"] and "line 1, column 17" in e["rendered"], "diagnostics rendered with carets")
        c = get_json("/api/v1/check?" + urllib.parse.urlencode({"q": "artifact(type = 'Modell') downstream*"}), status=400)
        check(c["errors"] == e["errors"] and c["rendered"] == e["rendered"], "check: the same diagnostics, without running")
        c = get_json("/api/v1/check?" + urllib.parse.urlencode({"q": "artifact(type = $t) downstream*", "p.t": "Model"}))
        check(c["ok"] is True and "downstream" in c["plan"].lower(), "check: a good query's plan")
        get_json("/api/v1/check?" + urllib.parse.urlencode({"q": "artifact(type = $t)"}), status=400)
        get_json("/api/v1/query?q=", status=400)
        get_json("/api/v1/query", status=400)
        get_json("/api/v1/query?q=artifact()&format=xml", status=400)
        code, _, out = get("/api/v1/query", data=b"{not json", headers={"Content-Type": "application/json"}, method="POST")
        check(code == 400 and b"not a JSON object" in out, "malformed JSON body")
        code, _, out = get("/api/v1/query", data=b"q=x", headers={"Content-Type": "text/plain"}, method="POST")
        check(code == 415, "unsupported body type")
        code, _, out = get("/api/v1/query", data=b"q=" + b"a" * (2 << 20), headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
        check(code == 413 and b"over" in out, f"oversized body: {code}")

        # render
        code, headers, body = get("/api/v1/render?" + urllib.parse.urlencode({"q": "artifact(id = 29) upstream* return subgraph"}))
        check(code == 200 and headers["Content-Type"] == "image/svg+xml" and b"<svg" in body, "render svg")
        code, _, body = get("/api/v1/render?" + urllib.parse.urlencode({"q": "artifact(id = 29) upstream* return subgraph", "format": "dot", "legend": "1"}))
        cli = subprocess.run([pedigree, "render", "--db", db, "artifact(id = 29) upstream* return subgraph", "--format", "dot", "--max-nodes", "120"],
                             check=True, capture_output=True, text=True).stdout
        check(body.decode() == cli, "render dot equals the CLI's")
        e = get_json("/api/v1/render?" + urllib.parse.urlencode({"q": "artifact() return count"}), status=400)
        check("count has no diagram" in e["error"], "render a count: 400")

        # impact: downstream counts and the delete dry run, as the CLI has them
        imp = get_json("/api/v1/impact/artifact/1")
        total = sum(g["count"] for g in imp["downstream"]["groups"])
        check(total == cli_json(pedigree, db, "query", "artifact(id = 1) downstream* return count")["count"], "impact downstream total")
        dry = json.loads(subprocess.run([pedigree, "delete", "--db", db, "artifact(id = 1)", "--format", "json"], check=True,
                                        capture_output=True, text=True).stdout)
        check(imp["delete"]["token"] == dry["token"] and imp["delete"]["deleted"]["count"] == 1, "impact token = the CLI's dry run")
        imp2 = get_json("/api/v1/impact/artifact/1?scope=downstream")
        dry2 = json.loads(subprocess.run([pedigree, "delete", "--db", db, "artifact(id = 1) downstream{0,}", "--format", "json"], check=True,
                                         capture_output=True, text=True).stdout)
        check(imp2["delete"]["token"] == dry2["token"] and imp2["delete"]["deleted"]["count"] == total + 1, "downstream scope")
        get_json("/api/v1/impact/artifact/1?scope=all", status=400)
        get_json("/api/v1/impact/context/1", status=400)

        # routes and methods
        get_json("/api/v1/widgets", status=404)
        code, _, _ = get("/api/v1/nodes", data=b"{}", headers={"Content-Type": "application/json"}, method="POST")
        check(code == 405, "POST to a GET endpoint: 405")

        # pages escape what the store holds
        for path in (f"/node/artifact/{evil}", f"/node/execution/{next(r['execution_id'] for r in recs if r['record'] == 'event')}",
                     "/?" + urllib.parse.urlencode({"q": "<script>"}), f"/impact/artifact/{evil}",
                     "/query?" + urllib.parse.urlencode({"q": f"artifact(id = {evil})"}),
                     "/query?" + urllib.parse.urlencode({"q": f"artifact(id = {evil})", "view": "diagram"}),
                     "/query?" + urllib.parse.urlencode({"q": "artifact(name = '<script>')) bad"}),
                     "/node/artifact/%3Cscript%3E", f"/node/artifact/{evil}?up=3&down=3"):
            code, headers, body = get(path)
            text = body.decode()
            check(headers["Content-Type"].startswith("text/html"), f"{path}: HTML")
            check("<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text, f"{path}: raw markup in the page")
            check("default-src 'self'" in (headers.get("Content-Security-Policy") or ""), f"{path}: CSP")
        code, _, body = get(f"/node/artifact/{evil}")
        text = body.decode()
        check("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in text and "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in text, "escaped text shown")
        check("\\u003cscript" in text, "embedded JSON escapes <")
        code, _, _ = get("/node/artifact/99999")
        check(code == 404, "a missing node's page: 404")
        code, _, _ = get("/static/pedigree.js")
        check(code == 200, "script served")
    finally:
        check(server.stop() == 0, "SIGTERM: clean exit")

    # `web` opens the store read-only and follows what others commit to it
    web = Explorer(pedigree, ["web", "--db", db, "--port", "0", "--follow-interval", "100"])
    try:
        new_id = max(r["id"] for r in recs if r["record"] == "artifact") + 1000
        model_type = next(r["id"] for r in recs if r["record"] == "type" and r["kind"] == "artifact" and r["name"] == "Model")
        path = os.path.join(work, "later.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({"record": "header", "format": "pedigree-jsonl", "version": 1, "mlmd_schema_version": 10}) + "\n")
            f.write(json.dumps({"record": "artifact", "id": new_id, "type_id": model_type, "name": "written-later", "state": "LIVE",
                                "properties": {}, "custom_properties": {}}) + "\n")
        subprocess.run([pedigree, "import", "--db", db, path], check=True, capture_output=True)
        seen = False
        for _ in range(100):
            code, _, body = fetch(web.base + "/api/v1/nodes?q=written-later")
            if code == 200 and json.loads(body)["total"] == 1:
                seen = True
                break
            time.sleep(0.1)
        check(seen, "the explorer sees what another process committed, search index included")
    finally:
        web.stop()
    code = subprocess.run([pedigree, "web", "--db", os.path.join(work, "missing.sqlite"), "--port", "0"], capture_output=True, text=True)
    check(code.returncode == 65 and "no such file" in code.stderr and not os.path.exists(os.path.join(work, "missing.sqlite")),
          "web on a missing file: an error, and no file made")

    # the token applies to HTTP; pages send visitors to the login form
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write("s3cret-token\n")
    web = Explorer(pedigree, ["web", "--db", db, "--port", "0", "--auth-token-file", token_file])
    try:
        b = web.base
        code, _, body = fetch(b + "/api/v1/stats")
        check(code == 401 and b"Bearer" in body, "no token: 401")
        code, _, _ = fetch(b + "/api/v1/stats", headers={"Authorization": "Bearer wrong"})
        check(code == 401, "wrong token: 401")
        code, _, _ = fetch(b + "/api/v1/stats", headers={"Authorization": "Bearer s3cret-token"})
        check(code == 200, "token: 200")
        code, headers, _ = fetch(b + "/node/artifact/1?up=3")
        check(code == 303 and headers["Location"] == "/login?next=/node/artifact/1%3Fup%3D3", f"page: to the login form: {headers['Location']}")
        code, _, body = fetch(b + headers["Location"])
        check(code == 200 and b'value="/node/artifact/1?up=3"' in body, "the login form keeps where the visitor was going")
        code, _, _ = fetch(b + "/login", data=b"token=nope&next=/", method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
        check(code == 401, "login with a wrong token")
        code, headers, _ = fetch(b + "/login", data=b"token=s3cret-token&next=/node/artifact/1", method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        cookie = (headers.get("Set-Cookie") or "").split(";")[0]
        check(code == 303 and headers["Location"] == "/node/artifact/1" and "HttpOnly" in headers.get("Set-Cookie", ""), "login sets a cookie")
        code, _, _ = fetch(b + "/node/artifact/1", headers={"Cookie": cookie})
        check(code == 200, "the cookie opens the pages")
        code, headers, _ = fetch(b + "/login", data=b"token=s3cret-token&next=//evil.example/", method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        check(headers.get("Location") == "/", "login never redirects off the site")
    finally:
        web.stop()

    # TLS applies to HTTP too
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    web = Explorer(pedigree, ["web", "--db", db, "--port", "0", "--tls-cert", cert, "--tls-key", key], scheme="https")
    try:
        ctx = ssl.create_default_context(cafile=cert)
        code, _, body = fetch(web.base + "/api/v1/stats", context=ctx)
        check(code == 200 and json.loads(body)["artifacts"] == len(artifacts) + 1, "HTTPS answers")
        try:
            fetch(f"http://127.0.0.1:{web.http_port}/api/v1/stats")
            check(False, "plain HTTP on the TLS port must fail")
        except Exception:
            pass
    finally:
        web.stop()

    finish("web api")


if __name__ == "__main__":
    main()
