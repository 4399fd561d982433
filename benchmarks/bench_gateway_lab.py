"""Benchmark: a gateway-lab interaction at workshop scale, from the event to the routing tree, the
result lines and the status conditions updated in the kernel.

A cluster of 3 nodes with MetalLB and the gateway add-on (Envoy Gateway) is built with three
Deployments of echo-basic, ``web``, ``web-v2`` and ``api``, of 10 pods each, a ClusterIP Service in
front of each, the Gateway ``eg`` and an HTTPRoute ``shop`` (``shop.example.com``: ``/`` → web and
web-v2 by weight, ``/api`` → api) (not timed), and a :class:`kitlib.widgets.GatewayLab` is opened
on it. Then, repeatedly, each control of the lab is used once (its click or observer handler runs
at once: one engine call, then the tree, the result lines, the conditions and the pickers are
redrawn):

* "Send" to ``/api/cart`` and to ``/`` with a header (``cluster.http``);
* the weight slider to 25 % and back to 0 % (``cluster.apply`` of the route);
* "Measure 1,000" (1,000 requests routed by the Gateway, counted by Service);
* "Apply match" ``Exact /api/cart`` and back to ``PathPrefix /api`` (``cluster.apply`` of the route);
* "+10 s" (``cluster.advance``).

The tree's update is also timed alone, after a request, and opening the lab, first in the interpreter
(plotly's widget classes load then) and again. Target: 50 ms per interaction (median).

    python benchmarks/bench_gateway_lab.py
    python benchmarks/bench_gateway_lab.py --repeat 20     # default 10 of each
    python benchmarks/bench_gateway_lab.py --strict        # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, lab_main, timed

import kitlib
from kitlib.widgets.gateway_lab import shop_cluster

NODES, PODS, TARGET = 3, 10, 0.050


def build(seed: int = 0) -> kitlib.Cluster:
    return shop_cluster(seed=seed, replicas=PODS)


def run(repeat: int = 10) -> list[Result]:
    from kitlib.figures.gateway_tree import update_gateway_tree
    from kitlib.widgets import GatewayLab

    cluster = build()
    opened, lab = timed(GatewayLab, cluster, "shop")
    names = ["send a request and redraw", "weight slider and redraw", "measure 1,000 requests and redraw",
             "apply a match and redraw", "+10 s button", "routing tree update alone"]
    results = {n: Result(f"gateway lab: {n}", target=TARGET) for n in names}

    def check(status: int | None = None) -> None:
        if lab.status.value:
            raise RuntimeError(f"the lab reported an error: {lab.status.value}")
        if status is not None and lab.last_response.status != status:
            raise RuntimeError(f"expected {status}, got {lab.last_response}")

    for _ in range(repeat):
        lab.headers.value = ""
        for path, headers in (("/api/cart", ""), ("/", "x-canary: true")):
            lab.path.value, lab.headers.value = path, headers
            results[names[0]].times.append(timed(lab.send_button.click)[0])
            check(200)
        lab.rule_picker.value = 0
        for share in (25, 0):
            results[names[1]].times.append(timed(setattr, lab.weight, "value", share)[0])
            check()
        lab.weight.value = 25
        lab.path.value, lab.headers.value = "/", ""
        results[names[2]].times.append(timed(lab.measure_button.click)[0])
        check()
        lab.weight.value = 0
        lab.rule_picker.value = 1
        for kind, path in (("Exact", "/api/cart"), ("PathPrefix", "/api")):
            lab.match_type.value, lab.match_path.value = kind, path
            results[names[3]].times.append(timed(lab.match_button.click)[0])
            check()
        results[names[4]].times.append(timed(lab.step_button.click)[0])
        check()
        results[names[5]].times.append(timed(update_gateway_tree, lab.figure, cluster, lab.match())[0])
    again = timed(GatewayLab, cluster, "shop")[0]
    return [*results.values(), Result("gateway lab: open, first in the interpreter (loads plotly's widgets)", [opened]),
            Result("gateway lab: open again (the tree, the conditions and the pickers)", [again])]


def main(argv: list[str] | None = None) -> int:
    return lab_main(argv, __doc__, run, f"gateway lab, {NODES} nodes, 3 × {PODS} pods", TARGET)


if __name__ == "__main__":
    sys.exit(main())
