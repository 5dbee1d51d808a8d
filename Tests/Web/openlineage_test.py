"""OpenLineage in: the official Python client (openlineage-python, its HTTP transport) sends RunEvents,
a DatasetEvent and a JobEvent to `pedigree serve --http-port`; out of order and twice; ml-metadata's
own client then reads the runs over gRPC, and a query joins a warehouse table to the demo's models.
Bad events: 400 with the field's path; `import --format openlineage`: exit 65 naming the line and
the field, nothing written.

    python Tests/Web/openlineage_test.py --pedigree .build/debug/pedigree
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import DatasetEvent, InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent, RunState, StaticDataset
from openlineage.client.facet_v2 import output_statistics_output_dataset, parent_run, schema_dataset, sql_job
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.serde import Serde
from openlineage.client.transport.http import ApiKeyTokenProvider

sys.path.insert(0, os.path.dirname(__file__))
from webstore import Explorer, check, fetch, finish, records  # noqa: E402

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    args = ap.parse_args()
    pedigree = os.path.abspath(args.pedigree)
    work = tempfile.mkdtemp(prefix="pedigree-openlineage.")
    db = os.path.join(work, "demo.sqlite")
    subprocess.run([pedigree, "demo", "--db", db], check=True, capture_output=True)
    examples = next(r for r in records(pedigree, db) if r["record"] == "artifact" and r.get("name") == "chicago-taxi-run-1/examples")
    bucket, path = examples["uri"][len("gs://"):].split("/", 1)
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write("ol-token\n")
    server = Explorer(pedigree, ["serve", "--db", db, "--port", "0", "--http-port", "0", "--auth-token-file", token_file])
    try:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(
            url=server.base, auth=ApiKeyTokenProvider({"apiKey": "ol-token"}), retry={"total": 0})))
        job = Job(namespace="airflow", name="orders_dag.load_examples",
                  facets={"sql": sql_job.SQLJobFacet(query="COPY examples FROM orders", producer=PRODUCER)})
        run_a, run_b, dag = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        parent = {"parent": parent_run.ParentRunFacet(run=parent_run.Run(runId=dag), job=parent_run.Job(namespace="airflow", name="orders_dag"),
                                                      producer=PRODUCER)}
        orders = InputDataset(namespace="postgres://db.example.com:5432", name="shop.public.orders", facets={
            "schema": schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="INTEGER")], producer=PRODUCER)})
        out = OutputDataset(namespace=f"gs://{bucket}", name=path, outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=1200, producer=PRODUCER)})

        def event(state, run_id, time, **kw):
            return RunEvent(eventType=state, eventTime=time, run=Run(runId=run_id, facets=kw.pop("facets", {})), job=kw.pop("job", job),
                            producer=PRODUCER, inputs=kw.pop("inputs", [orders]), outputs=kw.pop("outputs", [out]))

        start = event(RunState.START, run_a, "2024-03-01T10:00:00.000Z", facets=parent)
        complete = event(RunState.COMPLETE, run_a, "2024-03-01T10:05:00.000Z")
        # Out of order: the COMPLETE first; then the START, and both again.
        for e in (complete, start, start, complete):
            client.emit(e)
        other = Job(namespace="airflow", name="orders_dag.audit")
        client.emit(event(RunState.FAIL, run_b, "2024-03-01T11:00:00Z", job=other, outputs=[]))
        client.emit(event(RunState.START, run_b, "2024-03-01T10:59:00Z", job=other, outputs=[]))
        client.emit(DatasetEvent(eventTime="2024-03-01T12:00:00Z", producer=PRODUCER,
                                 dataset=StaticDataset(namespace="s3://lake", name="reports/daily")))
        client.emit(JobEvent(eventTime="2024-03-01T12:00:00Z", producer=PRODUCER, job=Job(namespace="dbt", name="marts.revenue"),
                             inputs=[InputDataset(namespace="postgres://db.example.com:5432", name="shop.public.orders")], outputs=[]))

        headers = {"Authorization": "Bearer ol-token"}

        def api(path):
            code, _, body = fetch(server.base + path, headers=headers)
            check(code == 200, f"{path}: {code} {body[:200]!r}")
            return json.loads(body)

        runs = api("/api/v1/query?" + urllib.parse.urlencode({"q": "execution(type = 'ol.Run') return nodes"}))["nodes"]
        by_name = {r["name"]: r for r in runs}
        check(set(by_name) == {run_a, run_b}, f"two runs, once each: {sorted(by_name)}")
        check(by_name[run_a]["last_known_state"] == "COMPLETE" and by_name[run_b]["last_known_state"] == "FAILED", "states merge in any order")
        check(by_name[run_a]["custom_properties"]["ol.parent_run_id"] == {"string": dag}, "the parent run")
        join = api("/api/v1/query?" + urllib.parse.urlencode(
            {"q": "artifact(uri = 'postgres://db.example.com:5432/shop.public.orders') downstream* artifact(type = 'Model')"}))["nodes"]
        direct = api("/api/v1/query?" + urllib.parse.urlencode(
            {"q": f"artifact(id = {examples['id']}) downstream* artifact(type = 'Model')"}))["nodes"]
        check(join and [n["id"] for n in join] == [n["id"] for n in direct], "a warehouse table reaches the models trained on its data")
        same = api("/api/v1/nodes?" + urllib.parse.urlencode({"q": examples["uri"], "kind": "artifact", "limit": 10}))
        check(sum(1 for n in same["nodes"] if n.get("uri") == examples["uri"]) == 1, "one node for the dataset and the MLMD artifact")
        stats = api("/api/v1/stats")
        check(stats["types"].get("ol.Dataset") == 2 and stats["types"].get("ol.Job") == 4, f"datasets and jobs: {stats['types']}")

        # Bad events: 400 with the field's path.
        good = Serde.to_dict(complete)
        check("eventTime" in good and good["run"]["runId"] == run_a, "the client's own serialisation")
        for body, field in (({k: v for k, v in good.items() if k != "eventTime"}, "eventTime"),
                            ({**good, "run": {}}, "run.runId"), ({**good, "eventType": "DONE"}, "eventType"),
                            ({k: v for k, v in good.items() if k != "producer"}, "producer")):
            code, _, out = fetch(server.base + "/api/v1/lineage", data=json.dumps(body).encode(),
                                 headers={**headers, "Content-Type": "application/json"}, method="POST")
            answer = json.loads(out)
            check(code == 400 and answer.get("field") == field, f"bad event ({field}): {code} {answer}")
        code, _, out = fetch(server.base + "/api/v1/lineage", data=b"{oops", headers={**headers, "Content-Type": "application/json"}, method="POST")
        check(code == 400, "malformed JSON: 400")
        code, _, _ = fetch(server.base + "/api/v1/lineage", data=json.dumps(good).encode(), headers={"Content-Type": "application/json"}, method="POST")
        check(code == 401, "no token: 401")
    finally:
        server.stop()

    check("ok" in subprocess.run([pedigree, "check", "--db", db], capture_output=True, text=True).stdout, "the store checks clean")

    # ml-metadata's own client reads what the events made, over gRPC (a server without a token:
    # the client sends none).
    plain = Explorer(pedigree, ["serve", "--db", db, "--port", "0", "--http-port", "0"])
    try:
        store = metadata_store.MetadataStore(metadata_store_pb2.MetadataStoreClientConfig(host="127.0.0.1", port=plain.grpc_port))
        runs = {e.name: e for e in store.get_executions_by_type("ol.Run")}
        check({runs[n].last_known_state for n in runs} == {metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.FAILED},
              "ml-metadata reads the runs' states")
        jobs = {c.name for c in store.get_contexts_by_type("ol.Job")}
        check({"airflow/orders_dag.load_examples", "airflow/orders_dag", "airflow/orders_dag.audit", "dbt/marts.revenue"} <= jobs, f"jobs: {jobs}")
        a = next(e for e in runs.values() if e.last_known_state == metadata_store_pb2.Execution.COMPLETE)
        events = store.get_events_by_execution_ids([a.id])
        uris = {store.get_artifacts_by_id([ev.artifact_id])[0].uri: ev.type for ev in events}
        check(uris == {"postgres://db.example.com:5432/shop.public.orders": metadata_store_pb2.Event.INPUT,
                       examples["uri"]: metadata_store_pb2.Event.OUTPUT}, f"events: {uris}")
        parents = store.get_parent_contexts_by_context(store.get_context_by_type_and_name("ol.Job", "airflow/orders_dag.load_examples").id)
        check([c.name for c in parents] == ["airflow/orders_dag"], "the parent job")
    finally:
        plain.stop()

    # `web` opens read-only: it refuses events.
    web = Explorer(pedigree, ["web", "--db", db, "--port", "0"])
    try:
        code, _, out = fetch(web.base + "/api/v1/lineage", data=b"{}", headers={"Content-Type": "application/json"}, method="POST")
        check(code == 405 and b"read-only" in out, "web refuses events")
    finally:
        web.stop()

    # The CLI: a bad line is named, and nothing of the file is written.
    before = subprocess.run([pedigree, "stats", "--db", db, "--format", "json"], check=True, capture_output=True, text=True).stdout
    lines = [json.dumps({"eventType": "START", "eventTime": "2024-04-01T00:00:00Z", "producer": PRODUCER, "run": {"runId": str(uuid.uuid4())},
                         "job": {"namespace": "cli", "name": "job"}}),
             json.dumps({"eventType": "START", "eventTime": "2024-04-01T00:00:00Z", "producer": PRODUCER, "run": {"runId": str(uuid.uuid4())},
                         "job": {"namespace": "cli"}})]
    path = os.path.join(work, "events.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run([pedigree, "import", "--db", db, "--format", "openlineage", path], capture_output=True, text=True)
    check(r.returncode == 65 and "line 2: job.name" in r.stderr, f"import names the line and the field: {r.returncode} {r.stderr}")
    after = subprocess.run([pedigree, "stats", "--db", db, "--format", "json"], check=True, capture_output=True, text=True).stdout
    check(before == after, "nothing of the file was written")
    with open(path, "w") as f:
        f.write(lines[0] + "\n" + lines[0] + "\n")
    r = subprocess.run([pedigree, "import", "--db", db, "--format", "openlineage", path], capture_output=True, text=True)
    check(r.returncode == 0 and "imported 2 events" in r.stdout, f"import: {r.stdout} {r.stderr}")

    finish("openlineage")


if __name__ == "__main__":
    main()
