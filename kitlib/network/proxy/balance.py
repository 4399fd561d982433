"""Which endpoints new connections go to, drawn with the kernel's randomness: the ``-m
statistic`` chain (iptables mode), ``numgen random mod N`` (nftables mode), round robin (IPVS
mode) and ``sessionAffinity: ClientIP``.

:func:`choose` draws ``n`` connections at once with exactly the distribution of ``n``
separate ones; :func:`binomial` is the draw it makes at each statistic rule, and for each
numgen bucket in turn.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from . import ProxyRuntime
from .nftrules import numgen_probability
from .packets import Decision, Entry
from .rules import kernel_probability
from .servicemap import ProxyEndpoint, ServicePort

if TYPE_CHECKING:
    from ...runtime import Runtime


def choose(rt: Runtime, entry: Entry, decision: Decision, n: int = 1,
           first: float | None = None, last: float | None = None) -> list[tuple[ProxyEndpoint, int]]:
    """Which endpoints ``n`` new connections (at times ``first`` … ``last``) are DNATed to,
    with the same randomness as the kernel: the statistic chain (iptables), ``numgen random``
    (nftables), round robin (IPVS), and ``sessionAffinity: ClientIP`` (the ``recent`` module, the
    nftables affinity sets, or IPVS persistence).

    The counts have exactly the distribution of ``n`` separate draws: the statistic chain is
    itself a sequence of binomial draws over the connections that reach each rule, and a
    multinomial over the numgen buckets is one binomial per bucket over those not yet placed.
    """
    eps = decision.endpoints
    if n <= 0 or not eps:
        return []
    state = rt.proxy_state
    now = rt.now
    first = now if first is None else first
    last = first if last is None else last
    gap = (last - first) / (n - 1) if n > 1 else 0.0
    sp = entry.service_port
    node = entry.node or ""
    timeout = sp.affinity_timeout
    client = entry.client_ip
    mode = rt.proxy_mode
    ipvs = mode == "ipvs"
    pinned: ProxyEndpoint | None = None
    if timeout is not None:
        if ipvs:
            held = state.persist.get((node, decision.virtual_server, client))
            if held is not None and first - held[1] <= timeout:
                pinned = next((e for e in eps if e.address == held[0]), None)
        else:
            for e in eps:  # the --rcheck rules (the affinity set lookups), in endpoint order
                seen = state.recent.get((node, affinity_list(sp, e, mode)), {}).get(client)
                if seen is not None and first - seen <= timeout:
                    pinned = e
                    break
        if pinned is None:
            pinned = _spread(state, node, decision, eps, 1, mode)[0][0]
        if gap <= timeout:
            counts = [(pinned, n)]
        else:
            # Requests further apart than the timeout each start afresh.
            counts = _merge([(pinned, 1), *_spread(state, node, decision, eps, n - 1, mode)])
        final = counts[-1][0]
        if ipvs:
            state.persist[(node, decision.virtual_server, client)] = (final.address, last)
        else:
            state.recent.setdefault((node, affinity_list(sp, final, mode)), {})[client] = last
        return counts
    return _spread(state, node, decision, eps, n, mode)


def affinity_list(sp: ServicePort, ep: ProxyEndpoint, mode: str) -> str:
    """Where a node remembers the clients sent to ``ep``: the ``recent`` list named after its
    ``KUBE-SEP-…`` chain (iptables), or its ``affinity-…`` set (nftables)."""
    return "affinity-" + sp.nft_endpoint(ep) if mode == "nftables" else sp.sep_chain(ep)


def _spread(state: ProxyRuntime, node: str, decision: Decision, eps: tuple[ProxyEndpoint, ...], n: int,
            mode: str) -> list[tuple[ProxyEndpoint, int]]:
    m = len(eps)
    if n <= 0:
        return []
    if mode == "ipvs":
        key = (node, decision.virtual_server)
        addrs = [e.address for e in eps]
        prev = state.rr.get(key)
        start = (addrs.index(prev) + 1) % m if prev in addrs else 0
        base, extra = divmod(n, m)
        counts = [(eps[(start + j) % m], base + (1 if j < extra else 0)) for j in range(m)]
        state.rr[key] = addrs[(start + n - 1) % m]
        return [(e, c) for e, c in counts if c]
    out: list[tuple[ProxyEndpoint, int]] = []
    remaining = n
    nft = mode == "nftables"
    for i, e in enumerate(eps):
        if i == m - 1:
            c = remaining
        else:
            c = binomial(state.rng, remaining, numgen_probability(m, i) if nft else kernel_probability(m - i))
        if c:
            out.append((e, c))
        remaining -= c
        if not remaining:
            break
    return out


def _merge(counts: list[tuple[ProxyEndpoint, int]]) -> list[tuple[ProxyEndpoint, int]]:
    merged: dict[str, list] = {}
    for e, c in counts:
        if e.address in merged:
            merged[e.address][1] += c
        else:
            merged[e.address] = [e, c]
    return [(e, c) for e, c in merged.values()]


def binomial(rng: random.Random, n: int, p: float) -> int:
    """One draw from Binomial(n, p) in O(1) expected time: Devroye's geometric method when
    ``n p < 10``, Hörmann's BTRS (transformed rejection with squeeze) otherwise. ``n == 1`` is a
    single ``rng.random() < p``, exactly one packet meeting one statistic rule."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return int(rng.random() < p)
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        x = y = 0
        c = math.log(1.0 - p)
        while True:
            y += math.floor(math.log(1.0 - rng.random()) / c) + 1
            if y > n:
                return x
            x += 1
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / (1.0 - p))
    m = math.floor((n + 1) * p)
    h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
    while True:
        u = rng.random() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = rng.random()
        if us >= 0.07 and v <= vr:
            return k
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


