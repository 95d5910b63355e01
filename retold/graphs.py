"""Small graph helpers shared by the stages (candidate groups in candidates/, families in group/)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TypeVar

N = TypeVar("N")


def components(nodes: Sequence[N], edges: Iterable[tuple[N, N]]) -> list[list[N]]:
    """Connected components (each sorted) of an undirected graph, by union-find."""
    parent = {n: n for n in nodes}

    def find(x: N) -> N:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comp: dict[N, list[N]] = defaultdict(list)
    for n in nodes:
        comp[find(n)].append(n)
    return [sorted(v) for v in comp.values()]
