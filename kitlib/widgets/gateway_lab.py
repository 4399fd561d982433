"""The gateway lab: send HTTP requests through a Gateway, split a rule's traffic by weight and
measure the split, edit a rule's match and the route's host names, and read the Gateway's and
the route's status conditions as ``kubectl describe`` shows them, beside a routing tree
(Gateway → listener → HTTPRoute → rule → Service → pods).

Each control makes exactly one engine call that a notebook cell could make too:

=========================  ==================================================================
control                    engine call
=========================  ==================================================================
Send                       ``cluster.http(url, headers=..., method=...)``
weight slider              ``cluster.apply(the HTTPRoute with the rule's two weights)``
Measure                    ``cluster.addons["gateway"].split(url, n=1000, headers=..., method=...)``
Apply match                ``cluster.apply(the HTTPRoute with the rule's match replaced)``
Set host names             ``cluster.apply(the HTTPRoute with spec.hostnames replaced)``
+10 s                      ``cluster.advance(10)``
=========================  ==================================================================

Picking a rule makes no call. A bad match or host name shows the API server's error on the
status line and changes nothing, because ``apply`` validates first. After the route changed,
the tree shows where the last request would go now (``table.explain``, a read of the Gateway's
routing table); press Send to try it.
"""

from __future__ import annotations

import copy
import html
from typing import Any

import ipywidgets as widgets

from ..figures.gateway_tree import gateway_text, gateway_tree, update_gateway_tree
from .figurewidget import LabFigureWidget
from .lab import figure_text, hint, lab_box, response_head, run_action, set_options, show_error

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
PATH_TYPES = ["PathPrefix", "Exact"]
ANY = "any"
ROUTE_API = "gateway.networking.k8s.io/v1"
OK_COLOUR, BAD_COLOUR, UNKNOWN_COLOUR = "#009E73", "#D55E00", "#E69F00"


ECHO_IMAGE = "registry.k8s.io/gateway-api/echo-basic:v1.5.1"
"""The Gateway API project's echo server, as Envoy Gateway's quickstart runs it."""
SCENARIO = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
spec:
  gatewayClassName: eg
  listeners:
  - name: http
    protocol: HTTP
    port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: eg
  hostnames:
  - shop.example.com
  rules:
  - backendRefs:
    - name: web
      port: 80
      weight: 100
    - name: web-v2
      port: 80
      weight: 0
  - matches:
    - path:
        type: PathPrefix
        value: /api
    backendRefs:
    - name: api
      port: 80
"""
"""The lab's Gateway ``eg`` and HTTPRoute ``shop``: ``/`` to web (web-v2 at weight 0), ``/api`` to api."""


def echo_deployment(name: str, namespace: str = "default", replicas: int = 2) -> dict[str, Any]:
    """A Deployment of echo-basic pods that listen on 3000 and know their name and namespace."""
    env = [{"name": var, "valueFrom": {"fieldRef": {"fieldPath": f"metadata.{field}"}}}
           for var, field in (("POD_NAME", "name"), ("NAMESPACE", "namespace"))]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "echo", "image": ECHO_IMAGE,
                                                           "ports": [{"containerPort": 3000}], "env": env}]}}}}


def shop_cluster(seed: int = 1, replicas: int = 2, nodes: int = 3):
    """The lab's cluster: echo-basic apps ``web``, ``web-v2`` and ``api`` behind ClusterIP Services
    (80 → 3000), MetalLB, Envoy Gateway, the Gateway ``eg`` and the HTTPRoute ``shop`` (:data:`SCENARIO`)."""
    import kitlib

    cluster = kitlib.Cluster(nodes=nodes, seed=seed)
    for name in ("web", "web-v2", "api"):
        cluster.apply(echo_deployment(name, replicas=replicas))
        cluster.kubectl(f"expose deployment {name} --port=80 --target-port=3000")
    cluster.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    cluster.enable_addon("gateway")
    cluster.apply(SCENARIO)
    cluster.settle()
    return cluster


# ------------------------------------------------------------------ the route as kubectl apply takes it

def route_manifest(route: Any, weights: tuple[int, list[int]] | None = None,
                   match: tuple[int, dict[str, Any]] | None = None,
                   hostnames: list[str] | None = None) -> dict[str, Any]:
    """The HTTPRoute (an object, or a manifest as a dict) as ``kubectl apply`` takes it (no status,
    uid or resourceVersion), with one change.

    ``weights`` is ``(rule index, [weight of each backendRef])``; ``match`` is ``(rule index, an
    HTTPRouteMatch as the API spells it)``, which replaces the rule's matches; ``hostnames``
    replaces ``spec.hostnames`` (an empty list removes it: the route takes the listener's names).

    >>> doc = {"metadata": {"name": "shop", "namespace": "default", "uid": "x"},
    ...        "spec": {"rules": [{"backendRefs": [{"name": "web", "port": 80}, {"name": "v2", "port": 80}]}]}}
    >>> route_manifest(doc, weights=(0, [75, 25]))["spec"]["rules"][0]["backendRefs"][1]
    {'name': 'v2', 'port': 80, 'weight': 25}
    >>> route_manifest(doc, match=(0, {"path": {"type": "Exact", "value": "/api"}}))["spec"]["rules"][0]["matches"]
    [{'path': {'type': 'Exact', 'value': '/api'}}]
    """
    doc = route if isinstance(route, dict) else route.to_dict()
    meta = {k: v for k, v in doc["metadata"].items() if k in ("name", "namespace", "labels", "annotations")}
    spec = copy.deepcopy(doc.get("spec") or {})
    rules = spec.setdefault("rules", [])
    if weights is not None:
        i, values = weights
        for ref, w in zip(rules[i].get("backendRefs", []), values, strict=False):
            ref["weight"] = int(w)
    if match is not None:
        i, m = match
        rules[i]["matches"] = [m]
    if hostnames is not None:
        if hostnames:
            spec["hostnames"] = list(hostnames)
        else:
            spec.pop("hostnames", None)
    return {"apiVersion": doc.get("apiVersion", ROUTE_API), "kind": "HTTPRoute", "metadata": meta, "spec": spec}


def match_manifest(path_type: str, path: str, method: str = ANY, header: str = "",
                   value: str = "") -> dict[str, Any]:
    """An HTTPRouteMatch as the API spells it, from the lab's match controls (``method`` "any"
    and an empty header name leave those conditions out).

    >>> match_manifest("PathPrefix", "/api", "POST", "x-canary", "true")
    {'path': {'type': 'PathPrefix', 'value': '/api'}, 'method': 'POST', 'headers': [{'name': 'x-canary', 'value': 'true'}]}
    """
    m: dict[str, Any] = {"path": {"type": path_type, "value": path}}
    if method and method != ANY:
        m["method"] = method
    if header.strip():
        m["headers"] = [{"name": header.strip(), "value": value}]
    return m


def parse_headers(text: str) -> dict[str, str]:
    """``"x-canary: true, x-user: ann"`` as a dict (curl's ``-H`` lines, separated by commas).

    >>> parse_headers("x-canary: true, X-User:ann")
    {'x-canary': 'true', 'X-User': 'ann'}
    >>> parse_headers("")
    {}
    """
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"a header is written name: value, not {part.strip()!r}")
        out[name.strip()] = value.strip()
    return out


def describe_rule(rule: Any, index: int) -> str:
    """One rule in a line: its first match and its backends with their weights."""
    m = rule.matches[0] if rule.matches else None
    what = "every path"
    if m is not None:
        p = m.path
        what = f"{p.type or 'PathPrefix'} {p.value or '/'}" if p is not None else "PathPrefix /"
        if m.method:
            what += f" {m.method}"
        what += "".join(f" [{h.name}: {h.value}]" for h in m.headers)
        if len(rule.matches) > 1:
            what += f" (+{len(rule.matches) - 1} matches)"
    backends = ", ".join(f"{b.name}" + (f" ×{b.weight}" if b.weight is not None else "") for b in rule.backend_refs)
    return f"rule {index}: {what} → {backends or 'no backend'}"


# ------------------------------------------------------------------ conditions as a learner reads them

def _condition_rows(conditions: list) -> str:
    rows = []
    for c in conditions:
        colour = OK_COLOUR if c.status == "True" else BAD_COLOUR if c.status == "False" else UNKNOWN_COLOUR
        # Conflicted and PartiallyInvalid are "True" when something is wrong.
        if c.type in ("Conflicted", "PartiallyInvalid") and c.status == "True":
            colour = BAD_COLOUR
        rows.append(f"<tr><td><b>{html.escape(c.type)}</b></td>"
                    f"<td style='color:{colour}'><b>{html.escape(c.status)}</b></td>"
                    f"<td>{html.escape(c.reason)}</td><td>{html.escape(c.message)}</td></tr>")
    return "".join(rows) or "<tr><td colspan=4><i>no conditions yet: the controller has not seen it</i></td></tr>"


def conditions_html(cluster, route: str, namespace: str = "default") -> str:
    """The route's parents (their Gateway's conditions and listeners with their attached routes)
    and the route's own conditions per parent, as tables: type, status, reason, message."""
    store = cluster.api.store
    obj = store.get("HTTPRoute", f"{namespace}/{route}")
    if obj is None:
        return f"<i>there is no HTTPRoute {html.escape(namespace)}/{html.escape(route)}</i>"
    table = ("<table style='font-size:12px;border-collapse:collapse' cellpadding=2>"
             "<tr style='color:#555'><th align=left>type</th><th align=left>status</th>"
             "<th align=left>reason</th><th align=left>message</th></tr>{}</table>")
    parts = []
    seen: set[str] = set()
    for ref in obj.spec.parent_refs:
        key = f"{ref.namespace or namespace}/{ref.name}"
        if key in seen:
            continue
        seen.add(key)
        gw = store.get("Gateway", key)
        if gw is None:
            parts.append(f"<b>Gateway {html.escape(key)}</b>: not found")
            continue
        address = ", ".join(a.value for a in gw.status.addresses) or "no address yet"
        listeners = "; ".join(f"{html.escape(ls.name)}: {ls.attached_routes} attached route"
                              f"{'s' if ls.attached_routes != 1 else ''}" for ls in gw.status.listeners)
        parts.append(f"<b>Gateway {html.escape(key)}</b> · {html.escape(address)} · listeners: {listeners or '-'}"
                     + table.format(_condition_rows(gw.status.conditions)))
    for parent in obj.status.parents:
        ref = parent.parent_ref
        where = f"{ref.namespace or namespace}/{ref.name}" + (f" ({ref.section_name})" if ref.section_name else "")
        parts.append(f"<b>HTTPRoute {html.escape(namespace)}/{html.escape(route)}</b>, parent "
                     f"{html.escape(where)}" + table.format(_condition_rows(parent.conditions)))
    if not obj.status.parents:
        parts.append(f"<b>HTTPRoute {html.escape(namespace)}/{html.escape(route)}</b>: no status yet "
                     "(no controller has taken a parent of it)")
    return "<div style='font-size:12px;line-height:1.4'>" + "<br>".join(parts) + "</div>"


def split_html(split) -> str:
    """The measured split as one bar per backend: how many of the requests each Service answered."""
    counts = dict(split.counts) if split is not None else {}
    total = sum(counts.values())
    if not total:
        return ""
    rows = []
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        share = n / total
        bar = f"<span style='display:inline-block;background:#0072B2;height:10px;width:{int(240 * share)}px'></span>"
        rows.append(f"<tr><td>{html.escape(name)}</td><td align=right>{n}</td>"
                    f"<td align=right>{100 * share:.1f} %</td><td>{bar}</td></tr>")
    return (f"<div style='font-size:12px'><b>measured split of {total:,} requests</b> to "
            f"{html.escape(split.url)}<table cellpadding=2>{''.join(rows)}</table></div>")


class GatewayLab:
    """Controls for one HTTPRoute and a live routing tree of its Gateway.

    Attributes a lesson may set: ``host``, ``path``, ``headers`` (Text), ``method`` (Dropdown),
    ``rule_picker`` (Dropdown of the route's rules), ``weight`` (IntSlider: the percentage of the
    picked rule's second backend), ``match_type``, ``match_method`` (Dropdown), ``match_path``,
    ``match_header``, ``match_value``, ``hostnames`` (Text); buttons ``send_button``,
    ``measure_button``, ``match_button``, ``hostnames_button``, ``step_button``.
    ``last_response`` is the last ``HttpResponse``, ``last_split`` the last measured split.
    """

    def __init__(self, cluster, route: str = "shop", namespace: str = "default", requests: int = 1000) -> None:
        self.cluster = cluster
        self.route = route
        self.namespace = namespace
        self.requests = requests
        self.last_response = None
        self.last_split = None
        self._route_changed = False
        self._sent_headers: dict[str, str] = {}
        self._syncing = False
        obj = self._route()
        host = (obj.spec.hostnames[0] if obj is not None and obj.spec.hostnames else "") or "shop.example.com"
        wide = widgets.Layout(width="240px")
        self.host = widgets.Text(value=host, description="host", layout=wide)
        self.path = widgets.Text(value="/", description="path", layout=widgets.Layout(width="200px"))
        self.method = widgets.Dropdown(options=METHODS, value="GET", description="method",
                                       layout=widgets.Layout(width="170px"))
        self.headers = widgets.Text(value="", description="headers", placeholder="x-canary: true, x-user: ann",
                                    layout=widgets.Layout(width="300px"))
        self.send_button = widgets.Button(description="Send", button_style="info", icon="paper-plane",
                                          tooltip="cluster.http(url, headers=..., method=...), from outside")
        self.rule_picker = widgets.Dropdown(description="rule", layout=widgets.Layout(width="420px"))
        self.weight = widgets.IntSlider(value=0, min=0, max=100, step=5, description="2nd backend %",
                                        continuous_update=False, style={"description_width": "initial"})
        self.measure_button = widgets.Button(description=f"Measure {requests:,}", icon="bar-chart",
                                             tooltip=f"send {requests:,} requests like the one above and count "
                                                     "the Services that answered")
        self.match_type = widgets.Dropdown(options=PATH_TYPES, value="PathPrefix", description="match",
                                           layout=widgets.Layout(width="200px"))
        self.match_path = widgets.Text(value="/", description="path", layout=widgets.Layout(width="180px"))
        self.match_method = widgets.Dropdown(options=[ANY, *METHODS], value=ANY, description="method",
                                             layout=widgets.Layout(width="170px"))
        self.match_header = widgets.Text(value="", description="header", placeholder="name",
                                         layout=widgets.Layout(width="180px"))
        self.match_value = widgets.Text(value="", description="=", placeholder="value",
                                        layout=widgets.Layout(width="150px"))
        self.match_button = widgets.Button(description="Apply match", button_style="success", icon="check",
                                           layout=widgets.Layout(width="auto"))
        self.hostnames = widgets.Text(value=", ".join(obj.spec.hostnames) if obj is not None else "",
                                      description="hostnames", placeholder="empty: the listener's names",
                                      layout=widgets.Layout(width="320px"))
        self.hostnames_button = widgets.Button(description="Set host names", icon="globe",
                                               layout=widgets.Layout(width="auto"))
        self.step_button = widgets.Button(description="+10 s", layout=widgets.Layout(width="70px"))
        self.clock = widgets.HTML()
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.split = widgets.HTML()
        self.conditions = widgets.HTML()
        self.figure_text = widgets.HTML()  # the tree's text alternative
        self.figure = gateway_tree(cluster, None, figure_class=LabFigureWidget)

        self.send_button.on_click(self._on_send)
        self.measure_button.on_click(self._on_measure)
        self.weight.observe(self._on_weight, names="value")
        self.rule_picker.observe(lambda change: self._sync_rule(), names="value")
        self.match_button.on_click(self._on_match)
        self.hostnames_button.on_click(self._on_hostnames)
        self.step_button.on_click(lambda _b: self.step(10))
        wrap = widgets.Layout(flex_flow="row wrap")
        self.widget = lab_box([
            widgets.HBox([self.host, self.path, self.method, self.headers, self.send_button], layout=wrap),
            widgets.HBox([self.rule_picker, self.weight, self.measure_button, self.step_button, self.clock],
                         layout=wrap),
            widgets.HBox([self.match_type, self.match_path, self.match_method, self.match_header, self.match_value,
                          self.match_button], layout=wrap),
            widgets.HBox([self.hostnames, self.hostnames_button], layout=wrap),
            self.status,
            self.result,
            self.split,
            self.figure,  # a child of the VBox stretches to its width, which autosize then fills
            self.figure_text,
            widgets.HTML("<b>status conditions</b> (as <code>kubectl describe</code> shows them)"),
            self.conditions,
        ])
        self.refresh()

    def _route(self):
        return self.cluster.api.store.get("HTTPRoute", f"{self.namespace}/{self.route}")

    def url(self) -> str:
        """The URL the Send and Measure buttons request."""
        path = self.path.value.strip() or "/"
        return f"http://{self.host.value.strip()}{path if path.startswith('/') else '/' + path}"

    # Each handler: one engine call, then a redraw. Errors go to the status line, because
    # exceptions raised in callbacks are invisible in JupyterLab.

    def _request(self) -> tuple[str, dict[str, str], str]:
        return self.url(), parse_headers(self.headers.value), self.method.value

    def _on_send(self, _button=None) -> None:
        def send() -> None:
            url, headers, method = self._request()
            self.last_response = self.cluster.http(url, headers=headers or None, method=method)
            self._sent_headers = headers
            self._route_changed = False

        run_action(self, send)

    def _on_measure(self, _button=None) -> None:
        def measure() -> None:
            url, headers, method = self._request()
            addon = self.cluster.addons.get("gateway")
            if addon is None:
                raise ValueError('the gateway add-on is not enabled: cluster.enable_addon("gateway")')
            self.last_split = addon.split(url, n=self.requests, headers=headers or None, method=method)

        run_action(self, measure)

    def _apply(self, **change) -> None:
        obj = self._route()
        if obj is None:
            show_error(self.status, f"there is no HTTPRoute {self.route} in {self.namespace}")
            return

        def apply() -> None:
            self.cluster.apply(route_manifest(obj, **change))
            self._route_changed = True

        run_action(self, apply)

    def _on_weight(self, change) -> None:
        if self._syncing:
            return
        if self.rule_picker.value is None:
            show_error(self.status, "pick a rule first")
            return
        obj, i = self._route(), self.rule_picker.value
        if obj is None or i >= len(obj.spec.rules):
            show_error(self.status, f"there is no HTTPRoute {self.route} with a rule {i} in {self.namespace}")
            return
        rule = obj.spec.rules[i]
        if len(rule.backend_refs) < 2:
            show_error(self.status, "this rule has one backend: a split needs two backendRefs")
            return
        second = change["new"]
        self._apply(weights=(self.rule_picker.value, [100 - second, second]))

    def _on_match(self, _button=None) -> None:
        if self.rule_picker.value is None:
            show_error(self.status, "pick a rule first")
            return
        m = match_manifest(self.match_type.value, self.match_path.value.strip(), self.match_method.value,
                           self.match_header.value, self.match_value.value)
        self._apply(match=(self.rule_picker.value, m))

    def _on_hostnames(self, _button=None) -> None:
        names = [h.strip() for h in self.hostnames.value.split(",") if h.strip()]
        self._apply(hostnames=names)

    def step(self, seconds: float) -> None:
        """Advance the cluster's clock (the +10 s button)."""
        run_action(self, self.cluster.advance, seconds)

    # ------------------------------------------------------------------ views

    def match(self):
        """What the tree shows: the last response, or after the route changed, where its request
        would go now (the routing table's ``explain``, a read)."""
        resp = self.last_response
        found = getattr(resp, "gateway", None)
        addon = self.cluster.addons.get("gateway")
        if found is None or not self._route_changed or addon is None:
            return resp
        table = addon.table(found.gateway)
        if table is None:
            return resp
        return table.explain(found.port, found.host, found.path, found.method, self._sent_headers)

    def refresh(self) -> None:
        """Redraw the tree, the result and the conditions, and re-sync every control from the cluster's state."""
        c = self.cluster
        self._syncing = True  # setting a control to what the cluster says is not a request
        try:
            self._sync_controls()
        finally:
            self._syncing = False
        self.clock.value = f"<b>t = {c.now:.0f} s</b>"
        tree = update_gateway_tree(self.figure, c, self.match())
        self.figure_text.value = figure_text(gateway_text(tree))
        self.result.value = self._result()
        self.split.value = split_html(self.last_split)
        self.conditions.value = conditions_html(c, self.route, self.namespace)

    def _result(self) -> str:
        resp = self.last_response
        if resp is None:
            return hint("No request sent yet: set host, path and headers, then press Send to see which rule answers.")
        lines = [f"{response_head(resp)} · {html.escape(resp.url)}"]
        if getattr(resp, "gateway", None) is not None:
            lines.append(f"<b>routed</b>: {html.escape(str(resp.gateway))}")
        if resp.pod:
            lines.append(f"<b>answered by</b> pod {html.escape(resp.pod)}")
        if self._route_changed:
            lines.append("<i>the route changed since: the tree shows where this request would go now; "
                         "press Send to try it</i>")
        return "<div style='font-size:12px;line-height:1.5'>" + "<br>".join(lines) + "</div>"

    def _sync_controls(self) -> None:
        obj = self._route()
        rules = obj.spec.rules if obj is not None else []
        set_options(self.rule_picker, [(describe_rule(r, i), i) for i, r in enumerate(rules)])
        self._sync_rule()

    def _sync_rule(self) -> None:
        obj, i = self._route(), self.rule_picker.value
        was, self._syncing = self._syncing, True
        try:
            if obj is None or i is None or i >= len(obj.spec.rules):
                return
            refs = obj.spec.rules[i].backend_refs
            weights = [1 if r.weight is None else r.weight for r in refs]
            total = sum(weights[:2])
            self.weight.disabled = len(refs) < 2
            self.weight.value = round(100 * weights[1] / total) if len(refs) >= 2 and total else 0
            m = obj.spec.rules[i].matches[0] if obj.spec.rules[i].matches else None
            p = m.path if m is not None else None
            self.match_type.value = (p.type if p is not None and p.type in PATH_TYPES else "PathPrefix")
            self.match_path.value = (p.value if p is not None and p.value else "/")
            self.match_method.value = m.method if m is not None and m.method in METHODS else ANY
            h = m.headers[0] if m is not None and m.headers else None
            self.match_header.value, self.match_value.value = (h.name, h.value) if h is not None else ("", "")
        finally:
            self._syncing = was

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
