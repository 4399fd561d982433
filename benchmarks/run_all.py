"""Run every benchmark and print the figures, as a table that can go into ``benchmarks/README.md``.

    python benchmarks/run_all.py            # exit code 0 whatever the figures
    python benchmarks/run_all.py --strict   # exit code 1 if a target is missed
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import sys
import time

import bench_converge
import bench_endpoints
import bench_ingress
import bench_interaction
import bench_netpol
import bench_probes
import bench_scale
import bench_scale_service
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(machine())
    converge = bench_converge.run()
    report(f"converge (target {bench_converge.TARGET:.0f} s, median)", converge)
    interaction = bench_interaction.run(list(bench_interaction.SCALES))
    report("interactions (target per interaction, median)", interaction)
    traffic = bench_traffic.run()
    report(f"traffic (target {bench_traffic.TARGET} s, median)", traffic)
    services = bench_services.run()
    report(f"services (target {bench_services.TARGET:.0f} s, median)", services)
    endpoints = bench_endpoints.run()
    report("endpoints (median)", endpoints)
    probes = bench_probes.run()
    report(f"probes (target {bench_probes.TARGET:.0f} s, median)", probes)
    ingress = bench_ingress.run()
    report(f"ingress matching (target {bench_ingress.TARGET:.0f} s, median)", ingress)
    netpol = bench_netpol.run()
    report("NetworkPolicy matrix (target per size, median)", netpol)
    scale = bench_scale.run()
    report("scale (target per size, median)", scale)
    scale_service = bench_scale_service.run()
    report("scale behind a Service (target per size, median)", scale_service)
    results = converge + scale + scale_service + interaction + traffic + services + endpoints + probes + ingress + netpol
    for module, title in (("bench_service_lab", "service lab"), ("bench_readiness_lab", "readiness lab"),
                          ("bench_ingress_lab", "ingress lab"), ("bench_firewall_lab", "firewall lab")):
        try:
            lab = importlib.import_module(module).run()
        except ImportError:  # the lab benchmarks need the widgets' packages
            continue
        report(f"{title} (target per interaction, median)", lab)
        results += lab
    failed = [r.name for r in results if r.passed is False]
    print(f"\n{datetime.date.today().isoformat()}, {machine()}, {time.perf_counter() - start:.0f} s\n")
    print(markdown(results))
    print("\nall targets met" if not failed else f"\ntargets missed: {', '.join(failed)}")
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
