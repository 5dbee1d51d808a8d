#!/usr/bin/env bash
# Regenerates Sources/PedigreeWire: Swift messages and gRPC stubs for
#   - ml_metadata.MetadataStoreService, from the descriptors that the installed ml-metadata 1.17.1
#     Python package carries (no .proto text is copied; only their comments are lost), and
#   - pedigree.v1.PedigreeService, from Proto/pedigree/v1/pedigree_service.proto.
# The protoc plugins are built from this package's own dependencies, so that the generator and
# runtime versions match. Needs: protoc (Debian's protobuf-compiler) and `make venv`.
# Usage: Scripts/generate-wire.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=Sources/PedigreeWire
SCRATCH=.build-protoc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
"$PY" -c 'import ml_metadata' 2>/dev/null || { echo "ml-metadata not importable by $PY: make venv" >&2; exit 1; }

# 1. A FileDescriptorSet of the service file and everything it imports, dependencies first.
"$PY" - "$work/mlmd.pb" <<'PYEOF'
import sys
from google.protobuf import descriptor_pb2
from ml_metadata.proto import metadata_store_service_pb2

seen, ordered = set(), []
def visit(fd):
    if fd.name in seen:
        return
    seen.add(fd.name)
    for dep in fd.dependencies:
        visit(dep)
    proto = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(proto)
    ordered.append(proto)
visit(metadata_store_service_pb2.DESCRIPTOR)
fds = descriptor_pb2.FileDescriptorSet(file=ordered)
open(sys.argv[1], "wb").write(fds.SerializeToString())
print("descriptors:", ", ".join(p.name for p in ordered))
PYEOF

# 2. The plugins.
swift build -c release --scratch-path "$SCRATCH" --product protoc-gen-swift >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product protoc-gen-grpc-swift-2 >/dev/null
bin=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

# 3. The Swift code, into a fresh directory that then replaces the old one.
mkdir -p "$work/out"
protoc \
  --descriptor_set_in="$work/mlmd.pb" -I Proto \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
  --swift_opt=Visibility=Public --swift_out="$work/out" \
  --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true --grpc-swift-2_out="$work/out" \
  ml_metadata/proto/metadata_store.proto ml_metadata/proto/metadata_store_service.proto \
  pedigree/v1/pedigree_service.proto
# The gRPC plugin writes a file even for a .proto without services; drop those.
find "$work/out" -name '*.grpc.swift' -exec grep -l 'This file contained no services' {} + | xargs -r rm
rm -rf "$OUT"
mkdir -p "$OUT"
find "$work/out" -name '*.swift' | while read -r f; do
  rel=${f#"$work/out/"}
  cp "$f" "$OUT/$(echo "$rel" | tr / _)"
done
ls -l "$OUT"
