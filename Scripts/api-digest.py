#!/usr/bin/env python3
"""The public API of the library a user gets with `import Pedigree`, one declaration a line, sorted.

Reads the symbol graphs that swift-symbolgraph-extract writes for the facade and the engine
modules behind it (their public declarations are what the facade's typealiases name; the rest
is `package`), from a debug build (.build/debug/Modules). `--check FILE` compares with the
checked-in digest and fails on any difference, printing it; `--write FILE` rewrites the file.
`make api` rewrites API/Pedigree.txt; `make test` checks it, so a change to the public surface
shows in review.
"""
import argparse, difflib, glob, json, os, subprocess, sys, tempfile

MODULES = ["Pedigree", "PedigreeModel", "PedigreeGraph", "PedigreeQuery", "PedigreeRender"]


def digest(build: str) -> list[str]:
    lines = set()
    with tempfile.TemporaryDirectory() as out:
        for module in MODULES:
            subprocess.run(
                ["swift-symbolgraph-extract", "-module-name", module, "-I", f"{build}/Modules",
                 "-Xcc", "-fmodule-map-file=Sources/CGraphviz/module.modulemap",
                 "-Xcc", "-fmodule-map-file=Sources/CSQLite/module.modulemap",
                 "-Xcc", "-fmodule-map-file=Sources/CMalloc/module.modulemap",
                 "-Xcc", "-fmodule-map-file=Sources/CLibPQ/module.modulemap",
                 "-Xcc", "-fmodule-map-file=Sources/CMariaDB/module.modulemap",
                 "-Xcc", "-I/usr/include/graphviz", "-Xcc", "-I/usr/include/postgresql", "-Xcc", "-I/usr/include/mariadb", "-target", "x86_64-unknown-linux-gnu",
                 "-minimum-access-level", "public", "-skip-synthesized-members", "-output-dir", out],
                check=True)
        for path in sorted(glob.glob(os.path.join(out, "*.symbols.json"))):
            graph = json.load(open(path))
            module = graph["module"]["name"]
            for s in graph["symbols"]:
                decl = "".join(f["spelling"] for f in s.get("declarationFragments", []))
                name = ".".join(s["pathComponents"])
                lines.add(f"{module}  {s['kind']['identifier'].removeprefix('swift.')}  {name}  {' '.join(decl.split())}")
    return sorted(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=".build/debug")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check")
    g.add_argument("--write")
    a = ap.parse_args()
    current = digest(a.build)
    if a.write:
        with open(a.write, "w") as f:
            f.write("\n".join(current) + "\n")
        print(f"wrote {a.write}: {len(current)} public declarations")
        return 0
    expected = open(a.check).read().splitlines() if os.path.exists(a.check) else []
    if expected == current:
        print(f"api: {len(current)} public declarations, as in {a.check}")
        return 0
    sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(expected, current, a.check, "this build", lineterm="", n=0))
    print(f"api: the public API differs from {a.check}; if that is meant, run `make api` and commit the file", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
