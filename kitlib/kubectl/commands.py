"""The kubectl verbs that work on any kind (``get`` has its own module, :mod:`.get`): describe, create, apply, scale, delete, label,
and the node verbs cordon, uncordon and drain. Each parses its words and flags and calls one
Cluster verb; what differs between kinds comes from :mod:`.kinds`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from ..api import fields
from ..api.convert import dump_yaml
from ..api.meta import KubeObject
from ..api.node import Node
from ..api.registry import Resource, for_object
from ..apiserver import lastapplied
from ..errors import ApiError, BadRequest, Invalid, PartialFailure, ServerBadRequest
from ..manifest import decode, load, mapping
from .args import Args, resource_type
from .customresources import view_for
from .generate import emit
from .kinds import BY_KIND, CREATABLE
from .output import note, request, warn
from .serverside import server_side_apply

if TYPE_CHECKING:
    from ..cluster import Cluster


def _targets(words: list[str], cluster: Cluster) -> list[tuple[Resource, list[str]]]:
    """``TYPE NAME...``, ``TYPE1,TYPE2``, or ``TYPE/NAME ...`` as kubectl accepts them, of the
    types the cluster serves."""
    served = cluster.api.custom
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
            out.append((resource_type(t, served), [n]))
        return out
    return [(resource_type(t, served), words[1:]) for t in words[0].split(",")]


def describe(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl describe TYPE [NAME...] [-l SELECTOR]``: each kind's report; a kind kubectl has
    no describer for here prints as YAML."""
    ns = args.namespace
    out = []
    for res, names in _targets(args.words[1:], cluster):
        request(cluster, res.kind)
        objs = [cluster.api.get(res.kind, n, ns) for n in names] if names else \
            cluster.api.list(res.kind, ns, args.get("selector"))
        for obj in objs:
            view = BY_KIND.get(obj.kind) or (view_for(cluster, obj.kind) if obj.kind in cluster.api.custom else None)
            out.append(view.describe(cluster, obj) if view and view.describe else dump_yaml(obj.to_dict()))
    return "\n\n".join(out)


def create(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl create TYPE NAME ...``: the kind's generator builds the object, then it is
    printed, dry-run or created."""
    if args.all("filename"):
        return create_from_files(cluster, args, stdin)
    if len(args.words) < 2:
        raise BadRequest("error: must specify one of -f and -k")
    view = CREATABLE.get(args.words[1])
    if view is None or view.create is None:
        raise BadRequest(f'error: unknown type "{args.words[1]}" for "kubectl create"')
    obj = view.create(cluster, args)
    return emit(cluster, args, obj, "created", view.create_failure(obj) if view.create_failure else None)


def create_from_files(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl create -f FILE|DIR|-``: each object created (``<type>/<name> created``), or the
    server's error naming its source (``error when creating "STDIN": ...``); one refusal does not
    stop the others, as for apply."""
    try:
        validation = fields.directive(args.get("validate"))
    except ValueError as exc:
        raise BadRequest(f"error: {exc}") from None
    sources = _sources(args.all("filename"), stdin)
    loaded = [load(src) for src in sources]
    if not any(loaded):
        raise BadRequest("error: no objects passed to create")
    lines: list[str] = []
    errors: list[ApiError] = []
    changed: list[tuple[str, str, str]] = []
    said: list[str] = []
    try:
        for src, docs in zip(sources, loaded, strict=True):
            source = "STDIN" if isinstance(src, str) else str(src)
            for doc in docs:
                try:
                    served = cluster.api.custom
                    request(cluster, str(mapping(doc, served, source).kind))
                    if args.get("dry-run") not in (None, "none") or args.get("output"):
                        if args.get("dry-run") != "client":  # a client dry run sends nothing to check
                            decode(doc, validation, said, served)
                        lines.append(emit(cluster, args, doc, "created"))
                        continue
                    obj = cluster.create(decode(doc, validation, said, served))
                except ApiError as err:
                    errors.append(_from_source(err, source))
                    continue
                lines.append(f"{for_object(obj).type_name}/{obj.name} created")
                changed.append(_ref(obj))
    finally:
        for text in said:
            warn(text)
    return _outcome(lines, errors, changed)


def apply(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl apply -f FILE|DIR|-``: each object created, configured or unchanged. A directory
    gives its ``.json``, ``.yaml`` and ``.yml`` files in name order (not its subdirectories); every
    source is read before any object is applied.

    As kubectl does, objects are applied one by one in the order given: one the server refuses
    does not stop the others, and its error is printed after them (kubectl's ``applyOneObject``
    errors, aggregated); a document kubectl cannot map to a kind is reported first, and skipped.
    A create's error names its source, as kubectl's ``AddSourceToErr`` does."""
    files = args.all("filename")
    if not files:
        raise BadRequest("error: must specify one of -f and -k")
    try:
        validation = fields.directive(args.get("validate"))
    except ValueError as exc:
        raise BadRequest(f"error: {exc}") from None
    sources = _sources(files, stdin)
    loaded = [load(src) for src in sources]
    if not any(loaded):
        raise BadRequest("error: no objects passed to apply")
    mapped: list[tuple[str, dict]] = []
    errors: list[ApiError] = []
    for src, docs in zip(sources, loaded, strict=True):
        for doc in docs:
            try:
                mapping(doc, cluster.api.custom, "STDIN" if isinstance(src, str) else str(src))
            except ApiError as err:
                errors.append(err)
                continue
            mapped.append(("STDIN" if isinstance(src, str) else str(src), doc))
    lines: list[str] = []
    said: list[str] = []
    changed: list[tuple[str, str, str]] = []
    dry_run = args.get("dry-run") or "none"
    if dry_run not in ("none", "client", "server"):
        raise BadRequest(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    server_side = args.on("server-side")
    # ApplyOptions.Validate, in its order.
    if args.on("force-conflicts") and not server_side:
        raise BadRequest("error: --force-conflicts only works with --server-side")
    if server_side and dry_run == "client":
        raise BadRequest("error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server "
                         "instead?)")
    if server_side and args.on("force"):
        raise BadRequest("error: --force cannot be used with --server-side")
    if dry_run == "server" and args.on("force"):
        raise BadRequest("error: --dry-run=server cannot be used with --force")
    if args.get("subresource") and not server_side:
        raise BadRequest("error: --subresource can only be specified for --server-side")
    try:
        for source, doc in mapped:
            creating = True
            try:
                # Either kind of run reads the live object first, and that answer carries the
                # warnings every request about its type draws (a deprecated resource).
                request(cluster, str(doc["kind"]))
                meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
                if meta and not meta.get("name") and meta.get("generateName"):
                    raise BadRequest(f"error: from {meta['generateName']}: cannot use generate name with apply")
                live = _live(cluster, doc)
                creating = live is None
                if server_side:
                    obj, word = server_side_apply(cluster, doc, args, validation, said, dry_run)
                else:
                    if live is not None and lastapplied.LAST_APPLIED not in live.metadata.annotations:
                        res = for_object(live)
                        note(f"Warning: resource {res.plural}/{live.name} is missing the {lastapplied.LAST_APPLIED} "
                             "annotation which is required by kubectl apply. kubectl apply should only be used on "
                             "resources created declaratively by either kubectl create --save-config or kubectl "
                             "apply. The missing annotation will be patched automatically.")
                    if dry_run == "client":
                        obj, word = _client_dry_run(cluster, doc, live)
                    else:
                        [(obj, word)] = cluster.apply_with_outcome([doc], validation.lower(), said,
                                                                   dry_run=dry_run == "server")
            except ApiError as err:
                errors.append(_from_source(err, source) if creating else err)
                continue
            if live is not None and obj.metadata.deletion_timestamp is not None:
                note(f"Warning: Detected changes to resource {obj.name} which is currently being deleted.")  # WarnIfDeleting
            lines.append(f"{for_object(obj).type_name}/{obj.name} {word}{suffix}")
            if word != "unchanged" and not suffix:
                changed.append(_ref(obj))
    finally:
        # The server's warnings come with its answers, on stderr, even when a later one fails.
        for text in said:
            warn(text)
    return _outcome(lines, errors, changed)


def _live(cluster: Cluster, doc: dict) -> KubeObject | None:
    """The stored object ``doc`` names, if any (kubectl then patches it instead of creating)."""
    res = mapping(doc, cluster.api.custom)
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return None
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None
    namespace = (meta.get("namespace") or "default") if res.cls.namespaced else ""
    return cluster.api.store.get(res.kind, f"{namespace}/{name}" if namespace else name)


def _client_dry_run(cluster: Cluster, doc: dict, live: KubeObject | None) -> tuple[KubeObject, str]:
    """What ``--dry-run=client`` prints: kubectl sends nothing, and patches the live object locally
    (``PatchLocal``), so its word is that of the patch it computed; nothing is validated."""
    obj = decode(doc, "Ignore", None, cluster.api.custom)
    if live is None:
        return obj, "created"
    res = for_object(live)
    sent = lastapplied.modified(doc, live.metadata.namespace if res.cls.namespaced else None)
    patch = lastapplied.patch_for(live.to_dict(), sent, res.kind in cluster.api.custom)
    return live, "configured" if patch else "unchanged"


def _from_source(err: ApiError, source: str) -> ApiError:
    """``err`` as kubectl reports a failed create (``AddSourceToErr``): the server's message after
    ``error when creating "SOURCE": ``. An Invalid error is printed from its causes, and kubectl's
    own errors are not the server's, so those stay as they are."""
    if isinstance(err, Invalid) or err.printed or (isinstance(err, BadRequest) and not isinstance(err, ServerBadRequest)):
        return err
    wrapped = copy.copy(err)
    wrapped.message = f'error when creating "{source}": {err.message}'
    wrapped.args = (wrapped.message,)
    return wrapped


def _outcome(out: list[str], errors: list[ApiError], changed: list[tuple[str, str, str]]) -> str:
    """What a command over several objects prints: its output when every object succeeded; the one
    error as it is when it was the only object tried; otherwise a :class:`PartialFailure` (kubectl's
    stdout, then its errors, exit 1), the changes it made kept, as on a real cluster."""
    if not errors:
        return "\n".join(out)
    if len(errors) == 1 and not out:
        raise errors[0]
    raise PartialFailure(out, errors, changed)


def _ref(obj: KubeObject) -> tuple[str, str, str]:
    return obj.kind, obj.metadata.namespace or "", obj.name


MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")
"""The files kubectl reads from a directory (``FileExtensions`` in its resource builder)."""


def _sources(files: list[str], stdin: str) -> list[str | Path]:
    """What ``-f`` names: stdin's text, a file, or a directory's manifest files in name order."""
    out: list[str | Path] = []
    for f in files:
        if f == "-":
            out.append(stdin)
        elif Path(f).is_dir():
            found = sorted((p for p in Path(f).iterdir() if p.is_file() and p.suffix in MANIFEST_EXTENSIONS),
                           key=lambda p: p.name)
            if not found:
                raise BadRequest(f"error: error reading [{f}]: recognized file extensions are [.json .yaml .yml]")
            out += found
        else:
            out.append(Path(f))
    return out


def scale(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl scale TYPE NAME... --replicas=N``. As kubectl does, every object is fetched first
    (the missing ones are reported at the end) and the first failing scale stops the command."""
    replicas = args.flag_int("replicas", "scale")  # an int flag: int64, unlike create's int32
    if replicas is None:
        raise BadRequest("error: required flag(s) \"replicas\" not set")
    if replicas < 0:  # kubectl checks this itself, before asking the server
        raise BadRequest("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    found: list[tuple[Resource, KubeObject]] = []
    missing: list[ApiError] = []
    for res, names in _targets(args.words[1:], cluster):
        request(cluster, res.kind)
        for n in names:
            try:
                found.append((res, cluster.api.get(res.kind, n, args.namespace)))
            except ApiError as err:
                missing.append(err)
    if not found:
        if missing:
            return _outcome([], missing, [])
        raise BadRequest("error: no objects passed to scale")
    out: list[str] = []
    changed: list[tuple[str, str, str]] = []
    for res, obj in found:
        try:
            cluster.scale(obj.name, replicas, args.namespace, res.kind)
        except ApiError as err:
            return _outcome(out, [err], changed)  # kubectl stops here; missing objects go unreported
        out.append(f"{res.type_name}/{obj.name} scaled")
        changed.append(_ref(obj))
    return _outcome(out, missing, changed)


def label(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl label TYPE NAME... KEY=VALUE ... [KEY-] [--overwrite]``: each object labeled or its
    error, the errors reported after the successes."""
    words = args.words[1:]
    if words and "/" in words[0]:
        t, n = words[0].split("/", 1)
        res, names, pairs = resource_type(t), [n], words[1:]
    else:
        if len(words) < 2:
            raise BadRequest("error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
        res = resource_type(words[0])
        names = [w for w in words[1:] if "=" not in w and not w.endswith("-")]
        pairs = [w for w in words[1:] if "=" in w or w.endswith("-")]
    if not pairs:
        raise BadRequest("error: at least one label update is required")
    request(cluster, res.kind)
    labels: dict[str, str | None] = {}
    for p in pairs:
        if p.endswith("-") and "=" not in p:
            labels[p[:-1]] = None
        else:
            k, _, v = p.partition("=")
            labels[k] = v
    if not names and (args.on("all") or args.get("selector")):
        names = [o.name for o in cluster.api.list(res.kind, args.namespace, args.get("selector"))]
    out: list[str] = []
    errors: list[ApiError] = []
    changed: list[tuple[str, str, str]] = []
    for n in names:
        try:
            before = dict(cluster.api.get(res.kind, n, args.namespace).metadata.labels)
            obj = cluster.label(res.kind, n, labels, args.namespace, overwrite=args.on("overwrite"))
        except ApiError as err:
            errors.append(err)
            continue
        word = "labeled" if obj.metadata.labels != before else "not labeled"
        if word == "labeled" and all(v is None for v in labels.values()):
            word = "unlabeled"
        out.append(f"{res.type_name}/{obj.name} {word}")
        changed.append(_ref(obj))
    return _outcome(out, errors, changed)


def cordon(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl cordon NODE``: no new pods are scheduled there."""
    node = _one_node(cluster, args)
    already = bool(node.spec.unschedulable)
    cluster.cordon(node.name)
    return f"node/{node.name} {'already cordoned' if already else 'cordoned'}"


def uncordon(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl uncordon NODE``."""
    node = _one_node(cluster, args)
    was = bool(node.spec.unschedulable)
    cluster.uncordon(node.name)
    return f"node/{node.name} {'uncordoned' if was else 'already uncordoned'}"


def drain(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl drain NODE [--ignore-daemonsets] [--force] [--delete-emptydir-data]``: cordon it
    and evict its pods, or refuse as kubectl does (:mod:`kitlib.kubectl.drain`)."""
    node = _one_node(cluster, args)
    lines = [f"node/{node.name} {'already cordoned' if node.spec.unschedulable else 'cordoned'}"]
    evicted = cluster.drain(node.name, ignore_daemonsets=args.on("ignore-daemonsets"), force=args.on("force"),
                            delete_emptydir_data=args.on("delete-emptydir-data"))
    lines += [f"evicting pod {p.namespace}/{p.name}" for p in evicted]
    lines += [f"pod/{p.name} evicted" for p in evicted]
    lines.append(f"node/{node.name} drained")
    return "\n".join(lines)


def _one_node(cluster: Cluster, args: Args) -> Node:
    if len(args.words) < 2:
        raise BadRequest("error: USAGE: kubectl cordon NODE")
    node = cluster.api.get("Node", args.words[1].removeprefix("node/").removeprefix("nodes/"))
    assert isinstance(node, Node)
    return node
