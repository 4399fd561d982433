"""The ingress routing tree: which host, which path rule, which Service and which pod a request
reaches through the ingress controller, and why every other rule lost.

Left to right: the host names the controller serves (``*`` for the catch-all server, which
holds the rules without a host) → their path rules (an Ingress's ``defaultBackend`` as a
"default backend" rule) → the backend Services → their ready pods (the EndpointSlices' ready
endpoints, which ingress-nginx proxies to directly). Given the :class:`~kitlib.network.ingress.Match`
of a request (``resp.ingress``, or ``router.explain(host, path)``), the rule that took it and its
way to the Service and the pod are drawn in purple; every other rule shows its verdict
(``shorter``, ``Exact beats Prefix``, ``shadowed``, ``no match``, ``other host``) in its own
colour; a request no rule takes ends at the controller's own 404.

``ingress_tree(cluster, match)`` is the tree as plain data; ``routing_tree(cluster, match)``
draws it as a ``go.Figure``; ``update_routing_tree(fig, cluster, match)`` redraws a
``go.FigureWidget`` in place in one ``batch_update`` with a fixed set of traces.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from ..network.ingress import CATCH_ALL, Match, Route, Server
from .redraw import titled, write_vertices
from .service_graph import short_name

# Okabe-Ito, as in the other figures; the request's path is purple as on the cluster map.
BLACK, ORANGE, SKY, GREEN, BLUE, VERMILLION, PURPLE, GREY = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#999999")
LIGHT = "#C8C8C8"

# Vertex kinds: (trace name, colour, marker symbol, label position, marker size)
KINDS: dict[str, tuple[str, str, str, str, int]] = {
    "host": ("hosts", BLACK, "square", "top center", 16),
    "rule": ("rules", BLUE, "diamond", "top center", 15),
    "matched": ("rule that took the request", PURPLE, "diamond", "top center", 20),
    "beaten": ("matched too, but lost (shorter / pathType)", ORANGE, "diamond", "top center", 15),
    "shadowed": ("shadowed by an older Ingress", VERMILLION, "diamond-x", "top center", 15),
    "nomatch": ("no match", GREY, "diamond-open", "top center", 14),
    "other": ("other host / not needed", LIGHT, "diamond-open", "top center", 13),
    "service": ("Services", SKY, "hexagon", "top center", 18),
    "missing": ("Service missing (503)", VERMILLION, "x", "top center", 14),
    "pod": ("ready pods", GREEN, "circle", "middle right", 13),
    "answered": ("pod that answered", PURPLE, "circle", "middle right", 17),
    "nopods": ("no ready pods (503)", GREY, "circle-open", "middle right", 14),
    "notfound": ("controller's 404", VERMILLION, "square-x-open", "middle right", 16),
}
EDGES = ("links", "lost rules", "path of the request")
TRACES = [*EDGES, *[k[0] for k in KINDS.values()]]
CAPTION = ("purple: the rule, Service and pod that took the request · orange: matched too, but a longer path "
           "or a stricter pathType won",
           "red: shadowed by an older Ingress · grey: no match / other host")

X_HOST, X_RULE, X_SERVICE, X_POD = 0.0, 1.35, 2.7, 3.75
ROW = 1.05


@dataclass(frozen=True)
class Vertex:
    """A box of the tree: ``id`` is ``host:<server>``, ``rule:<server>:<ns/ingress>:<rule>:<index>`` (or
    ``...:default``), ``svc:<ns/name>:<port>``, ``pod:<svc id>:<ns/pod>``, ``nopods:<svc id>`` or ``notfound``."""

    id: str
    kind: str  # a key of KINDS
    label: str
    hover: str
    x: float
    y: float


@dataclass
class Tree:
    """The routing tree of one ingress controller as plain data."""

    vertices: dict[str, Vertex] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (src, dst, one of EDGES)
    verdicts: dict[str, str] = field(default_factory=dict)  # rule vertex id -> outcome
    rules: dict[str, tuple[str, Route]] = field(default_factory=dict)  # rule vertex id -> (server, route)
    notes: list[str] = field(default_factory=list)
    title: str = "Ingress routing"
    subtitle: str = ""
    backends: dict[str, str] = field(default_factory=dict)  # rule vertex id -> its backend's vertex id
    pods: dict[str, list[str]] = field(default_factory=dict)  # backend vertex id -> its pods' vertex ids
    match: Match | None = None  # the request drawn, if any
    answered: str | None = None  # the pod that answered it ("ns/name")
    status: str | None = None  # its status line ("200 OK", "no answer: ...")
    address: str = ""  # where the controller listens ("192.168.49.2", "... (NodePort)")

    def rule(self, ingress: str, path: str | None = None, host: str | None = None) -> Vertex | None:
        """The vertex of a rule of ``ingress`` (``"ns/name"``) with this path (None: its default
        backend), optionally on ``host`` (``"*"`` for the catch-all)."""
        for vid, (server, route) in self.rules.items():
            if route.ingress != ingress or (host is not None and _host_label(server) != host):
                continue
            if (route.path if not route.is_default_backend else None) == path:
                return self.vertices[vid]
        return None

    def path(self) -> list[str]:
        """The vertex ids on the request's highlighted path, host first."""
        out: list[str] = []
        for src, dst, kind in self.edges:
            if kind == "path of the request":
                if not out:
                    out.append(src)
                out.append(dst)
        return out


def _host_label(server: str) -> str:
    return "*" if server == CATCH_ALL else server


def _route_key(route: Route) -> tuple:
    # Routes are compared by what they say, so that a Match made before the table was rebuilt
    # still finds its rules.
    return (route.ingress, route.rule, route.path_index, route.host, route.path, route.path_type)


def _outcome_kind(outcome: str) -> str:
    if outcome == "matched":
        return "matched"
    if outcome == "shorter" or " beats " in outcome:
        return "beaten"
    if outcome == "shadowed":
        return "shadowed"
    if outcome == "no match":
        return "nomatch"
    return "other"


def _router(cluster):
    addon = getattr(cluster, "addons", {}).get("ingress")
    return None if addon is None else addon.router


def _as_match(match) -> tuple[Match | None, str | None, str | None]:
    """(Match, answering pod, status) from a Match or an HttpResponse."""
    if match is None or isinstance(match, Match):
        return match, None, None
    status = getattr(match, "status", None)
    return getattr(match, "ingress", None), getattr(match, "pod", None), (
        getattr(match, "status_text", "") or (f"no answer: {match.reason}" if status is None else None))


def ready_pods(cluster, namespace: str, service: str, port_name: str | None) -> list[tuple[str, str | None, str]]:
    """(pod key, node, IP) of each ready endpoint of the Service for that port, by pod name."""
    out = {}
    for sl in cluster.list("EndpointSlice", namespace, f"kubernetes.io/service-name={service}"):
        if not any((p.name or "") == (port_name or "") for p in sl.ports):
            continue
        for ep in sl.endpoints:
            if ep.conditions.ready is False:
                continue
            ref = ep.target_ref
            ip = ep.addresses[0] if ep.addresses else ""
            key = f"{ref.namespace or namespace}/{ref.name}" if ref and ref.name else f"ip/{ip}"
            out[key] = (key, ep.node_name, ip)
    return [out[k] for k in sorted(out)]


def ingress_tree(cluster, match=None, namespace: str | None = None, pod: str | None = None) -> Tree:
    """The routing tree of the ingress add-on's controller, with ``match`` (a
    :class:`~kitlib.network.ingress.Match`, or an ``HttpResponse`` whose ``.ingress`` and ``.pod``
    are used) highlighted. ``namespace`` keeps only that namespace's Ingresses; ``pod`` is the
    pod that answered (``"ns/name"``).

    >>> import kitlib
    >>> ingress_tree(kitlib.Cluster(nodes=1)).notes
    ['the ingress add-on is not enabled: cluster.enable_addon("ingress")']
    """
    match, answered, status = _as_match(match)
    pod = pod if pod is not None else answered
    tree = Tree(match=match, answered=pod, status=status)
    router = _router(cluster)
    if router is None:
        tree.notes.append('the ingress add-on is not enabled: cluster.enable_addon("ingress")')
        tree.title = "Ingress routing · no ingress controller"
        return tree
    verdicts = {_route_key(v.route): v for v in (match.verdicts if match is not None else []) if v.route.rule >= 0}
    winner = match.route if match is not None else None

    def keep(route: Route) -> bool:
        return namespace is None or route.namespace == namespace

    servers: list[tuple[Server, list[Route]]] = []
    for s in router.all_servers():
        routes = [r for r in s.routes if keep(r)]
        if s.fallback is not None and keep(s.fallback):
            routes.append(s.fallback)
        if routes or (match is not None and match.server == s.name):
            servers.append((s, routes))
    ingresses = {r.ingress for _, routes in servers for r in routes}
    many = len(ingresses) > 1

    # --- rules and their backends, in the order the table holds them
    rule_rows: list[tuple[str, float]] = []
    host_rules: dict[str, list[str]] = {}
    service_order: list[str] = []
    services: dict[str, tuple[str, str, str, Any]] = {}  # id -> (kind, label, hover, pods)
    rule_service: dict[str, str] = {}
    row = 0.0
    for s, routes in servers:
        hid = f"host:{s.name}"
        host_rules[hid] = []
        for r in routes:
            rid = f"rule:{s.name}:{r.ingress}:" + ("default" if r.is_default_backend else f"{r.rule}:{r.path_index}")
            tree.rules[rid] = (s.name, r)
            kind, outcome, detail = _rule_verdict(r, s, match, verdicts, winner)
            if outcome:
                tree.verdicts[rid] = outcome
            label = "default backend" if r.is_default_backend else f"{r.path_type} {html.escape(r.path)}"
            if many:
                label += f" · {html.escape(r.ingress.split('/', 1)[1])}"
            if kind in ("beaten", "shadowed", "nomatch"):
                label += f"<br>✗ {html.escape(outcome)}"
            where = f"{r.ingress} defaultBackend" if r.is_default_backend else \
                f"{r.ingress} spec.rules[{r.rule}].http.paths[{r.path_index}]"
            hover = (f"<b>{html.escape(str(r))}</b><br>{where}"
                     + (f"<br><b>{html.escape(outcome)}</b>: {html.escape(detail)}" if outcome else ""))
            tree.vertices[rid] = Vertex(rid, kind, label, hover, X_RULE, -row * ROW)
            rule_rows.append((rid, -row * ROW))
            host_rules[hid].append(rid)
            row += 1
            sid = _service_vertex(cluster, r, services, service_order)
            rule_service[rid] = sid
        row += 0.45
    # --- Services and pods
    pod_ids, service_y = place_pods(tree, services, service_order, pod, X_POD, "ingress-nginx", ":", True)
    tree.backends, tree.pods = rule_service, pod_ids
    rule_ys = [y for _, y in rule_rows]
    pod_ys = [*service_y.values(), *(v.y for v in tree.vertices.values() if v.x == X_POD)]
    _, shift_pods = centre_halves(tree, rule_ys, pod_ys, X_POD)
    for sid in service_order:
        kind, label, hover, _ = services[sid]
        tree.vertices[sid] = Vertex(sid, kind, label, hover, X_SERVICE, service_y[sid] + shift_pods)
    for s, _ in servers:
        hid = f"host:{s.name}"
        ys = [tree.vertices[r].y for r in host_rules[hid]]
        y = sum(ys) / len(ys) if ys else min((v.y for v in tree.vertices.values()), default=0.0) - ROW
        hover = ("the catch-all server: requests for a host that no rule names (rules without a host)"
                 if s.name == CATCH_ALL else f"server {html.escape(s.name)}: requests with Host {html.escape(s.name)}")
        tree.vertices[hid] = Vertex(hid, "host", html.escape(_host_label(s.name)), hover, X_HOST, y)

    # --- edges, and the request's path
    on_path: set[tuple[str, str]] = set()
    if match is not None:
        hid = f"host:{match.server}"
        if winner is None:
            ys = [v.y for v in tree.vertices.values()] or [0.0]
            tree.vertices["notfound"] = Vertex(
                "notfound", "notfound", "controller's 404",
                "no rule and no default backend takes the request: the controller's own default backend "
                "answers 404 Not Found", X_SERVICE, min(ys) - ROW)
            tree.edges.append((hid, "notfound", "path of the request"))
        else:
            won = next((r for r in host_rules.get(hid, []) if tree.verdicts.get(r) == "matched"), None)
            if won is not None:
                sid = rule_service[won]
                on_path |= {(hid, won), (won, sid)}
                target = next((p for p in pod_ids.get(sid, []) if tree.vertices[p].kind == "answered"), None)
                if target is None and pod_ids.get(sid) and pod_ids[sid][0].startswith("nopods:"):
                    target = pod_ids[sid][0]
                if target is not None:
                    on_path.add((sid, target))
    for hid, rules in host_rules.items():
        for rid in rules:
            sid = rule_service[rid]
            lost = tree.vertices[rid].kind in ("beaten", "shadowed")
            first = "path of the request" if (hid, rid) in on_path else ("lost rules" if lost else "links")
            tree.edges.append((hid, rid, first))
            tree.edges.append((rid, sid, "path of the request" if (rid, sid) in on_path else "links"))
    for sid, pids in pod_ids.items():
        for pid in pids:
            tree.edges.append((sid, pid, "path of the request" if (sid, pid) in on_path else "links"))
    # Path edges first, in order, so that Tree.path() reads host → rule → Service → pod.
    order = {"path of the request": 0}
    tree.edges.sort(key=lambda e: order.get(e[2], 1))

    if not servers:
        tree.notes.append("no Ingress of class nginx yet" + (f" in namespace {namespace}" if namespace else ""))
    addon = cluster.addons["ingress"]
    try:
        ip, http_port, _ = addon.address()
        where = f"{ip}" if http_port == 80 else f"{ip}:{http_port} (NodePort)"
    except Exception:  # noqa: BLE001 - the controller's Service was deleted
        where = "no address"
    tree.address = where
    tree.title = f"Ingress routing · ingress-nginx at {where}"
    if match is not None:
        text = str(match) + (f" → pod {pod}" if pod and winner is not None else "")
        tree.subtitle = html.escape(text + (f" · {status}" if status else ""), quote=False)
    return tree



def place_pods(tree: Tree, services: dict[str, tuple[str, str, str, Any]], order: list[str], pod: str | None,
               x_pod: float, proxy: str, sep: str = ":", with_node: bool = True
               ) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Put the ready pods of each backend (``services[id]`` is (kind, label, hover, pods)) in the pods'
    column, one row each, a backend without ready pods as one "no ready pods" vertex; ``pod`` (the
    one that answered) is drawn as such. Returns the pod vertices of each backend and the y of each
    backend (the middle of its pods)."""
    prow = 0.0
    pod_ids: dict[str, list[str]] = {}
    service_y: dict[str, float] = {}
    for sid in order:
        kind, label, _, pods = services[sid]
        pod_ids[sid] = []
        start = prow
        if kind == "service" and pods:
            for key, node, ip in pods:
                pid = f"pod{sep}{sid}{sep}{key}"
                text = short_name(key) + (f" · {node}" if node and with_node else "")
                tree.vertices[pid] = Vertex(pid, "answered" if pod == key else "pod", text,
                                            f"pod {html.escape(key)}<br>{ip} on {node or '?'}: a ready endpoint",
                                            x_pod, -prow * ROW)
                pod_ids[sid].append(pid)
                prow += 1
        elif kind == "service":
            pid = f"nopods{sep}{sid}"
            tree.vertices[pid] = Vertex(pid, "nopods", "no ready pods",
                                        f"{label}: no ready endpoint, so {proxy} answers 503", x_pod, -prow * ROW)
            pod_ids[sid].append(pid)
            prow += 1
        else:
            prow += 1
        service_y[sid] = -(start + prow - 1) / 2 * ROW
        prow += 0.4
    return pod_ids, service_y


def centre_halves(tree: Tree, left: list[float], right: list[float], x_right: float) -> tuple[float, float]:
    """Centre the shorter half of the tree (the vertices left of ``x_right``, or those at it) on the
    taller one, by moving its vertices down; returns the shifts (left, right)."""
    left_span, right_span = -min(left or [0.0]), -min(right or [0.0])
    shift_left = -(right_span - left_span) / 2 if right_span > left_span else 0.0
    shift_right = -(left_span - right_span) / 2 if left_span > right_span else 0.0
    for vid, v in list(tree.vertices.items()):
        dy = shift_right if v.x == x_right else shift_left
        tree.vertices[vid] = Vertex(v.id, v.kind, v.label, v.hover, v.x, v.y + dy)
    return shift_left, shift_right


def _rule_verdict(r: Route, s: Server, match: Match | None, verdicts: dict, winner: Route | None
                  ) -> tuple[str, str, str]:
    """(vertex kind, outcome, detail) of one rule for the request."""
    if match is None:
        return "rule", "", ""
    if r.is_default_backend:
        where = "every host no rule names" if s.name == CATCH_ALL else f"host {s.name}"
        if match.server != s.name:
            return "other", "other host", f"the default backend for {where}"
        if match.fallback and winner is not None and _route_key(winner) == _route_key(r):
            return "matched", "matched", f"no path matched: the default backend of {where} takes it"
        return "other", "not needed", "used only when no path matches"
    v = verdicts.get(_route_key(r))
    if v is None:
        return "rule", "new", "added after the request: send it again"
    return _outcome_kind(v.outcome), v.outcome, v.detail


def _service_vertex(cluster, r: Route, services: dict, order: list[str]) -> str:
    """The id of the backend vertex of ``r``, made on first use (with its ready pods)."""
    if r.service is None:
        sid = f"svc:{r.ingress}:{r.resource}"
        if sid not in services:
            services[sid] = ("missing", html.escape(str(r.resource)),
                             f"resource backend {html.escape(str(r.resource))}: ingress-nginx proxies only to "
                             "Services, so it answers 503", [])
            order.append(sid)
        return sid
    ns = r.namespace
    sid = f"svc:{ns}/{r.service}:{r.port}"
    if sid in services:
        return sid
    order.append(sid)
    label = f"{html.escape(r.service)}:{r.port}"
    svc = cluster.api.store.get("Service", f"{ns}/{r.service}")
    if svc is None:
        services[sid] = ("missing", label + "<br>✗ not found",
                         f'services "{html.escape(r.service)}" not found in {ns}: ingress-nginx answers 503', [])
        return sid
    port = next((p for p in svc.spec.ports if p.port == r.port or (p.name and p.name == r.port)), None)
    if port is None:
        services[sid] = ("missing", label + "<br>✗ no such port",
                         f"Service {ns}/{html.escape(r.service)} has no port {r.port}: ingress-nginx answers 503", [])
        return sid
    pods = ready_pods(cluster, ns, r.service, port.name)
    services[sid] = ("service", label, f"Service {ns}/{html.escape(r.service)} port {port.port}"
                     f"{' (' + port.name + ')' if port.name else ''} → targetPort {port.target_port or port.port}: "
                     f"{len(pods)} ready endpoint{'s' if len(pods) != 1 else ''} (ingress-nginx proxies to the pods "
                     "directly, not through the ClusterIP)", pods)
    return sid


# ------------------------------------------------------------------ drawing
# The drawing is shared with the Gateway API's tree (figures/gateway_tree.py): a tree is vertices
# of KINDS-like kinds and edges whose kind names a line trace; ``vertex_trace``, ``edge_trace``
# and ``draw_tree`` take the kinds and the columns as arguments.

EDGE_STYLES: dict[str, dict[str, Any]] = {
    "links": dict(color="#BBBBBB", width=1.2),
    "lost rules": dict(color=ORANGE, width=1.6, dash="dash"),
    "path of the request": dict(color=PURPLE, width=5),
}
"""Line style of each edge trace (its ``line``)."""
LEGEND_NAMES = {"lost rules": "matched too, but lost"}
"""Trace names shown in the legend where they differ from the edge kind."""


def edge_trace(name: str, line: dict[str, Any], legend_name: str | None = None,
               showlegend: bool | None = None) -> go.Scatter:
    """A trace of edges (lines between vertices), drawn in ``line``'s style."""
    shown = (name == "path of the request") if showlegend is None else showlegend
    return go.Scatter(name=legend_name or name, mode="lines", hoverinfo="skip", showlegend=shown, line=line)


def vertex_trace(name: str, kinds: dict[str, tuple[str, str, str, str, int]], faint=("other", "nomatch")
                 ) -> go.Scatter:
    """The trace of the vertices whose kind's trace name (``kinds[kind][0]``) is ``name``."""
    kind = next(k for k, v in kinds.items() if v[0] == name)
    _, colour, symbol, where, size = kinds[kind]
    return go.Scatter(name=name, mode="markers+text", hoverinfo="text", textposition=where, cliponaxis=False,
                      textfont=dict(size=10, color="#777" if kind in faint else "#222"),
                      marker=dict(size=size, color=colour, symbol=symbol, line=dict(color="#222", width=1)))


def _trace(name: str) -> go.Scatter:
    if name in EDGE_STYLES:
        return edge_trace(name, EDGE_STYLES[name], LEGEND_NAMES.get(name))
    return vertex_trace(name, KINDS)


def tree_figure(traces: list[go.Scatter], x_range: list[float], figure_class=go.Figure):
    """An empty tree figure with these traces: axes hidden, legend under the plot."""
    fig = figure_class(data=traces)
    fig.update_layout(
        template="plotly_white", margin=dict(l=10, r=10, t=64, b=10), hovermode="closest",
        xaxis=dict(visible=False, range=x_range, fixedrange=True),
        yaxis=dict(visible=False, fixedrange=True),
        legend=dict(orientation="h", yanchor="top", y=-0.01, x=0, font=dict(size=11)),
    )
    return fig


def routing_tree(cluster, match=None, namespace: str | None = None, pod: str | None = None,
                 figure_class=go.Figure):
    """The routing tree as a new figure (``figure_class=go.FigureWidget`` for a widget); ``match``
    is a Match or an HttpResponse (see :func:`ingress_tree`).

    >>> import kitlib
    >>> fig = routing_tree(kitlib.Cluster(nodes=1))
    >>> [t.name for t in fig.data][:3]
    ['links', 'matched too, but lost', 'path of the request']
    """
    fig = tree_figure([_trace(name) for name in TRACES], [-0.5, 5.0], figure_class)
    update_routing_tree(fig, cluster, match, namespace, pod)
    return fig


def update_routing_tree(fig, cluster, match=None, namespace: str | None = None, pod: str | None = None) -> Tree:
    """Redraw ``fig`` (made by :func:`routing_tree`) from cluster state and a request's Match; the
    tree drawn (for :func:`tree_text`)."""
    tree = ingress_tree(cluster, match, namespace, pod)
    columns = ((X_HOST, "host"), (X_RULE, "path rules"), (X_SERVICE, "Service"), (X_POD, "ready pods"))
    redraw_tree(fig, tree, draw_tree(tree, KINDS, TRACES, columns, CAPTION), LEGEND_NAMES)
    return tree


def _rule_words(route: Route, many: bool) -> str:
    where = f" of {route.ingress}" if many else ""
    return ("default backend" if route.is_default_backend else f"{route.path_type} {route.path}") + where


def _backend_words(tree: Tree, rid: str) -> str:
    sid = tree.backends.get(rid, "")
    backend = tree.vertices.get(sid)
    route = tree.rules[rid][1]
    if backend is None or backend.kind == "missing":
        return f"{route.backend} (missing: 503)"
    pods = [tree.vertices[p] for p in tree.pods.get(sid, [])]
    ready = sum(1 for p in pods if p.kind in ("pod", "answered"))
    return f"{route.backend} ({ready} ready pod{'s' if ready != 1 else ''})" if ready else \
        f"{route.backend} (no ready pods: 503)"


def tree_text(tree: Tree) -> str:
    """The routing tree in words, its text alternative: each host's rules with their backends and
    ready pods; for the request drawn, the rule that took it (in the figure: the large diamond on
    the thick line), the pod that answered and the status, and why each other rule of its host
    lost (the words the figure writes under them). Built from the tree's typed facts (its routes,
    verdicts and vertices), never from the figure's labels.

    >>> import kitlib
    >>> tree_text(ingress_tree(kitlib.Cluster(nodes=1)))
    'Ingress routing tree: the ingress add-on is not enabled: cluster.enable_addon("ingress").'
    """
    head = "Ingress routing tree" + (f" of ingress-nginx at {tree.address}" if tree.address else "")
    if not tree.rules:
        return f"{head}: " + ("; ".join(tree.notes) or "no rules") + "."
    many = len({route.ingress for _, route in tree.rules.values()}) > 1
    hosts: dict[str, list[str]] = {}
    for rid, (server, _) in tree.rules.items():
        hosts.setdefault(server, []).append(rid)
    parts = [f"Host {_host_label(server)}: " + ", ".join(
        f"{_rule_words(tree.rules[r][1], many)} → {_backend_words(tree, r)}" for r in rids)
        for server, rids in hosts.items()]
    text = f"{head}. " + "; ".join(parts) + "."
    m = tree.match
    if m is None:
        return text + " No request drawn yet."
    text += f" Request {m.host}{m.path}: "
    won = next((r for r, outcome in tree.verdicts.items() if outcome == "matched"), None)
    if m.route is None or won is None:
        text += "no rule takes it, the controller's own 404 answers"
    else:
        text += f"rule {_rule_words(tree.rules[won][1], many)} took it (large diamond, thick line)"
        text += f" → Service {m.route.backend}"
        if tree.answered:
            text += f" → pod {short_name(tree.answered)}"
    if tree.status:
        text += f", {tree.status}"
    lost = [f"{_rule_words(tree.rules[r][1], many)}: {outcome}" for r, outcome in tree.verdicts.items()
            if outcome not in ("matched", "other host", "not needed")]
    return text + (f"; other rules: {', '.join(lost)}" if lost else "") + "."


def redraw_tree(fig, tree: Tree, drawn: dict[str, Any], legend_names: dict[str, str]) -> None:
    """Write what :func:`draw_tree` made into ``fig``'s traces, annotations, height and title, in one
    ``batch_update`` (a ``go.FigureWidget`` sends one message)."""
    names = {v: k for k, v in legend_names.items()}
    with fig.batch_update():
        for trace in fig.data:
            write_vertices(trace, drawn[names.get(trace.name, trace.name)])
        fig.layout.annotations = drawn["annotations"]
        fig.layout.yaxis.range = drawn["y_range"]
        fig.layout.height = drawn["height"]
        fig.layout.title = titled(html.escape(tree.title), tree.subtitle)


def draw_tree(tree: Tree, kinds: dict[str, tuple[str, str, str, str, int]], trace_names: list[str],
              columns: tuple[tuple[float, str], ...], caption: tuple[str, ...], left: float = -0.45
              ) -> dict[str, Any]:
    """The columns of each trace (points of vertices, segments of edges), the column headings and
    notes as annotations, the y range and the figure's height, for :func:`redraw_tree`."""
    traces: dict[str, dict[str, list]] = {n: {"x": [], "y": [], "text": [], "hover": [], "custom": []}
                                          for n in trace_names}
    v = tree.vertices
    for vx in v.values():
        t = traces[kinds[vx.kind][0]]
        t["x"].append(vx.x)
        t["y"].append(vx.y)
        t["text"].append(vx.label)
        t["hover"].append(vx.hover)
        t["custom"].append(vx.id)
    for src, dst, kind in tree.edges:
        if src in v and dst in v:
            t = traces[kind]
            t["x"] += [v[src].x, v[dst].x, None]
            t["y"] += [v[src].y, v[dst].y, None]
    ys = [vx.y for vx in v.values()] or [0.0]
    top = max(ys) + 1.15  # above the two-line labels of the first rules
    annotations: list[dict] = []
    if v:
        for x, text in columns:
            annotations.append(dict(x=x, y=top, text=f"<b>{text}</b>", showarrow=False,
                                    font=dict(size=12, color="#555")))
    notes = [*tree.notes, *caption] if v else tree.notes
    for i, note in enumerate(notes):
        annotations.append(dict(x=left, y=min(ys) - 0.75 - 0.45 * i, text=html.escape(note, quote=False),
                                showarrow=False, xanchor="left", font=dict(size=11, color="#555")))
    bottom = min(ys) - 0.55 - 0.45 * len(notes)
    height = int(min(1100, max(360, 150 + 46 * (top - bottom))))
    return {**traces, "annotations": annotations, "y_range": [bottom, top + 0.35], "height": height}


__all__ = ["CAPTION", "TRACES", "Tree", "Vertex", "draw_tree", "edge_trace", "ingress_tree", "ready_pods",
           "redraw_tree", "routing_tree", "tree_figure", "tree_text", "update_routing_tree", "vertex_trace", "place_pods",
           "centre_halves"]
