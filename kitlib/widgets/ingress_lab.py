"""The ingress lab: send HTTP requests through the ingress controller, add and remove path rules
of an Ingress, scale and kill the backends, and watch in a routing tree which rule took each
request and why the others lost.

Each control makes exactly one engine call that a notebook cell could make too:

=========================  ==================================================================
control                    engine call
=========================  ==================================================================
Send                       ``cluster.http(url)``
add rule                   ``cluster.apply(the Ingress with the path added)``
remove rule                ``cluster.apply(the Ingress without the path)``
replicas slider            ``cluster.scale(deployment, n)``
kill pod                   ``cluster.delete("Pod", name)``
+10 s                      ``cluster.advance(10)``
=========================  ==================================================================

Picking a Service, a Deployment or a path to remove makes no call. A bad rule shows the API
server's error on the status line and changes nothing, because ``apply`` validates first. After
a rule changes, the tree shows where the last request's host and path would go now (a read of
the controller's routing table, ``router.explain``); press Send to try it.
"""

from __future__ import annotations

import copy
import html
from typing import Any

import ipywidgets as widgets

from ..errors import ApiError
from ..figures.routing_tree import routing_tree, tree_text, update_routing_tree
from ..figures.service_graph import short_name
from .figurewidget import LabFigureWidget
from .lab import (
    PICKER_WIDTH,
    figure_text,
    fit,
    hint,
    lab_box,
    pod_options,
    response_head,
    run_action,
    set_options,
    show_error,
)

PATH_TYPES = ["Prefix", "Exact", "ImplementationSpecific"]
INGRESS_API = "networking.k8s.io/v1"


def ingress_manifest(ingress: Any, add: dict[str, Any] | None = None,
                     remove: tuple[int, int] | None = None) -> dict[str, Any]:
    """The Ingress (an object, or a manifest as a dict) as ``kubectl apply`` takes it (no status,
    uid or resourceVersion), with a path added or removed.

    ``add`` is ``{"host", "path", "pathType", "service", "port"}``: the path joins the rule of
    that host (``""``: the rule without a host), or a new rule. ``remove`` is ``(rule index, path
    index)``; a rule left without paths goes too, since the API server rejects an empty one.
    """
    doc = ingress if isinstance(ingress, dict) else ingress.to_dict()
    meta = {k: v for k, v in doc["metadata"].items() if k in ("name", "namespace", "labels", "annotations")}
    spec = copy.deepcopy(doc.get("spec") or {})
    rules = spec.setdefault("rules", [])
    if add is not None:
        path: dict[str, Any] = {"pathType": add["pathType"],
                                "backend": {"service": {"name": add["service"],
                                                        "port": _port(add["port"])}}}
        if add.get("path"):
            path = {"path": add["path"], **path}
        host = add.get("host") or ""
        rule = next((r for r in rules if (r.get("host") or "") == host and "http" in r), None)
        if rule is None:
            rule = {"host": host, "http": {"paths": []}} if host else {"http": {"paths": []}}
            rules.append(rule)
        rule["http"].setdefault("paths", []).append(path)
    if remove is not None:
        i, j = remove
        paths = rules[i]["http"]["paths"]
        del paths[j]
        if not paths:
            del rules[i]
    if not rules:
        del spec["rules"]
    return {"apiVersion": doc.get("apiVersion", INGRESS_API), "kind": "Ingress", "metadata": meta, "spec": spec}


def new_ingress(name: str, namespace: str) -> dict[str, Any]:
    """An Ingress without rules, for a lab opened before the Ingress exists."""
    return {"apiVersion": INGRESS_API, "kind": "Ingress", "metadata": {"name": name, "namespace": namespace},
            "spec": {}}


def _port(port: Any) -> dict[str, Any]:
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return {"number": int(port)}
    return {"name": str(port)}


def describe_match(match) -> str:
    """The rule that took a request, in words, and what the other rules of its host made of it."""
    if match is None:
        return "the request did not reach an ingress controller"
    if match.route is None:
        text = (f"no rule of host {html.escape(_host(match.server))} matches {html.escape(match.path)}, and no "
                "default backend: the controller's own default backend answers 404")
    elif match.fallback:
        text = f"no path matched: the default backend of {html.escape(match.route.ingress)} → {match.route.backend}"
    else:
        r = match.route
        text = (f"rule <b>{html.escape(r.host or '*')}{html.escape(r.path)}</b> ({r.path_type}) of {r.ingress} "
                f"→ Service {html.escape(r.backend)}")
    others = [v for v in match.verdicts
              if v.outcome not in ("matched", "other host", "not needed") and not v.route.is_default_backend]
    if others:
        text += "<br>" + "; ".join(f"{v.route.path_type} {html.escape(v.route.path)}: {html.escape(v.outcome)}"
                                   for v in others)
    return text


def _host(server: str) -> str:
    return "*" if server == "_" else server


def hop_summary(resp) -> str:
    """The way of a request in one line: client → entry node → controller pod → rule → pod."""
    hops = list(resp.hops or [])
    parts = []
    first = next((h for h in hops if h.src), None)
    if first is not None:
        parts.append(f"{first.where} {first.src} → {first.dst}")
    entry = next((h for h in hops if h.device == "eth0" and h.where not in ("outside", "node network")), None)
    if entry is not None:
        parts.append(f"node {entry.where}" + (" (MetalLB)" if "MetalLB" in entry.note else ""))
    nginx = [h for h in hops if h.device == "nginx"]
    if nginx:
        parts.append(f"controller {short_name(nginx[0].vertex)} on {nginx[0].where}")
    if resp.ingress is not None:
        r = resp.ingress.route
        parts.append("controller's 404" if r is None else
                     ("default backend" if resp.ingress.fallback else f"rule {r.path_type} {r.path}"))
    if resp.pod:
        where = next((h.where for h in hops if h.vertex == f"pod:{resp.pod}"), "")
        parts.append(f"pod {short_name(resp.pod)}" + (f" on {where}" if where else ""))
    elif resp.service:
        parts.append(f"Service {resp.service}: no pod answered")
    return " → ".join(html.escape(p) for p in parts)


class IngressLab:
    """Controls for one Ingress and the Deployments behind it, and a live routing tree.

    Attributes a lesson may set: ``url`` (Text), ``host``, ``path`` (Text), ``path_type``,
    ``service`` (Dropdown), ``port`` (IntText), ``remove_picker``, ``deployment``, ``pod_picker``
    (Dropdown), ``replicas`` (IntSlider); buttons ``send_button``, ``add_button``,
    ``remove_button``, ``kill_button``, ``step_button``. ``last_response`` is the last
    ``HttpResponse``; ``tree_summary`` (HTML) is the tree's text alternative, redrawn with it.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=2, seed=0)
    >>> _ = c.enable_addon("ingress")
    >>> _ = c.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    >>> _ = c.kubectl("expose deployment web --port=80"); c.advance(20)
    >>> lab = IngressLab(c, "shop")
    >>> lab.host.value, lab.path.value, lab.service.value = "shop.example", "/", "web"
    >>> lab.add_button.click()          # the same as applying the Ingress with the path added
    >>> [p.path for p in c.get("Ingress", "shop").spec.rules[0].http.paths]
    ['/']
    """

    def __init__(self, cluster, ingress: str = "shop", namespace: str = "default", max_replicas: int = 10) -> None:
        self.cluster = cluster
        self.ingress = ingress
        self.namespace = namespace
        self.last_response = None
        self._rules_changed = False
        self._syncing = False
        ing = self._ingress()
        host = next((r.host for r in (ing.spec.rules if ing is not None else []) if r.host), "") or "shop.example"
        short = widgets.Layout(width="auto")
        self.url = widgets.Text(value=self._default_url(host), description="URL", continuous_update=False,
                                layout=widgets.Layout(width="420px"))
        self.send_button = widgets.Button(description="Send", button_style="info", icon="paper-plane",
                                          tooltip="cluster.http(url), from a machine outside the cluster")
        self.host = widgets.Text(value=host, description="host", placeholder="empty: any host",
                                 layout=widgets.Layout(width="220px"))
        self.path = widgets.Text(value="/", description="path", layout=widgets.Layout(width="200px"))
        self.path_type = widgets.Dropdown(options=PATH_TYPES, value="Prefix", description="pathType",
                                          layout=widgets.Layout(width="260px"))
        self.service = widgets.Dropdown(description="Service", layout=widgets.Layout(width="220px"))
        self.port = widgets.IntText(value=80, description="port", layout=widgets.Layout(width="140px"))
        self.add_button = widgets.Button(description="add rule", button_style="success", icon="plus",
                                         layout=short)
        self.remove_picker = widgets.Dropdown(description="rule", layout=widgets.Layout(width="420px"))
        self.remove_button = widgets.Button(description="remove rule", button_style="warning", icon="minus",
                                            layout=short)
        self.deployment = widgets.Dropdown(description="Deployment", layout=widgets.Layout(width="240px"))
        self.replicas = widgets.IntSlider(value=0, min=0, max=max_replicas, description="replicas",
                                          continuous_update=False)
        self.pod_picker = widgets.Dropdown(description="pod", layout=widgets.Layout(width=PICKER_WIDTH))
        self.kill_button = widgets.Button(description="Kill pod", button_style="danger", icon="times", layout=short)
        self.step_button = widgets.Button(description="+10 s", layout=widgets.Layout(width="70px"))
        self.clock = widgets.HTML()
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.figure = routing_tree(cluster, None, figure_class=LabFigureWidget)
        self.tree_summary = widgets.HTML()  # the tree's text alternative (tree_text), under it

        self.send_button.on_click(self._on_send)
        self.add_button.on_click(self._on_add)
        self.remove_button.on_click(self._on_remove)
        self.service.observe(self._on_service, names="value")
        self.deployment.observe(lambda change: self._sync_backend(), names="value")
        self.replicas.observe(self._on_replicas, names="value")
        self.kill_button.on_click(self._on_kill)
        self.step_button.on_click(lambda _b: self.step(10))
        self.widget = lab_box([
            widgets.HBox([self.url, self.send_button]),
            widgets.HBox([self.host, self.path, self.path_type, self.service, self.port, self.add_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.remove_picker, self.remove_button]),
            widgets.HBox([self.deployment, self.replicas, self.pod_picker, self.kill_button, self.step_button,
                          self.clock], layout=widgets.Layout(flex_flow="row wrap")),
            self.status,
            self.result,
            fit(self.figure),
            self.tree_summary,
        ])
        self.refresh()

    def _ingress(self):
        return self.cluster.api.store.get("Ingress", f"{self.namespace}/{self.ingress}")

    def _default_url(self, host: str) -> str:
        addon = self.cluster.addons.get("ingress")
        try:
            port = addon.address()[1] if addon is not None else 80
        except ApiError:
            port = 80
        return f"http://{host}{'' if port == 80 else f':{port}'}/"

    # Each handler: one engine call, then a redraw. Errors go to the status line, because
    # exceptions raised in callbacks are invisible in JupyterLab.

    def _run(self, action, *args) -> bool:
        return run_action(self, action, *args)

    def _on_send(self, _button=None) -> None:
        url = self.url.value.strip()

        def send() -> None:
            self.last_response = self.cluster.http(url)
            self._rules_changed = False

        self._run(send)

    def _apply(self, manifest: dict[str, Any]) -> None:
        def apply() -> None:
            self.cluster.apply(manifest)
            self._rules_changed = True

        self._run(apply)

    def _on_add(self, _button=None) -> None:
        ing = self._ingress()
        rule = {"host": self.host.value.strip(), "path": self.path.value.strip(), "pathType": self.path_type.value,
                "service": self.service.value or "", "port": self.port.value}
        self._apply(ingress_manifest(new_ingress(self.ingress, self.namespace) if ing is None else ing, add=rule))

    def _on_remove(self, _button=None) -> None:
        ing = self._ingress()
        if ing is None or self.remove_picker.value is None:
            show_error(self.status, "pick a rule to remove first")
            return
        self._apply(ingress_manifest(ing, remove=self.remove_picker.value))

    def _on_service(self, change) -> None:
        if self._syncing or not change["new"]:
            return
        svc = self.cluster.api.store.get("Service", f"{self.namespace}/{change['new']}")
        if svc is not None and svc.spec.ports:
            self.port.value = svc.spec.ports[0].port  # a default for the rule: no engine call

    def _on_replicas(self, change) -> None:
        if not self._syncing and self.deployment.value:
            self._run(self.cluster.scale, self.deployment.value, change["new"], self.namespace)

    def _on_kill(self, _button=None) -> None:
        if self.pod_picker.value:
            self._run(self.cluster.delete, "Pod", self.pod_picker.value, self.namespace)

    def step(self, seconds: float) -> None:
        """Advance the cluster's clock (the +10 s button)."""
        self._run(self.cluster.advance, seconds)

    # ------------------------------------------------------------------ views

    def match(self):
        """What the tree shows: the last response, or after a rule changed, where its host and
        path would go now (``router.explain``, a read)."""
        resp = self.last_response
        if resp is None or resp.ingress is None:
            return resp
        addon = self.cluster.addons.get("ingress")
        if self._rules_changed and addon is not None:
            return addon.router.explain(resp.ingress.host, resp.ingress.path)
        return resp

    def refresh(self) -> None:
        """Redraw the tree and the result, and re-sync every control from the cluster's state."""
        c = self.cluster
        self._syncing = True  # setting a control to what the cluster says is not a request
        try:
            self._sync_controls()
        finally:
            self._syncing = False
        self.clock.value = f"<b>t = {c.now:.0f} s</b>"
        tree = update_routing_tree(self.figure, c, self.match())
        self.tree_summary.value = figure_text(tree_text(tree))
        self.result.value = self._result()

    def _result(self) -> str:
        resp = self.last_response
        if resp is None:
            return hint("No request sent yet: type a URL and press Send to see which rule answers.")
        head = response_head(resp)
        if resp.status is not None:
            why = next((h.note for h in reversed(resp.hops) if h.device == "nginx"), "")
            if not resp.ok and why and "no ready endpoint" in why:
                head += f": {html.escape(why)}"
        lines = [f"{head} · {html.escape(resp.url)}",
                 f"<b>matched</b>: {describe_match(resp.ingress)}" if resp.ingress is not None else "",
                 f"<b>path</b>: {hop_summary(resp)}"]
        if self._rules_changed:
            lines.append("<i>the rules changed since: the tree shows where this request would go now; "
                         "press Send to try it</i>")
        return "<div style='font-size:12px;line-height:1.5'>" + "<br>".join(x for x in lines if x) + "</div>"

    def _sync_controls(self) -> None:
        c, ns = self.cluster, self.namespace
        set_options(self.service, sorted(s.name for s in c.list("Service", ns)))
        ing = self._ingress()
        options = []
        for i, rule in enumerate(ing.spec.rules if ing is not None else []):
            for j, p in enumerate(rule.http.paths if rule.http else []):
                b = p.backend.service
                backend = f"{b.name}:{b.port.number or b.port.name}" if b is not None else "resource"
                options.append((f"{rule.host or '*'}{p.path or ''} ({p.path_type}) → {backend}", (i, j)))
        set_options(self.remove_picker, options)
        set_options(self.deployment, sorted(d.name for d in c.list("Deployment", ns)))
        self._sync_backend()

    def _sync_backend(self) -> None:
        c, ns, name = self.cluster, self.namespace, self.deployment.value
        dep = c.api.store.get("Deployment", f"{ns}/{name}") if name else None
        was, self._syncing = self._syncing, True
        try:
            if dep is not None:
                n = dep.spec.replicas or 0
                self.replicas.max = max(self.replicas.max, n)
                self.replicas.value = n
            selector = dep.spec.selector.match_labels if dep is not None else {}
            pods = c.pods(ns, ",".join(f"{k}={v}" for k, v in sorted(selector.items()))) if selector else []
            options = pod_options(p for p in pods if p.metadata.deletion_timestamp is None)
            names = [name for _, name in options]
            answered = (self.last_response.pod or "").split("/", 1)[-1] if self.last_response else ""
            set_options(self.pod_picker, options, first=names.index(answered) if answered in names else 0)
        finally:
            self._syncing = was

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

