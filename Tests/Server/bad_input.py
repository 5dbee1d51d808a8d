"""Bad input against a running `pedigree serve`: malformed bytes, unknown ids, wrong property types,
invalid filter queries, dangling events. Each must get its status code with a clear message, and
the server must go on answering. Usage: $PY bad_input.py PORT
"""
import os
import sys
import tempfile

import grpc
from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

port = int(sys.argv[1])
store = metadata_store.MetadataStore(mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=port))
channel = grpc.insecure_channel(f"127.0.0.1:{port}")
failures = []


def expect(name, code, call, contains=""):
    try:
        call()
    except grpc.RpcError as e:
        got, details = e.code(), e.details()
    except errors.StatusError as e:
        got, details = e.error_code, str(e)
    else:
        failures.append(f"{name}: succeeded, expected {code}")
        return
    want = code.value[0] if isinstance(code, grpc.StatusCode) else code
    got_n = got.value[0] if isinstance(got, grpc.StatusCode) else got
    if got_n != want or contains not in details:
        failures.append(f"{name}: got {got} {details!r}, expected {code} containing {contains!r}")
    # The server still answers.
    store.get_artifact_types()


def raw(method, payload):
    call = channel.unary_unary(f"/ml_metadata.MetadataStoreService/{method}",
                               request_serializer=lambda b: b, response_deserializer=lambda b: b)
    return call(payload, timeout=10)


a_type = store.put_artifact_type(mlmd.ArtifactType(name="BadInputType", properties={"n": mlmd.INT}))

expect("malformed bytes", grpc.StatusCode.INVALID_ARGUMENT, lambda: raw("PutArtifacts", b"\xff\xff\xff\xff\x0f"))
expect("truncated message", grpc.StatusCode.INVALID_ARGUMENT, lambda: raw("GetArtifactsByID", b"\x0a\x05ab"))
expect("unknown method", grpc.StatusCode.UNIMPLEMENTED, lambda: raw("NoSuchMethod", b""))
expect("wrong property type", errors.INVALID_ARGUMENT,
       lambda: store.put_artifacts([mlmd.Artifact(type_id=a_type, properties={"n": mlmd.Value(string_value="x")})]))
expect("undeclared property", errors.INVALID_ARGUMENT,
       lambda: store.put_artifacts([mlmd.Artifact(type_id=a_type, properties={"m": mlmd.Value(int_value=1)})]))
expect("unknown type id", errors.NOT_FOUND, lambda: store.put_artifacts([mlmd.Artifact(type_id=987654)]))
expect("update of an unknown id", errors.INVALID_ARGUMENT,
       lambda: store.put_artifacts([mlmd.Artifact(id=987654, type_id=a_type)]))
expect("dangling event", errors.INVALID_ARGUMENT,
       lambda: store.put_events([mlmd.Event(artifact_id=987654, execution_id=987655, type=mlmd.Event.INPUT)]))
expect("invalid filter query", errors.INVALID_ARGUMENT,
       lambda: store.get_artifacts(list_options=metadata_store.ListOptions(filter_query="uri = ")))
expect("unknown type name", errors.NOT_FOUND, lambda: store.get_artifact_type("NoSuchType"))
expect("negative hops", errors.INVALID_ARGUMENT, lambda: store.get_lineage_subgraph(
    mlmd.LineageSubgraphQueryOptions(starting_artifacts=mlmd.LineageSubgraphQueryOptions.StartingNodes(filter_query="id = 1"),
                                     max_num_hops=-1)))
if store.get_artifacts_by_id([987654]) != []:
    failures.append("unknown ids: expected an empty answer")


def contexts_of_lonely_nodes(s):
    """get_contexts_by_execution / get_contexts_by_artifact for nodes in no context and for missing
    ids: the (code, message) of each, or ("OK", count) when the call succeeds."""
    e_type = s.put_execution_type(mlmd.ExecutionType(name="LonelyExecutionType"))
    a_type = s.put_artifact_type(mlmd.ArtifactType(name="LonelyArtifactType"))
    [a] = s.put_artifacts([mlmd.Artifact(type_id=a_type, uri="/lonely")])
    [e] = s.put_executions([mlmd.Execution(type_id=e_type)])
    answers = []
    for what, call in [("execution", lambda i: s.get_contexts_by_execution(i)),
                       ("artifact", lambda i: s.get_contexts_by_artifact(i))]:
        for node_id in [e if what == "execution" else a, 987654, 0]:
            try:
                answers.append(("OK", len(call(node_id))))
            except errors.StatusError as x:
                # Ids differ between the two stores; the message names the id.
                answers.append((x.error_code, str(x).replace(str(node_id), "ID")))
    return answers


# A node in no context, and a missing id: ml-metadata answers NOT_FOUND ("No contexts found for
# execution_id: N"), never an empty list. The same calls on the real library in process, on an
# SQLite file of its own, must give the same answers.
with tempfile.TemporaryDirectory() as tmp:
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = os.path.join(tmp, "reference.sqlite")
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    reference = contexts_of_lonely_nodes(metadata_store.MetadataStore(config))
served = contexts_of_lonely_nodes(store)
if any(code != errors.NOT_FOUND for code, _ in reference):
    failures.append(f"contexts of a node in none: the reference library answered {reference}, expected NOT_FOUND throughout")
if served != reference:
    failures.append(f"contexts of a node in none: the server answered {served}, the library {reference}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok: bad input gets its status code and the server keeps serving")
