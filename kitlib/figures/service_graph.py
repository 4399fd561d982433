"""The service routing graph: who can reach a Service, at which address, through which node's
kube-proxy, to which pod, and where a batch of requests really went.

Left to right: clients (a pod, a node, a machine outside the cluster) → the Service's
addresses (the ClusterIP, each node's IP:nodePort, the load balancer's IP) → kube-proxy on
each node → the endpoint pods, grouped by the node they run on. Every path the Service's type
allows is drawn thin; the paths a :class:`~kitlib.network.traffic.Traffic` result took are
drawn with a width that grows with the requests, labelled with the count. A path that cannot
work (outside → ClusterIP, or a LoadBalancer whose EXTERNAL-IP is ``<pending>``) is dashed,
with the reason. Requests that got no answer are drawn vermillion and dashed (a colour and a
shape), and the subtitle counts them as failed.

``service_routes(cluster, traffic)`` is the graph as plain data (vertices, edges, counts);
``service_graph(cluster, traffic)`` draws it as a ``go.Figure``; ``update_service_graph(fig,
cluster, traffic)`` redraws a ``go.FigureWidget`` in place in one ``batch_update`` with a fixed
set of traces.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from ..api.node import internal_ip
from ..errors import NotFound
from ..network.ref import Ref
from .redraw import titled, unchanged, write_vertices

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; shapes differ too.
BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, GREY = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")
TRAFFIC_COLOUR = PURPLE  # the same colour as a connection's path on the cluster map
PATH_COLOUR = "#BBBBBB"

# Vertex kinds: (trace name, colour, marker symbol, where the label goes)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "client": ("clients", BLACK, "square", "top center"),
    "address": ("service addresses", BLUE, "diamond", "top center"),
    "pending": ("LoadBalancer <pending>", GREY, "diamond-open", "top center"),
    "proxy": ("kube-proxy", ORANGE, "hexagon", "bottom center"),
    "pod": ("endpoint pods (ready)", GREEN, "circle", "middle right"),
    "notready": ("pods not ready or terminating", GREY, "circle-open", "middle right"),
    "gone": ("pods deleted since", VERMILLION, "x-thin-open", "middle right"),
    "failed": ("no answer", VERMILLION, "x", "middle right"),
}
TRACES = ["path, no traffic", "unreachable", *[k[0] for k in KINDS.values()], "traffic", "failed requests",
          "labels"]

# The columns' x; a proxy -> pod path bends at X_STUB, so that its last stretch (and its count's
# box) lies on the pod's own row: boxes of pods one ROW apart never touch, however many pods.
X_CLIENT, X_ADDRESS, X_PROXY, X_STUB, X_POD = 0.0, 1.45, 2.7, 3.25, 3.85
X_RANGE = (-0.55, 5.0)
# Vertical distances (1 = 46 px, see _draw): between two rows of a node (a pod, or the "no
# answer" of requests its kube-proxy refused); a node's band above its first row (the band's
# label goes there) and below its last (kube-proxy's two-line label under its marker); between
# two bands.
ROW, POD_TOP, POD_BOTTOM, BAND_GAP = 0.9, 0.85, 0.9, 0.3
PX_PER_UNIT = 46


@dataclass(frozen=True)
class Vertex:
    """A box of the graph: ``id`` is ``client:pod``, ``clusterip``, ``nodeport:<node>``, ``lb:<ip>``,
    ``lb:pending``, ``proxy:<node>``, ``pod:<ns/name>`` or ``failed``."""

    id: str
    kind: str  # a key of KINDS
    label: str
    hover: str
    x: float
    y: float
    text_at: str = ""  # where the label sits, if not where its kind's labels go


@dataclass
class Edge:
    """A path between two vertices and the requests that took it (0: possible, unused)."""

    src: str
    dst: str
    requests: int = 0
    failed: int = 0  # of those, how many got no answer at this step
    reachable: bool = True  # False: this path cannot work
    hover: str = ""
    reason: str = ""  # why it cannot work, in a few words (the long form is in ``hover``), as HTML


@dataclass
class Routes:
    """The routing graph of one Service as plain data."""

    service: str
    type: str | None
    vertices: dict[str, Vertex] = field(default_factory=dict)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)
    bands: list[tuple[str, float, float]] = field(default_factory=list)  # (node label, y top, y bottom)
    no_answer_rows: dict[str, float] = field(default_factory=dict)  # node -> y of its "no answer" row
    notes: list[str] = field(default_factory=list)
    title: str = ""
    subtitle: str = ""

    def edge(self, src: str, dst: str) -> Edge | None:
        return self.edges.get((src, dst))

    def unreachable(self) -> list[str]:
        """Each path that cannot work and why, as HTML: ``✗ outside → ClusterIP: a ClusterIP is
        reachable only inside the cluster``."""
        out = []
        for e in self.edges.values():
            if not e.reachable and e.src in self.vertices and e.dst in self.vertices:
                a, b = (self.vertices[k].label.split("<br>")[0] for k in (e.src, e.dst))
                out.append(f"✗ {a} → {b}: {e.reason or 'unreachable'}")
        return out

    def add(self, src: str, dst: str, **kw: Any) -> Edge:
        e = self.edges.get((src, dst))
        if e is None:
            e = self.edges[(src, dst)] = Edge(src, dst, **kw)
        return e


PROXY_HOW = {
    "iptables": "its iptables rules pick an endpoint (-m statistic) and DNAT to it",
    "nftables": "its nftables rules pick an endpoint (numgen random) and DNAT to it",
    "ipvs": "IPVS (deprecated since Kubernetes 1.35) picks a real server in turn and DNATs to it",
}
"""What the kube-proxy vertex's hover says the node's kube-proxy does, by mode."""
PROXY_MODE_NAMES = {"ipvs": "ipvs (deprecated)"}
"""How the title names a kube-proxy mode, where it is not just its name."""


def _client_kind(source: str | None) -> str | None:
    if source is None:
        return None
    kind = Ref.parse(source).kind
    return "outside" if kind == "external" else "node" if kind == "node" else "pod"


def _service_port(svc, port: int | None, protocol: str | None = None):
    ports = svc.spec.ports
    return next((p for p in ports if p.port == port and (protocol is None or (p.protocol or "TCP") == protocol)),
                next((p for p in ports if p.port == port), ports[0] if ports else None))


def service_routes(cluster, traffic=None, service: str = "web", namespace: str = "default",
                   source: str | None = None, port: int | None = None) -> Routes:
    """The Service's routing graph: every path its type allows, and where ``traffic`` went.

    ``source`` is the client the traffic came from (``"ns/pod"``, ``"node/<name>"`` or
    ``"external"``); ``port`` picks the Service port (the first one by default).

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=2, seed=0)
    >>> _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80"); c.advance(10)
    >>> _ = c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    ...              "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    >>> r = service_routes(c)
    >>> r.edge("client:outside", "clusterip").reachable
    False
    """
    source = source if source is not None else getattr(traffic, "src", None) or getattr(traffic, "source", None)
    try:
        svc = cluster.get("Service", service, namespace)
    except NotFound as err:
        return Routes(f"{namespace}/{service}", None, title=html.escape(str(err)))
    stype = svc.spec.type or "ClusterIP"
    routes = Routes(svc.key, stype)
    port = port if port is not None else getattr(traffic, "port", None)
    sp = _service_port(svc, port, getattr(traffic, "protocol", None))
    nodes = cluster.nodes()
    node_ip = {n.name: internal_ip(n) for n in nodes}
    etp_local = (svc.spec.external_traffic_policy or "Cluster") == "Local"

    # --- endpoint pods, grouped by node
    ready: dict[str, tuple[str, str | None, str]] = {}  # pod key -> (ip, node, condition)
    for sl in cluster.list("EndpointSlice", namespace, f"kubernetes.io/service-name={service}"):
        for ep in sl.endpoints:
            ref = ep.target_ref
            key = f"{ref.namespace or namespace}/{ref.name}" if ref and ref.name else f"ip/{ep.addresses[0]}"
            c = ep.conditions
            state = "ready" if c.ready else ("terminating" if c.terminating else "not ready")
            ip = ep.addresses[0] if ep.addresses else ""
            # An endpoint that is not a pod (the API server's) sits on the node that has its IP.
            node = ep.node_name or next((n for n, a in node_ip.items() if a == ip), None)
            ready[key] = (ip, node, state)
    others: dict[str, tuple[str, str | None, str]] = {}
    if svc.spec.selector:
        sel = ",".join(f"{k}={v}" for k, v in sorted(svc.spec.selector.items()))
        for p in cluster.pods(namespace, sel):
            if p.key not in ready:
                why = "terminating" if p.metadata.deletion_timestamp else (
                    "no IP yet" if not p.status.pod_ip else "not ready")
                others[p.key] = (p.status.pod_ip or "", p.spec.node_name, why)
    if traffic is not None and getattr(traffic, "service", svc.key) != svc.key:
        routes.notes.append(f"the last requests did not go to {svc.key} but to {traffic.address}")
        traffic = None
    served = dict(getattr(traffic, "served", {}) or {})
    flows = dict(getattr(traffic, "flows", {}) or {})
    gone = sorted((set(served) | {pod for _, pod in flows}) - set(ready) - set(others))

    # --- layout: one band per node, pods stacked inside it, and a row for "no answer" where that
    # node's kube-proxy refused or dropped some of the requests
    flows_from: dict[str, int] = {}
    for (n_, _), c_ in flows.items():
        flows_from[n_] = flows_from.get(n_, 0) + c_
    refusing = {n_ for n_, c_ in (getattr(traffic, "entry_nodes", {}) or {}).items() if c_ > flows_from.get(n_, 0)}
    y = 0.0
    proxy_y: dict[str, float] = {}
    pod_pos: dict[str, tuple[float, float]] = {}
    for n in nodes:
        keys = sorted(k for k, v in (*ready.items(), *others.items()) if v[1] == n.name)
        top = y
        ys = [top - POD_TOP - i * ROW for i in range(max(1, len(keys) + (n.name in refusing)))]
        for k, py in zip(keys, ys, strict=False):
            pod_pos[k] = (X_POD, py)
        if n.name in refusing:
            routes.no_answer_rows[n.name] = ys[len(keys)] if keys else ys[0]
        proxy_y[n.name] = sum(ys) / len(ys)
        bottom = ys[-1] - POD_BOTTOM
        up = cluster.node_runtime(n.name).up
        routes.bands.append((f"<b>{n.name}</b> · {node_ip[n.name]}" + ("" if up else " · <b>down</b>"), top, bottom))
        y = bottom - BAND_GAP
    bottom = y
    extra = [k for k, v in (*ready.items(), *others.items()) if v[1] not in proxy_y] + gone
    for i, k in enumerate(extra):
        pod_pos[k] = (X_POD, bottom - 0.5 - i * ROW)
    y_cip = 1.35
    y_lb = bottom - 0.9

    def vertex(id_: str, kind: str, label: str, hover: str, x: float, y_: float, text_at: str = "") -> None:
        routes.vertices[id_] = Vertex(id_, kind, label, hover, x, y_, text_at)

    # --- clients
    kind = _client_kind(source)
    ext_ip = cluster.topology.graph.nodes["external"]["ip"]
    pod_label, node_label = "a pod", "a node"
    if kind == "pod" and source is not None:
        try:
            p = cluster.get("Pod", source.split("/", 1)[1], source.split("/", 1)[0])
            pod_label = f"pod {short_name(p.name)}<br>{p.status.pod_ip or ''}"
        except (NotFound, IndexError):
            pod_label = f"pod {source}"
    elif kind == "node" and source is not None:
        name = source.split("/", 1)[1]
        node_label = f"node {name}<br>{node_ip.get(name, '')}"
    mid = (y_cip + y_lb) / 2
    vertex("client:pod", "client", pod_label, "a pod in the cluster (its node's kube-proxy handles its requests)",
           X_CLIENT, y_cip)
    vertex("client:node", "client", node_label, "a node of the cluster (its own kube-proxy rules apply)",
           X_CLIENT, y_cip - 1.7)
    vertex("client:outside", "client", f"outside<br>{ext_ip}",
           f"a machine outside the cluster, on the nodes' network ({ext_ip})", X_CLIENT, min(mid, y_cip - 3.4))

    # --- service addresses and the paths to them
    headless = svc.spec.cluster_ip == "None"
    if stype == "ExternalName":
        routes.notes.append(f"ExternalName: DNS answers with a CNAME to {svc.spec.external_name}; "
                            "kube-proxy writes no rules")
    elif headless:
        routes.notes.append("headless (clusterIP: None): DNS returns the pods' IPs and kube-proxy ignores it")
    if sp is None and stype != "ExternalName":
        routes.notes.append("no ports")
    proto = (sp.protocol or "TCP") if sp else "TCP"
    if sp is not None and not headless and stype != "ExternalName" and svc.spec.cluster_ip:
        cip = svc.spec.cluster_ip
        vertex("clusterip", "address", f"ClusterIP<br>{cip}:{sp.port}",
               f"ClusterIP {cip}:{sp.port}/{proto}: a virtual IP that exists only in kube-proxy's rules",
               X_ADDRESS, y_cip)
        routes.add("client:pod", "clusterip", hover=f"a pod → {cip}:{sp.port}")
        routes.add("client:node", "clusterip", hover=f"a node → {cip}:{sp.port}")
        routes.add("client:outside", "clusterip", reachable=False,
                    reason="a ClusterIP is reachable only inside the cluster",
                    hover=f"{cip} is a virtual IP known only to kube-proxy's rules on the cluster's nodes; "
                          "nothing outside the cluster routes the service range, so the connection times out")
        for n in nodes:
            routes.add("clusterip", f"proxy:{n.name}",
                        hover=f"kube-proxy's rules on {n.name} DNAT {cip}:{sp.port} for clients on {n.name}")
    if sp is not None and sp.node_port and stype in ("NodePort", "LoadBalancer"):
        for n in nodes:
            a = f"nodeport:{n.name}"
            vertex(a, "address", f"{node_ip[n.name]}:{sp.node_port}",
                   f"NodePort {sp.node_port} on {n.name}: open on every node, whether it runs a pod or not",
                   X_ADDRESS, proxy_y[n.name], "bottom center")
            routes.add("client:outside", a, hover=f"outside → {node_ip[n.name]}:{sp.node_port}")
            routes.add(a, f"proxy:{n.name}", hover=f"kube-proxy on {n.name} catches port {sp.node_port}")
    if sp is not None and stype == "LoadBalancer":
        from ..network.proxy.packets import announcer

        ips = [i.ip for i in svc.status.load_balancer.ingress if i.ip]
        for i, ip in enumerate(ips):
            a = f"lb:{ip}"
            node, why = announcer(cluster.runtime, svc.key, ip)
            where = (f"{node} answers ARP for it (MetalLB layer 2) and its kube-proxy takes the traffic"
                     if node else html.escape(why))
            vertex(a, "address", f"LoadBalancer<br>{ip}:{sp.port}",
                   f"EXTERNAL-IP {ip}:{sp.port}: {where}", X_ADDRESS, y_lb - i * 1.2, "bottom center")
            routes.add("client:outside", a, hover=f"outside → {ip}:{sp.port}")
            if node is not None:
                routes.add(a, f"proxy:{node}", hover=f"{node} announces {ip}: traffic for it enters there")
        if not ips:
            vertex("lb:pending", "pending", "LoadBalancer<br>EXTERNAL-IP &lt;pending&gt;",
                   "no load-balancer implementation in this cluster, so nobody assigns an external IP "
                   "(add one: MetalLB or kube-vip on bare metal; a cloud's ELB/GLB)", X_ADDRESS, y_lb, "bottom center")
            routes.add("client:outside", "lb:pending", reachable=False,
                        reason="EXTERNAL-IP &lt;pending&gt;: no load balancer",
                        hover="EXTERNAL-IP is &lt;pending&gt;: there is no load-balancer address to send to yet "
                              "(the NodePorts work meanwhile)")

    # --- kube-proxy and pods
    mode = getattr(cluster, "proxy_mode", "iptables")
    how = PROXY_HOW.get(mode, PROXY_HOW["iptables"])
    for n in nodes:
        vertex(f"proxy:{n.name}", "proxy", f"kube-proxy<br>{n.name}", f"kube-proxy on {n.name}: {how}", X_PROXY,
               proxy_y[n.name])
    for key, (ip, node, state) in ready.items():
        kind_ = "pod" if state == "ready" else "notready"
        x, y_ = pod_pos[key]
        label = f"{short_name(key)}<br>{ip}" if not key.startswith("ip/") else f"{ip}<br>(not a pod)"
        vertex(f"pod:{key}", kind_, label, f"{key}<br>{ip} on {node}<br>endpoint: {state}", x, y_)
    for key, (_ip, node, why) in others.items():
        x, y_ = pod_pos[key]
        vertex(f"pod:{key}", "notready", f"{short_name(key)}<br>{why}",
               f"{key} on {node or 'no node yet'}<br>not an endpoint: {why}", x, y_)
    for key in gone:
        x, y_ = pod_pos[key]
        vertex(f"pod:{key}", "gone", f"{short_name(key)}<br>deleted", f"{key}: served requests, deleted since", x, y_)
    if sp is not None and not headless and stype != "ExternalName":
        for key, (_, _, state) in ready.items():
            if state == "ready":
                for n in nodes:
                    routes.add(f"proxy:{n.name}", f"pod:{key}", hover=f"kube-proxy on {n.name} may DNAT to {key}")

    if headless:  # DNS gives the pods' IPs: clients connect to the pods themselves
        for key, (_, _, state) in ready.items():
            if state == "ready":
                routes.add("client:pod", f"pod:{key}", hover=f"DNS answers with {key}'s IP; no kube-proxy")
    if traffic is not None:
        _add_traffic(routes, traffic, kind, svc, nodes)
    routes.title, routes.subtitle = _title(svc, stype, etp_local, traffic, source)
    routes.title += f" · kube-proxy: {PROXY_MODE_NAMES.get(mode, mode)}"
    return routes


def _add_traffic(routes: Routes, traffic, kind: str | None, svc, nodes) -> None:
    """Put the counts of a Traffic result on the edges it took."""
    address = getattr(traffic, "address", "")
    ips = {internal_ip(n): n.name for n in nodes}
    if address == svc.spec.cluster_ip and "clusterip" in routes.vertices:
        a = "clusterip"
    elif address in ips and f"nodeport:{ips[address]}" in routes.vertices:
        a = f"nodeport:{ips[address]}"
    elif f"lb:{address}" in routes.vertices:
        a = f"lb:{address}"
    else:
        routes.notes.append(f"the last requests went to {address}, not to an address of {svc.key}")
        return
    if kind is None:  # who sent it is not known: the usual client of that address
        kind = "pod" if a == "clusterip" else "outside"
    client = f"client:{kind}"
    entry = dict(getattr(traffic, "entry_nodes", {}) or {})
    flows = dict(getattr(traffic, "flows", {}) or {})
    reasons = dict(getattr(traffic, "reasons", {}) or {})
    why = "<br>".join(f"{n} × {html.escape(r)}" for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    requests = int(traffic.requests)
    e = routes.add(client, a)
    e.requests = requests
    served = dict(getattr(traffic, "served", {}) or {})

    def fail_edge(node: str, lost: int, text: str) -> None:
        # A "no answer" mark beside the kube-proxy that refused or dropped the requests.
        y = routes.no_answer_rows.get(node, routes.vertices[f"proxy:{node}"].y)
        routes.vertices[f"failed:{node}"] = Vertex(f"failed:{node}", "failed", "no answer", why, X_POD, y)
        f = routes.add(f"proxy:{node}", f"failed:{node}")
        f.requests = f.failed = lost
        f.hover = f"{text}:<br>{why}"

    handled = 0
    for node, count in sorted(entry.items()):
        if count <= 0:
            continue
        handled += count
        pe = routes.add(a, f"proxy:{node}")
        pe.requests = count
        pe.hover = f"{count} requests entered at {node}: its kube-proxy handled them"
        sent = 0
        for (n, pod), c in sorted(flows.items()):
            if n != node or c <= 0:
                continue
            sent += c
            fe = routes.add(f"proxy:{node}", f"pod:{pod}")
            fe.requests = c
            fe.hover = f"kube-proxy on {node} sent {c} requests to {pod}"
        if count - sent > 0:  # refused or dropped by kube-proxy itself
            fail_edge(node, count - sent, f"{count - sent} requests got no answer from kube-proxy on {node}")
    # Requests DNATed to a pod that did not answer (it died): marked on the edges into that pod.
    # Exact whenever one kube-proxy sent all of a pod's requests (the entry node changes only
    # if a LoadBalancer IP fails over in the middle of a batch).
    answered = dict(served)
    for (n, pod), c in sorted(flows.items()):
        edge = routes.edges.get((f"proxy:{n}", f"pod:{pod}"))
        ok = min(c, answered.get(pod, 0))
        answered[pod] = answered.get(pod, 0) - ok
        if edge is not None and c - ok > 0:
            edge.failed = c - ok
            edge.hover += f"<br>{c - ok} of them got no answer:<br>{why}"
    unhandled = requests - handled
    if unhandled > 0:
        e.failed = min(unhandled, int(getattr(traffic, "failed", unhandled)))
    e.hover = f"{requests} requests to {address}" + (f": {e.failed} failed<br>{why}" if e.failed else "")


EMPTY = "No requests drawn yet: send some to see where they land"


def _title(svc, stype: str, etp_local: bool, traffic, source: str | None) -> tuple[str, str]:
    text = f"Service {svc.key} · {stype}"
    extras = []
    if stype in ("NodePort", "LoadBalancer") and etp_local:
        extras.append("externalTrafficPolicy: Local")
    if (svc.spec.session_affinity or "None") == "ClientIP":
        extras.append("sessionAffinity: ClientIP")
    if extras:
        text += " (" + ", ".join(extras) + ")"
    if traffic is not None:
        ok = traffic.requests - traffic.failed
        who = {"external": "outside"}.get(source or "", source or "a client")
        return text, (f"{traffic.requests} requests from {html.escape(who)} to {traffic.address}: "
                      f"{ok} answered, {traffic.failed} failed")
    return text, EMPTY


def short_name(key: str) -> str:
    """A pod's name without the namespace and the ReplicaSet hash: ``web-…-54xrc``."""
    name = key.split("/", 1)[-1]
    parts = name.split("-")
    if len(parts) >= 3 and len(parts[-2]) in (9, 10) and len(parts[-1]) == 5:
        return "-".join(parts[:-2]) + "-…-" + parts[-1]
    return name


# ------------------------------------------------------------------ drawing

LABELS = "labels"  # the text trace of column headings, node names, ✗ marks and notes


def _trace(name: str) -> go.Scatter:
    if name == "path, no traffic":
        return go.Scatter(name=name, mode="lines", line=dict(color=PATH_COLOUR, width=1.2), hoverinfo="skip")
    if name == "unreachable":
        return go.Scatter(name="unreachable path", mode="lines", hoverinfo="skip",
                          line=dict(color=VERMILLION, width=2, dash="dash"))
    if name in ("traffic", "failed requests"):
        # The count's box is a shape (its width follows the count, in pixels); this trace's marker,
        # hidden under it, gives the box its hover text and its legend entry.
        colour = TRAFFIC_COLOUR if name == "traffic" else VERMILLION
        return go.Scatter(name="traffic (width: requests)" if name == "traffic" else name, mode="markers",
                          hoverinfo="text", marker=dict(size=12, color="white", symbol="square", opacity=1,
                                                        line=dict(color=colour, width=2)))
    if name == LABELS:
        # Headings, node names, ✗ marks and notes: text, not annotations, which plotly.js draws
        # (and measures) two to three times per redraw.
        return go.Scatter(name=name, mode="text", hoverinfo="text", showlegend=False, cliponaxis=False,
                          textfont=dict(size=11, color="#555"))
    kind = next(k for k, v in KINDS.items() if v[0] == name)
    _, colour, symbol, where = KINDS[kind]
    size = {"proxy": 22, "client": 16, "address": 18, "pending": 18}.get(kind, 14)
    return go.Scatter(name=name, mode="markers+text", hoverinfo="text", textposition=where,
                      textfont=dict(size=10), cliponaxis=False,
                      marker=dict(size=size, color=colour, symbol=symbol, line=dict(color="#222", width=1)))


def service_graph(cluster, traffic=None, service: str = "web", namespace: str = "default",
                  source: str | None = None, port: int | None = None, figure_class=go.Figure, bare: bool = False):
    """The Service's routing graph as a new figure (``figure_class=go.FigureWidget`` for a widget).

    ``bare=True`` leaves out the title and the legend: the service lab shows them as HTML
    around the figure (:func:`graph_key`), where they wrap at any width and cost plotly.js
    nothing to redraw.

    >>> import kitlib
    >>> fig = service_graph(kitlib.Cluster(nodes=1), service="kubernetes")
    >>> fig.data[0].name
    'path, no traffic'
    """
    fig = figure_class(data=[_trace(name) for name in TRACES])
    fig.update_layout(
        template="plotly_white", margin=dict(l=10, r=10, t=8 if bare else 64, b=8 if bare else 10),
        hovermode="closest", showlegend=not bare,
        xaxis=dict(visible=False, range=list(X_RANGE), fixedrange=True),
        yaxis=dict(visible=False, fixedrange=True),
        legend=dict(orientation="h", yanchor="top", y=-0.01, x=0, font=dict(size=11)),
    )
    update_service_graph(fig, cluster, traffic, service, namespace, source, port)
    return fig


def update_service_graph(fig, cluster, traffic=None, service: str = "web", namespace: str = "default",
                         source: str | None = None, port: int | None = None) -> Routes:
    """Redraw ``fig`` (made by :func:`service_graph`) from cluster state and a Traffic result; the
    routes drawn (their ``title`` and ``subtitle`` are the figure's, also when it is bare)."""
    routes = service_routes(cluster, traffic, service, namespace, source, port)
    bare = fig.layout.showlegend is False
    d = _draw(routes, bare)
    with fig.batch_update():
        for trace in fig.data:
            t = d["traces"][_key(trace.name)]
            write_vertices(trace, t, fig)
            extra: tuple[tuple[str, Any], ...] = ()
            if trace.name == LABELS:
                extra = (("textposition", t["at"]), ("textfont.color", t["colour"]), ("textfont.size", t["size"]))
            elif trace.mode == "markers":  # the counts' traces: hover texts and ids, no text
                extra = (("hovertext", t["hover"]), ("customdata", t["custom"] or None))
            for prop, value in extra:
                if not unchanged(fig, f"{trace.name}.{prop}", value):
                    trace[prop] = value
            if extra:
                continue
            if "text" in (trace.mode or "") and t["at"] and not unchanged(fig, f"{trace.name}.textposition", t["at"]):
                trace.textposition = t["at"]
        if not unchanged(fig, "shapes", d["shapes"]):
            fig.layout.shapes = d["shapes"]
        fig.layout.yaxis.range = d["y_range"]
        fig.layout.height = d["height"]
        if not bare:
            lines = _title_lines(routes.title)
            # plotly.js anchors a title's first line only: move the lines after it into view.
            fig.layout.title = {**titled("<br>".join(lines), routes.subtitle),
                                "y": 0.99 - 18 * (len(lines) - 1) / d["height"]}
            fig.layout.margin.t = 64 + 18 * (len(lines) - 1)
    return routes


def routes_text(routes: Routes) -> str:
    """The routing graph's text alternative, one sentence from the routes it draws: its title and
    subtitle, how many endpoint pods are ready, and the paths that cannot work, with why. The
    service lab shows it under its graph; :func:`service_graph_text` gives it for a static graph.

    >>> import kitlib
    >>> routes_text(service_routes(kitlib.Cluster(nodes=1), service="kubernetes"))[:45]
    'Routing graph: Service default/kubernetes · C'
    """
    pods = sum(1 for v in routes.vertices.values() if v.kind == "pod")
    others = sum(1 for v in routes.vertices.values() if v.kind == "notready")
    parts = [f"Routing graph: {html.unescape(routes.title)}", f"{pods} ready endpoint pod{'s' if pods != 1 else ''}"
             + (f" ({others} more not ready or terminating)" if others else "")]
    parts += [html.unescape(why) for why in routes.unreachable()]
    if routes.subtitle:
        parts.append(html.unescape(routes.subtitle))
    return "; ".join(parts) + ("" if parts[-1].endswith(".") else ".")


def service_graph_text(cluster, traffic=None, service: str = "web", namespace: str = "default",
                       source: str | None = None, port: int | None = None) -> str:
    """:func:`routes_text` of the graph :func:`service_graph` draws for the same arguments: the
    words a lesson prints beside a static routing graph."""
    return routes_text(service_routes(cluster, traffic, service, namespace, source, port))


def _title_lines(title: str, width: int = 68) -> list[str]:
    """The title in lines that fit a graph 600 px wide: the Service and its type, its policies in
    parentheses, kube-proxy's mode, joined while a line stays within ``width`` characters."""
    head, sep, proxy = title.rpartition(" · kube-proxy")
    if not sep:
        head, proxy = title, ""
    service, paren, extras = head.partition(" (")
    parts = [service, *([paren.strip() + extras] if paren else []), *([f"kube-proxy{proxy}"] if sep else [])]
    lines = [parts[0]]
    for part in parts[1:]:
        joined = lines[-1] + (" " if part.startswith("(") else " · ") + part
        if len(html.unescape(joined)) <= width:
            lines[-1] = joined
        else:
            lines.append(part)
    return lines


def _key(name: str) -> str:
    return {"unreachable path": "unreachable", "traffic (width: requests)": "traffic"}.get(name, name)


def _box(x: float, y: float, text: str, colour: str) -> dict[str, Any]:
    """A count's box: a white rectangle of a size in pixels, centred on (x, y), with the count."""
    w = 10 + 7 * len(text)
    return dict(type="rect", xref="x", yref="y", xsizemode="pixel", ysizemode="pixel", xanchor=x, yanchor=y,
                x0=-w / 2, x1=w / 2, y0=-9, y1=9, layer="above", fillcolor="white",
                line=dict(color=colour, width=2),
                label=dict(text=text, font=dict(size=11, color="#5B2A4A" if colour == TRAFFIC_COLOUR else colour)))


def _wrap(text: str, width: int = 76) -> list[str]:
    """A note's lines, broken between words (a line of ``width`` characters fits the graph at
    580 px)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _draw(routes: Routes, bare: bool = False) -> dict[str, Any]:
    traces: dict[str, dict[str, list]] = {n: {"x": [], "y": [], "text": [], "hover": [], "custom": [], "at": [],
                                              "colour": [], "size": []}
                                          for n in TRACES}
    v = routes.vertices
    for vx in v.values():
        t = traces[KINDS[vx.kind][0]]
        t["x"].append(vx.x)
        t["y"].append(vx.y)
        t["text"].append(vx.label)
        t["hover"].append(vx.hover)
        t["custom"].append(vx.id)
        t["at"].append(vx.text_at or KINDS[vx.kind][3])
    labels = traces[LABELS]

    def label(x: float, y: float, text: str, at: str, colour: str = "#555", hover: str = "", size: int = 11) -> None:
        labels["size"].append(size)
        labels["x"].append(x)
        labels["y"].append(y)
        labels["text"].append(text)
        labels["hover"].append(hover)
        labels["at"].append(at)
        labels["colour"].append(colour)

    shapes: list[dict] = []
    boxes: list[dict] = []
    for text, top, bottom in routes.bands:
        up = "down" not in text  # a node that does not answer: drawn as on the cluster map
        shapes.append(dict(type="rect", x0=X_ADDRESS - 0.65, x1=X_RANGE[1] - 0.05, y0=bottom, y1=top, layer="below",
                           line=dict(color="#888" if up else VERMILLION, width=1, dash="solid" if up else "dot"),
                           fillcolor="#F4F4F4" if up else "#FBE9E1"))
        # Top right: the pods' rows start lower, and no path reaches the band's right half above them.
        label(X_RANGE[1] - 0.1, top - 0.24, text, "middle left", "#333" if up else VERMILLION)
    peak = max((e.requests for e in routes.edges.values()), default=0) or 1
    into: dict[str, int] = {}  # the boxes drawn on each pod's row so far
    for e in routes.edges.values():
        if e.src not in v or e.dst not in v:
            continue
        a, b = v[e.src], v[e.dst]
        bent = e.dst.startswith(("pod:", "failed:")) and e.src.startswith("proxy:")
        xs, ys = ([a.x, X_STUB, b.x], [a.y, b.y, b.y]) if bent else ([a.x, b.x], [a.y, b.y])
        if not e.requests:
            t = traces["path, no traffic" if e.reachable else "unreachable"]
            t["x"] += [*xs, None]
            t["y"] += [*ys, None]
        if not e.reachable and not e.requests:  # with requests, their ✗ box marks the path
            mx, my = _along(a, b, 0.5)
            label(mx, my, "<b>✗</b>", "middle center", VERMILLION, e.hover or e.reason, 16)
        if e.requests:
            lost = e.failed == e.requests
            colour = VERMILLION if lost or not e.reachable else TRAFFIC_COLOUR
            # A dashed line's dashes grow with its width: a lost path stays thin enough to read as dashed.
            width = 2 + (4 if lost else 12) * e.requests / peak
            line = dict(color=colour, width=width, dash="dash" if lost else "solid")
            if bent:
                shapes.append(dict(type="path", path=f"M{a.x},{a.y} L{X_STUB},{b.y} L{b.x},{b.y}", layer="below",
                                   line=line))
            else:
                shapes.append(dict(type="line", x0=a.x, y0=a.y, x1=b.x, y1=b.y, layer="below", line=line))
            t = traces["failed requests" if lost else "traffic"]
            if bent and not into.get(e.dst):  # on the pod's own row
                mx, my = (X_STUB + X_POD) / 2 - 0.03, b.y
            else:
                mx, my = _along(a, b, 0.5)
            into[e.dst] = into.get(e.dst, 0) + 1
            text = f"✗{e.requests}" if lost else (f"{e.requests}" + (f" ✗{e.failed}" if e.failed else ""))
            t["x"].append(mx)
            t["y"].append(my)
            t["text"].append(text)
            t["hover"].append(e.hover or f"{e.requests} requests")
            t["custom"].append([e.src, e.dst, e.requests, e.failed])
            boxes.append(_box(mx, my, text, VERMILLION if lost else TRAFFIC_COLOUR))
    ys_ = [vx.y for vx in v.values()] or [0.0]
    top = max(ys_) + 1.3  # above the two-line labels over the first row's markers
    for x, text, at in ((X_CLIENT, "clients", "middle center"), (X_ADDRESS, "service address", "middle center"),
                        (X_PROXY, "kube-proxy (DNAT)", "middle center"), (X_POD - 0.12, "pods, by node", "middle right")):
        label(x, top, f"<b>{text}</b>", at, "#555")
    # Notes go under the lowest label: a two-line label under its marker reaches 0.85 below it.
    low = [vx.y - (0.85 if (vx.text_at or KINDS[vx.kind][3]).startswith("bottom") else 0.35) for vx in v.values()]
    y = min([*low, *(bottom for _, _, bottom in routes.bands), 0.0]) - 0.3
    for note, colour in [*((c, VERMILLION) for c in routes.unreachable()),
                         *((html.escape(n), "#555") for n in routes.notes)]:
        for line_ in _wrap(note):
            label(X_RANGE[0] + 0.05, y, line_, "middle right", colour)
            y -= 0.32
        y -= 0.1
    bottom = y + 0.1 - 0.25
    span = top + 0.35 - bottom
    # 46 px per unit of y: a pod's row (0.9) fits its two-line label; the title and the legend
    # (unless bare) get their own room, so that the rows never get closer.
    height = int(max(300, 16 + PX_PER_UNIT * span) if bare else min(1400, max(420, 150 + PX_PER_UNIT * span)))
    return {"traces": traces, "shapes": shapes + boxes, "y_range": [bottom, top + 0.35], "height": height}


def _along(a: Vertex, b: Vertex, t: float) -> tuple[float, float]:
    return a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t


FONT = "'Open Sans', verdana, arial, sans-serif"  # plotly.js's


def graph_title(routes: Routes) -> str:
    """The title and subtitle of a bare routing graph, as HTML set as plotly.js sets them."""
    return (f"<div style=\"font-family:{FONT};margin:6px 0 2px 10px;line-height:1.3\">"
            f"<div style='font-size:14px;color:#2a3f5f'>{routes.title}</div>"
            f"<div style='font-size:12px;color:#444;margin-top:4px'>{routes.subtitle}</div></div>")


# The legend of a bare graph, as HTML: each trace's symbol drawn in SVG as plotly.js draws it.
_KEY_SYMBOLS = {
    "square": "<rect x='6' y='2' width='10' height='10' fill='{c}' stroke='#222'/>",
    "diamond": "<polygon points='11,1 17,7 11,13 5,7' fill='{c}' stroke='#222'/>",
    "diamond-open": "<polygon points='11,1 17,7 11,13 5,7' fill='none' stroke='{c}' stroke-width='1.5'/>",
    "hexagon": "<polygon points='11,0.5 16.6,3.75 16.6,10.25 11,13.5 5.4,10.25 5.4,3.75' fill='{c}' stroke='#222'/>",
    "circle": "<circle cx='11' cy='7' r='5' fill='{c}' stroke='#222'/>",
    "circle-open": "<circle cx='11' cy='7' r='5' fill='none' stroke='{c}' stroke-width='1.5'/>",
    "x-thin-open": "<path d='M6,2 L16,12 M16,2 L6,12' stroke='{c}' stroke-width='1.5'/>",
    "x": "<path d='M6,2 L16,12 M16,2 L6,12' stroke='{c}' stroke-width='3.5'/>",
}


def _key_symbol(name: str) -> str:
    if name == "path, no traffic":
        body = f"<line x1='1' y1='7' x2='21' y2='7' stroke='{PATH_COLOUR}' stroke-width='1.5'/>"
    elif name == "unreachable":
        body = f"<line x1='1' y1='7' x2='21' y2='7' stroke='{VERMILLION}' stroke-width='2' stroke-dasharray='4,3'/>"
    elif name in ("traffic", "failed requests"):
        colour = TRAFFIC_COLOUR if name == "traffic" else VERMILLION
        body = f"<rect x='5' y='2' width='12' height='10' fill='white' stroke='{colour}' stroke-width='2'/>"
    else:
        _, colour, symbol, _ = next(k for k in KINDS.values() if k[0] == name)
        body = _KEY_SYMBOLS[symbol].format(c=colour)
    return f"<svg width='22' height='14' viewBox='0 0 22 14' aria-hidden='true' style='vertical-align:middle'>{body}</svg>"


def graph_key(fig) -> str:
    """The legend of a bare routing graph (``service_graph(..., bare=True)``) as HTML: an entry
    for each trace that draws something, as plotly's legend has, in the same order."""
    items = []
    for trace in fig.data:
        if trace.name == LABELS or not any(x is not None for x in trace.x or ()):
            continue
        symbol = _key_symbol(_key(trace.name))
        items.append(f"<span role='listitem' style='white-space:nowrap'>{symbol} {html.escape(trace.name)}</span>")
    return (f"<div role='list' aria-label='key to the routing graph' style=\"display:flex;flex-wrap:wrap;"
            f"gap:2px 16px;font-family:{FONT};font-size:11px;color:#2a3f5f;margin:0 0 4px 10px\">"
            + "".join(items) + "</div>")
