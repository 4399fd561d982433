"""kubectl for the config kinds.

* Secrets: the columns of ``get secrets`` (``printSecret``) and ``describe secret``
  (``describeSecret``), which shows the size of each value, never the value.
* ConfigMaps: the columns of ``get configmaps`` (``printConfigMap``: DATA counts ``data`` and
  ``binaryData``), ``describe configmap`` (``ConfigMapDescriber``: each text value in full, the size
  of each binary one) and ``create configmap NAME --from-literal=KEY=VALUE | --from-file=[KEY=]PATH``
  and ``--from-env-file=PATH`` (``create_configmap.go``; env files and ``--append-hash`` as for
  Secrets, :mod:`.secrets`). Keys are listed sorted, as kubectl does since 1.34 (before, in Go's
  random map order).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from ..api.config import ConfigMap, Secret, config_key_errors
from .args import Args, KubectlError, check_flags, one_name
from .describe import annotation_lines, labels_lines, with_events
from .generate import COMMON_FLAGS
from .printers import age
from .secrets import configmap_hash, create_secret, env_file, file_sources, read_file
from .tabwriter import DESCRIBE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def _row(cluster: Cluster, secret: Secret, wide: bool) -> list[str]:
    return [secret.name, secret.type or "", str(len(secret.data)), age(cluster, secret)]


def _size(value: str) -> int:
    """The decoded length of a base64 value (the raw length of one that is not base64)."""
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value)


def _describe(cluster: Cluster, secret: Secret) -> str:
    """``describeSecret``: the sizes of the values in key order (and no events)."""
    lines = [f"Name:\t{secret.name}", f"Namespace:\t{secret.namespace}",
             *labels_lines("Labels", secret.metadata.labels), *annotation_lines(secret.metadata.annotations),
             "", f"Type:\t{secret.type or ''}", "", "Data", "===="]
    lines += [f"{k}:\t{_size(secret.data[k])} bytes" for k in sorted(secret.data)]
    return DESCRIBE.format("\n".join(lines))


SECRET = View("Secret", ("NAME", "TYPE", "DATA", "AGE"), (), _row, _describe, create=create_secret,
              create_types=("secret",), create_failure=lambda _s: "failed to create secret")


def _configmap_row(cluster: Cluster, cm: ConfigMap, wide: bool) -> list[str]:
    return [cm.name, str(len(cm.data) + len(cm.binary_data)), age(cluster, cm)]


def _describe_configmap(cluster: Cluster, cm: ConfigMap) -> str:
    """``ConfigMapDescriber``: each value under its key and a ``----`` rule, then the size of each
    binary value, then the events."""
    lines = [f"Name:\t{cm.name}", f"Namespace:\t{cm.namespace}", *labels_lines("Labels", cm.metadata.labels),
             *annotation_lines(cm.metadata.annotations), "", "Data", "===="]
    for key in sorted(cm.data):
        lines += [f"{key}:", "----", *cm.data[key].split("\n"), ""]
    lines += ["", "BinaryData", "===="]
    lines += [f"{key}: {_size(cm.binary_data[key])} bytes" for key in sorted(cm.binary_data)]
    return with_events(cluster, cm, [*lines, ""])


_CONFIGMAP_FLAGS = {"from-literal", "from-file", "from-env-file", "append-hash"} | COMMON_FLAGS


def create_configmap(cluster: Cluster, args: Args) -> dict[str, Any]:
    """The ConfigMap ``kubectl create configmap NAME --from-literal=K=V --from-file=[K=]PATH`` builds:
    the files' keys first, then the literals', each checked as kubectl checks it."""
    check_flags(args, _CONFIGMAP_FLAGS, "create configmap")
    name = one_name(args.words[2:], "create configmap")
    if args.all("from-env-file") and (args.all("from-file") or args.all("from-literal")):
        raise KubectlError("error: from-env-file cannot be combined with from-file or from-literal")
    cm: dict[str, Any] = {"kind": "ConfigMap", "apiVersion": "v1",
                          "metadata": {"name": name}}
    if args.get("namespace"):
        cm["metadata"] = {"name": name, "namespace": args.get("namespace")}
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for source in args.all("from-file"):
        for key, path in file_sources(source):
            _add(name, data, binary, key)
            content = read_file(path)
            try:
                data[key] = content.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = base64.b64encode(content).decode()
    for source in args.all("from-literal"):
        key, eq, value = source.partition("=")
        if not eq or not key:
            raise KubectlError(f"error: invalid literal source {source}, expected key=value")
        _add(name, data, binary, key)
        data[key] = value
    for path in args.all("from-env-file"):
        env_file(path, "config", lambda key, value: _literal(name, data, binary, key, value))
    if data:
        cm["data"] = dict(sorted(data.items()))
    if binary:
        cm["binaryData"] = dict(sorted(binary.items()))
    if args.on("append-hash"):
        cm["metadata"]["name"] = f"{name}-{configmap_hash(cm)}"
    return cm


def _literal(name: str, data: dict[str, str], binary: dict[str, str], key: str, value: str) -> None:
    _add(name, data, binary, key)
    data[key] = value


def _add(name: str, data: dict[str, str], binary: dict[str, str], key: str) -> None:
    """``validateNewConfigMap``: a valid key, not given before."""
    errs = config_key_errors(key)
    if errs:
        raise KubectlError(f"error: {_quote(key)} is not a valid key name for a ConfigMap: {','.join(errs)}")
    for bag, title in ((data, "Data"), (binary, "BinaryData")):
        if key in bag:
            raise KubectlError(f"error: cannot add key {_quote(key)}, another key by that name already exists "
                               f"in {title} for ConfigMap {_quote(name)}")


def _quote(text: str) -> str:
    """Go's ``%q`` for the printable text of keys and names."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


CONFIGMAP = View("ConfigMap", ("NAME", "DATA", "AGE"), (), _configmap_row, _describe_configmap,
                 create=create_configmap, create_types=("configmap", "cm"),
                 create_failure=lambda _cm: "failed to create configmap")

VIEWS = (SECRET, CONFIGMAP)
"""The views this module gives :mod:`.kinds`."""
