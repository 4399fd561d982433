"""Benchmark: a Gateway's routing table, 1,000 HTTPRoutes of 10 rules each.

Timed: matching 1,000,000 requests with ``GatewayTable.route_many``, the batch entry point over
``GatewayTable.route`` (the fast path that the envoy proxy of ``enable_addon("gateway")`` and
``cluster.http`` use through ``GatewayTable.explain``); a request seen before in the batch is
answered from its memo (the table is immutable), as a stream of traffic repeats its requests:
virtual-host selection by Host (exact name, the longest ``*.`` suffix, ``*``), then the first
match in Envoy Gateway's precedence order whose path, method, header and query conditions all
hold. Target: at most 2 s, for the batch and also for one ``route`` call per request without the memo
(so that the figure does not rest on repeated requests). Also timed, for information: ``compile_gateways`` of the table and the
status from the 1,000 HTTPRoute objects (what the controller does after every change).

The table: one Gateway with an HTTP listener on port 80 for every host, 1,000 HTTPRoutes in 10
namespaces (the listener allows All), created a second apart. Route ``i`` names host
``site-{i % 400}.example`` (two or three routes share each host), every 10th a wildcard
``*.w{i}.example``, every 50th no host (every host); each has 10 rules: PathPrefix and Exact paths
(some with a trailing slash), every 3rd rule a method, every 4th a header match (``x-env``), every
5th a query match (``debug``), one RegularExpression rule per 25 routes. The requests (made before
the clock starts, from a seeded generator) hit exact paths, subpaths of prefixes, ``/foobar``-style
non-element prefixes, wildcard hosts one and two labels deep, upper-case hosts with ports, with and
without the header, method and query parameter, unknown paths and unknown hosts.

    python benchmarks/bench_gateway_matching.py             # best of 3 and median, PASS/FAIL
    python benchmarks/bench_gateway_matching.py --strict    # exit code 1 on FAIL
    python benchmarks/bench_gateway_matching.py --profile   # one run under cProfile
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time

from _util import Result, exit_code, machine, report, timed

from kitlib.api.gateway import (
    AllowedRoutes,
    Gateway,
    GatewayClass,
    GatewayClassSpec,
    GatewaySpec,
    HTTPBackendRef,
    HTTPHeaderMatch,
    HTTPPathMatch,
    HTTPQueryParamMatch,
    HTTPRoute,
    HTTPRouteMatch,
    HTTPRouteRule,
    HTTPRouteSpec,
    Listener,
    ParentReference,
    RouteNamespaces,
)
from kitlib.api.meta import ObjectMeta
from kitlib.network.gateway import GatewayTable, compile_gateways

TARGET = 2.0
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
Request = tuple[int, str, str, str, tuple[tuple[str, str], ...]]


def objects(count: int = 1000, rules: int = 10) -> tuple[GatewayClass, Gateway, list[HTTPRoute]]:
    """The GatewayClass, Gateway and HTTPRoutes described in the module docstring."""
    gc = GatewayClass(metadata=ObjectMeta(name="eg"), spec=GatewayClassSpec(controller_name=CONTROLLER))
    listener = Listener(name="http", port=80, protocol="HTTP",
                        allowed_routes=AllowedRoutes(namespaces=RouteNamespaces(from_="All")))
    gw = Gateway(metadata=ObjectMeta(name="eg", namespace="infra"),
                 spec=GatewaySpec(gateway_class_name="eg", listeners=[listener]))
    routes = []
    for i in range(count):
        hosts = [] if i % 50 == 0 else [f"*.w{i}.example"] if i % 10 == 0 else [f"site-{i % 400}.example"]
        items = []
        for j in range(rules):
            path = f"/app{i % 40}/v{j}" if j % 4 else f"/app{i % 40}"
            kind = "Exact" if (i + j) % 3 == 0 else "PathPrefix"
            if kind == "PathPrefix" and j % 7 == 0:
                path += "/"
            if j == 9 and i % 25 == 0:
                kind, path = "RegularExpression", f"/re{i}/[a-z]+/[0-9]+"
            match = HTTPRouteMatch(path=HTTPPathMatch(type=kind, value=path),
                                   method="POST" if j % 3 == 1 else None,
                                   headers=[HTTPHeaderMatch(name="X-Env", value="canary")] if j % 4 == 2 else [],
                                   query_params=[HTTPQueryParamMatch(name="debug", value="1")] if j % 5 == 3 else [])
            items.append(HTTPRouteRule(matches=[match], backend_refs=[HTTPBackendRef(name=f"svc-{i}-{j}", port=80)]))
        stamp = f"2026-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        meta = ObjectMeta(name=f"route-{i:04d}", namespace=f"team-{i % 10}", creation_timestamp=stamp)
        routes.append(HTTPRoute(metadata=meta, spec=HTTPRouteSpec(
            parent_refs=[ParentReference(name="eg", namespace="infra")], hostnames=hosts, rules=items)))
    return gc, gw, routes


def compile_table(gc: GatewayClass, gw: Gateway, routes: list[HTTPRoute]) -> GatewayTable:
    """Compile the table (every backend counts as resolved: the services map is permissive)."""
    services = _Everything()
    return compile_gateways(CONTROLLER, [gc], [gw], routes, services=services).tables[gw.key]  # type: ignore[arg-type]


class _Everything(dict):  # type: ignore[type-arg]
    """A services map in which every Service exists."""

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        return object()


def requests(routes: list[HTTPRoute], count: int = 1_000_000, seed: int = 1) -> list[Request]:
    """``count`` requests, drawn from a pool of varied requests."""
    rng = random.Random(seed)
    pool: list[Request] = []
    canary = (("x-env", "canary"),)
    for route in routes:
        host = route.spec.hostnames[0] if route.spec.hostnames else f"unknown-{rng.randrange(100)}.example"
        hosts = [f"api{rng.randrange(9)}.{host[2:]}", f"a.b.{host[2:]}"] if host.startswith("*.") \
            else [host, host.upper() + ":80"]
        for rule in route.spec.rules[:5]:
            m = rule.matches[0]
            path = (m.path.value if m.path else None) or "/"
            if m.path and m.path.type == "RegularExpression":
                path = f"/re{route.name[-4:].lstrip('0') or '0'}/abc/123"
            for h in hosts:
                pool.append((80, h, path, m.method or "GET", canary if m.headers else ()))
                pool.append((80, h, path.rstrip("/") + "/x/y?debug=1", "GET", ()))
                pool.append((80, h, path.rstrip("/") + "bar", "POST", canary))
        pool.append((80, host, "/nothing/here", "GET", ()))
        pool.append((80, f"nobody-{rng.randrange(1000)}.example", "/app3", "GET", ()))
    return [pool[rng.randrange(len(pool))] for _ in range(count)]


def route_all(table: GatewayTable, reqs: list[Request]) -> int:
    """Route every request in one batch (``route_many``); how many found a route (the rest: 404)."""
    return sum(1 for e in table.route_many(reqs) if e is not None)


def route_each(table: GatewayTable, reqs: list[Request]) -> int:
    """Route every request one by one with ``route`` (no memo)."""
    route = table.route
    found = 0
    for port, host, path, method, headers in reqs:
        if route(port, host, path, method, dict(headers) if headers else None) is not None:
            found += 1
    return found


def check(table: GatewayTable, reqs: list[Request], found: int) -> None:
    """The fast path agrees with explain() on a sample, and both outcomes occur."""
    batch = table.route_many(reqs)
    for i in range(0, len(reqs), max(1, len(reqs) // 500)):
        port, host, path, method, pairs = reqs[i]
        headers = dict(pairs) if pairs else None
        if not (batch[i] is table.route(port, host, path, method, headers)
                is table.explain(port, host, path, method, headers).entry):
            raise SystemExit(f"gateway benchmark: route() and explain() disagree on {method} {host}{path}")
    if not 0 < found < len(reqs):
        raise SystemExit(f"gateway benchmark: {found:,} of {len(reqs):,} requests routed, expected some of each")


def run(repeat: int = 3, count: int = 1000, rules: int = 10, n: int = 1_000_000) -> list[Result]:
    start = time.perf_counter()
    gc, gw, routes = objects(count, rules)
    table = compile_table(gc, gw, routes)
    reqs = requests(routes, n)
    prepared = time.perf_counter() - start
    matching = Result(f"{n:,} requests vs {count:,} HTTPRoutes x {rules} rules (route_many)", target=TARGET)
    each = Result("  the same, one route() call each, no memo", target=TARGET)
    building = Result(f"  compile_gateways() of the table and status ({count * rules:,} rules)")
    for _ in range(repeat):
        seconds, found = timed(route_all, table, reqs)
        matching.times.append(seconds)
        seconds, _ = timed(route_each, table, reqs)
        each.times.append(seconds)
        seconds, _ = timed(compile_table, gc, gw, routes)
        building.times.append(seconds)
    check(table, reqs, found)
    vhosts = len(table.ports[80].all_vhosts())
    print(f"(making the routes and requests, not timed: {prepared:.1f} s; {vhosts} virtual hosts; "
          f"{found:,} of {n:,} requests routed, the rest 404)")
    return [matching, each, building]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--rules", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if the target is missed")
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args(argv)
    if args.profile:
        gc, gw, routes = objects(args.routes, args.rules)
        table, reqs = compile_table(gc, gw, routes), requests(routes, args.requests)
        profiler = cProfile.Profile()
        profiler.runcall(route_all, table, reqs)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
        return 0
    print(machine())
    results = run(args.repeat, args.routes, args.rules, args.requests)
    report(f"gateway routing (target {TARGET:.0f} s)", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
