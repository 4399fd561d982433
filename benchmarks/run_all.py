"""Run every benchmark and print the figures, as a table that can go into ``benchmarks/README.md``.

    python benchmarks/run_all.py            # exit code 0 whatever the figures
    python benchmarks/run_all.py --strict   # exit code 1 if a target is missed
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import multiprocessing
import sys
import time
from typing import Any

import bench_converge
import bench_gateway_matching
import bench_ingress
import bench_interaction
import bench_probes
import bench_services
import bench_traffic
from _util import Result, exit_code, machine, report


def markdown(results: list[Result]) -> str:
    rows = ["| benchmark | best | median | target | |", "|---|---:|---:|---:|---|"]
    for r in results:
        target = "-" if r.target is None else _ms(r.target)
        verdict = {True: "PASS", False: "**FAIL**", None: ""}[r.passed]
        rows.append(f"| {r.name} | {_ms(r.best)} | {_ms(r.median)} | {target} | {verdict} |")
    return "\n".join(rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _call(module: str, args: tuple[Any, ...]) -> list[Result]:
    return importlib.import_module(module).run(*args)


def fresh(module: str, *args: Any) -> list[Result]:
    """``module.run(*args)`` in a new interpreter, as when the benchmark is run on its own: what
    earlier benchmarks left in this process (a heap grown to millions of objects and freed again,
    caches) would otherwise slow the later ones' allocations and collections (the scale benchmarks
    measured 10-25 % slower at the end of a run_all than alone)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_call, (module, args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(machine())
    converge = fresh("bench_converge")
    report(f"converge (target {bench_converge.TARGET:.0f} s, median)", converge)
    interaction = fresh("bench_interaction", list(bench_interaction.SCALES))
    report("interactions (target per interaction, median)", interaction)
    traffic = fresh("bench_traffic")
    report(f"traffic (target {bench_traffic.TARGET} s, median)", traffic)
    services = fresh("bench_services")
    report(f"services (target {bench_services.TARGET:.0f} s, median)", services)
    endpoints = fresh("bench_endpoints")
    report("endpoints (median)", endpoints)
    probes = fresh("bench_probes")
    report(f"probes (target {bench_probes.TARGET:.0f} s, median)", probes)
    ingress = fresh("bench_ingress")
    report(f"ingress matching (target {bench_ingress.TARGET:.0f} s, median)", ingress)
    gateway = fresh("bench_gateway_matching")
    report(f"gateway matching (target {bench_gateway_matching.TARGET:.0f} s, median)", gateway)
    netpol = fresh("bench_netpol")
    report("NetworkPolicy matrix (target per size, median)", netpol)
    scale = fresh("bench_scale")
    report("scale (target per size, median)", scale)
    scale_service = fresh("bench_scale_service")
    report("scale behind a Service (target per size, median)", scale_service)
    results = converge + scale + scale_service + interaction + traffic + services + endpoints + probes + ingress + gateway + netpol
    for module, title in (("bench_service_lab", "service lab"), ("bench_readiness_lab", "readiness lab"),
                          ("bench_ingress_lab", "ingress lab"), ("bench_firewall_lab", "firewall lab"),
                          ("bench_gateway_lab", "gateway lab")):
        try:
            importlib.import_module(module)
        except ImportError:  # the lab benchmarks need the widgets' packages
            continue
        lab = fresh(module)
        report(f"{title} (target per interaction, median)", lab)
        results += lab
    failed = [r.name for r in results if r.passed is False]
    print(f"\n{datetime.date.today().isoformat()}, {machine()}, {time.perf_counter() - start:.0f} s\n")
    print(markdown(results))
    print("\nall targets met" if not failed else f"\ntargets missed: {', '.join(failed)}")
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
