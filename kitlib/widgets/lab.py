"""The deployment lab: scale, kill pods, fail nodes, move time and trace connections, with the
cluster map and ``kubectl get pods -o wide`` updating in place.

Each control makes exactly one engine call that a notebook cell could make too:

==================  ==========================================
control             engine call
==================  ==========================================
replicas slider     ``cluster.scale(deployment, n)``
kill pod            ``cluster.delete("Pod", name)``
fail/restore node   ``cluster.fail_node(name)`` / ``restore_node``
+1 s / +10 s / play ``cluster.advance(seconds)``
trace               ``cluster.connect(src, dst, port)``
==================  ==========================================

At workshop scale the pickers list every pod and the table is ``kubectl get pods -o wide``. In a
namespace of more than ``PAGE_PODS`` pods (a 3,000-pod stress test), the pod table is the
output of ``kubectl get pods -o wide --field-selector spec.nodeName=<node>`` for the node chosen
in the node picker, cut at ``PAGE_PODS`` rows, and the pickers list the pods shown there (the
from/to pickers also every node and the learner's current choice): a browser would otherwise
receive and lay out a 390 KiB table and three lists of 3,000 options on every click.
"""

from __future__ import annotations

import html
import re

import ipywidgets as widgets

from ..api.pod import Pod
from ..errors import ApiError
from ..figures.cluster_map import cluster_map, map_text, update_cluster_map
from .figurewidget import LabFigureWidget
from .keys import lab_box  # every lab's root box: its pickers keep their arrow keys in JupyterLab

PAGE_PODS = 50  # above this many pods in the namespace, the table and pickers show one node's pods
# kubectl's tables keep their columns: no wrapping (JupyterLab's output <pre> breaks anywhere, even
# inside an IP address), a horizontal scrollbar when the notebook is narrower than the table.
TABLE_STYLE = "font-size:11px;line-height:1.3;white-space:pre;word-break:normal;overflow-x:auto;max-width:100%"
PICKER_WIDTH = "380px"  # a pod picker: room for "web-…-8x8gn (10.244.1.2, minikube-m02)"


NO_PODS = "No pods yet: move the replicas slider up to create some."
NO_TRACE = "No connection traced yet: pick a pod in from and in to, then press Trace to draw its path on the map."


def hint(text: str) -> str:
    """A lab's empty state: what to do first, in grey, where the result will be."""
    return f"<i style='color:#555'>{html.escape(text, quote=False)}</i>"


def figure_text(text: str) -> str:
    """A figure's text alternative, the line under it: what the figure shows, in words (for a
    screen reader, and for anyone who cannot tell its colours apart)."""
    return f"<div role='note' style='font-size:12px;color:#444'>{html.escape(text, quote=False)}</div>"


def show_error(status: widgets.HTML, text: str) -> None:
    """Put an error on a lab's status line (exceptions raised in callbacks are invisible in JupyterLab)."""
    status.value = f"<span style='color:#D55E00'>{html.escape(text, quote=False)}</span>"


def run_action(lab, action, *args, **kwargs) -> bool:
    """Make one engine call for a control, show its error (in the API server's words) on the lab's
    status line, then redraw the lab from the cluster's state. True when the call succeeded."""
    try:
        action(*args, **kwargs)
        lab.status.value = ""
        ok = True
    except (ApiError, ValueError) as err:
        show_error(lab.status, str(err))
        ok = False
    lab.refresh()
    return ok


def response_head(resp) -> str:
    """An HttpResponse's status in colour (green 2xx/3xx, red otherwise), or why nothing answered."""
    if resp.status is None:
        return f"<b style='color:#D55E00'>no answer</b>: {html.escape(resp.reason)}"
    colour = "#009E73" if resp.ok else "#D55E00"
    return f"<b style='color:{colour}'>{html.escape(resp.status_text)}</b>"


def trace_html(text: str, style: str = "font-size:12px") -> str:
    """A trace or a hop list (``str(connection)``, ``str(traffic)``) as preformatted HTML that wraps
    only at spaces: each word (an address with its port, a pod's name, a chain) is kept whole, so a
    narrow notebook never breaks ``10.244.1.2:80`` in two. A word longer than the line scrolls."""
    # With word-break and overflow-wrap normal, a line breaks only at spaces and after a hyphen or
    # a slash: the words holding one (pod names, 10.244.1.2:80/TCP) are kept whole in a span.
    words = re.sub(r"\S*[-/]\S*", lambda m: f"<span>{m.group()}</span>", html.escape(text, quote=False))
    return ("<style>.kit-trace>span{white-space:nowrap}</style>"
            f"<pre class='kit-trace' style='{style};white-space:pre-wrap;word-break:normal;"
            f"overflow-wrap:normal;overflow-x:auto;max-width:100%'>{words}</pre>")


def set_options(picker: widgets.Dropdown, options: list, first: int = 0, keep_if=None) -> None:
    """New options for a picker, keeping the learner's choice while it is still there (else the
    ``first``-th option). ``options``: values, or ``(label, value)`` pairs (values alone are their
    own label). ``keep_if(choice)``: keep a choice missing from ``options`` too (it is added to
    them), e.g. a pod on another node than the one listed; a string it returns is the kept
    choice's label."""
    keep = picker.value
    pairs = [o if isinstance(o, tuple) else (str(o), o) for o in options]
    values = [v for _, v in pairs]
    if keep is not None and keep_if is not None and keep not in values:
        kept = keep_if(keep)
        if kept:
            pairs = [(kept if isinstance(kept, str) else str(keep), keep), *pairs]
            values = [keep, *values]
    # Values alone stay values alone (a picker of names lists the names).
    new = tuple(pairs) if any(isinstance(o, tuple) for o in options) else tuple(values)
    if tuple(picker.options) != new:
        picker.options = new
    picker.value = keep if keep in values else (values[min(first, len(values) - 1)] if values else None)


def controls(*children: widgets.Widget) -> widgets.HBox:
    """A row of a lab's controls that wraps onto the next line when the notebook is narrower than
    the row (a projector at 1024 px, the file browser open), so that no control is clipped."""
    return widgets.HBox(list(children), layout=widgets.Layout(flex_flow="row wrap", align_items="center"))


def fit(fig):
    """A lab's figure as wide as the notebook's output, following it when the window or the side
    panel changes (plotly.js draws 700 px otherwise, clipped on a projector at 1024 px); a child of
    the lab's VBox stretches to its width, which autosize then fills."""
    fig.layout.autosize = True
    return fig


def short_names(names) -> dict[str, str]:
    """Each generated name with the middle parts it shares with the others like it elided, so that
    a picker shows the part that tells the pods apart: the ReplicaSet's hash is dropped while all
    the pods listed have the same one (and kept during a rollout, when it tells old from new).

    >>> short_names(["web-678b8c8999-8x8gn", "web-678b8c8999-d2k4q", "api-5d8f9c-abcde", "db-0"])
    {'web-678b8c8999-8x8gn': 'web-…-8x8gn', 'web-678b8c8999-d2k4q': 'web-…-d2k4q', 'api-5d8f9c-abcde': 'api-5d8f9c-abcde', 'db-0': 'db-0'}
    """
    names = list(names)
    groups: dict[tuple[str, int], list[list[str]]] = {}
    for name in names:
        parts = name.split("-")
        groups.setdefault((parts[0], len(parts)), []).append(parts)
    out = {}
    for (_, n), members in groups.items():
        same = {i for i in range(1, n - 1) if len(members) > 1 and len({m[i] for m in members}) == 1}
        for parts in members:
            shown: list[str] = []
            for i, part in enumerate(parts):
                if i not in same:
                    shown.append(part)
                elif not shown or shown[-1] != "…":
                    shown.append("…")
            out["-".join(parts)] = "-".join(shown)
    return {name: out[name] for name in names}


def pod_options(pods, value=lambda p: p.name, namespace: str = "default", prefix: str = "") -> list[tuple[str, str]]:
    """A pod picker's ``(label, value)`` options: the label starts with what tells the pod apart
    (:func:`short_names`) and adds its IP and node, ``web-…-8x8gn (10.244.1.2, minikube-m02)``;
    the value (``value(pod)``, the name by default) is what the lab's engine calls take. Pods
    outside ``namespace`` are labelled ``namespace/name``."""
    pods = list(pods)
    short = short_names(p.name for p in pods)
    out = []
    for p in pods:
        where = ", ".join(x for x in (p.status.pod_ip or "no IP yet", p.spec.node_name) if x)
        ns = "" if p.namespace == namespace else f"{p.namespace}/"
        out.append((f"{prefix}{ns}{short[p.name]} ({where})", value(p)))
    return out


class DeploymentLab:
    """Controls for one Deployment of a cluster, a live cluster map and a pod table.

    >>> import kitlib
    >>> c = kitlib.Cluster(nodes=3, seed=0)
    >>> _ = c.kubectl("create deployment web --image=nginx --replicas=3 --port=80")
    >>> lab = DeploymentLab(c, "web")
    >>> lab.replicas.value = 5          # the same as c.scale("web", 5)
    >>> len(c.pods())
    5
    """

    def __init__(self, cluster, deployment: str = "web", namespace: str = "default", max_replicas: int = 12) -> None:
        self.cluster = cluster
        self.deployment = deployment
        self.namespace = namespace
        self.last_connection = None
        self._scoped = False  # True while the table and pickers show one node's pods
        current = cluster.get("Deployment", deployment, namespace).spec.replicas or 0
        self.replicas = widgets.IntSlider(value=current, min=0, max=max(max_replicas, current),
                                          description="replicas", continuous_update=False)
        self.pod_picker = widgets.Dropdown(description="pod", layout=widgets.Layout(width=PICKER_WIDTH))
        self.kill_button = widgets.Button(description="Kill pod", button_style="danger", icon="times")
        self.node_picker = widgets.Dropdown(description="node", options=[n.name for n in cluster.nodes()],
                                            layout=widgets.Layout(width="240px"))
        self.node_button = widgets.Button(description="Fail node", button_style="warning")
        self.step_buttons = [widgets.Button(description=f"+{s} s", layout=widgets.Layout(width="70px"))
                             for s in (1, 10, 60)]
        self.play = widgets.Play(value=0, min=0, max=10_000, interval=700, description="play")
        self.src_picker = widgets.Dropdown(description="from", layout=widgets.Layout(width=PICKER_WIDTH))
        self.dst_picker = widgets.Dropdown(description="to", layout=widgets.Layout(width=PICKER_WIDTH))
        self.port = widgets.BoundedIntText(value=80, min=1, max=65535, description="port",
                                           layout=widgets.Layout(width="150px"))
        self.trace_button = widgets.Button(description="Trace", button_style="info", icon="route")
        self.clock = widgets.HTML()
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.table = widgets.HTML()
        self.map = cluster_map(cluster, figure_class=LabFigureWidget)
        self.map_text = widgets.HTML()  # the map's text alternative

        self.replicas.observe(self._on_replicas, names="value")
        self.kill_button.on_click(self._on_kill)
        self.node_picker.observe(self._on_node_picked, names="value")
        self.node_button.on_click(self._on_node)
        for button, seconds in zip(self.step_buttons, (1, 10, 60), strict=True):
            button.on_click(lambda _b, s=seconds: self.step(s))
        self.play.observe(self._on_play, names="value")
        self.trace_button.on_click(self._on_trace)
        self.widget = lab_box([
            controls(self.replicas, self.pod_picker, self.kill_button),
            controls(self.node_picker, self.node_button, *self.step_buttons, self.play, self.clock),
            controls(self.src_picker, self.dst_picker, self.port, self.trace_button),
            self.status,
            fit(self.map),
            self.map_text,
            self.result,
            self.table,
        ])
        self.refresh()

    # Each handler: one engine call, then a redraw. Errors go to the status line, because
    # exceptions raised in callbacks are invisible in JupyterLab.

    def _run(self, action, *args) -> None:
        run_action(self, action, *args)

    def _on_node_picked(self, _change=None) -> None:
        self._sync_node_button()
        if self._scoped:  # the table and the pickers show the chosen node's pods
            self._refresh_pods()

    def _on_replicas(self, change) -> None:
        self._run(self.cluster.scale, self.deployment, change["new"], self.namespace)

    def _on_kill(self, _button=None) -> None:
        if self.pod_picker.value:
            self.kill(self.pod_picker.value)

    def kill(self, name: str) -> None:
        """Delete one pod (the Kill pod button, for any pod, listed in the picker or not)."""
        self._run(self.cluster.delete, "Pod", name, self.namespace)

    def _on_node(self, _button=None) -> None:
        name = self.node_picker.value
        if self.cluster.node_runtime(name).up:
            self._run(self.cluster.fail_node, name)
        else:
            self._run(self.cluster.restore_node, name)

    def _on_play(self, change) -> None:
        if change["new"] != change["old"]:
            self.step(1)

    def _on_trace(self, _button=None) -> None:
        def trace() -> None:
            self.last_connection = self.cluster.connect(self.src_picker.value, self.dst_picker.value,
                                                        self.port.value)
        self._run(trace)

    def step(self, seconds: float) -> None:
        """Advance the cluster's clock (the +N s buttons and the play button)."""
        self._run(self.cluster.advance, seconds)

    def refresh(self) -> None:
        """Redraw every view from the cluster's state."""
        c = self.cluster
        self._refresh_pods()
        if self.replicas.value != (c.get("Deployment", self.deployment, self.namespace).spec.replicas or 0):
            self.replicas.unobserve(self._on_replicas, names="value")
            self.replicas.value = c.get("Deployment", self.deployment, self.namespace).spec.replicas
            self.replicas.observe(self._on_replicas, names="value")
        self._sync_node_button()
        self.clock.value = f"<b>t = {c.now:.0f} s</b>"
        conn = self.last_connection
        if conn is not None and self._path_still_valid(conn):
            self.result.value = trace_html(str(conn))
        else:
            conn = None
            self.result.value = hint(NO_TRACE if c.api.list_as(Pod, self.namespace) else NO_PODS)
        update_cluster_map(self.map, c, highlight=conn)
        self.map_text.value = figure_text(map_text(self.map, c, self.namespace, conn))

    def _refresh_pods(self) -> None:
        """The pod table and the pickers: every pod, or in a big namespace the chosen node's."""
        c = self.cluster
        # Read the API server's store without copying (as an informer does): the lab writes only
        # through the Cluster's verbs.
        pods = c.api.list_as(Pod, self.namespace)
        total = len(pods)
        self._scoped = total > PAGE_PODS
        command = "get pods -o wide" + (f" -n {self.namespace}" if self.namespace != "default" else "")
        if self._scoped:
            node = self.node_picker.value
            command += f" --field-selector spec.nodeName={node}"
            pods = sorted((p for p in pods if p.spec.node_name == node), key=lambda p: p.name)[:PAGE_PODS]
        set_options(self.pod_picker, pod_options(p for p in pods if p.metadata.deletion_timestamp is None))
        endpoints = pod_options((p for p in pods if p.status.pod_ip), lambda p: p.key, self.namespace)
        nodes = [f"node/{n.name}" for n in c.api.nodes()]
        keep = self._still_pod if self._scoped else None
        set_options(self.src_picker, [*endpoints, *nodes, "external"], keep_if=keep)
        set_options(self.dst_picker, [*endpoints, *nodes], first=1, keep_if=keep)
        # The command shown is the one run, and its output is kubectl's (header, widths, AGE).
        out = c.kubectl(command)
        note = ""
        if self._scoped:
            rows = out.splitlines()
            more = len(rows) - 1 - PAGE_PODS
            out = "\n".join(rows[:PAGE_PODS + 1])
            note = (f"<div style='font-size:12px;color:#444'>{total} pods in namespace {self.namespace}: the "
                    f"table and the pod pickers show those on the node picked above"
                    + (f" (the first {PAGE_PODS}; {more} more there)" if more > 0 else "") + ".</div>")
        self.table.value = note + (f"<pre style='{TABLE_STYLE}'>$ kubectl " + html.escape(command)
                                   + "\n" + html.escape(out) + "</pre>")

    def _still_pod(self, choice: str) -> str | bool:
        """A from/to choice ``namespace/name`` that is still a pod with an IP (kept when not listed):
        its label, else False."""
        if "/" not in choice or choice.startswith("node/"):
            return False
        namespace, name = choice.split("/", 1)
        try:
            pod = self.cluster.api.get_as(Pod, name, namespace)
        except ApiError:
            return False
        return pod_options([pod], lambda p: p.key, self.namespace)[0][0] if pod.status.pod_ip else False

    def _path_still_valid(self, conn) -> bool:
        graph = self.cluster.topology.graph
        return all(graph.has_node(v) for v in conn.path)

    def _sync_node_button(self) -> None:
        name = self.node_picker.value
        down = name is not None and not self.cluster.node_runtime(name).up
        self.node_button.description = "Restore node" if down else "Fail node"
        self.node_button.button_style = "success" if down else "warning"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
