"""Benchmark: an ingress controller's routing table, 1,000 Ingresses of 10 paths each.

Timed: matching 1,000,000 requests with ``Router.route`` (the fast path that
``cluster.http`` and the lesson's widgets use through ``Router.match``): host lookup (exact
name, ``*.`` wildcard covering one label, catch-all), then the longest matching path by type.
Target: at most 2 s. Also timed, for information: ``build()`` of the table from the 1,000
Ingress objects (what the controller does after every change to an Ingress).

The table: 1,000 Ingresses in 10 namespaces, created a second apart. Ingress ``i`` names host
``site-{i % 400}.example`` (so two or three Ingresses merge into each host, as teams share a
site), every 10th a wildcard ``*.w{i}.example`` instead and every 50th no host at all; each has
10 paths, mixed Exact, Prefix and ImplementationSpecific, some with a trailing slash, and every
5th a defaultBackend. The requests (made before the clock starts, from a seeded generator) hit
exact paths, subpaths of prefixes, string prefixes of ImplementationSpecific paths, wildcard
hosts one label deep and two (no match), hosts in upper case and with ports, query strings,
unknown paths on known hosts (default backend or 404) and unknown hosts (catch-all).

    python benchmarks/bench_ingress.py             # best of 3 and median, PASS/FAIL
    python benchmarks/bench_ingress.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_ingress.py --profile   # one run under cProfile: where the time goes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time

from _util import Result, exit_code, machine, report, timed

from kitlib.api.meta import ObjectMeta
from kitlib.api.networking import (
    HTTPIngressPath,
    HTTPIngressRuleValue,
    Ingress,
    IngressBackend,
    IngressRule,
    IngressServiceBackend,
    IngressSpec,
    ServiceBackendPort,
)
from kitlib.network.ingress import Router, build

TARGET = 2.0
TYPES = ("Exact", "Prefix", "ImplementationSpecific")


def _backend(name: str) -> IngressBackend:
    return IngressBackend(service=IngressServiceBackend(name=name, port=ServiceBackendPort(number=80)))


def ingresses(count: int = 1000, paths: int = 10, seed: int = 0) -> list[Ingress]:
    """The Ingresses described in the module docstring."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if i % 50 == 0:
            host = None
        elif i % 10 == 0:
            host = f"*.w{i}.example"
        else:
            host = f"site-{i % 400}.example"
        items = []
        for j in range(paths):
            kind = TYPES[(i + j) % 3]
            path = f"/app{i % 40}/v{j}" if j % 4 else f"/app{i % 40}"
            if kind == "Prefix" and rng.random() < 0.3:
                path += "/"
            if j == 9 and host is not None and i % 7 == 0:  # a few sites take every path
                path = "/" if kind != "Exact" else f"/exact{i}"
            items.append(HTTPIngressPath(path=path, path_type=kind, backend=_backend(f"svc-{i}-{j}")))
        spec = IngressSpec(rules=[IngressRule(host=host, http=HTTPIngressRuleValue(paths=items))],
                           default_backend=_backend(f"default-{i}") if i % 5 == 0 else None)
        stamp = f"2026-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        meta = ObjectMeta(name=f"ing-{i:04d}", namespace=f"team-{i % 10}", creation_timestamp=stamp)
        out.append(Ingress(metadata=meta, spec=spec))
    return out


def requests(ings: list[Ingress], count: int = 1_000_000, seed: int = 1) -> list[tuple[str, str]]:
    """``count`` (Host header, request target) pairs, drawn from a pool of varied requests."""
    rng = random.Random(seed)
    pool: list[tuple[str, str]] = []
    for ing in ings:
        rule = ing.spec.rules[0]
        host = rule.host or f"unknown-{rng.randrange(100)}.example"
        if host.startswith("*."):
            hosts = [f"api{rng.randrange(9)}.{host[2:]}", f"a.b.{host[2:]}"]  # one label: match; two: no
        else:
            hosts = [host, host.upper(), f"{host}:8080"]
        for p in rule.http.paths:
            path = p.path or "/"
            for h in hosts:
                pool.append((h, path))
                pool.append((h, path.rstrip("/") + "/x/y?page=2"))  # subpath (Prefix, ImplementationSpecific)
                pool.append((h, path + "xyz"))  # string prefix only: ImplementationSpecific
        pool.append((host, "/nothing/here"))  # unknown path: default backend or 404
        pool.append((f"nobody-{rng.randrange(1000)}.example", "/"))  # unknown host: catch-all
    return [pool[rng.randrange(len(pool))] for _ in range(count)]


def route_all(router: Router, reqs: list[tuple[str, str]]) -> int:
    """Route every request; how many found a route (the rest get the controller's 404)."""
    route = router.route
    found = 0
    for host, path in reqs:
        if route(host, path) is not None:
            found += 1
    return found


def check(router: Router, reqs: list[tuple[str, str]], found: int) -> None:
    """The fast path agrees with Router.match on a sample, and both outcomes occur."""
    for host, path in reqs[:: max(1, len(reqs) // 2000)]:
        if router.route(host, path) is not router.match(host, path).route:
            raise SystemExit(f"ingress benchmark: route() and match() disagree on {host}{path}")
    if not 0 < found < len(reqs):
        raise SystemExit(f"ingress benchmark: {found:,} of {len(reqs):,} requests routed, expected some of each")


def run(repeat: int = 3, count: int = 1000, paths: int = 10, n: int = 1_000_000) -> list[Result]:
    start = time.perf_counter()
    ings = ingresses(count, paths)
    router = build(ings)
    reqs = requests(ings, n)
    prepared = time.perf_counter() - start
    matching = Result(f"{n:,} requests vs {count:,} Ingresses x {paths} paths", target=TARGET)
    building = Result(f"  build() of the table ({count * paths:,} paths)")
    for _ in range(repeat):
        seconds, found = timed(route_all, router, reqs)
        matching.times.append(seconds)
        seconds, _ = timed(build, ings)
        building.times.append(seconds)
    check(router, reqs, found)
    print(f"(making the Ingresses and requests, not timed: {prepared:.1f} s; {len(router.servers)} hosts, "
          f"{len(router.wildcards)} wildcards; {found:,} of {n:,} requests routed, the rest 404)")
    return [matching, building]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ingresses", type=int, default=1000)
    parser.add_argument("--paths", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if the target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        ings = ingresses(args.ingresses, args.paths)
        router, reqs = build(ings), requests(ings, args.requests)
        profiler = cProfile.Profile()
        profiler.runcall(route_all, router, reqs)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
        return 0
    print(machine())
    results = run(args.repeat, args.ingresses, args.paths, args.requests)
    report(f"ingress routing (target {TARGET:.0f} s)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
