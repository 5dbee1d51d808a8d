"""The smallest reproduction of lineage_diff.py's known difference "bidirectional-events".

Usage: $PY lineage_repro.py --pedigree BIN DB

Writes DB (it must not exist) with the real library:

    raw --INPUT--> split --OUTPUT--> train-data --INPUT--> train --OUTPUT--> model
                         --OUTPUT--> eval-data  --INPUT--> train
    raw --INPUT, DECLARED_INPUT--> check                       (two events, one pair)
    raw --INPUT--> prep --OUTPUT--> features --INPUT--> tune --OUTPUT--> late --INPUT--> train

then prints, for two BIDIRECTIONAL cases, the library's events and Pedigree's, and the events
only one side has. Exit 0 when both sides agree on every case, 1 when they differ.

1. starting_artifacts {name = 'raw'}, max_num_hops 3: hop 0 reaches split, check and prep from
   raw (the library keeps both events raw-check); hop 2 reaches train from train-data and from
   eval-data in the same hop (the library keeps both events).
2. the same with ending_executions {name = 'train', include_ending_nodes: true} and 5 hops:
   train is reached in hop 2, then again from `late` in hop 4; the library keeps that event
   too, because train is an ending node.
"""

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

sys.path.insert(0, str(Path(__file__).parent))
import lineage_diff  # noqa: E402

EV = mlmd.Event


def write(db):
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = db
    store = metadata_store.MetadataStore(config)
    data = store.put_artifact_type(mlmd.ArtifactType(name="Data"))
    step = store.put_execution_type(mlmd.ExecutionType(name="Step"))
    names = ["raw", "train-data", "eval-data", "model", "features", "late"]
    a = dict(zip(names, store.put_artifacts([mlmd.Artifact(type_id=data, name=n) for n in names])))
    steps = ["split", "train", "check", "prep", "tune"]
    x = dict(zip(steps, store.put_executions([mlmd.Execution(type_id=step, name=n) for n in steps])))
    events = [("raw", "split", EV.INPUT), ("train-data", "split", EV.OUTPUT),
              ("eval-data", "split", EV.OUTPUT), ("train-data", "train", EV.INPUT),
              ("eval-data", "train", EV.INPUT), ("model", "train", EV.OUTPUT),
              ("raw", "check", EV.INPUT), ("raw", "check", EV.DECLARED_INPUT),
              ("raw", "prep", EV.INPUT), ("features", "prep", EV.OUTPUT),
              ("features", "tune", EV.INPUT), ("late", "tune", EV.OUTPUT), ("late", "train", EV.INPUT)]
    store.put_events([EV(artifact_id=a[i], execution_id=x[j], type=t) for i, j, t in events])
    return store, {v: k for k, v in a.items()}, {v: k for k, v in x.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pedigree", required=True)
    parser.add_argument("db")
    args = parser.parse_args(argv)
    if os.path.exists(args.db):
        print(f"{args.db} exists already", file=sys.stderr)
        return 2
    store, an, xn = write(args.db)

    def show(events):
        return ", ".join(f"{an[i]}-{xn[j]} {t}" for i, j, t in sorted(events.elements())) or "none"

    cases = [lineage_diff.Case("repro", "artifact", "name = 'raw'", lineage_diff.BOTH, 3),
             lineage_diff.Case("repro", "artifact", "name = 'raw'", lineage_diff.BOTH, 5,
                               (("execution", "name = 'train'", True),))]
    differ = False
    for c in cases:
        lib = lineage_diff.library_subgraph(store, c)
        ped = lineage_diff.run_pedigree(c, args.pedigree, args.db, None)
        print(c.describe())
        print(f"  pedigree query: {lineage_diff.translate(c, None)}")
        print(f"  library : {lib.size()}: {show(lib.events)}")
        print(f"  pedigree: {ped.size()}: {show(ped.events)}")
        d = lib.diff(ped)
        if d:
            differ = True
            for f, (only_lib, only_ped) in d.items():
                if f == "events":
                    print(f"  only the library: {show(Counter(only_lib))}")
                    print(f"  only Pedigree   : {show(Counter(only_ped))}")
                else:
                    print(f"  {f}: only the library {only_lib}, only Pedigree {only_ped}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
