"""The kubectl verbs: each parses its words and flags and calls one Cluster verb."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..api.meta import KubeObject
from ..api.registry import Resource, for_object
from ..errors import ApiError, BadRequest, NotFound
from ..manifest import decode, dump_json, dump_yaml
from . import generate
from .args import Args
from .describe import describe
from .get import PRINTERS, output, table

if TYPE_CHECKING:
    from ..cluster import Cluster

Handler = Callable[["Cluster", Args, str], str]
COMMANDS: dict[str, Handler] = {}


class KubectlError(BadRequest):
    """A client-side error whose text is exactly what kubectl prints (it may span lines)."""

    def kubectl_text(self) -> str:
        return self.message


def printed_as(err: ApiError, text: str) -> ApiError:
    """The same kind of error, printed by kubectl as ``text`` (kubectl wraps some server errors)."""
    out = type(err)(text, causes=err.causes)
    out.kubectl_text = lambda: text  # type: ignore[method-assign]
    out.server_message = err.message  # type: ignore[attr-defined]
    if hasattr(err, "kind"):
        out.kind, out.name = err.kind, err.name  # type: ignore[attr-defined]
    return out


def command(name: str):
    def wrap(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn
    return wrap


def _namespace(args: Args) -> str:
    return args.get("namespace") or "default"


def _resource(cluster: Cluster, name: str) -> Resource:
    return cluster.api.resource(name)


def _targets(cluster: Cluster, words: list[str]) -> list[tuple[Resource, list[str]]]:
    """``TYPE NAME...``, ``TYPE1,TYPE2``, or ``TYPE/NAME ...`` as kubectl accepts them."""
    if not words:
        raise BadRequest("error: You must specify the type of resource to get. Use \"kubectl api-resources\" "
                         "for a complete list of supported resources.")
    if "/" in words[0]:
        out: list[tuple[Resource, list[str]]] = []
        for w in words:
            if "/" not in w:
                raise BadRequest("error: there is no need to specify a resource type as a separate argument "
                                 "when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                                 "instead of 'kubectl get resource resource/<resource_name>'")
            t, n = w.split("/", 1)
            out.append((_resource(cluster, t), [n]))
        return out
    return [(_resource(cluster, t), words[1:]) for t in words[0].split(",")]


@command("get")
def _get(cluster: Cluster, args: Args, stdin: str) -> str:
    fmt = args.get("output", "")
    if fmt not in ("", "wide", "yaml", "json", "name"):
        raise BadRequest(f'error: unable to match a printer suitable for the output format "{fmt}", allowed '
                         'formats are: json,name,wide,yaml')
    ns = _namespace(args)
    all_ns = args.has("all-namespaces")
    selector = args.get("selector")
    targets = _targets(cluster, args.words[1:])
    blocks, objs_all, named = [], [], False
    for res, names in targets:
        if names:
            named = True
            objs = [cluster.get(res.kind, n, ns) for n in names]
        else:
            objs = cluster.list(res.kind, None if all_ns else ns, selector)
        objs_all += objs
        if fmt in ("", "wide") and objs:
            blocks.append(table(cluster, res, objs, wide=fmt == "wide", all_namespaces=all_ns,
                                show_kind=len(targets) > 1, show_labels=args.has("show-labels")))
    if fmt in ("yaml", "json", "name"):
        if not objs_all and fmt != "name":
            return output([], fmt, single=False)
        return output(objs_all, fmt, single=named and len(objs_all) == 1 and len(targets) == 1)
    if not blocks:
        if all_ns or not any(r.cls.namespaced for r, _ in targets):
            return "No resources found"
        return f"No resources found in {ns} namespace."
    return "\n\n".join(blocks)


@command("describe")
def _describe(cluster: Cluster, args: Args, stdin: str) -> str:
    ns = _namespace(args)
    out = []
    for res, names in _targets(cluster, args.words[1:]):
        objs = [cluster.get(res.kind, n, ns) for n in names] if names else \
            cluster.list(res.kind, ns, args.get("selector"))
        out += [describe(cluster, o) for o in objs]
    return "\n\n".join(out)


@command("create")
def _create(cluster: Cluster, args: Args, stdin: str) -> str:
    if len(args.words) < 2:
        raise BadRequest("error: must specify one of -f and -k")
    what = args.words[1]
    if what in ("deployment", "deploy"):
        if len(args.words) < 3:
            raise BadRequest("error: exactly one NAME is required, got 0")
        images = args.all("image")
        if not images:
            raise BadRequest("error: required flag(s) \"image\" not set")
        port = args.int("port")
        obj = generate.deployment(args.words[2], images, args.int("replicas", 1) or 0, port,
                                  args.get("namespace"), cluster.rng, command=args.rest)
    elif what in ("namespace", "ns"):
        if len(args.words) < 3:
            raise BadRequest("error: exactly one NAME is required, got 0")
        obj = generate.namespace(args.words[2])
    elif extra := CREATE_GENERATORS.get(what):
        obj = extra(cluster, args)
    else:
        raise BadRequest(f'error: unknown type "{what}" for "kubectl create"')
    failure = CREATE_FAILURES.get(what)
    return _emit(cluster, args, obj, "created", failure(obj) if failure else None)


CREATE_GENERATORS: dict[str, Callable[[Cluster, Args], dict]] = {}
"""More ``kubectl create <what>`` generators (services, ingresses) registered by later modules."""
CREATE_FAILURES: dict[str, Callable[[dict], str]] = {}
"""For the ``create`` types whose refusal kubectl words itself, what it says before the server's
message, from the generated object: ``failed to create ingress``."""


def _emit(cluster: Cluster, args: Args, obj: dict, verb: str, failed: str | None = None) -> str:
    """Print a generated object (client dry run), check it on the server without keeping anything
    (server dry run), or create it; and say so as kubectl does. ``failed``: kubectl's own words
    before the server's refusal (``failed to create ingress``), if it wraps it."""
    dry = args.get("dry-run")
    fmt = args.get("output")
    if dry not in (None, "none", "client", "server"):
        raise KubectlError(f'error: Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
    if dry == "client":
        if fmt == "yaml":
            return dump_yaml(obj).rstrip("\n")
        if fmt == "json":
            return dump_json(obj)
        name = f"{cluster.api.resource(obj['kind']).type_name}/{obj['metadata']['name']}"
        return name if fmt == "name" else f"{name} {verb} (dry run)"
    try:
        created = server_dry_run(cluster, obj) if dry == "server" else cluster.create(obj)
    except ApiError as err:
        if failed is None:
            raise
        raise printed_as(err, f"error: {failed}: {err.message}") from None
    if fmt in ("yaml", "json", "name"):
        return output([created], fmt, single=True)
    suffix = " (server dry run)" if dry == "server" else ""
    return f"{for_object(created).type_name}/{created.name} {verb}{suffix}"


def server_dry_run(cluster: Cluster, doc: dict) -> KubeObject:
    """Admit, default, allocate and validate as a create would, then give everything back."""
    return cluster.create(decode(doc), dry_run=True)


@command("apply")
def _apply(cluster: Cluster, args: Args, stdin: str) -> str:
    files = args.all("filename")
    if not files:
        raise BadRequest("error: must specify one of -f and -k")
    sources = [stdin if f == "-" else f for f in files]
    lines = []
    for src in sources:
        if args.get("dry-run") in ("client", "server"):
            from ..manifest import decode, load
            for doc in load(src):
                obj = decode(doc)
                lines.append(f"{for_object(obj).type_name}/{obj.name} created (dry run)")
            continue
        from pathlib import Path
        results = cluster.apply_with_outcome(Path(src) if src is not stdin else src)
        lines += [f"{for_object(o).type_name}/{o.name} {word}" for o, word in results]
    return "\n".join(lines)


@command("scale")
def _scale(cluster: Cluster, args: Args, stdin: str) -> str:
    replicas = args.int("replicas")
    if replicas is None:
        raise BadRequest("error: required flag(s) \"replicas\" not set")
    if replicas < 0:  # kubectl checks this itself, before asking the server
        raise BadRequest("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    out = []
    for res, names in _targets(cluster, args.words[1:]):
        if res.kind not in ("Deployment", "ReplicaSet"):
            raise BadRequest(f"error: no objects passed to scale {res.plural} (only deployments and "
                             "replicasets scale here)")
        for n in names:
            obj = cluster.scale(n, replicas, _namespace(args), res.kind)
            out.append(f"{res.type_name}/{obj.name} scaled")
    return "\n".join(out)


@command("delete")
def _delete(cluster: Cluster, args: Args, stdin: str) -> str:
    ns = _namespace(args)
    out = []
    targets = _targets(cluster, args.words[1:])
    for res, names in targets:
        if not names and not args.get("selector") and not args.has("all"):
            raise BadRequest("error: resource(s) were provided, but no name was specified")
        objs = [cluster.get(res.kind, n, ns) for n in names] if names else \
            cluster.list(res.kind, ns, args.get("selector"))
        for obj in objs:
            cluster.delete(res.kind, obj.name, ns)
            out.append(f'{res.type_name} "{obj.name}" deleted')
    if not out:
        return f"No resources found in {ns} namespace."
    return "\n".join(out)


@command("label")
def _label(cluster: Cluster, args: Args, stdin: str) -> str:
    words = args.words[1:]
    if words and "/" in words[0]:
        t, n = words[0].split("/", 1)
        res, names, pairs = _resource(cluster, t), [n], words[1:]
    else:
        if len(words) < 2:
            raise BadRequest("error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
        res = _resource(cluster, words[0])
        names = [w for w in words[1:] if "=" not in w and not w.endswith("-")]
        pairs = [w for w in words[1:] if "=" in w or w.endswith("-")]
    if not pairs:
        raise BadRequest("error: at least one label update is required")
    labels: dict[str, str | None] = {}
    for p in pairs:
        if p.endswith("-") and "=" not in p:
            labels[p[:-1]] = None
        else:
            k, _, v = p.partition("=")
            labels[k] = v
    if not names and (args.has("all") or args.get("selector")):
        names = [o.name for o in cluster.list(res.kind, _namespace(args), args.get("selector"))]
    out = []
    for n in names:
        before = dict(cluster.get(res.kind, n, _namespace(args)).metadata.labels)
        obj = cluster.label(res.kind, n, labels, _namespace(args), overwrite=args.has("overwrite"))
        word = "labeled" if obj.metadata.labels != before else "not labeled"
        if word == "labeled" and all(v is None for v in labels.values()):
            word = "unlabeled"
        out.append(f"{res.type_name}/{obj.name} {word}")
    return "\n".join(out)


@command("cordon")
def _cordon(cluster: Cluster, args: Args, stdin: str) -> str:
    node = _one_node(cluster, args)
    already = bool(node.spec.unschedulable)
    cluster.cordon(node.name)
    return f"node/{node.name} {'already cordoned' if already else 'cordoned'}"


@command("uncordon")
def _uncordon(cluster: Cluster, args: Args, stdin: str) -> str:
    node = _one_node(cluster, args)
    was = bool(node.spec.unschedulable)
    cluster.uncordon(node.name)
    return f"node/{node.name} {'uncordoned' if was else 'already uncordoned'}"


@command("drain")
def _drain(cluster: Cluster, args: Args, stdin: str) -> str:
    node = _one_node(cluster, args)
    lines = [f"node/{node.name} cordoned"]
    evicted = cluster.drain(node.name)
    lines += [f"evicting pod {p.namespace}/{p.name}" for p in evicted]
    lines += [f"pod/{p.name} evicted" for p in evicted]
    lines.append(f"node/{node.name} drained")
    return "\n".join(lines)


def _one_node(cluster: Cluster, args: Args):
    if len(args.words) < 2:
        raise BadRequest("error: USAGE: kubectl cordon NODE")
    return cluster.get("Node", args.words[1].removeprefix("node/").removeprefix("nodes/"))


from .exec import exec_command  # noqa: E402  (kubectl exec lives in its own module)

COMMANDS["exec"] = exec_command

__all__ = ["COMMANDS", "CREATE_GENERATORS", "PRINTERS", "ApiError", "NotFound"]
from . import rollout  # noqa: E402,F401  (set image, rollout ... register themselves)
