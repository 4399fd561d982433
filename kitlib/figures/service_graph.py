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
TRACES = ["path, no traffic", "unreachable", *[k[0] for k in KINDS.values()], "traffic", "failed requests"]

X_CLIENT, X_ADDRESS, X_PROXY, X_POD = 0.0, 1.45, 2.75, 3.75
ROW = 0.9  # vertical distance between two pods of a node


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
    reason: str = ""  # why it cannot work, in a few words (the long form is in ``hover``)


@dataclass
class Routes:
    """The routing graph of one Service as plain data."""

    service: str
    type: str | None
    vertices: dict[str, Vertex] = field(default_factory=dict)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)
    bands: list[tuple[str, float, float]] = field(default_factory=list)  # (node label, y top, y bottom)
    notes: list[str] = field(default_factory=list)
    title: str = ""
    subtitle: str = ""

    def edge(self, src: str, dst: str) -> Edge | None:
        return self.edges.get((src, dst))

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

    # --- layout: one band per node, pods stacked inside it
    y = 0.0
    proxy_y: dict[str, float] = {}
    pod_pos: dict[str, tuple[float, float]] = {}
    for n in nodes:
        keys = sorted(k for k, v in (*ready.items(), *others.items()) if v[1] == n.name)
        top = y
        ys = [top - 0.75 - i * ROW for i in range(max(1, len(keys)))]
        for k, py in zip(keys, ys, strict=False):
            pod_pos[k] = (X_POD, py)
        proxy_y[n.name] = sum(ys) / len(ys)
        bottom = ys[-1] - 0.55
        up = cluster.node_runtime(n.name).up
        routes.bands.append((f"<b>{n.name}</b> · {node_ip[n.name]}" + ("" if up else " · <b>down</b>"), top, bottom))
        y = bottom - 0.35
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
                    reason="✗ a ClusterIP is reachable<br>only inside the cluster",
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
                   f"EXTERNAL-IP {ip}:{sp.port}: {where}", X_ADDRESS, y_lb - i * 1.2)
            routes.add("client:outside", a, hover=f"outside → {ip}:{sp.port}")
            if node is not None:
                routes.add(a, f"proxy:{node}", hover=f"{node} announces {ip}: traffic for it enters there")
        if not ips:
            vertex("lb:pending", "pending", "LoadBalancer<br>EXTERNAL-IP &lt;pending&gt;",
                   "no load-balancer implementation in this cluster, so nobody assigns an external IP "
                   "(add one: MetalLB or kube-vip on bare metal; a cloud's ELB/GLB)", X_ADDRESS, y_lb)
            routes.add("client:outside", "lb:pending", reachable=False,
                        reason="✗ EXTERNAL-IP &lt;pending&gt;:<br>no load balancer",
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
        label = f"{short_name(key)} · {ip}" if not key.startswith("ip/") else f"{ip} (not a pod)"
        vertex(f"pod:{key}", kind_, label, f"{key}<br>{ip} on {node}<br>endpoint: {state}", x, y_)
    for key, (_ip, node, why) in others.items():
        x, y_ = pod_pos[key]
        vertex(f"pod:{key}", "notready", f"{short_name(key)} · {why}",
               f"{key} on {node or 'no node yet'}<br>not an endpoint: {why}", x, y_)
    for key in gone:
        x, y_ = pod_pos[key]
        vertex(f"pod:{key}", "gone", f"{short_name(key)} · deleted", f"{key}: served requests, deleted since", x, y_)
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
        x, y = routes.vertices[f"proxy:{node}"].x, routes.vertices[f"proxy:{node}"].y
        routes.vertices[f"failed:{node}"] = Vertex(f"failed:{node}", "failed", "no answer", why, x + 0.55, y - 0.3)
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

def _trace(name: str) -> go.Scatter:
    if name == "path, no traffic":
        return go.Scatter(name=name, mode="lines", line=dict(color=PATH_COLOUR, width=1.2), hoverinfo="skip")
    if name == "unreachable":
        return go.Scatter(name="unreachable path", mode="lines", hoverinfo="skip",
                          line=dict(color=VERMILLION, width=2, dash="dash"))
    if name == "traffic":
        return go.Scatter(name="traffic (width: requests)", mode="markers+text", hoverinfo="text",
                          textfont=dict(size=11, color="#5B2A4A"), textposition="middle center",
                          marker=dict(size=22, color="white", symbol="square", opacity=1,
                                      line=dict(color=TRAFFIC_COLOUR, width=2)))
    if name == "failed requests":
        return go.Scatter(name="failed requests", mode="markers+text", hoverinfo="text",
                          textfont=dict(size=11, color=VERMILLION), textposition="middle center",
                          marker=dict(size=24, color="white", symbol="square", opacity=1,
                                      line=dict(color=VERMILLION, width=2)))
    kind = next(k for k, v in KINDS.items() if v[0] == name)
    _, colour, symbol, where = KINDS[kind]
    size = {"proxy": 22, "client": 16, "address": 18, "pending": 18}.get(kind, 14)
    return go.Scatter(name=name, mode="markers+text", hoverinfo="text", textposition=where,
                      textfont=dict(size=10), cliponaxis=False,
                      marker=dict(size=size, color=colour, symbol=symbol, line=dict(color="#222", width=1)))


def service_graph(cluster, traffic=None, service: str = "web", namespace: str = "default",
                  source: str | None = None, port: int | None = None, figure_class=go.Figure):
    """The Service's routing graph as a new figure (``figure_class=go.FigureWidget`` for a widget).

    >>> import kitlib
    >>> fig = service_graph(kitlib.Cluster(nodes=1), service="kubernetes")
    >>> fig.data[0].name
    'path, no traffic'
    """
    fig = figure_class(data=[_trace(name) for name in TRACES])
    fig.update_layout(
        template="plotly_white", margin=dict(l=10, r=10, t=64, b=10), hovermode="closest",
        xaxis=dict(visible=False, range=[-0.55, 4.95], fixedrange=True),
        yaxis=dict(visible=False, fixedrange=True),
        legend=dict(orientation="h", yanchor="top", y=-0.01, x=0, font=dict(size=11)),
    )
    update_service_graph(fig, cluster, traffic, service, namespace, source, port)
    return fig


def update_service_graph(fig, cluster, traffic=None, service: str = "web", namespace: str = "default",
                         source: str | None = None, port: int | None = None) -> None:
    """Redraw ``fig`` (made by :func:`service_graph`) from cluster state and a Traffic result."""
    routes = service_routes(cluster, traffic, service, namespace, source, port)
    d = _draw(routes)
    with fig.batch_update():
        for trace in fig.data:
            t = d["traces"][_key(trace.name)]
            write_vertices(trace, t, fig)
            if "text" in (trace.mode or ""):
                if t["at"] and not unchanged(fig, f"{trace.name}.textposition", t["at"]):
                    trace.textposition = t["at"]
                if trace.name in ("traffic (width: requests)", "failed requests"):
                    trace.marker.size = t["size"] or 22
        if not unchanged(fig, "shapes", d["shapes"]):
            fig.layout.shapes = d["shapes"]
        if not unchanged(fig, "annotations", d["annotations"]):
            fig.layout.annotations = d["annotations"]
        fig.layout.yaxis.range = d["y_range"]
        fig.layout.height = d["height"]
        fig.layout.title = titled(routes.title, routes.subtitle)


def _key(name: str) -> str:
    return {"unreachable path": "unreachable", "traffic (width: requests)": "traffic"}.get(name, name)


def _draw(routes: Routes) -> dict[str, Any]:
    traces: dict[str, dict[str, list]] = {n: {"x": [], "y": [], "text": [], "hover": [], "custom": [], "at": [],
                                              "size": []}
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
    shapes: list[dict] = []
    annotations: list[dict] = []
    for label, top, bottom in routes.bands:
        up = "down" not in label  # a node that does not answer: drawn as on the cluster map
        shapes.append(dict(type="rect", x0=X_ADDRESS - 0.42, x1=4.9, y0=bottom, y1=top, layer="below",
                           line=dict(color="#888" if up else VERMILLION, width=1, dash="solid" if up else "dot"),
                           fillcolor="#F4F4F4" if up else "#FBE9E1"))
        annotations.append(dict(x=X_ADDRESS - 0.38, y=top - 0.05, text=label, showarrow=False, xanchor="left",
                                yanchor="top", font=dict(size=11, color="#333")))
    peak = max((e.requests for e in routes.edges.values()), default=0) or 1
    for e in routes.edges.values():
        if e.src not in v or e.dst not in v:
            continue
        a, b = v[e.src], v[e.dst]
        if not e.reachable and not e.requests:
            t = traces["unreachable"]
            t["x"] += [a.x, b.x, None]
            t["y"] += [a.y, b.y, None]
        elif not e.requests:
            t = traces["path, no traffic"]
            t["x"] += [a.x, b.x, None]
            t["y"] += [a.y, b.y, None]
        if not e.reachable:
            mx, my = _along(a, b, 0.42)
            annotations.append(dict(x=mx, y=my, text=e.reason or "✗ unreachable", showarrow=False,
                                    hovertext=e.hover, font=dict(size=11, color=VERMILLION),
                                    bgcolor="rgba(255,255,255,0.85)", align="left"))
        if e.requests:
            lost = e.failed == e.requests
            colour = VERMILLION if lost or not e.reachable else TRAFFIC_COLOUR
            shapes.append(dict(type="line", x0=a.x, y0=a.y, x1=b.x, y1=b.y, layer="below",
                               line=dict(color=colour, width=2 + 12 * e.requests / peak,
                                         dash="dash" if lost else "solid")))
            t = traces["failed requests" if lost else "traffic"]
            mx, my = _along(a, b, 0.7 if e.dst.startswith("pod:") else (0.5 if e.reachable else 0.2))
            t["x"].append(mx)
            t["y"].append(my)
            t["text"].append(f"✗{e.requests}" if lost else (f"{e.requests}" + (f" ✗{e.failed}" if e.failed else "")))
            t["hover"].append(e.hover or f"{e.requests} requests")
            t["custom"].append([e.src, e.dst, e.requests, e.failed])
            t["size"].append(12 + 7 * len(t["text"][-1]))  # the box fits the count
    ys = [vx.y for vx in v.values()] or [0.0]
    headers = [(X_CLIENT, "clients"), (X_ADDRESS, "service address"), (X_PROXY, "kube-proxy (DNAT)"),
               (X_POD, "pods, by node")]
    top = max(ys) + 0.9
    for x, text in headers:
        annotations.append(dict(x=x, y=top, text=f"<b>{text}</b>", showarrow=False, font=dict(size=12, color="#555")))
    for i, note in enumerate(routes.notes):
        annotations.append(dict(x=-0.5, y=min(ys) - 0.8 - 0.45 * i, text=html.escape(note), showarrow=False,
                                xanchor="left", font=dict(size=11, color="#555")))
    bottom = min(ys) - 0.6 - 0.45 * len(routes.notes)
    height = int(min(1100, max(420, 150 + 46 * (top - bottom))))
    return {"traces": traces, "shapes": shapes, "annotations": annotations, "y_range": [bottom, top + 0.35],
            "height": height}


def _along(a: Vertex, b: Vertex, t: float) -> tuple[float, float]:
    return a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t
