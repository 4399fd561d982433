"""Benchmark: a service-lab interaction at workshop scale, from the event to both figures (the
routing graph and the Sankey) updated in the kernel.

A cluster of 3 nodes is built with a Deployment ``web`` of 10 pods and a ClusterIP Service
``web`` in front of it (not timed), and a :class:`kitlib.widgets.ServiceLab` is opened on it.
Then, repeatedly, each control of the lab is used once (its observer or click handler runs at
once: one engine call, then the graph, the Sankey, the pickers and the kubectl table are
redrawn):

* the type dropdown: ClusterIP → NodePort → LoadBalancer → ClusterIP (``cluster.apply``);
* "Send" with 100 requests from a pod to the ClusterIP (``cluster.traffic``);
* the replicas slider -1 and +1 (``cluster.scale``);
* Kill pod (``cluster.delete``), then "+10 s" (``cluster.advance(10)``);
* externalTrafficPolicy Local and back, sessionAffinity ClientIP and back (``cluster.apply``),
  on a NodePort Service;
* MetalLB on and off (``cluster.enable_addon`` / ``disable_addon``), on a LoadBalancer Service.

The two figure updates are also timed alone, after 100 requests. Target: 50 ms per interaction
(median).

    python benchmarks/bench_service_lab.py
    python benchmarks/bench_service_lab.py --repeat 20     # default 10 of each
    python benchmarks/bench_service_lab.py --strict   # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, lab_main, timed

import kitlib

NODES, PODS, TARGET = 3, 10, 0.050
SETTLE = 5.0


def build(seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=NODES, seed=seed)
    cluster.kubectl(f"create deployment web --image=nginx --replicas={PODS} --port=80")
    cluster.settle()
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"app": "web"}},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}})
    return cluster


def run(repeat: int = 10) -> list[Result]:
    import plotly.graph_objects as go

    from kitlib.figures import traffic_sankey, update_service_graph, update_traffic_sankey
    from kitlib.figures.service_graph import service_graph
    from kitlib.widgets import ServiceLab

    cluster = build()
    opened, lab = timed(ServiceLab, cluster, "web")
    names = ["type ClusterIP → NodePort", "type NodePort → LoadBalancer", "type LoadBalancer → ClusterIP",
             "send 100 requests", "replicas slider -1", "replicas slider +1", "kill pod", "+10 s button",
             "externalTrafficPolicy toggle", "sessionAffinity toggle", "MetalLB on/off"]
    results = {n: Result(f"service lab: {n}", target=TARGET) for n in names}

    def settle() -> None:  # off the clock: let what the last interaction started finish
        cluster.advance(SETTLE)
        lab.refresh()

    def running_pod() -> str:
        return next(p.name for p in reversed(cluster.pods(selector="app=web"))
                    if p.status.phase == "Running" and p.metadata.deletion_timestamp is None)

    def check() -> None:
        if lab.status.value:
            raise RuntimeError(f"the lab reported an error: {lab.status.value}")

    for _ in range(repeat):
        for new, name in (("NodePort", names[0]), ("LoadBalancer", names[1]), ("ClusterIP", names[2])):
            results[name].times.append(timed(setattr, lab.type, "value", new)[0])
            check()
        lab.source.value = next(v for _, v in lab.source.options if v.startswith("default/"))
        lab.address.value = lab.address.options[0][1]
        lab.requests.value = 100
        results[names[3]].times.append(timed(lab.send_button.click)[0])
        check()
        results[names[4]].times.append(timed(setattr, lab.replicas, "value", PODS - 1)[0])
        settle()
        results[names[5]].times.append(timed(setattr, lab.replicas, "value", PODS)[0])
        settle()
        lab.pod_picker.value = running_pod()
        results[names[6]].times.append(timed(lab.kill_button.click)[0])
        results[names[7]].times.append(timed(lab.step_button.click)[0])
        settle()
        lab.type.value = "NodePort"
        for widget, on, off, name in ((lab.traffic_policy, "Local", "Cluster", names[8]),
                                      (lab.affinity, "ClientIP", "None", names[9])):
            results[name].times.append(timed(setattr, widget, "value", on)[0])
            check()
            results[name].times.append(timed(setattr, widget, "value", off)[0])
            check()
        lab.type.value = "LoadBalancer"
        results[names[10]].times.append(timed(setattr, lab.metallb, "value", True)[0])
        check()
        results[names[10]].times.append(timed(setattr, lab.metallb, "value", False)[0])
        check()
        lab.type.value = "ClusterIP"
        assert cluster.get("Deployment", "web").spec.replicas == PODS

    # The two redraws alone, on FigureWidgets, with 100 requests on them.
    src = cluster.pods(selector="app=web")[0].key
    traffic = cluster.traffic(src, cluster.get("Service", "web").spec.cluster_ip, 80, requests=100)
    graph = service_graph(cluster, traffic, source=src, figure_class=go.FigureWidget)
    sankey = traffic_sankey(traffic, cluster, figure_class=go.FigureWidget)
    redraw_graph = Result("service lab: figure update_service_graph", target=TARGET)
    redraw_sankey = Result("service lab: figure update_traffic_sankey", target=TARGET)
    for _ in range(repeat):
        redraw_graph.times.append(timed(update_service_graph, graph, cluster, traffic, "web", "default", src)[0])
        redraw_sankey.times.append(timed(update_traffic_sankey, sankey, traffic, cluster, src)[0])
    return [*results.values(), redraw_graph, redraw_sankey,
            Result("service lab: open (both figures and the table)", [opened])]


def main(argv: list[str] | None = None) -> int:
    return lab_main(argv, __doc__, run, f"service lab, {NODES} nodes and {PODS} pods", TARGET)


if __name__ == "__main__":
    sys.exit(main())
