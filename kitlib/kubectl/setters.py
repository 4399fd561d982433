"""``kubectl set image``, ``set env``, ``set selector`` (kubectl 1.37 ``pkg/cmd/set/set_image.go``,
``set_env.go``, ``set_selector.go``) and ``kubectl annotate`` (``pkg/cmd/annotate``).
:func:`set_command` routes ``kubectl set``.

``set image TYPE/NAME ... CONTAINER=IMAGE ... | *=IMAGE``: the named containers (init containers
too) of each object's pod template get the image; a name no container has is kubectl's ``unable to
find container named`` after the other changes were made. ``deployment.apps/web image updated``
for an object that changed (a Deployment then rolls out), nothing for one that did not.

``set env TYPE/NAME ... KEY=VALUE ... KEY- [-e KEY=VALUE] [-c CONTAINER] [--from=configmap/NAME |
secret/NAME] [--keys=K] [--prefix=P] [--overwrite=false] [--list]``: every container matching ``-c``
(``*``: all) of each object's pod template (a Deployment's, DaemonSet's, ReplicaSet's, or a pod's own
spec) gets the variables, replaced in place or appended, and loses the removed ones
(``updateEnv``); ``--from`` adds one ``valueFrom`` reference per key of the ConfigMap or Secret (the
name upper-cased, other characters ``_``; kitlib lists the keys sorted, kubectl in Go's map order).
An object whose template changed prints ``deployment.apps/web env updated`` and, for a Deployment,
starts a rollout, as on a real cluster; one that did not change prints nothing.

``set selector TYPE/NAME EXPRESSIONS``: a Service's ``spec.selector`` replaced by the equality terms
(``service/web selector updated``); any other kind is refused by kubectl.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..api.config import ConfigMap, Secret
from ..api.convert import clone, dump_json, dump_yaml
from ..api.labels import parse_selector
from ..api.meta import KubeObject
from ..api.pod import Container, Pod
from ..api.registry import for_object
from ..api.service import Service
from ..errors import BadRequest, PartialFailure
from .args import Args, KubectlError, check_flags, resource_type
from .output import note, request
from .printers import output

if TYPE_CHECKING:
    from ..cluster import Cluster

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_NOT_ENV = re.compile(r"[^A-Za-z0-9_]")
_ENV_NAME_MESSAGE = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
                     "or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
                     "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")

SUBCOMMANDS = ("env", "image", "resources", "selector", "serviceaccount", "subject")
"""``kubectl set``'s subcommands (kitlib simulates env, image and selector)."""


def set_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl set env|image|selector``."""
    sub = args.words[1] if len(args.words) > 1 else ""
    if sub == "env":
        return set_env(cluster, args)
    if sub == "selector":
        return set_selector(cluster, args)
    if sub == "image":
        return set_image(cluster, args)
    if sub in SUBCOMMANDS:
        raise KubectlError(f'error: kitlib does not simulate "kubectl set {sub}"')
    if sub:
        raise KubectlError(f'error: unknown command "{" ".join(args.words[1:])}"\n'
                           "See 'kubectl set -h' for help and examples")
    raise BadRequest("error: kubectl set needs a subcommand: env, image, resources, selector, serviceaccount, subject")


def set_image(cluster: Cluster, args: Args) -> str:
    """``kubectl set image``: ``Validate``'s checks (all reported together), then each object."""
    words = args.words[2:]
    resources, pairs = _resources_and_pairs(words, "image")
    images, _ = _parse_pairs(pairs, "image", remove=False)
    problems = []
    if args.on("all") and args.get("selector"):
        problems.append("cannot set --all and --selector at the same time")
    if not resources:
        problems.append("one or more resources must be specified as <resource> <name> or <resource>/<name>")
    if not images:
        problems.append("at least one image update is required")
    elif len(images) > 1 and "*" in images:
        problems.append("all containers are already specified by *, but saw more than one "
                        "container_name=container_image pairs")
    if len(problems) == 1:
        raise KubectlError(f"error: {problems[0]}")
    if problems:  # an aggregate: MultipleErrors prints one a line, without "error: "
        raise KubectlError("\n".join(problems))
    lines: list[str] = []
    errors: list[str] = []
    changed: list[tuple[str, str, str]] = []
    for obj in targets(cluster, args, resources):
        new = clone(obj)
        spec = _pod_spec(new)
        if spec is None:
            errors.append(f"error: {for_object(obj).plural}/{obj.name} object {obj.kind} has no pod template")
            continue
        for name, image in images.items():
            found = False
            for c in spec.containers:
                if c.name == name or name == "*":
                    c.image, found = image, True
            if not found:
                errors.append(f'error: unable to find container named "{name}"')
        if [c.image for c in _pod_spec(obj).containers] == [c.image for c in spec.containers]:
            continue  # an empty patch: nothing sent, nothing printed
        lines.append(_write(cluster, args, new, "image updated"))
        changed.append((obj.kind, obj.metadata.namespace or "", obj.name))
    if errors:
        if not lines:
            raise KubectlError("\n".join(errors))
        raise PartialFailure(lines, [KubectlError(e) for e in errors], changed)
    return "\n".join(lines)


def _is_env(word: str) -> bool:
    """``IsEnvironmentArgument``: ``KEY=VALUE`` or ``KEY-`` (or ``-``, stdin)."""
    return "=" in word or word.endswith("-")


def targets(cluster: Cluster, args: Args, resources: list[str]) -> list[KubeObject]:
    """The objects ``TYPE/NAME ...``, ``TYPE NAME ...`` or ``TYPE`` with ``--all`` / ``-l`` name, as
    the resource builder finds them (one missing object is the server's NotFound)."""
    if not resources:
        raise KubectlError("error: one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    out: list[KubeObject] = []
    if "/" in resources[0]:
        for word in resources:
            kind, _, name = word.partition("/")
            res = resource_type(kind)
            request(cluster, res.kind)
            out.append(cluster.api.get(res.kind, name, args.namespace))
        return out
    res = resource_type(resources[0])
    request(cluster, res.kind)
    names = resources[1:]
    if names:
        return [cluster.api.get(res.kind, n, args.namespace) for n in names]
    if args.on("all") or args.get("selector"):
        return list(cluster.api.list(res.kind, args.namespace, args.get("selector")))
    raise KubectlError("error: resource(s) were provided, but no name was specified")


def _pod_spec(obj: KubeObject) -> Any:
    """The pod spec ``UpdatePodSpecForObject`` edits, or None for a kind without one."""
    if isinstance(obj, Pod):
        return obj.spec
    template = getattr(getattr(obj, "spec", None), "template", None)
    return getattr(template, "spec", None)


def set_env(cluster: Cluster, args: Args) -> str:
    """``kubectl set env``: parse as ``Complete``/``Validate``/``ParseEnv`` do, then patch each object."""
    check_flags(args, {"all", "allow-missing-template-keys", "containers", "dry-run", "env", "field-manager",
                       "filename", "from", "keys", "kustomize", "list", "local", "output", "overwrite", "prefix",
                       "recursive", "resolve", "selector", "show-managed-fields", "template"}, "set env")
    if args.on("all") and args.get("selector"):
        raise KubectlError("error: cannot set --all and --selector at the same time")
    words = args.words[2:]
    split = next((i for i, w in enumerate(words) if _is_env(w)), len(words))
    resources, env_args = words[:split], words[split:]
    if any(not _is_env(w) for w in env_args):
        raise KubectlError(f"error: all resources must be specified before environment changes: {' '.join(words)}")
    if not resources:
        raise KubectlError("error: one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    if args.on("list") and args.get("output"):
        raise KubectlError("error: --list and --output may not be specified together")
    if args.all("keys") and not args.get("from"):
        raise KubectlError("error: when specifying --keys, a configmap or secret must be provided with --from")
    env, remove = _parse_env([*args.all("env"), *env_args])
    if args.get("from"):
        env += _from(cluster, args)
    if args.get("prefix"):
        env = [{**e, "name": f"{args.get('prefix')}{e['name']}"} for e in env]
    selector = args.get("containers") or "*"
    overwrite = args.get("overwrite", "true") != "false"
    lines: list[str] = []
    errors: list[str] = []
    for obj in targets(cluster, args, resources):
        new = clone(obj)
        spec = _pod_spec(new)
        if spec is None:
            errors.append(f"error: {for_object(obj).plural}/{obj.name} object {obj.kind} has no pod template")
            continue
        containers = [c for c in spec.containers if _selected(c, selector)]
        if not containers:
            note(f'Warning: {obj.kind}/{obj.name} does not have any containers matching "{selector}"')
            continue
        try:
            for c in containers:
                current = c.extra.get("env") or []
                if not overwrite:
                    _no_overwrites(current, env)
                updated = _update_env(current, env, remove)
                if updated:
                    c.extra["env"] = updated
                else:
                    c.extra.pop("env", None)
                if args.on("list"):
                    lines.append(_listing(obj, c))
        except KubectlError as err:
            errors.append(f"error: {for_object(obj).plural}/{obj.name} {err.message.removeprefix('error: ')}")
            continue
        if args.on("list"):
            continue
        if [c.extra.get("env") for c in _pod_spec(obj).containers] == [c.extra.get("env") for c in spec.containers]:
            continue  # an empty patch: nothing sent, nothing printed
        lines.append(_write(cluster, args, new, "env updated"))
    if errors:
        raise KubectlError("\n".join([*lines, *errors]) if not lines else "\n".join(errors))
    return "\n".join(lines)


def _selected(c: Container, pattern: str) -> bool:
    """``selectContainers``: the name matched as a shell glob (``*`` for all)."""
    from fnmatch import fnmatchcase

    return fnmatchcase(c.name, pattern)


def _parse_env(specs: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """``envutil.ParseEnv``: ``KEY=VALUE`` (a valid name) to set, ``KEY-`` to remove, not both."""
    env: list[dict[str, Any]] = []
    remove: list[str] = []
    for spec in specs:
        if spec == "-":
            raise KubectlError("error: kitlib's kubectl reads no environment from stdin")
        if "=" in spec:
            key, _, value = spec.partition("=")
            if not _ENV_NAME.fullmatch(key):
                raise KubectlError(f'error: "{key}" is not a valid key name: {_ENV_NAME_MESSAGE}')
            env.append({"name": key, "value": value})
        elif spec.endswith("-"):
            remove.append(spec[:-1])
        else:
            raise KubectlError(f"error: unknown environment variable: {spec}")
    if set(remove) & {e["name"] for e in env}:
        raise KubectlError("error: can not both modify and remove the same environment variable in the same command")
    return env, remove


def _from(cluster: Cluster, args: Args) -> list[dict[str, Any]]:
    """``--from=configmap/NAME|secret/NAME``: a reference per key (``--keys`` narrows them)."""
    kind, _, name = (args.get("from") or "").partition("/")
    res = resource_type(kind)
    source = cluster.api.get(res.kind, name, args.namespace)
    keys = [k for value in args.all("keys") for k in value.split(",")]
    if isinstance(source, Secret):
        ref, data = "secretKeyRef", source.data
    elif isinstance(source, ConfigMap):
        ref, data = "configMapKeyRef", source.data
    else:
        raise KubectlError("error: unsupported resource specified in --from")
    return [{"name": _NOT_ENV.sub("_", key).upper(), "valueFrom": {ref: {"key": key, "name": source.name}}}
            for key in sorted(data) if not keys or key in keys]


def _update_env(existing: list[dict[str, Any]], env: list[dict[str, Any]], remove: list[str]) -> list[dict[str, Any]]:
    """``updateEnv``: replace in place, drop the removed, append the new ones."""
    out: list[dict[str, Any]] = []
    covered = set(remove)
    given = {e["name"]: e for e in env}
    for e in existing:
        if e.get("name") in covered:
            continue
        if e.get("name") in given:
            covered.add(e["name"])
            out.append(given[e["name"]])
            continue
        out.append(e)
    for e in env:
        if e["name"] not in covered:
            covered.add(e["name"])
            out.append(e)
    return out


def _no_overwrites(existing: list[dict[str, Any]], env: list[dict[str, Any]]) -> None:
    """``validateNoOverwrites`` (``--overwrite=false``)."""
    for e in env:
        current = next((c for c in existing if c.get("name") == e["name"]), None)
        if current is not None and current.get("value", "") != e.get("value", ""):
            raise KubectlError(f"error: '{current['name']}' already has a value ({current.get('value', '')}), "
                               "and --overwrite is false")


def _listing(obj: KubeObject, c: Container) -> str:
    """``--list``: the container's variables, references as comments."""
    lines = [f"# {obj.kind} {obj.name}, container {c.name}"]
    for e in c.extra.get("env") or []:
        source = e.get("valueFrom")
        if not source:
            lines.append(f"{e['name']}={e.get('value', '')}")
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            lines.append(f"# {e['name']} from configmap {ref.get('name')}, key {ref.get('key')}")
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            lines.append(f"# {e['name']} from secret {ref.get('name')}, key {ref.get('key')}")
        elif "fieldRef" in source:
            lines.append(f"# {e['name']} from field path {source['fieldRef'].get('fieldPath')}")
        else:
            lines.append(f"# {e['name']} from resource {source.get('resourceFieldRef', {}).get('resource')}")
    return "\n".join(lines)


def _write(cluster: Cluster, args: Args, new: KubeObject, verb: str) -> str:
    """Send the change (or print it, ``--dry-run=client``/``--local``) and say ``TYPE/NAME <verb>``."""
    dry = args.get("dry-run")
    fmt = args.get("output")
    if dry == "client" or args.on("local"):
        if fmt in ("yaml", "json", "name"):
            return output([new], fmt, single=True)
        return f"{for_object(new).type_name}/{new.name} {verb} (dry run)"
    if dry == "server":
        raise KubectlError("error: kitlib does not simulate --dry-run=server for kubectl set: use --dry-run=client")
    stored = cluster.update(new)
    if fmt in ("yaml", "json", "name"):
        return output([stored], fmt, single=True)
    return f"{for_object(stored).type_name}/{stored.name} {verb}"


def set_selector(cluster: Cluster, args: Args) -> str:
    """``kubectl set selector TYPE/NAME EXPRESSIONS``: a Service's selector replaced."""
    check_flags(args, {"all", "allow-missing-template-keys", "dry-run", "field-manager", "filename", "local",
                       "output", "recursive", "resource-version", "show-managed-fields", "template"}, "set selector")
    words = args.words[2:]
    if not words:
        raise KubectlError("error: one selector is required")
    selector = parse_selector(words[-1])
    lines: list[str] = []
    for obj in targets(cluster, args, words[:-1]):
        if not isinstance(obj, Service):
            raise KubectlError("error: setting a selector is only supported for Services")
        if selector.match_expressions:
            shown = " ".join(f"{{{r.key} {r.operator} [{' '.join(r.values)}]}}" for r in selector.match_expressions)
            raise KubectlError(f"error: match expression [{shown}] not supported on this object")
        new = clone(obj)
        new.spec.selector = dict(selector.match_labels)
        lines.append(_write(cluster, args, new, "selector updated"))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- kubectl annotate

CHANGE_CAUSE = "kubernetes.io/change-cause"
"""The annotation ``rollout history`` shows; ``--overwrite`` is never needed to change it."""


def _resources_and_pairs(words: list[str], kind: str) -> tuple[list[str], list[str]]:
    """``GetResourcesAndPairs``: the resources, then the ``KEY=VALUE`` / ``KEY-`` changes."""
    resources: list[str] = []
    pairs: list[str] = []
    for w in words:
        change = ("=" in w and not w.startswith("=")) or (w.endswith("-") and w != "-")
        if change:
            pairs.append(w)
        elif pairs:
            raise KubectlError(f"error: all resources must be specified before {kind} changes: {w}")
        else:
            resources.append(w)
    return resources, pairs


def _parse_pairs(pairs: list[str], kind: str, remove: bool = True) -> tuple[dict[str, str], list[str]]:
    """``ParsePairs``: ``KEY=VALUE`` (and ``KEY-`` with ``remove``); the others are one error."""
    new: dict[str, str] = {}
    removed: list[str] = []
    invalid: list[str] = []
    for p in pairs:
        if "=" in p and not p.startswith("="):
            key, _, value = p.partition("=")
            new[key] = value
        elif remove and p.endswith("-") and p != "-":
            removed.append(p[:-1])
        else:
            invalid.append(p)
    if invalid:
        raise KubectlError(f"error: invalid {kind} format: {', '.join(invalid)}")
    return new, removed


def annotate_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl annotate TYPE NAME... | TYPE/NAME... | TYPE (--all | -l SELECTOR) KEY=VALUE ... KEY-
    [--overwrite] [--list] [--dry-run=client] [-o yaml]``: each object annotated (``TYPE/NAME
    annotated``, also when nothing changed), or kubectl's refusal (a value already set without
    ``--overwrite``, except ``kubernetes.io/change-cause``)."""
    resources, pairs = _resources_and_pairs(args.words[1:], "annotation")
    new, remove = _parse_pairs(pairs, "annotation")
    if args.on("list") and args.get("output"):
        raise KubectlError("error: --list and --output may not be specified together")
    if args.on("all") and args.get("selector"):
        raise KubectlError("error: cannot set --all and --selector at the same time")
    if not resources:
        raise KubectlError("error: one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    if not new and not remove and not args.on("list"):
        raise KubectlError("error: at least one annotation update is required")
    both = [k for k in remove if k in new]
    if both:
        raise KubectlError("error: can not both modify and remove the following annotation(s) in the same "
                           f"command: {', '.join(both)}")
    lines: list[str] = []
    for obj in targets(cluster, args, resources):
        current = obj.metadata.annotations
        if not args.on("overwrite"):
            clashes = [f"'{k}' already has a value ({current[k]})" for k, v in new.items()
                       if k != CHANGE_CAUSE and k in current and current[k] != v]
            if clashes:
                raise KubectlError("error: --overwrite is false but found the following declared annotation(s): "
                                   + "; ".join(clashes))
        changed = clone(obj)
        changed.metadata.annotations.update(new)
        for k in remove:
            changed.metadata.annotations.pop(k, None)
        if args.on("list"):
            lines += [f"{k}={v}" for k, v in sorted(changed.metadata.annotations.items())]
            continue
        if args.get("dry-run") == "client" and args.get("output") in ("yaml", "json"):
            lines.append(_unstructured(changed, args.get("output") or ""))
            continue
        lines.append(_write(cluster, args, changed, "annotated"))
    return "\n".join(lines)


def _unstructured(obj: KubeObject, fmt: str) -> str:
    """How annotate prints the object it changed without sending it: the unstructured object read from
    the server (JSON keys sorted, as Go writes a map), with the ``annotations: {}`` kubectl leaves
    when it removed the last one."""
    data = json.loads(json.dumps(obj.to_dict(), sort_keys=True))
    data["metadata"].setdefault("annotations", {})
    return dump_yaml(data).rstrip("\n") if fmt == "yaml" else dump_json(data)
