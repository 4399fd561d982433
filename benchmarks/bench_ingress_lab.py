"""Benchmark: an ingress-lab interaction at workshop scale, from the event to the routing tree and
the result line updated in the kernel.

A cluster of 3 nodes with the ingress add-on (minikube's: hostPort on the primary node) is built with two Deployments, ``web``
(nginx) and ``api`` (agnhost), of 10 pods each, a ClusterIP Service in front of each, and an
Ingress ``shop`` (``shop.example/`` → web, ``shop.example/api`` → api) (not timed), and a
:class:`kitlib.widgets.IngressLab` is opened on it. Then, repeatedly, each control of the lab is
used once (its click or observer handler runs at once: one engine call, then the tree, the
result line and the pickers are redrawn):

* "Send" to ``http://shop.example/api/cart`` and to ``http://shop.example/`` (``cluster.http``);
* "add rule" ``Exact /api/cart → web:80`` and "remove rule" of it (``cluster.apply`` of the Ingress);
* the replicas slider of api -1 and +1 (``cluster.scale``), then "+10 s" (``cluster.advance``).

The tree's update is also timed alone, after a request. Target: 50 ms per interaction (median).

    python benchmarks/bench_ingress_lab.py
    python benchmarks/bench_ingress_lab.py --repeat 20     # default 10 of each
    python benchmarks/bench_ingress_lab.py --strict        # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, lab_main, timed

import kitlib

NODES, PODS, TARGET = 3, 10, 0.050
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"


def build(seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=NODES, seed=seed)
    cluster.enable_addon("ingress")
    cluster.kubectl(f"create deployment web --image=nginx --replicas={PODS} --port=80")
    cluster.kubectl("expose deployment web --port=80")
    cluster.kubectl(f"create deployment api --image={AGNHOST} --replicas={PODS} --port=8080 -- "
                    "/agnhost netexec --http-port=8080")
    cluster.kubectl("expose deployment api --port=80 --target-port=8080")
    cluster.settle()
    cluster.kubectl("create ingress shop --rule=shop.example/*=web:80 --rule=shop.example/api*=api:80")
    return cluster


def run(repeat: int = 10) -> list[Result]:
    from kitlib.figures import update_routing_tree
    from kitlib.widgets import IngressLab

    cluster = build()
    opened, lab = timed(IngressLab, cluster, "shop")
    names = ["send a request and redraw", "add a rule and redraw", "remove a rule and redraw",
             "replicas slider -1 / +1", "+10 s button", "routing tree update alone"]
    results = {n: Result(f"ingress lab: {n}", target=TARGET) for n in names}

    def check(status: int | None = None) -> None:
        if lab.status.value:
            raise RuntimeError(f"the lab reported an error: {lab.status.value}")
        if status is not None and lab.last_response.status != status:
            raise RuntimeError(f"expected {status}, got {lab.last_response}")

    lab.deployment.value = "api"
    for _ in range(repeat):
        for url in ("http://shop.example/api/cart", "http://shop.example/"):
            lab.url.value = url
            results[names[0]].times.append(timed(lab.send_button.click)[0])
            check(200)
        lab.host.value, lab.path.value, lab.path_type.value = "shop.example", "/api/cart", "Exact"
        lab.service.value, lab.port.value = "web", 80
        results[names[1]].times.append(timed(lab.add_button.click)[0])
        check()
        lab.remove_picker.value = (0, 2)
        results[names[2]].times.append(timed(lab.remove_button.click)[0])
        check()
        for n in (PODS - 1, PODS):
            results[names[3]].times.append(timed(setattr, lab.replicas, "value", n)[0])
            check()
        results[names[4]].times.append(timed(lab.step_button.click)[0])
        check()
        results[names[5]].times.append(timed(update_routing_tree, lab.figure, cluster, lab.match())[0])
    return [*results.values(), Result("ingress lab: open (the tree and the pickers)", [opened])]


def main(argv: list[str] | None = None) -> int:
    return lab_main(argv, __doc__, run, f"ingress lab, {NODES} nodes, 2 × {PODS} pods", TARGET)


if __name__ == "__main__":
    sys.exit(main())
