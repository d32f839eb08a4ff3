#!/usr/bin/env python3
"""Reference figures for the referral-influence plugin, computed with networkx.

Reads `graph.json` (the population's handles and the referral records, as
[referrer, referred] pairs, including a self-referral and a repeat that the
plugin must ignore) and writes `networkx_golden.json`: for every customer of
the population, the customers first reached at hops 1..3 along referral
edges, and what removing them separates in the undirected referral network
(groups of at least 3, pairs connected only through them). For customers in
a cycle-free part of the network the pairs must equal networkx's
unnormalised betweenness centrality, which the script asserts and records.

Run from this directory:

    python3 networkx_reference.py            # writes networkx_golden.json

Versions used for the committed golden file: Python 3.11.7, networkx 3.6.1.
"""

import json
import sys

import networkx as nx

MAX_HOPS = 3
MIN_GROUP = 3


def main() -> None:
    graph = json.load(open("graph.json"))
    population = graph["population"]
    d = nx.DiGraph()
    d.add_nodes_from(population)
    for a, b in graph["referrals"]:
        if a != b:
            d.add_edge(a, b)
    g = d.to_undirected()
    betweenness = nx.betweenness_centrality(g, normalized=False)
    out = {}
    for v in population:
        lengths = nx.single_source_shortest_path_length(d, v, cutoff=MAX_HOPS)
        reach = [sum(1 for n, l in lengths.items() if l == hop) for hop in range(1, MAX_HOPS + 1)]
        component = nx.node_connected_component(g, v)
        rest = g.subgraph(component - {v})
        sizes = sorted(len(c) for c in nx.connected_components(rest))
        total = sum(sizes)
        pairs = (total * total - sum(s * s for s in sizes)) // 2
        groups = sum(1 for s in sizes if s >= MIN_GROUP)
        record = {"reach": reach, "groups": groups, "pairs": pairs, "broker": groups >= 2}
        if nx.is_tree(g.subgraph(component)):
            assert betweenness[v] == pairs, (v, betweenness[v], pairs)
            record["betweenness"] = betweenness[v]
        out[str(v)] = record
    json.dump(
        {"networkx": nx.__version__, "python": sys.version.split()[0], "max_hops": MAX_HOPS,
         "min_group": MIN_GROUP, "customers": out},
        open("networkx_golden.json", "w"), indent=1, sort_keys=True)
    open("networkx_golden.json", "a").write("\n")


if __name__ == "__main__":
    main()
