"""What bridge networking adds to `ociruntime create` (and `delete`), from --trace records:
medians of ROUNDS alternating creates with and without the annotation, in steady state (a
holder container keeps the bridge and table up, as on a busy host)."""
import json
import statistics

from .conftest import on

ROUNDS = 10


def traced(containers, trace, annotations):
    """(create record, delete record) of one container made and deleted with --trace."""
    cid, _ = containers.create(annotations, trace=trace)
    containers.runtime("--trace", trace, "delete", "--force", cid)
    with open(trace) as f:
        records = [json.loads(line) for line in f]
    return records[-2], records[-1]


def medians(records, key):
    return statistics.median(key(r) for r in records)


def test_networking_cost_in_create(containers, my_net2, tmp_path, capsys):
    holder = containers.run(on(my_net2))
    runs = {"plain": [], "bridge": []}
    for n in range(ROUNDS):
        runs["plain"].append(traced(containers, str(tmp_path / f"plain{n}"), None))
        runs["bridge"].append(traced(containers, str(tmp_path / f"bridge{n}"), on(my_net2)))
    summary = {
        kind: {
            "create_ms": medians(pairs, lambda p: p[0]["total_ms"]),
            "network_phase_ms": medians(pairs, lambda p: p[0]["phases_ms"]["network"]),
            "delete_ms": medians(pairs, lambda p: p[1]["total_ms"]),
        }
        for kind, pairs in runs.items()
    }
    added = summary["bridge"]["create_ms"] - summary["plain"]["create_ms"]
    with capsys.disabled():
        print(f"\nnetworking latency, medians of {ROUNDS}: {json.dumps(summary)}; create +{added:.0f} ms")
    assert summary["plain"]["network_phase_ms"] < 20  # no annotation: only `lo` up, no pyroute2/nft
    assert summary["bridge"]["network_phase_ms"] < 400 and added < 500  # loaded 2-core machine
    containers.delete(holder, force=True)
