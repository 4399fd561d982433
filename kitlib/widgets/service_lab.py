"""The service lab: switch a Service's type, scale and kill its pods, send requests from a pod,
a node or outside, and watch in a routing graph and a Sankey where every request lands.

Each control makes exactly one engine call that a notebook cell could make too:

=========================  ============================================================
control                    engine call
=========================  ============================================================
type                       ``cluster.apply(service with the new type, same ports)``
externalTrafficPolicy      ``cluster.apply(service with the new policy)``
sessionAffinity            ``cluster.apply(service with the new affinity)``
MetalLB                    ``cluster.enable_addon("metallb", addresses=...)`` / ``disable_addon``
kube-proxy mode            ``cluster.set_proxy_mode(mode)``: iptables, nftables, ipvs (deprecated)
replicas slider            ``cluster.scale(deployment, n)``
kill pod                   ``cluster.delete("Pod", name)``
send N requests            ``cluster.traffic(src, address, port, requests=N, duration=spread)``
+10 s                      ``cluster.advance(10)``
=========================  ============================================================

Picking the source or the address makes no call. The last requests stay on the figures until
the Service's routing changes (type, policy, affinity, MetalLB): then they no longer say where
requests would go; switching kube-proxy's mode drops them too.

With ``rules="<node>"`` the lab also shows what kube-proxy wrote for the Service on that node,
in its current mode (:func:`kitlib.figures.proxy_rules`: ``iptables-save``, ``nft list`` or
``ipvsadm``), redrawn after every control like the other views.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..api.node import internal_ip
from ..errors import ApiError
from ..figures.proxy_rules import COMMANDS, proxy_rules
from ..figures.sankey import traffic_sankey, update_traffic_sankey
from ..figures.service_graph import (
    graph_key,
    graph_title,
    routes_text,
    service_graph,
    short_name,
    update_service_graph,
)
from .figurewidget import LabFigureWidget
from .lab import (
    PICKER_WIDTH,
    TABLE_STYLE,
    controls,
    figure_text,
    fit,
    hint,
    lab_box,
    pod_options,
    run_action,
    set_options,
    show_error,
    trace_html,
)

METALLB_ADDRESSES = "192.168.49.200-192.168.49.250"
TYPES = ["ClusterIP", "NodePort", "LoadBalancer"]
NO_REQUESTS = "No requests sent yet: pick from and to, then press Send to see where they land."
PROXY_MODES = [("iptables", "iptables"), ("nftables", "nftables"), ("ipvs (deprecated)", "ipvs")]


def service_manifest(svc, **changes: Any) -> dict[str, Any]:
    """The Service as a learner would write it for ``kubectl apply``, with ``changes`` made:
    ``type``, ``externalTrafficPolicy``, ``sessionAffinity``.

    Ports keep their name, protocol, port and targetPort; their nodePort is kept while the new
    type uses node ports, and left out for ClusterIP (the API server releases it). The
    externalTrafficPolicy is only written for NodePort and LoadBalancer, where it means something.
    """
    spec = svc.spec
    stype = changes.get("type", spec.type or "ClusterIP")
    node_ports = stype in ("NodePort", "LoadBalancer")
    ports = []
    for p in spec.ports:
        port: dict[str, Any] = {"port": p.port, "protocol": p.protocol or "TCP"}
        if p.name:
            port["name"] = p.name
        if p.target_port not in (None, ""):
            port["targetPort"] = p.target_port
        if node_ports and p.node_port:
            port["nodePort"] = p.node_port
        ports.append(port)
    body: dict[str, Any] = {"type": stype, "selector": dict(spec.selector), "ports": ports}
    etp = changes.get("externalTrafficPolicy", spec.external_traffic_policy)
    if etp and (node_ports or "externalTrafficPolicy" in changes):
        body["externalTrafficPolicy"] = etp
    affinity = changes.get("sessionAffinity", spec.session_affinity or "None")
    if affinity != "None":
        body["sessionAffinity"] = affinity
    meta: dict[str, Any] = {"name": svc.name, "namespace": svc.namespace}
    if svc.metadata.labels:
        meta["labels"] = dict(svc.metadata.labels)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": body}


def _metallb_on(cluster) -> bool:
    addons = getattr(cluster, "addons", None)
    if callable(addons):
        addons = addons()
    return bool(addons and "metallb" in addons)


class ServiceLab:
    """Controls for one Service and its Deployment, a live routing graph, a Sankey of the last
    requests and ``kubectl get svc,endpointslices``.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=3, seed=0)
    >>> _ = c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    >>> _ = c.kubectl("expose deployment web --port=80")
    >>> lab = ServiceLab(c, "web")
    >>> lab.type.value = "NodePort"           # the same as applying the Service with type: NodePort
    >>> c.get("Service", "web").spec.type
    'NodePort'

    ``rules`` names a node whose kube-proxy rules for the Service the lab shows (none by default).
    """

    def __init__(self, cluster, deployment: str = "web", service: str = "web", namespace: str = "default",
                 max_replicas: int = 12, metallb_addresses: str = METALLB_ADDRESSES,
                 rules: str | None = None) -> None:
        self.cluster = cluster
        self.deployment = deployment
        self.service = service
        self.namespace = namespace
        self.rules_node = rules
        self.metallb_addresses = metallb_addresses
        self.last_traffic = None
        self.last_source: str | None = None
        self._syncing = False
        svc = cluster.get("Service", service, namespace)
        current = cluster.get("Deployment", deployment, namespace).spec.replicas or 0
        narrow = widgets.Layout(width="auto")
        self.type = widgets.Dropdown(options=TYPES, value=svc.spec.type if svc.spec.type in TYPES else "ClusterIP",
                                     description="type", layout=widgets.Layout(width="220px"))
        self.traffic_policy = widgets.ToggleButtons(options=["Cluster", "Local"], description="extTrafficPolicy",
                                                    style={"button_width": "80px", "description_width": "initial"})
        self.affinity = widgets.ToggleButtons(options=["None", "ClientIP"], description="sessionAffinity",
                                              style={"button_width": "80px", "description_width": "initial"})
        self.metallb = widgets.ToggleButton(description="MetalLB", icon="plug", layout=narrow,
                                            tooltip=f"MetalLB in layer-2 mode with addresses {metallb_addresses}")
        self.proxy_mode = widgets.Dropdown(options=PROXY_MODES, value=getattr(cluster, "proxy_mode", "iptables"),
                                           description="kube-proxy", layout=widgets.Layout(width="250px"))
        self.replicas = widgets.IntSlider(value=current, min=0, max=max(max_replicas, current),
                                          description="replicas", continuous_update=False)
        self.pod_picker = widgets.Dropdown(description="pod", layout=widgets.Layout(width=PICKER_WIDTH))
        self.kill_button = widgets.Button(description="Kill pod", button_style="danger", icon="times")
        self.step_button = widgets.Button(description="+10 s", layout=widgets.Layout(width="70px"))
        self.clock = widgets.HTML()
        self.source = widgets.Dropdown(description="from", layout=widgets.Layout(width=PICKER_WIDTH))
        self.address = widgets.Dropdown(description="to", layout=widgets.Layout(width="400px"))
        self.requests = widgets.BoundedIntText(value=100, min=1, max=1_000_000, description="requests",
                                               layout=widgets.Layout(width="180px"))
        self.spread = widgets.Dropdown(options=[("at once", 0.0), ("over 10 s", 10.0), ("over 60 s", 60.0)],
                                       value=0.0, layout=widgets.Layout(width="110px"),
                                       tooltip="spread the requests over simulated time (the clock advances)")
        self.send_button = widgets.Button(description="Send", button_style="info", icon="paper-plane")
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.table = widgets.HTML()
        self.rules = widgets.HTML()
        # The graph's title and legend are HTML around it (bare): they wrap at any width, and
        # plotly.js redraws neither on every click (a third of the graph's redraw).
        self.graph = service_graph(cluster, None, service, namespace, figure_class=LabFigureWidget, bare=True)
        self.graph_title, self.graph_key = widgets.HTML(), widgets.HTML()
        self.sankey = traffic_sankey(None, cluster, figure_class=LabFigureWidget)
        self.graph_text, self.sankey_text = widgets.HTML(), widgets.HTML()  # the figures' text alternatives

        self.type.observe(self._on_type, names="value")
        self.traffic_policy.observe(self._on_policy, names="value")
        self.affinity.observe(self._on_affinity, names="value")
        self.metallb.observe(self._on_metallb, names="value")
        self.proxy_mode.observe(self._on_proxy_mode, names="value")
        self.replicas.observe(self._on_replicas, names="value")
        self.kill_button.on_click(self._on_kill)
        self.step_button.on_click(lambda _b: self.step(10))
        self.send_button.on_click(self._on_send)
        self.widget = lab_box([
            controls(self.type, self.traffic_policy, self.affinity, self.metallb, self.proxy_mode),
            controls(self.replicas, self.pod_picker, self.kill_button, self.step_button, self.clock),
            controls(self.source, self.address, self.requests, self.spread, self.send_button),
            self.status,
            self.graph_title,
            fit(self.graph),
            self.graph_key,
            self.graph_text,
            *([self.rules] if rules else []),
            fit(self.sankey),
            self.sankey_text,
            self.result,
            self.table,
        ])
        self.refresh()

    # Each handler: one engine call, then a redraw. Errors go to the status line, because
    # exceptions raised in callbacks are invisible in JupyterLab.

    def _run(self, action, *args, **kwargs) -> bool:
        return run_action(self, action, *args, **kwargs)

    def _apply(self, **changes: Any) -> None:
        svc = self.cluster.get("Service", self.service, self.namespace)
        manifest = service_manifest(svc, **changes)

        def apply() -> None:
            self.cluster.apply(manifest)
            self.last_traffic = None  # the routing changed: the last requests no longer say where they go

        self._run(apply)

    def _on_type(self, change) -> None:
        if not self._syncing:
            self._apply(type=change["new"])

    def _on_policy(self, change) -> None:
        if not self._syncing:
            self._apply(externalTrafficPolicy=change["new"])

    def _on_affinity(self, change) -> None:
        if not self._syncing:
            self._apply(sessionAffinity=change["new"])

    def _on_metallb(self, change) -> None:
        if self._syncing:
            return

        def toggle() -> None:
            if change["new"]:
                self.cluster.enable_addon("metallb", addresses=self.metallb_addresses)
            else:
                self.cluster.disable_addon("metallb")
            self.last_traffic = None

        self._run(toggle)

    def _on_proxy_mode(self, change) -> None:
        if self._syncing:
            return

        def switch() -> None:
            self.cluster.set_proxy_mode(change["new"])
            self.last_traffic = None  # the rules changed: the last requests no longer say where they go

        self._run(switch)

    def _on_replicas(self, change) -> None:
        if not self._syncing:
            self._run(self.cluster.scale, self.deployment, change["new"], self.namespace)

    def _on_kill(self, _button=None) -> None:
        if self.pod_picker.value:
            self._run(self.cluster.delete, "Pod", self.pod_picker.value, self.namespace)

    def _on_send(self, _button=None) -> None:
        if self.source.value is None or self.address.value is None:
            show_error(self.status, "pick a source and an address first")
            return
        src, (dst, port) = self.source.value, self.address.value

        def send() -> None:
            self.last_traffic = self.cluster.traffic(src, dst, port, requests=self.requests.value,
                                                     duration=self.spread.value or None)
            self.last_source = src

        self._run(send)

    def step(self, seconds: float) -> None:
        """Advance the cluster's clock (the +10 s button)."""
        self._run(self.cluster.advance, seconds)

    # ------------------------------------------------------------------ views

    def refresh(self) -> None:
        """Redraw every view and re-sync every control from the cluster's state."""
        c = self.cluster
        t, src = self.last_traffic, self.last_source
        # The figures first: their messages leave before the controls' and the tables'.
        routes = update_service_graph(self.graph, c, t, self.service, self.namespace, source=src)
        update_traffic_sankey(self.sankey, t, c, source=src)
        self.graph_title.value = graph_title(routes)
        self.graph_key.value = graph_key(self.graph)
        self._syncing = True  # setting a control to what the cluster says is not a request
        try:
            svc = self._sync_controls()
        finally:
            self._syncing = False
        self.clock.value = f"<b>t = {c.now:.0f} s</b>"
        self.graph_text.value = figure_text(routes_text(routes))
        self.sankey_text.value = figure_text(self._sankey_summary(t))
        self.result.value = trace_html(str(t)) if t is not None else hint(
            NO_REQUESTS if self.pod_picker.options else "No pods behind the Service yet: move the replicas "
            "slider up, then send requests.")
        self.rules.value = self._rules_view() if svc is not None and self.rules_node else ""
        if svc is None:
            self.table.value = ""
            return
        command = "get svc,endpointslices" + ("" if self.namespace == "default" else f" -n {self.namespace}")
        try:
            text = c.kubectl(command)
        except ApiError as err:
            text = str(err)
        self.table.value = (f"<pre style='{TABLE_STYLE}'>$ kubectl {command}\n"
                            + html.escape(text) + "</pre>")

    def _sync_controls(self):
        c = self.cluster
        try:
            svc = c.get("Service", self.service, self.namespace)
        except ApiError:
            return None
        spec = svc.spec
        if spec.type in TYPES:
            self.type.value = spec.type
        self.traffic_policy.value = spec.external_traffic_policy or "Cluster"
        self.affinity.value = spec.session_affinity or "None"
        self.metallb.value = _metallb_on(c)
        self.metallb.button_style = "success" if self.metallb.value else ""
        self.proxy_mode.value = getattr(c, "proxy_mode", "iptables")
        try:
            replicas = c.get("Deployment", self.deployment, self.namespace).spec.replicas or 0
            self.replicas.max = max(self.replicas.max, replicas)
            self.replicas.value = replicas
        except ApiError:
            pass
        pods = c.pods(self.namespace, ",".join(f"{k}={v}" for k, v in sorted(spec.selector.items())) or None) \
            if spec.selector else []
        set_options(self.pod_picker, pod_options(p for p in pods if p.metadata.deletion_timestamp is None))
        clients = [p for p in c.pods(self.namespace) if p.status.pod_ip and p.metadata.deletion_timestamp is None]
        sources = [*pod_options(clients, lambda p: p.key, self.namespace, prefix="pod "),
                   *[(f"node {n.name}", f"node/{n.name}") for n in c.nodes()], ("outside", "external")]
        set_options(self.source, sources)
        set_options(self.address, self._addresses(svc))
        return svc

    def _sankey_summary(self, t) -> str:
        """The Sankey in one sentence: where the last requests landed, per pod."""
        if t is None:
            return "Sankey of the last requests: none sent yet."
        pods = sorted(t.served.items())
        where = ", ".join(f"{short_name(p)} {n}" for p, n in pods)
        return (f"Sankey of the last requests: {t.requests} sent, {t.requests - t.failed} answered, "
                f"{t.failed} failed" + (f"; answered by {where}" if where else "") + ".")

    def _rules_view(self) -> str:
        """The Service's rules on the lab's ``rules`` node, under the command that lists them."""
        c, node = self.cluster, self.rules_node or ""
        mode = getattr(c, "proxy_mode", "iptables")
        try:
            text = proxy_rules(c, node, self.service, self.namespace)
        except ApiError as err:
            text = str(err)
        command = COMMANDS.get(mode, mode)
        return trace_html(f"$ {command}    # on {node}, kube-proxy in {mode} mode: the rules for "
                          f"{self.namespace}/{self.service}\n{text}", "font-size:11px;line-height:1.3;tab-size:4")

    def _addresses(self, svc) -> list[tuple[str, tuple[str, int]]]:
        """The Service's addresses for its first port: ClusterIP, each NodePort, the LB IP."""
        if not svc.spec.ports:
            return []
        p = svc.spec.ports[0]
        out = []
        if svc.spec.cluster_ip and svc.spec.cluster_ip != "None":
            out.append((f"ClusterIP {svc.spec.cluster_ip}:{p.port}", (svc.spec.cluster_ip, p.port)))
        if p.node_port and svc.spec.type in ("NodePort", "LoadBalancer"):
            for n in self.cluster.nodes():
                ip = internal_ip(n)
                out.append((f"NodePort {n.name} {ip}:{p.node_port}", (ip, p.node_port)))
        for ing in svc.status.load_balancer.ingress:
            if ing.ip:
                out.append((f"LoadBalancer {ing.ip}:{p.port}", (ing.ip, p.port)))
        return out

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
