"""The firewall lab: apply ready-made NetworkPolicies or your own YAML, relabel pods and
namespaces, switch between a flannel and a Calico cluster, and watch the reachability heatmap and
the reason for any one verdict update.

The lab holds two clusters built from the same scenario (:func:`shop_cluster`), one per network
plug-in. Every edit is made on both, so that the switch compares the same objects under flannel
(which stores NetworkPolicies and enforces none) and under Calico (which enforces them). Each
control makes one engine call (on each cluster) that a notebook cell could make too:

=========================  ==================================================================
control                    engine call
=========================  ==================================================================
Apply                      ``cluster.apply(the YAML in the editor)``
Delete                     ``cluster.delete("NetworkPolicy", name)``
Label                      ``cluster.label(kind, name, {key: value}, overwrite=True)``
                           (an empty value removes the label)
Explain                    ``cluster.explain(src, dst, port, protocol)`` (a read)
=========================  ==================================================================

Picking a ready-made policy only fills the editor; picking the CNI, a port panel or the policy
to draw makes no call. A bad policy shows the API server's error on the status line and changes
nothing, because ``apply`` validates first. Cells whose verdict changed with the last edit are
framed in the heatmap.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..api.namespace import Namespace
from ..api.pod import Pod
from ..errors import ApiError
from ..figures.netpol import (
    PANEL,
    Reachability,
    heatmap_text,
    peer_label,
    policy_graph,
    policy_text,
    policy_view,
    reachability,
    reachability_heatmap,
    show_panel_hover,
    update_policy_graph,
    update_reachability_heatmap,
    workload_pods,
)
from .figurewidget import LabFigureWidget
from .lab import figure_text, fit, hint, lab_box, set_options, show_error

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"
LAB_PORTS = ((80, "TCP"), (8080, "TCP"), (53, "UDP"))
"""The heatmap's panels: the frontend's HTTP port, the API's port and DNS."""

SCENARIO = f"""
apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
---
apiVersion: v1
kind: Pod
metadata:
  name: frontend
  labels: {{app: frontend, tier: web}}
spec:
  containers:
  - name: nginx
    image: nginx
    ports: [{{containerPort: 80, name: http}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  labels: {{app: api, tier: backend}}
spec:
  containers:
  - name: api
    image: {AGNHOST}
    args: [netexec, --http-port=8080]
    ports: [{{containerPort: 8080, name: http}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: db
  labels: {{app: db, tier: backend}}
spec:
  containers:
  - name: db
    image: {AGNHOST}
    args: [netexec, --http-port=5432]
    ports: [{{containerPort: 5432, name: postgres}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: prometheus
  namespace: monitoring
  labels: {{app: prometheus}}
spec:
  containers:
  - name: prometheus
    image: {AGNHOST}
    args: [netexec, --http-port=9090]
    ports: [{{containerPort: 9090, name: http}}]
"""
"""The lab's workload: frontend, api and db in ``default``, prometheus in ``monitoring``. Bare pods
with fixed names, so that both clusters have the same names."""


def shop_cluster(cni: str = "calico", seed: int = 0, nodes: int = 3):
    """A cluster (``minikube start --cni=<cni>``) with the lab's four pods running."""
    import kitlib

    cluster = kitlib.Cluster(nodes=nodes, seed=seed, cni=cni)
    cluster.apply(SCENARIO)
    cluster.settle()
    return cluster


def _policy(name: str, spec: str) -> str:
    return f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\nspec:\n{spec}"


READY_MADE: dict[str, str] = {
    "default deny ingress": _policy("default-deny-ingress", """\
  podSelector: {}
  policyTypes:
  - Ingress
"""),
    "default deny egress": _policy("default-deny-egress", """\
  podSelector: {}
  policyTypes:
  - Egress
"""),
    "allow from a label": _policy("api-allow-frontend", """\
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
    ports:
    - protocol: TCP
      port: 8080
"""),
    "allow from a namespace": _policy("allow-monitoring", """\
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
"""),
    "allow DNS egress": _policy("allow-dns", """\
  podSelector: {}
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
"""),
}
"""The ready-made policies, as the Kubernetes documentation writes them
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies)."""


class FirewallLab:
    """Ready-made and hand-written NetworkPolicies, labels, and a flannel/Calico switch over two
    clusters with the same pods; a reachability heatmap, a policy graph and ``explain``.

    Attributes a lesson may set: ``cni`` (ToggleButtons), ``ready_made`` (Dropdown), ``editor``
    (Textarea), ``delete_picker``, ``label_kind``, ``label_target`` (Dropdown), ``label_key``,
    ``label_value`` (Text), ``src``, ``dst``, ``port`` (Dropdown), ``graph_picker`` (Dropdown);
    buttons ``apply_button``, ``delete_button``, ``label_button``, ``explain_button``.

    >>> lab = FirewallLab(cnis=("flannel",))
    >>> lab.ready_made.value = "default deny ingress"   # fills the editor
    >>> lab.apply_button.click()                        # cluster.apply(the YAML)
    >>> [p.name for p in lab.cluster.list("NetworkPolicy")]
    ['default-deny-ingress']
    """

    def __init__(self, clusters: dict[str, Any] | None = None, *, cnis: tuple[str, ...] = ("calico", "flannel"),
                 seed: int = 0, ports: tuple[tuple[int, str], ...] = LAB_PORTS) -> None:
        self.clusters = clusters if clusters is not None else {cni: shop_cluster(cni, seed) for cni in cnis}
        self.ports = tuple(ports)
        self.last_explanation = ""
        self._syncing = False
        self.data: dict[str, Reachability] = {}
        self.previous: dict[str, Reachability | None] = dict.fromkeys(self.clusters)
        first = next(iter(self.clusters))
        self.cni = widgets.ToggleButtons(options=list(self.clusters), value=first, description="cluster",
                                         tooltips=[f"minikube start --cni={c}" for c in self.clusters])
        self.ready_made = widgets.Dropdown(options=[("— pick a ready-made policy —", ""), *[(k, k) for k in READY_MADE]],
                                           value="", description="policy", layout=widgets.Layout(width="360px"))
        self.editor = widgets.Textarea(value=READY_MADE["default deny ingress"], rows=14,
                                       layout=widgets.Layout(width="420px"))
        self.apply_button = widgets.Button(description="Apply", button_style="success", icon="check",
                                           tooltip="cluster.apply(YAML), on both clusters")
        self.delete_picker = widgets.Dropdown(description="delete", layout=widgets.Layout(width="300px"))
        self.delete_button = widgets.Button(description="Delete", button_style="warning", icon="trash",
                                            layout=widgets.Layout(width="auto"))
        self.label_kind = widgets.Dropdown(options=["Pod", "Namespace"], value="Pod", description="label",
                                           layout=widgets.Layout(width="200px"))
        self.label_target = widgets.Dropdown(layout=widgets.Layout(width="220px"))
        self.label_key = widgets.Text(value="app", placeholder="key", layout=widgets.Layout(width="220px"))
        self.label_value = widgets.Text(value="", placeholder="value (empty: remove)",
                                        layout=widgets.Layout(width="160px"))
        self.label_button = widgets.Button(description="Label", icon="tag", layout=widgets.Layout(width="auto"),
                                           tooltip="cluster.label(kind, name, {key: value}, overwrite=True)")
        self.src = widgets.Dropdown(description="from", layout=widgets.Layout(width="240px"))
        self.dst = widgets.Dropdown(description="to", layout=widgets.Layout(width="240px"))
        self.port = widgets.Dropdown(options=[(f"{proto} {port}", (port, proto)) for port, proto in self.ports],
                                     description="port", layout=widgets.Layout(width="180px"))
        self.explain_button = widgets.Button(description="Explain", button_style="info", icon="question",
                                             tooltip="cluster.explain(src, dst, port, protocol)")
        self.graph_picker = widgets.Dropdown(description="graph of", layout=widgets.Layout(width="320px"))
        self.status = widgets.HTML()
        self.explanation = widgets.HTML()
        self.heatmap_text = widgets.HTML()  # the heatmap's text alternative
        self.graph_text = widgets.HTML()  # the policy graph's text alternative
        self._refresh_data()
        self.heatmap = reachability_heatmap(self.data[first], figure_class=LabFigureWidget)
        # Only the port panel shown carries its cells' reasons; the port menu (in the browser) showing
        # another panel reaches the kernel as a restyle of `visible`, and the panel gets them then.
        for heat in self.heatmap.data[::PANEL]:
            heat.on_change(self._on_panel_shown, "visible")
        self.graph = LabFigureWidget()
        self._graph_of: tuple[str, str] | None = None

        self.cni.observe(self._on_cni, names="value")
        self.ready_made.observe(self._on_ready_made, names="value")
        self.apply_button.on_click(self._on_apply)
        self.delete_button.on_click(self._on_delete)
        self.label_kind.observe(lambda change: self._sync_controls(), names="value")
        self.label_button.on_click(self._on_label)
        self.explain_button.on_click(self._on_explain)
        self.graph_picker.observe(self._on_graph_picker, names="value")
        self.widget = lab_box([
            self.cni,
            widgets.HBox([
                widgets.VBox([widgets.HBox([self.ready_made, self.apply_button]), self.editor,
                              widgets.HBox([self.delete_picker, self.delete_button])]),
                widgets.VBox([widgets.HBox([self.label_kind, self.label_target]),
                              widgets.HBox([self.label_key, self.label_value, self.label_button]),
                              widgets.HBox([self.src, self.dst]), widgets.HBox([self.port, self.explain_button]),
                              self.explanation]),
            ], layout=widgets.Layout(flex_flow="row wrap")),
            self.status,
            fit(self.heatmap),
            self.heatmap_text,
            self.graph_picker,
            fit(self.graph),
            self.graph_text,
        ])
        self.refresh()

    @property
    def cluster(self):
        """The cluster shown now."""
        return self.clusters[self.cni.value]

    def _others(self) -> list:
        return [c for name, c in self.clusters.items() if name != self.cni.value]

    # Each handler: one engine call (on each cluster), then a redraw. Errors go to the status line,
    # because exceptions raised in callbacks are invisible in JupyterLab.

    def _edit(self, call) -> bool:
        """Make ``call(cluster)`` on the shown cluster, then on the others (the same objects, so the
        same outcome); remember the matrices before it, to frame what changed."""
        before: dict[str, Reachability | None] = dict(self.data)
        try:
            call(self.cluster)
        except (ApiError, ValueError) as err:
            show_error(self.status, str(err))
            self.refresh()
            return False
        for other in self._others():
            call(other)
        self.status.value = ""
        self.previous = before
        self.last_explanation = ""
        self.refresh()
        return True

    def _on_cni(self, change) -> None:
        self.last_explanation = ""  # it was about the other cluster: press Explain again
        self.refresh()

    def _on_ready_made(self, change) -> None:
        if change["new"]:
            self.editor.value = READY_MADE[change["new"]]  # fills the editor: no engine call

    def _on_apply(self, _button=None) -> None:
        text = self.editor.value
        self._edit(lambda c: c.apply(text))

    def _on_delete(self, _button=None) -> None:
        if not self.delete_picker.value:
            show_error(self.status, "no NetworkPolicy to delete")
            return
        ns, name = self.delete_picker.value.split("/", 1)
        self._edit(lambda c: c.delete("NetworkPolicy", name, ns))

    def _on_label(self, _button=None) -> None:
        kind, target = self.label_kind.value, self.label_target.value
        key, value = self.label_key.value.strip(), self.label_value.value.strip()
        if not target or not key:
            show_error(self.status, "pick what to label and give a key")
            return
        ns, name = target.split("/", 1) if kind == "Pod" else ("default", target)
        self._edit(lambda c: c.label(kind, name, {key: value or None}, ns, overwrite=True))

    def _on_explain(self, _button=None) -> None:
        if not self.src.value or not self.dst.value:
            return
        port, proto = self.port.value
        try:
            self.last_explanation = self.cluster.explain(self.src.value, self.dst.value, port, proto)
            self.status.value = ""
        except (ApiError, ValueError) as err:
            show_error(self.status, str(err))
        self._show_explanation()

    # ------------------------------------------------------------------ views

    def _refresh_data(self) -> None:
        # Hover texts (one decide per cell) only for the cluster shown, and made for a port panel
        # when it is shown; the others' matrices are kept to frame what the next edit changes there.
        # A matrix of an unchanged store is reused.
        for name, cluster in self.clusters.items():
            shown = name == self.cni.value
            old = self.data.get(name)
            if old is not None and old.revision == cluster.api.store.revision and (old.explained or not shown):
                continue
            self.data[name] = reachability(cluster, self.ports, dns=True, explain="lazy" if shown else False)

    def refresh(self) -> None:
        """Recompute the matrices, redraw the heatmap and the policy graph, re-sync the pickers."""
        self._refresh_data()
        shown = self.cni.value
        update_reachability_heatmap(self.heatmap, self.data[shown], self.previous.get(shown), hover="shown")
        self.heatmap_text.value = figure_text(heatmap_text(self.data[shown], self.previous.get(shown)))
        self._sync_controls()
        self._draw_graph()
        self._show_explanation()

    def _on_panel_shown(self, trace, visible) -> None:
        if visible is True or visible is None:
            k = next(n for n, t in enumerate(self.heatmap.data) if t is trace) // PANEL
            shown = self.cni.value
            show_panel_hover(self.heatmap, self.data[shown], self.previous.get(shown), k)

    def _show_explanation(self) -> None:
        text = self.last_explanation
        self.explanation.value = ("<pre style='font-size:11px;line-height:1.35;white-space:pre-wrap;word-break:normal;overflow-wrap:normal'>"
                                  + html.escape(text) + "</pre>") if text else hint(
            "Nothing explained yet: pick from, to and a port, then press Explain to see which policies decide.")

    def _sync_controls(self) -> None:
        self._syncing = True  # setting a picker to what the cluster holds is not a request
        try:
            self._sync_pickers()
        finally:
            self._syncing = False

    def _sync_pickers(self) -> None:
        c = self.cluster
        policies = sorted(f"{p.namespace}/{p.name}" for p in c.list("NetworkPolicy", None))
        set_options(self.delete_picker, policies)
        set_options(self.graph_picker, policies)
        if self.label_kind.value == "Pod":
            targets = [p.key for p in workload_pods(c)]
        else:
            targets = sorted(ns.name for ns in c.api.list_as(Namespace, None))
        set_options(self.label_target, targets)
        pods = workload_pods(c)
        keys = [(peer_label(p), p.key) for p in pods]
        dns = [(peer_label(p), p.key) for p in c.api.list_as(Pod, "kube-system", "k8s-app=kube-dns")]
        set_options(self.src, keys)
        set_options(self.dst, keys + dns, first=1)

    def _on_graph_picker(self, change) -> None:
        if not self._syncing:
            self._draw_graph()

    def _draw_graph(self) -> None:
        value = self.graph_picker.value
        if not value:
            with self.graph.batch_update():  # one message, one redraw in the browser
                self.graph.layout.title = "no NetworkPolicy yet: apply one to see its graph"
                for trace in self.graph.data:
                    trace.x, trace.y = [], []
                self.graph.layout.annotations = []
            self.graph_text.value = ""
            return
        ns, name = value.split("/", 1)
        if not self.graph.data:
            fresh = policy_graph(self.cluster, name, ns)
            with self.graph.batch_update():
                for trace in fresh.data:
                    self.graph.add_trace(trace)
                self.graph.layout = fresh.layout
                fit(self.graph)  # the new layout would draw it 700 px wide again
            drawn = policy_view(self.cluster, name, ns)
        else:
            drawn = update_policy_graph(self.graph, self.cluster, name, ns)
        self.graph_text.value = figure_text(policy_text(drawn))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


__all__ = ["FirewallLab", "READY_MADE", "SCENARIO", "shop_cluster", "LAB_PORTS"]
