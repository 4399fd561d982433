"""The Gateway API routing tree: which listener, which HTTPRoute, which rule, which Service and
which pod a request reaches through a Gateway, and why every other rule lost.

Left to right: the Gateway → its listeners (name, port, host name) → the HTTPRoutes attached to
each → their rules → the backend Services → their ready pods. An edge from a rule to a backend is
as wide as the backend's share of the rule's weights (a weight of 0 is dotted), with the weight
written on it. Routes that name the Gateway but did not attach hang under "not attached", with
the reason of their ``Accepted`` condition.

Given a :class:`~kitlib.network.gateway.GatewayMatch` (``resp.gateway``, or a table's
``explain``), the rule that took the request and its way to the backend and the pod are drawn in
purple; every other rule shows its verdict in its own colour (``lower precedence``, a condition
that failed: ``path``, ``method``, ``header``, ``query``, or ``other host``); a request no rule
takes ends at Envoy's 404. The figure reads the routing table the controller compiled; it
decides nothing itself.

``gateway_view(cluster, match)`` is the tree as plain data; ``gateway_tree(cluster, match)``
draws it as a ``go.Figure``; ``update_gateway_tree(fig, cluster, match)`` redraws a
``go.FigureWidget`` in place in one ``batch_update`` with a fixed set of traces. The weighted
rule → backend edges are layout shapes under the traces: moving a weight restyles them and changes
no trace, and plotly.js redraws the shapes alone instead of the whole tree (issue 18).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from ..api.gateway import HTTPRoute
from .routing_tree import (
    BLACK,
    BLUE,
    EDGE_STYLES,
    GREEN,
    GREY,
    LIGHT,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    Tree,
    Vertex,
    centre_halves,
    draw_tree,
    edge_trace,
    place_pods,
    ready_pods,
    redraw_tree,
    tree_figure,
    vertex_trace,
)
from .service_graph import short_name

KINDS: dict[str, tuple[str, str, str, str, int]] = {
    "gateway": ("Gateway", BLACK, "square", "top center", 18),
    "listener": ("listeners", BLUE, "triangle-right", "top center", 15),
    "badlistener": ("listener not programmed", VERMILLION, "triangle-right-open", "top center", 15),
    "unattached": ("not attached", VERMILLION, "triangle-right-open", "top center", 14),
    "route": ("HTTPRoutes", SKY, "pentagon", "top center", 15),
    "detached": ("route not attached", VERMILLION, "pentagon-open", "top center", 15),
    "rule": ("rules", BLUE, "diamond", "top center", 14),
    "matched": ("rule that took the request", PURPLE, "diamond", "top center", 20),
    "beaten": ("matched too, but lower precedence", ORANGE, "diamond", "top center", 15),
    "nomatch": ("no match", GREY, "diamond-open", "top center", 14),
    "other": ("other host", LIGHT, "diamond-open", "top center", 13),
    "service": ("Services", SKY, "hexagon", "top center", 18),
    "missing": ("backend not resolved (500)", VERMILLION, "x", "top center", 14),
    "pod": ("ready pods", GREEN, "circle", "middle right", 13),
    "answered": ("pod that answered", PURPLE, "circle", "middle right", 17),
    "nopods": ("no ready pods", GREY, "circle-open", "middle right", 14),
    "notfound": ("Envoy's 404", VERMILLION, "square-x-open", "middle right", 16),
}
SHARES: dict[str, dict[str, Any]] = {
    "weight 0": dict(color="#BBBBBB", width=1.2, dash="dot"),
    "share ≤ 1/3": dict(color="#7F9FBF", width=2.0),
    "share ≤ 2/3": dict(color="#7F9FBF", width=4.5),
    "share > 2/3": dict(color="#7F9FBF", width=7.5),
}
"""Rule → backend edges, by the backend's share of the rule's weights."""
EDGES = ("links", "lost rules", "path of the request")
TRACES = [*EDGES, *[k[0] for k in KINDS.values()]]
"""The figure's traces, the same whatever the route: the rule → backend edges are layout shapes
(see :func:`_share_shapes`), so that moving a weight changes no trace."""
LEGEND_NAMES = {"lost rules": "matched too, but lost"}
CAPTION = ("purple: the listener, route, rule, Service and pod that took the request",
           "orange: matched too, but another rule comes first",
           "(Exact, the longest path, method and headers, query parameters, the oldest route)",
           "grey: a condition failed (hover for which) · light: another host name's virtual host",
           "edge width: the backend's share of the rule's weights (dotted: weight 0)")
X_GATEWAY, X_LISTENER, X_ROUTE, X_RULE, X_SERVICE, X_POD = 0.0, 0.95, 1.9, 2.85, 3.9, 4.7
COLUMNS = ((X_GATEWAY, "Gateway"), (X_LISTENER, "listener"), (X_ROUTE, "HTTPRoute"), (X_RULE, "rule"),
           (X_SERVICE, "Service"), (X_POD, "ready pods"))
ROW = 1.05
NOT_ATTACHED = "not attached"
RANK = {"matched": 0, "beaten": 1, "nomatch": 2, "other": 3}


@dataclass
class GatewayView(Tree):
    """The routing tree of one Gateway as plain data (a :class:`~kitlib.figures.routing_tree.Tree`)."""

    weights: list[tuple[str, str, int]] = field(default_factory=list)
    """(rule vertex, backend vertex, weight) of the rules with several backends: the edges' labels."""
    matches: dict[str, str] = field(default_factory=dict)
    """Rule vertex → its first match in words (the routing table entry's ``describe()``)."""
    rule_backends: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Rule vertex → its backends: (backend vertex, weight)."""
    gateway: str = ""
    """The Gateway drawn (``namespace/name``), or "" when there is none."""

    def rule_vertex(self, route: str, rule: int, listener: str | None = None) -> Vertex | None:
        """The vertex of rule ``rule`` of HTTPRoute ``route`` (``"ns/name"``), on ``listener`` if given."""
        for v in self.vertices.values():
            parts = v.id.split("|")
            if parts[0] == "rule" and parts[2] == route and parts[3] == str(rule) and \
                    (listener is None or parts[1] == listener):
                return v
        return None


def _addon(cluster):
    return getattr(cluster, "addons", {}).get("gateway")


def _as_match(match) -> tuple[Any, str | None, str | None]:
    """(GatewayMatch, answering pod, status) from a GatewayMatch or an HttpResponse."""
    if match is None or hasattr(match, "verdicts"):
        return match, None, None
    status = getattr(match, "status", None)
    return getattr(match, "gateway", None), getattr(match, "pod", None), (
        getattr(match, "status_text", "") or (f"no answer: {match.reason}" if status is None else None))


def _rule_key(entry) -> tuple[str, str, int]:
    return entry.listener, entry.route, entry.rule


def _verdicts(match) -> dict[tuple[str, str, int], list]:
    """The verdicts of each rule (listener, route, rule), best first."""
    out: dict[tuple[str, str, int], list] = {}
    for v in (match.verdicts if match is not None else []):
        out.setdefault(_rule_key(v.entry), []).append(v)
    for vs in out.values():
        vs.sort(key=lambda v: RANK.get(_outcome_kind(v.outcome), 9))
    return out


def _outcome_kind(outcome: str) -> str:
    if outcome == "matched":
        return "matched"
    if outcome == "lower precedence":
        return "beaten"
    if outcome == "other host":
        return "other"
    return "nomatch"


def gateway_view(cluster, match=None, gateway: str | None = None, pod: str | None = None) -> GatewayView:
    """The routing tree of a Gateway (``"ns/name"``; default: the one ``match`` went through, else
    the first), with ``match`` (a :class:`~kitlib.network.gateway.GatewayMatch`, or an
    ``HttpResponse`` whose ``.gateway`` and ``.pod`` are used) highlighted; ``pod`` is the pod that
    answered (``"ns/name"``).

    >>> import kitlib
    >>> gateway_view(kitlib.Cluster(nodes=1)).notes
    ['the gateway add-on is not enabled: cluster.enable_addon("gateway")']
    """
    match, answered, status = _as_match(match)
    pod = pod if pod is not None else answered
    tree = GatewayView(title="Gateway API routing")
    addon = _addon(cluster)
    if addon is None:
        tree.notes.append('the gateway add-on is not enabled: cluster.enable_addon("gateway")')
        tree.title = "Gateway API routing · no Gateway API controller"
        return tree
    tables = addon.compiled.tables
    key = gateway or (match.gateway if match is not None else None) or next(iter(sorted(tables)), None)
    gw = cluster.api.store.get("Gateway", key) if key else None
    if gw is None:
        tree.notes.append("no Gateway yet" if key is None else f"Gateway {key} not found")
        tree.title = "Gateway API routing · no Gateway"
        return tree
    key = gw.key
    table = tables.get(key)
    verdicts = _verdicts(match)
    winner = match.entry if match is not None else None

    # --- listeners, their routes and rules, in the order of the Gateway's spec
    rows: dict[str, list[str]] = {}  # listener vertex → route vertices
    route_rules: dict[str, list[str]] = {}
    rule_backends: dict[str, list[tuple[str, int, int]]] = {}  # rule vertex → (service vertex, weight, total)
    services: dict[str, tuple[str, str, str, list]] = {}
    service_order: list[str] = []
    row = 0.0
    rule_y: dict[str, float] = {}
    empty_y: dict[str, float] = {}
    states = {ls.name: ls for ls in gw.status.listeners}
    for listener in gw.spec.listeners:
        lid = f"listener|{listener.name}"
        rows[lid] = []
        entries = _entries(table, listener.name)
        for route_key, by_rule in entries.items():
            rid = f"route|{listener.name}|{route_key}"
            rows[lid].append(rid)
            route_rules[rid] = []
            for rule_index, rule_entries in by_rule.items():
                vid = f"rule|{listener.name}|{route_key}|{rule_index}"
                kind, label, hover = _rule_vertex(rule_entries, verdicts.get((listener.name, route_key, rule_index)),
                                                  match)
                tree.vertices[vid] = Vertex(vid, kind, label, hover, X_RULE, -row * ROW)
                tree.matches[vid] = rule_entries[0].describe()
                if kind != "rule":
                    tree.verdicts[vid] = kind
                rule_y[vid] = -row * ROW
                route_rules[rid].append(vid)
                backends = rule_entries[0].backends
                total = sum(b.weight for b in backends)
                rule_backends[vid] = [(_service_vertex(cluster, b, services, service_order, gw.namespace), b.weight, total)
                                      for b in backends]
                row += 1
            row += 0.25
        if not entries:
            empty_y[lid] = -row * ROW  # the listener's own row
            row += 1
        row += 0.3
    detached = _detached(cluster, gw, {rid.split('|', 2)[2] for rid in route_rules})
    if detached:
        rows["listener|" + NOT_ATTACHED] = []
        for route_key, cond in detached:
            rid = f"route|{NOT_ATTACHED}|{route_key}"
            rows["listener|" + NOT_ATTACHED].append(rid)
            route_rules[rid] = []
            reason = f"{cond.reason}: {cond.message}" if cond is not None else "no status from the controller yet"
            why = "no status yet" if cond is None else cond.reason if cond.status != "True" else "not programmed"
            tree.vertices[rid] = Vertex(rid, "detached", f"{html.escape(_local(route_key, gw.namespace))}<br>✗ "
                                        f"{html.escape(why)}",
                                        f"HTTPRoute {html.escape(route_key)} names Gateway {html.escape(key)} but is "
                                        f"not attached<br>{html.escape(reason)}", X_ROUTE, -row * ROW)
            row += 1
    # --- Services and pods
    pod_ids, service_y = place_pods(tree, services, service_order, pod, X_POD, "Envoy", "|", False)
    left = [*rule_y.values(), *empty_y.values(), *(v.y for v in tree.vertices.values() if v.kind == "detached")]
    right = [*service_y.values(), *(v.y for v in tree.vertices.values() if v.x == X_POD)]
    shift_left, shift_right = centre_halves(tree, left, right, X_POD)
    for sid in service_order:
        kind, label, hover, _ = services[sid]
        tree.vertices[sid] = Vertex(sid, kind, label, hover, X_SERVICE, service_y[sid] + shift_right)
    # Routes, listeners and the Gateway sit in the middle of what hangs under them.
    for rid, rule_ids in route_rules.items():
        if rule_ids:
            ys = [tree.vertices[r].y for r in rule_ids]
            on_listener, route_key = rid.split("|")[1:]
            tree.vertices[rid] = Vertex(rid, "route", html.escape(_local(route_key, gw.namespace)),
                                        _route_hover(cluster, route_key, on_listener), X_ROUTE, sum(ys) / len(ys))
    for listener in [*gw.spec.listeners, None]:
        name = listener.name if listener is not None else NOT_ATTACHED
        lid = f"listener|{name}"
        if lid not in rows:
            continue
        ys = [tree.vertices[r].y for r in rows[lid] if r in tree.vertices]
        y = sum(ys) / len(ys) if ys else empty_y.get(lid, 0.0) + shift_left
        if listener is None:
            tree.vertices[lid] = Vertex(lid, "unattached", "not attached",
                                        "routes whose parentRefs name this Gateway but that no listener took: read "
                                        "their Accepted condition (kubectl describe httproute)", X_LISTENER, y)
            continue
        tree.vertices[lid] = _listener_vertex(lid, listener, states.get(name), y)
    ys = [tree.vertices[lid].y for lid in rows] or [0.0]
    address = ", ".join(a.value for a in gw.status.addresses) or "no address yet"
    tree.vertices["gateway"] = Vertex("gateway", "gateway", html.escape(gw.name),
                                      f"Gateway {html.escape(key)}, class {html.escape(gw.spec.gateway_class_name)}"
                                      f"<br>address: {html.escape(address)}", X_GATEWAY, sum(ys) / len(ys))

    # --- edges, and the request's path
    on_path: set[tuple[str, str]] = set()
    target_sid = None
    if match is not None and winner is not None:
        lid, rid = f"listener|{winner.listener}", f"route|{winner.listener}|{winner.route}"
        vid = f"rule|{winner.listener}|{winner.route}|{winner.rule}"
        on_path |= {("gateway", lid), (lid, rid), (rid, vid)}
        if match.backend is not None and vid in rule_backends:
            target_sid = _sid(match.backend)
            if target_sid in services:
                on_path.add((vid, target_sid))
                target = next((p for p in pod_ids.get(target_sid, []) if tree.vertices[p].kind == "answered"), None)
                if target is None and pod_ids.get(target_sid) and pod_ids[target_sid][0].startswith("nopods|"):
                    target = pod_ids[target_sid][0]
                if target is not None:
                    on_path.add((target_sid, target))
    elif match is not None:
        ys = [v.y for v in tree.vertices.values()] or [0.0]
        tree.vertices["notfound"] = Vertex("notfound", "notfound", "Envoy's 404",
                                           "no rule of any attached route matches the request: Envoy answers 404 "
                                           "with an empty body", X_SERVICE, min(ys) - ROW)
        first = next((f"listener|{n}" for n in _listeners_on(table, match.port) if f"listener|{n}" in rows), None)
        if first is not None:
            on_path.add(("gateway", first))
            tree.edges.append((first, "notfound", "path of the request"))

    def edge(src: str, dst: str, kind: str = "links") -> None:
        tree.edges.append((src, dst, "path of the request" if (src, dst) in on_path else kind))

    for lid, routes in rows.items():
        edge("gateway", lid)
        for rid in routes:
            edge(lid, rid)
            for vid in route_rules.get(rid, []):
                edge(rid, vid, "lost rules" if tree.vertices[vid].kind == "beaten" else "links")
                for sid, weight, total in rule_backends[vid]:
                    share = weight / total if total else 0.0
                    tree.edges.append((vid, sid, _share_trace(weight, share)))
                    if (vid, sid) in on_path:
                        tree.edges.append((vid, sid, "path of the request"))
    for sid, pids in pod_ids.items():
        for pid in pids:
            edge(sid, pid)
    order = {"path of the request": 0}
    tree.edges.sort(key=lambda e: order.get(e[2], 1))
    tree.title = f"Gateway {key} · {address}"
    if match is not None:
        head, _, rest = str(match).partition(": ")
        text = rest + (f" → pod {short_name(pod)}" if pod and winner is not None else "")
        tree.subtitle = (html.escape(head + (f" · {status}" if status else ""), quote=False) + "<br>"
                         + html.escape(text, quote=False))
    if not any(route_rules.values()):
        tree.notes.append("no HTTPRoute attached yet: every request gets Envoy's 404")
    tree.weights = [(vid, sid, weight) for vid, backends in rule_backends.items() if len(backends) > 1
                    for sid, weight, _ in backends]
    tree.rule_backends = {vid: [(sid, weight) for sid, weight, _ in backends] for vid, backends in rule_backends.items()}
    tree.gateway = key
    return tree


OUTCOMES = {"matched": "took the request", "beaten": "matched too, but lower precedence",
            "nomatch": "did not match", "other": "serves another host name"}
"""A rule's verdict on the last request, in the text alternative."""


def gateway_text(tree: GatewayView) -> str:
    """The routing tree in words (its text alternative, for a screen reader and for anyone who
    cannot tell its colours apart), from the view's typed parts: each listener's routes and rules
    with their backends, weights and ready pods, each rule's verdict on the last request, and
    where that request went.

    >>> import kitlib
    >>> gateway_text(gateway_view(kitlib.Cluster(nodes=1)))
    'Gateway API routing · no Gateway API controller: the gateway add-on is not enabled: cluster.enable_addon("gateway").'
    """
    if not tree.gateway:
        return f"{tree.title}: {'; '.join(tree.notes)}."
    v = tree.vertices
    pods: dict[str, list[str]] = {}
    for src, dst, _ in tree.edges:
        if src.startswith("svc|") and dst in v and v[dst].kind in ("pod", "answered"):
            pods.setdefault(src, [])
            if dst.rsplit("|", 1)[-1] not in pods[src]:
                pods[src].append(dst.rsplit("|", 1)[-1])

    def service(sid: str, weight: str = "") -> str:
        name = sid.split("|", 1)[1].split("/", 1)[1] + weight  # Service/<ns>/<name>:<port> → <ns>/<name>:<port>
        if v.get(sid) is not None and v[sid].kind == "missing":
            return f"{name} (not resolved: 500)"
        n = len(pods.get(sid, []))
        return f"{name} ({n} ready pod{'s' if n != 1 else ''})"

    parts = [f"Routing tree of {tree.title}."]
    routes: dict[str, list[str]] = {}
    for vid in tree.matches:
        _, listener, route, index = vid.split("|")
        backends = tree.rule_backends.get(vid, [])
        several = len(backends) > 1
        to = ", ".join(service(sid, f" weight {w}" if several else "") for sid, w in backends) or "no backend"
        text = f"rule {index} ({tree.matches[vid]}) → {to}"
        if vid in tree.verdicts:
            text += f": {OUTCOMES.get(tree.verdicts[vid], tree.verdicts[vid])}"
        routes.setdefault(f"listener {listener}, HTTPRoute {route}", []).append(text)
    for where, rules in routes.items():
        parts.append(f"{where}: {'; '.join(rules)}.")
    for vid, vx in v.items():
        if vx.kind == "detached":
            parts.append(f"HTTPRoute {vid.split('|', 2)[2]} is not attached.")
    path = tree.path()
    if "notfound" in path:
        parts.append("The last request matched no rule: Envoy answers 404.")
    elif path:
        steps = [p for p in path if p.startswith(("rule|", "svc|", "pod|"))]
        words = []
        for p in steps:
            if p.startswith("rule|"):
                _, _, route, index = p.split("|")
                words.append(f"HTTPRoute {route} rule {index}")
            elif p.startswith("svc|"):
                words.append(p.split("|", 1)[1].split("/", 1)[1])
            else:
                words.append(f"pod {p.rsplit('|', 1)[-1]}")
        parts.append("The last request (drawn thick) went to " + " → ".join(words) + ".")
    parts += [f"{note}." for note in tree.notes]
    return " ".join(parts)


def _entries(table, listener: str) -> dict[str, dict[int, list]]:
    """The entries of a listener by route (by ``namespace/name``) and rule."""
    out: dict[str, dict[int, list]] = {}
    if table is None:
        return out
    entries = [e for pt in table.ports.values() if listener in pt.listeners for vh in pt.all_vhosts()
               for e in vh.entries if e.listener == listener]
    for e in sorted(entries, key=lambda e: (e.route, e.rule, e.match, e.domain)):
        out.setdefault(e.route, {}).setdefault(e.rule, []).append(e)
    return out


def _listeners_on(table, port: int) -> list[str]:
    pt = table.ports.get(port) if table is not None else None
    return list(pt.listeners) if pt is not None else []


def _detached(cluster, gw, attached: set[str]) -> list[tuple[str, Any]]:
    """Routes whose parentRefs name ``gw`` but that no listener of its table holds (``attached``:
    the routes the table holds), with their Accepted condition for it (None: no status yet)."""
    out = []
    for route in cluster.api.store.items_as(HTTPRoute):
        key = f"{route.metadata.namespace}/{route.metadata.name}"
        if key in attached or not any(
                r.name == gw.name and (r.namespace or route.metadata.namespace) == gw.metadata.namespace
                for r in route.spec.parent_refs):
            continue
        accepted = None
        for parent in route.status.parents:
            p = parent.parent_ref
            if p.name == gw.name and (p.namespace or route.metadata.namespace) == gw.metadata.namespace:
                accepted = next((c for c in parent.conditions if c.type == "Accepted"), None)
        out.append((key, accepted))
    return sorted(out, key=lambda rc: rc[0])


def _route_hover(cluster, route_key: str, listener: str) -> str:
    obj = cluster.api.store.get("HTTPRoute", route_key)
    hosts = ", ".join(obj.spec.hostnames) if obj is not None and obj.spec.hostnames else "the listener's"
    conds = ""
    if obj is not None:
        for parent in obj.status.parents:
            conds += "".join(f"<br>{html.escape(c.type)}: {html.escape(c.status)} ({html.escape(c.reason)})"
                             for c in parent.conditions)
    return f"HTTPRoute {html.escape(route_key)} on listener {html.escape(listener)}<br>hostnames: " \
           f"{html.escape(hosts)}{conds}"


def _listener_vertex(lid: str, listener, state, y: float) -> Vertex:
    host = listener.hostname or "any host"
    programmed = next((c for c in (state.conditions if state is not None else []) if c.type == "Programmed"), None)
    ok = programmed is None or programmed.status == "True"
    attached = state.attached_routes if state is not None else 0
    conds = "".join(f"<br>{html.escape(c.type)}: {html.escape(c.status)} ({html.escape(c.reason)})"
                    for c in (state.conditions if state is not None else []))
    label = f"{html.escape(listener.name)} · {listener.protocol}/{listener.port}<br>{html.escape(host)}"
    hover = (f"listener {html.escape(listener.name)}: {listener.protocol} port {listener.port}, "
             f"{html.escape(host)}<br>{attached} attached route{'s' if attached != 1 else ''}{conds}")
    return Vertex(lid, "listener" if ok else "badlistener", label, hover, X_LISTENER, y)


def _rule_vertex(entries: list, verdicts: list | None, match) -> tuple[str, str, str]:
    """(kind, label, hover) of one rule: its matches, and what each made of the request."""
    first = entries[0]
    label = html.escape(first.describe()) + (f" (+{len(entries) - 1})" if len(entries) > 1 else "")
    where = f"{first.route} spec.rules[{first.rule}]" + (f" ({first.rule_name})" if first.rule_name else "")
    lines = [f"<b>{html.escape(where)}</b>"]
    lines += [f"match {e.match} on {html.escape(e.domain)}: {html.escape(e.describe())}" for e in entries]
    if len(first.backends) > 1:
        # The weights are written on the rule's edges: a hover without them stays the same when a
        # weight moves, and the redraw changes no trace (issue 18).
        backends = ", ".join(html.escape(str(b)) for b in first.backends) + " (weights on the edges)"
    else:
        backends = ", ".join(f"{html.escape(str(b))} weight {b.weight}" for b in first.backends) or "no backend"
    lines.append(f"backends: {backends}")
    if match is None:
        return "rule", label, "<br>".join(lines)
    if not verdicts:
        return "rule", label + "<br>new", "<br>".join([*lines, "added after the request: send it again"])
    kind = _outcome_kind(verdicts[0].outcome)
    for v in verdicts:
        lines.append(f"<b>{html.escape(v.outcome)}</b>: {html.escape(v.detail)}")
    if kind in ("beaten", "nomatch"):
        label += f"<br>✗ {html.escape(verdicts[0].outcome)}"
    return kind, label, "<br>".join(lines)


def _sid(backend) -> str:
    return f"svc|{backend.kind}/{backend.service}:{backend.port}"


def _local(key: str, namespace: str) -> str:
    """``namespace/name`` as ``name`` in ``namespace``, whole elsewhere."""
    ns, _, name = key.partition("/")
    return name if ns == namespace else key


def _service_vertex(cluster, b, services: dict, order: list[str], ns: str) -> str:
    """The id of the backend's vertex, made on first use (with its ready pods); ``ns`` is the
    Gateway's namespace, where names are shown without theirs."""
    sid = _sid(b)
    if sid in services:
        return sid
    order.append(sid)
    label = f"{html.escape(_local(b.service, ns))}:{b.port}"
    if not b.resolved:
        services[sid] = ("missing", f"{label}<br>✗ {html.escape(b.reason or '')}",
                         f"{html.escape(str(b))}: {html.escape(b.message)}; its share of the requests gets 500", [])
        return sid
    svc = cluster.api.store.get("Service", b.service)
    port = next((p for p in svc.spec.ports if p.port == b.port), None) if svc is not None else None
    pods = ready_pods(cluster, b.namespace, b.name, port.name if port is not None else None)
    services[sid] = ("service", label, f"Service {html.escape(b.service)} port {b.port}: {len(pods)} ready "
                     f"endpoint{'s' if len(pods) != 1 else ''} (Envoy sends to the pods directly, not through the "
                     "ClusterIP)", pods)
    return sid


def _share_trace(weight: int, share: float) -> str:
    if weight == 0:
        return "weight 0"
    return "share ≤ 1/3" if share <= 1 / 3 else "share ≤ 2/3" if share <= 2 / 3 else "share > 2/3"


# ------------------------------------------------------------------ drawing

def _trace(name: str) -> go.Scatter:
    if name in EDGE_STYLES:
        return edge_trace(name, EDGE_STYLES[name], LEGEND_NAMES.get(name))
    return vertex_trace(name, KINDS)


def _share_shapes(tree: GatewayView) -> list[dict[str, Any]]:
    """The rule → backend edges as line shapes under the traces, styled by the backend's share of
    the rule's weights (:data:`SHARES`), each labelled with its weight where the rule has several
    backends. As shapes, a weight that moves changes only the shapes' style and label: plotly.js
    redraws them alone, where edges in traces (one per share, the edge moving from one to another)
    made it redraw the whole tree (issue 18)."""
    v = tree.vertices
    labels = {(vid, sid): weight for vid, sid, weight in tree.weights}
    out = []
    for src, dst, kind in tree.edges:
        if kind not in SHARES or src not in v or dst not in v:
            continue
        shape: dict[str, Any] = dict(type="line", xref="x", yref="y", x0=v[src].x, y0=v[src].y, x1=v[dst].x,
                                     y1=v[dst].y, layer="below", line=SHARES[kind])
        if (src, dst) in labels:
            shape["label"] = dict(text=str(labels[src, dst]), textposition="middle", textangle=0, yanchor="bottom",
                                  font=dict(size=10, color="#335"))
        out.append(shape)
    return out


def gateway_tree(cluster, match=None, gateway: str | None = None, pod: str | None = None,
                 figure_class=go.Figure):
    """The Gateway routing tree as a new figure (``figure_class=go.FigureWidget`` for a widget);
    ``match`` is a GatewayMatch or an HttpResponse (see :func:`gateway_view`).

    >>> import kitlib
    >>> fig = gateway_tree(kitlib.Cluster(nodes=1))
    >>> [t.name for t in fig.data][:2]
    ['links', 'matched too, but lost']
    """
    fig = tree_figure([_trace(name) for name in TRACES], [-0.45, 5.75], figure_class)
    fig.layout.autosize = True  # as wide as the notebook (plotly.js's default is 700 px)
    fig.layout.margin.t = 84  # the subtitle's two lines
    update_gateway_tree(fig, cluster, match, gateway, pod)
    return fig


def update_gateway_tree(fig, cluster, match=None, gateway: str | None = None, pod: str | None = None
                        ) -> GatewayView:
    """Redraw ``fig`` (made by :func:`gateway_tree`) from cluster state and a request's GatewayMatch;
    returns the view drawn (for its text alternative, :func:`gateway_text`)."""
    tree = gateway_view(cluster, match, gateway, pod)
    drawn = draw_tree(tree, KINDS, [*TRACES, *SHARES], COLUMNS, CAPTION)  # the shares' columns go unused
    with fig.batch_update():
        redraw_tree(fig, tree, drawn, LEGEND_NAMES)
        fig.layout.shapes = _share_shapes(tree)
    return tree


__all__ = ["CAPTION", "KINDS", "TRACES", "GatewayView", "gateway_text", "gateway_tree", "gateway_view",
           "update_gateway_tree"]
