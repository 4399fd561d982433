"""kube-proxy's iptables chains for one Service on one node, drawn as the tree a packet walks.

It reads kube-proxy's nat table as data (:func:`kitlib.network.proxy.nat_table`, the rules that
``cluster.iptables(node)`` prints) and follows the jumps that concern the Service:
PREROUTING/OUTPUT → KUBE-SERVICES → (KUBE-NODEPORTS → KUBE-EXT-…) → KUBE-SVC-… → KUBE-SEP-…
→ DNAT to a pod. The edges out of KUBE-SVC-… carry the ``--probability`` kube-proxy wrote and
the share of new connections that it gives: 1/n, then 1/(n-1) of the rest, and so on, which
is an even split. Hovers show each rule as ``iptables-save`` prints it.

``service_chains(table, service)`` picks the tree; ``iptables_rules(cluster, node, service)``
prints just the Service's rules; ``iptables_view(cluster, node, service)`` draws the tree as a
``go.Figure``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from ..network.proxy import nat_table
from ..network.proxy.iptables import rule_text
from ..network.proxy.rules import NatTable, Rule
from .service_graph import BLACK, BLUE, GREEN, GREY, ORANGE, PURPLE, SKY

ENTRY = "PREROUTING, OUTPUT"


def _port_names(cluster, service: str, namespace: str) -> set[str]:
    """kube-proxy's names for the Service's ports: ``ns/name`` or ``ns/name:port-name``."""
    base = f"{namespace}/{service}"
    try:
        svc = cluster.get("Service", service, namespace)
    except Exception:  # noqa: BLE001 - a deleted Service still has a name to look for
        return {base}
    return {f"{base}:{p.name}" if p.name else base for p in svc.spec.ports} or {base}


@dataclass
class ChainTree:
    """The chains a packet for one Service walks through, as a graph."""

    nodes: list[str] = field(default_factory=list)  # chain names, ENTRY, and "DNAT <ip:port>" leaves
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # (from, to, label, hover)
    rules: dict[str, list[Rule]] = field(default_factory=dict)  # each chain's rules that concern the Service
    notes: dict[str, list[str]] = field(default_factory=dict)  # chain -> what else it does (SNAT marks)

    def edge(self, a: str, b: str) -> tuple[str, str, str, str] | None:
        return next((e for e in self.edges if e[0] == a and e[1] == b), None)


def _is_ours(rule: Rule, names: set[str]) -> bool:
    c = rule.comment
    return any(c == n or c.startswith(n + " ") for n in names)


def service_chains(table: NatTable, names: set[str] | str) -> ChainTree:
    """The part of kube-proxy's nat table that handles a Service's ports.

    ``names`` are kube-proxy's service port names (``"default/web"``, ``"default/web:http"``).
    """
    names = {names} if isinstance(names, str) else set(names)
    chains = {c.name: c.rules for c in table.chains}
    tree = ChainTree()

    def add_node(n: str) -> None:
        if n not in tree.nodes:
            tree.nodes.append(n)

    def follow(chain: str) -> None:
        if chain in tree.rules:
            return
        mine = list(chains.get(chain, ()))
        tree.rules[chain] = mine
        add_node(chain)
        remaining = 1.0
        for r in mine:
            if r.target == "KUBE-MARK-MASQ":
                tree.notes.setdefault(chain, []).append(_masq_note(r))
                continue
            if r.target == "DNAT":
                leaf = f"DNAT {r.to_destination}"
                add_node(leaf)
                tree.edges.append((chain, leaf, "DNAT", html.escape(rule_text(r))))
                continue
            if not r.target and chain.startswith("KUBE-FW-"):  # the rule that only counts what falls through
                tree.notes.setdefault(chain, []).append("other sources: not DNATed here, so the filter table's "
                                                        "KUBE-PROXY-FIREWALL drops them")
                continue
            if not r.target.startswith("KUBE-"):
                continue
            hover = html.escape(rule_text(r))
            if r.recent is not None and r.recent.action == "rcheck":
                label = ""  # said once on the chain, not on every edge
                tree.notes.setdefault(chain, []).append("ClientIP affinity: a client seen before goes back to "
                                                        "the same endpoint; only new clients are spread")
            elif r.probability is not None:
                share = remaining * r.probability
                remaining -= share
                label = f"p {r.probability:.11f}<br>= {share:.0%} of new"
            elif chain.startswith(("KUBE-SVC-", "KUBE-SVL-")) and r.comment and "->" in r.comment:
                label = f"the rest<br>= {remaining:.0%} of new"
                remaining = 0.0
            else:
                label = _match_label(r)
            previous = tree.edge(chain, r.target)
            if previous is not None:  # affinity and statistic rules to the same endpoint: one edge
                text = label if not previous[2] else (previous[2] + ("<br>or " + label if label else ""))
                tree.edges[tree.edges.index(previous)] = (chain, r.target, text, previous[3] + "<br>" + hover)
            else:
                tree.edges.append((chain, r.target, label, hover))
            follow(r.target)

    add_node(ENTRY)
    add_node("KUBE-SERVICES")
    tree.edges.append((ENTRY, "KUBE-SERVICES", "every packet", "-A PREROUTING -m comment --comment "
                       "\"kubernetes service portals\" -j KUBE-SERVICES<br>-A OUTPUT … -j KUBE-SERVICES"))
    ours = [r for r in chains.get("KUBE-SERVICES", []) if _is_ours(r, names)]
    ours_np = [r for r in chains.get("KUBE-NODEPORTS", []) if _is_ours(r, names)]
    nodeports = [r for r in ours_np if not r.destination]  # the 127.0.0.0/8 twin (localhost node ports) is not drawn
    tree.rules["KUBE-SERVICES"] = ours
    for r in ours:
        tree.edges.append(("KUBE-SERVICES", r.target, _match_label(r), html.escape(rule_text(r))))
        follow(r.target)
    if nodeports:
        last = next((r for r in chains.get("KUBE-SERVICES", []) if r.target == "KUBE-NODEPORTS"), None)
        add_node("KUBE-NODEPORTS")
        tree.rules["KUBE-NODEPORTS"] = ours_np
        tree.rules["KUBE-SERVICES"] = ours + ([last] if last else [])
        tree.edges.append(("KUBE-SERVICES", "KUBE-NODEPORTS", "to a node's own IP<br>(last rule)",
                           html.escape(rule_text(last)) if last else ""))
        for r in nodeports:
            tree.edges.append(("KUBE-NODEPORTS", r.target, f"port {r.dport}", html.escape(rule_text(r))))
            follow(r.target)
    return tree


def _source(r: Rule) -> str:
    """``-s`` as iptables-save prints it, with ``!`` in front when negated."""
    return ("! " if r.source_negated and r.source else "") + r.source


def _match_label(r: Rule) -> str:
    where = ""
    if r.destination:
        where = r.destination.removesuffix("/32") + (f":{r.dport}" if r.dport else "")
    elif r.dport:
        where = f"port {r.dport}"
    kind = ""
    for suffix in ("cluster IP", "loadbalancer IP", "external IP"):
        if r.comment.endswith(" " + suffix):
            kind = suffix
    if "pod traffic" in r.comment:
        kind = "from a pod"
    elif "route LOCAL traffic" in r.comment:
        kind = "from this node"
    src = f"from {_source(r)}" if r.source and not kind else ""
    parts = [p for p in (kind, where, src) if p]
    return "<br>".join(parts) or "then"


def _masq_note(r: Rule) -> str:
    if r.source and r.source_negated:
        return f"marks for SNAT unless the source is a pod ({_source(r)})"
    if r.source:
        return f"marks for SNAT when the pod reaches itself (hairpin, -s {r.source.removesuffix('/32')})"
    if "LOCAL" in (r.src_type, r.dst_type):
        return "marks for SNAT traffic from this node"
    return "marks every packet for SNAT (masquerade)"


def iptables_rules(cluster, node: str, service: str = "web", namespace: str = "default") -> str:
    """The lines of ``cluster.iptables(node)`` that handle the Service, in ``iptables-save`` order."""
    table = nat_table(cluster.runtime, node)
    tree = service_chains(table, _port_names(cluster, service, namespace))
    wanted = {r for rules in tree.rules.values() for r in rules}
    return "\n".join(rule_text(r) for r in table.rules() if r in wanted)


# ------------------------------------------------------------------ drawing

STYLE = {  # prefix: (colour, symbol, what it does)
    ENTRY: (BLACK, "square", "built-in chains: every packet the node sends or forwards"),
    "KUBE-SERVICES": (BLACK, "square", "one rule per service address"),
    "KUBE-NODEPORTS": (GREY, "square", "one rule per node port"),
    "KUBE-EXT-": (ORANGE, "square", "traffic from outside the cluster (NodePort, LoadBalancer)"),
    "KUBE-FW-": (PURPLE, "square", "loadBalancerSourceRanges firewall"),
    "KUBE-SVC-": (BLUE, "square", "picks an endpoint at random (all endpoints)"),
    "KUBE-SVL-": (BLUE, "square-open", "picks an endpoint at random (this node's endpoints only)"),
    "KUBE-SEP-": (SKY, "square", "one endpoint: DNAT to its IP and port"),
    "DNAT": (GREEN, "circle", "the pod that gets the connection"),
}


def _style(node: str) -> tuple[str, str, str]:
    for prefix, style in STYLE.items():
        if node == prefix or (prefix.endswith("-") and node.startswith(prefix)) or node.startswith(prefix + " "):
            return style
    return (GREY, "square", "")


def _layout(tree: ChainTree) -> dict[str, tuple[float, float]]:
    """Columns by the longest jump path from the entry; rows as a tidy tree: each leaf gets a row,
    each chain sits at the middle of the chains it was first seen jumping to."""
    depth = dict.fromkeys(tree.nodes, 0)
    for _ in tree.nodes:
        for a, b, _, _ in tree.edges:
            depth[b] = max(depth[b], depth[a] + 1)
    children: dict[str, list[str]] = {n: [] for n in tree.nodes}
    claimed = {ENTRY}
    for a, b, _, _ in tree.edges:
        if b not in claimed:
            claimed.add(b)
            children[a].append(b)
    rows: dict[str, float] = {}
    next_row = [0.0]

    def place(n: str) -> float:
        kids = children[n]
        if not kids:
            rows[n] = next_row[0]
            next_row[0] -= 1.0
        else:
            ys = [place(k) for k in kids]
            rows[n] = (max(ys) + min(ys)) / 2
        return rows[n]

    place(ENTRY)
    # Room for the probabilities: a column that fans out to many chains gets a wider gap after it.
    fan: dict[int, int] = {}
    for n in tree.nodes:
        fan[depth[n]] = max(fan.get(depth[n], 0), len(children[n]))
    xs, x = {}, 0.0
    for d in sorted(fan):
        xs[d] = x
        x += 1.3 + 0.15 * min(fan[d], 6) if fan[d] > 1 else 1.0
    return {n: (xs[depth[n]], rows.get(n, 0.0)) for n in tree.nodes}


def _label_side(n: str, pos: dict[str, tuple[float, float]], tree: ChainTree) -> str:
    """Where a chain's name goes: under it when no jump leaves or arrives from below, over it when
    none from above, else above to the left (the jumps of a KUBE-SVC chain fan out to the right),
    so that names and the jumps' labels do not overlap."""
    y = pos[n][1]
    ys = [pos[b if a == n else a][1] for a, b, _, _ in tree.edges if n in (a, b)]
    if not any(v < y for v in ys):
        return "bottom center"
    if not any(v > y for v in ys):
        return "top center"
    return "top left"


def iptables_view(cluster, node: str, service: str = "web", namespace: str = "default",
                  figure_class=go.Figure):
    """The tree of kube-proxy's nat chains for a Service on ``node``, from its nat table as data.

    Hover over a chain to read its rules as ``iptables-save`` prints them; the edges out of
    ``KUBE-SVC-…`` show the ``--probability`` kube-proxy wrote and the share it gives.
    """
    names = _port_names(cluster, service, namespace)
    tree = service_chains(nat_table(cluster.runtime, node), names)
    pos = _layout(tree)
    pods = {p.status.pod_ip: p.name for p in cluster.pods(namespace) if p.status.pod_ip}

    fig = figure_class()
    ex, ey, annotations = [], [], []
    for a, b, label, hover in tree.edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ex += [x0, x1, None]
        ey += [y0, y1, None]
        if b.startswith("DNAT "):
            continue
        t = 0.4 if b.startswith("KUBE-SEP-") else 0.5
        annotations.append(dict(x=x0 + (x1 - x0) * t, y=y0 + (y1 - y0) * t, text=label, hovertext=hover,
                                showarrow=False, font=dict(size=10, color="#5B2A4A"),
                                bgcolor="rgba(255,255,255,0.9)"))
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#999", width=1.5), hoverinfo="skip",
                             showlegend=False, name="jumps"))
    groups: dict[str, dict[str, Any]] = {}
    for n in tree.nodes:
        colour, symbol, what = _style(n)
        key = next((p for p in STYLE if _style(n) == STYLE[p]), "other")
        g = groups.setdefault(key, {"x": [], "y": [], "text": [], "hover": [], "at": [],
                                    "style": (colour, symbol, what)})
        x, y = pos[n]
        g["x"].append(x)
        g["y"].append(y)
        if n.startswith("DNAT "):
            dest = n[5:]
            pod = pods.get(dest.rsplit(":", 1)[0], "")
            g["text"].append(f"DNAT → {dest}" + (f"<br>{pod}" if pod else ""))
            g["hover"].append(f"the connection's destination becomes {dest}" + (f" ({pod})" if pod else ""))
            g["at"].append("middle right")
        else:
            notes = list(dict.fromkeys(tree.notes.get(n, [])))
            name = n if n in (ENTRY, "KUBE-SERVICES", "KUBE-NODEPORTS") else n[:9] + "<br>" + n[9:]
            tags = (["⚑ SNAT mark"] if any("SNAT" in x and "hairpin" not in x for x in notes) else []) + \
                (["ClientIP affinity"] if any("affinity" in x for x in notes) else [])
            g["text"].append(f"<b>{name}</b>" + "".join(f"<br><i>{t}</i>" for t in tags))
            lines = [rule_text(r) for r in tree.rules.get(n, [])]
            g["hover"].append(f"<b>{n}</b>: {what}" + "".join(f"<br><i>{html.escape(x)}</i>" for x in notes)
                              + "<br>" + "<br>".join(html.escape(x) for x in lines[:12]))
            g["at"].append(_label_side(n, pos, tree))
    for key, g in groups.items():
        colour, symbol, what = g["style"]
        legend = {ENTRY: "built-in chains"}.get(key, key.rstrip("-") + ("…" if key.endswith("-") else ""))
        fig.add_trace(go.Scatter(x=g["x"], y=g["y"], mode="markers+text", text=g["text"], hovertext=g["hover"],
                                 hoverinfo="text", textposition=g["at"], textfont=dict(size=10),
                                 name=legend, cliponaxis=False,
                                 marker=dict(size=16, color=colour, symbol=symbol, line=dict(color="#222", width=1))))
    ys = [y for _, y in pos.values()] or [0.0]
    xs = [x for x, _ in pos.values()] or [0.0]
    title = f"kube-proxy's nat rules for {namespace}/{service} on {node}"
    if len(tree.nodes) <= 2:
        title += "<br><sup>no rules in the nat table for this Service: it has no ready endpoints (kube-proxy " \
                 "then REJECTs in the filter table), or kube-proxy is not in iptables mode</sup>"
    fig.update_layout(
        template="plotly_white", title=dict(text=title, x=0.01, xanchor="left", font=dict(size=14)),
        height=int(max(380, 160 + 80 * (max(ys) - min(ys) + 1))), margin=dict(l=10, r=10, t=60, b=10),
        xaxis=dict(visible=False, range=[min(xs) - 0.7, max(xs) + 1.2]),
        yaxis=dict(visible=False, range=[min(ys) - 0.9, max(ys) + 0.8]), annotations=annotations,
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0), hovermode="closest",
    )
    return fig
