#!/usr/bin/env python3
"""What a data scientist would otherwise run for referral influence: networkx
on the referral edges the benchmark wrote (`referrer,referred` CSV over
customers 1..N). For every referrer, the customers first reached at hops
1..3 (`single_source_shortest_path_length` with a cutoff); on the undirected
network, the articulation points and, for each, the groups its removal
separates (brokers separate two groups of at least 3). Prints the time and
the same check figures as `cargo bench -p rapport-referral-influence --bench
million`, which must agree.

    python3 scripts/bench_referral_reference.py EDGES_CSV N

Measured with Python 3.11.7 and networkx 3.6.1.
"""

import csv
import sys
import time

import networkx as nx


def main() -> None:
    path, n = sys.argv[1], int(sys.argv[2])
    start = time.perf_counter()
    d = nx.DiGraph()
    d.add_nodes_from(range(1, n + 1))
    with open(path) as f:
        for row in csv.DictReader(f):
            d.add_edge(int(row["referrer"]), int(row["referred"]))
    hops = [0, 0, 0]
    advocates = 0
    influence = 0.0
    for v in d.nodes:
        if d.out_degree(v) == 0:
            continue
        if d.out_degree(v) >= 3:
            advocates += 1
        for _, length in nx.single_source_shortest_path_length(d, v, cutoff=3).items():
            if length > 0:
                hops[length - 1] += 1
                influence += 0.5 ** (length - 1)
    g = d.to_undirected()
    points = list(nx.articulation_points(g))
    brokers = 0
    for v in points:
        component = nx.node_connected_component(g, v)
        rest = g.subgraph(component - {v})
        if sum(1 for c in nx.connected_components(rest) if len(c) >= 3) >= 2:
            brokers += 1
    elapsed = time.perf_counter() - start
    print(f"networkx {nx.__version__}: {elapsed * 1e3:.1f} ms")
    print(
        f"check: reach hop1 {hops[0]} hop2 {hops[1]} hop3 {hops[2]}; articulation points {len(points)}; "
        f"brokers {brokers}; advocates {advocates}; total influence {influence:.2f}"
    )


if __name__ == "__main__":
    main()
