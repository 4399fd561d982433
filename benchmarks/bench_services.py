"""Benchmark: kube-proxy's work for one node in a cluster of 5,000 Services of 10 endpoints each.

Timed: everything one node's kube-proxy does in a full sync, from the API objects to the text
of its rules: reading the 5,000 Services and their EndpointSlices into its service map
(``proxy.view``, with the cache dropped first), sorting out which endpoints that node uses
for each service port, and rendering ``iptables-save -t nat`` (about 215,000 lines; with more
than 1,000 endpoints kube-proxy leaves out the per-endpoint comments, as here).
Target: at most 2 s.

The same sync in nftables mode: the service map again, that node's ``ip kube-proxy`` table
(55,000 chains: a ``service-…`` chain per port, an ``endpoint-…`` chain per endpoint, the
``service-ips`` map with a verdict per ClusterIP), and ``nft list table ip kube-proxy``
(about 280,000 lines). Target: at most 2 s.

Not timed: building the cluster. It has 455 nodes (50,000 pods fit at 110 per node, the
kubelet's default maximum) on a 10.128.0.0/9 pod network. Each Service is created through
the API (ClusterIP allocation and validation included), without a selector, together with
the EndpointSlice the EndpointSlice controller would write for its 10 pods: one address per
pod taken from a node's host-local IPAM, ``nodeName``, a ``targetRef`` to the pod, ready
conditions. The 50,000 Pod objects themselves are not created: kube-proxy never reads pods,
only Services and EndpointSlices, and scheduling 50,000 pods is the converge benchmark's job.

    python benchmarks/bench_services.py             # best of 3 and median, PASS/FAIL
    python benchmarks/bench_services.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_services.py --profile   # one run under cProfile: where the time goes
    python benchmarks/bench_services.py --profile --mode nftables   # the same for the nftables sync
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

from _util import Result, exit_code, machine, report, timed

import kitlib
from kitlib.api.discovery import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    Endpoint,
    EndpointConditions,
    EndpointPort,
    EndpointSlice,
    ObjectReference,
)
from kitlib.api.meta import ObjectMeta
from kitlib.names import random_suffix
from kitlib.network import proxy
from kitlib.network.proxy import chains

TARGET = 2.0


def build(services: int = 5000, endpoints: int = 10, nodes: int = 455, seed: int = 0) -> kitlib.Cluster:
    """The cluster described in the module docstring."""
    cluster = kitlib.Cluster(nodes=nodes, seed=seed, pod_cidr="10.128.0.0/9", node_cidr="192.168.0.0/16")
    names = [n.name for n in cluster.nodes()]
    rng = cluster.rng
    for i in range(services):
        name = f"svc-{i:04d}"
        svc = cluster.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                              "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
        eps = []
        for j in range(endpoints):
            node = names[(i * endpoints + j) % len(names)]
            ip = cluster.node_runtime(node).ipam.allocate()
            pod = f"{name}-{random_suffix(rng)}{random_suffix(rng)}"
            eps.append(Endpoint(addresses=[ip], conditions=EndpointConditions(True, True, False), node_name=node,
                                target_ref=ObjectReference("Pod", "default", pod, f"uid-{i}-{j}")))
        cluster.api.create(EndpointSlice(
            metadata=ObjectMeta(name=f"{name}-{random_suffix(rng)}", namespace="default",
                                labels={SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY},
                                owner_references=[]),
            endpoints=eps, ports=[EndpointPort(name="http", port=8080, protocol="TCP")]), copy=False)
        del svc
    return cluster


def sync(cluster: kitlib.Cluster, node: str) -> str:
    """One full kube-proxy sync for ``node``: service map from the API objects, then the rules."""
    cluster.runtime.proxy_view = None
    chains._hash16.cache_clear()  # a fresh kube-proxy hashes every chain name again
    return proxy.iptables_save(cluster.runtime, node)


def sync_nft(cluster: kitlib.Cluster, node: str) -> str:
    """The same full sync in nftables mode: service map, then the table and ``nft list``."""
    cluster.runtime.proxy_view = None
    chains._hash8.cache_clear()  # nftables mode's chain names: 8 base32 characters of a SHA-256
    return proxy.nft_list(cluster.runtime, node)


def run(repeat: int = 3, services: int = 5000, endpoints: int = 10) -> list[Result]:
    start = time.perf_counter()
    cluster = build(services, endpoints)
    built = time.perf_counter() - start
    node = cluster.nodes()[1].name
    result = Result(f"{services:,} services x {endpoints} endpoints: one node's sync", target=TARGET)
    nft = Result("  the same in nftables mode (nft list table)", target=TARGET)
    ipvs = Result("  the same, ipvsadm -Ln rendering (IPVS mode)")
    for _ in range(repeat):
        seconds, text = timed(sync, cluster, node)
        result.times.append(seconds)
    check(text, services)
    cluster.set_proxy_mode("nftables")
    for _ in range(repeat):
        seconds, listed = timed(sync_nft, cluster, node)
        nft.times.append(seconds)
    check_nft(listed, services)
    cluster.set_proxy_mode("ipvs")
    for _ in range(repeat):
        cluster.runtime.proxy_view = None
        seconds, _ = timed(proxy.ipvsadm, cluster.runtime, node)
        ipvs.times.append(seconds)
    print(f"(building the cluster, not timed: {built:.1f} s; {len(text.splitlines()):,} lines of iptables "
          f"rules, {len(listed.splitlines()):,} lines of nft list)")
    return [result, nft, ipvs]


def check(text: str, services: int) -> None:
    svc_chains = sum(1 for line in text.splitlines() if line.startswith(":KUBE-SVC-"))
    if svc_chains != services + 4:  # plus kubernetes and kube-dns's three ports
        raise SystemExit(f"services benchmark: {svc_chains} KUBE-SVC chains, expected {services + 4}")


def check_nft(text: str, services: int) -> None:
    # A service port's chain name holds its "ns/name/protocol/port" (service-endpoints-check does not).
    svc_chains = sum(1 for line in text.splitlines() if line.startswith("\tchain service-") and "/" in line)
    if svc_chains != services + 4:
        raise SystemExit(f"services benchmark: {svc_chains} service- chains, expected {services + 4}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if the target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    parser.add_argument("--mode", choices=["iptables", "nftables"], default="iptables",
                        help="the proxy mode whose sync --profile profiles")
    args = parser.parse_args(argv)
    if args.profile:
        cluster = build(args.services, args.endpoints)
        cluster.set_proxy_mode(args.mode)
        profiler = cProfile.Profile()
        profiler.runcall(sync_nft if args.mode == "nftables" else sync, cluster, cluster.nodes()[1].name)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return 0
    print(machine())
    results = run(args.repeat, args.services, args.endpoints)
    report(f"services (target {TARGET:.0f} s)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
