"""Benchmark: a firewall-lab interaction at workshop scale, from the event to the reachability
heatmap, the policy graph and the pickers updated in the kernel.

The lab builds its two clusters (3 nodes each, one flannel and one Calico, ``minikube start
--cni=...``) with the lesson's pods ``frontend``, ``api``, ``db`` and ``monitoring/prometheus``,
plus ``EXTRA`` more pods in ``default`` (frontend-2, ...), so that the heatmap has 16 sources ×
17 destinations (CoreDNS included) × 3 ports (not timed beyond "open"). Then, repeatedly, each
control of the lab is used once (its click or observer handler runs at once: one engine call on
each cluster, then both matrices, the heatmap and the graph are redrawn):

* Apply "default deny ingress", "allow from a label", "allow DNS egress" (``cluster.apply``);
* Label the ``monitoring`` namespace ``team=ops`` and back (``cluster.label``);
* Delete the three policies again (``cluster.delete``);
* switch the cluster shown (flannel ↔ calico: no engine call, a redraw);
* Explain ``frontend → api`` on TCP 8080 (``cluster.explain``, a read).

The matrix with its hover texts is also timed alone. Target: 100 ms per interaction (median).

    python benchmarks/bench_firewall_lab.py
    python benchmarks/bench_firewall_lab.py --repeat 20     # default 10 of each
    python benchmarks/bench_firewall_lab.py --strict        # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, lab_main, timed

NODES, EXTRA, TARGET = 3, 12, 0.100


def build():
    """The lab's two clusters, with ``EXTRA`` more pods labelled like the frontend."""
    from kitlib.widgets.firewall_lab import shop_cluster

    clusters = {}
    for cni in ("calico", "flannel"):
        c = shop_cluster(cni, seed=0, nodes=NODES)
        for i in range(EXTRA):
            c.apply({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"frontend-{i + 2}", "labels": {"app": "frontend", "tier": "web"}},
                     "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                              "ports": [{"containerPort": 80, "name": "http"}]}]}})
        c.settle()
        clusters[cni] = c
    return clusters


def run(repeat: int = 10) -> list[Result]:
    from kitlib.figures.netpol import reachability
    from kitlib.widgets import FirewallLab
    from kitlib.widgets.firewall_lab import LAB_PORTS

    clusters = build()
    opened, lab = timed(FirewallLab, clusters)
    names = ["apply a policy and redraw", "label a namespace and redraw", "delete a policy and redraw",
             "switch flannel / calico", "explain", "matrix with hover texts alone"]
    results = {n: Result(f"firewall lab: {n}", target=TARGET) for n in names}
    policies = ["default deny ingress", "allow from a label", "allow DNS egress"]

    def check() -> None:
        if lab.status.value:
            raise RuntimeError(f"the lab reported an error: {lab.status.value}")

    for _ in range(repeat):
        for name in policies:
            lab.ready_made.value = name
            results[names[0]].times.append(timed(lab.apply_button.click)[0])
            check()
        lab.label_kind.value, lab.label_target.value = "Namespace", "monitoring"
        lab.label_key.value = "team"
        for value in ("ops", ""):
            lab.label_value.value = value
            results[names[1]].times.append(timed(lab.label_button.click)[0])
            check()
        for policy in ("default/allow-dns", "default/api-allow-frontend", "default/default-deny-ingress"):
            lab.delete_picker.value = policy
            results[names[2]].times.append(timed(lab.delete_button.click)[0])
            check()
        for cni in ("flannel", "calico"):
            results[names[3]].times.append(timed(setattr, lab.cni, "value", cni)[0])
        lab.src.value, lab.dst.value, lab.port.value = "default/frontend", "default/api", (8080, "TCP")
        results[names[4]].times.append(timed(lab.explain_button.click)[0])
        check()
        results[names[5]].times.append(timed(reachability, lab.cluster, LAB_PORTS)[0])
    size = len(lab.data["calico"].srcs), len(lab.data["calico"].dsts)
    return [*results.values(), Result(f"firewall lab: open ({size[0]} × {size[1]} × 3, two clusters' matrices)",
                                      [opened])]


def main(argv: list[str] | None = None) -> int:
    return lab_main(argv, __doc__, run, f"firewall lab, {NODES} nodes, {4 + EXTRA} pods, flannel and Calico", TARGET)


if __name__ == "__main__":
    sys.exit(main())
