"""The core group's kinds in the API server: Namespaces, Nodes, Pods, Secrets, Endpoints.

Validation follows ``pkg/apis/core/validation`` for the fields kitlib models; the field checks
shared by several kinds (names, labels, the pod spec) are in :mod:`kitlib.api.validation`.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from .. import manifest
from ..api import defaults, validation
from ..api.config import TLS_TYPE, Secret
from ..api.namespace import Namespace
from ..api.pod import Pod
from ..errors import FieldError, required
from .strategy import Strategy

if TYPE_CHECKING:
    from ..api.meta import KubeObject

POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)")
# Fields a pod update may change, or that the server sets, left out of the comparison.
POD_MUTABLE_FIELDS = ("nodeName", "tolerations", "serviceAccount", "serviceAccountName",
                      "enableServiceLinks", "priority", "preemptionPolicy")


class NamespaceStrategy(Strategy):
    """Namespace: the ``kubernetes.io/metadata.name`` label and the ``kubernetes`` finalizer."""

    kind = "Namespace"

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        ns: Namespace = obj  # type: ignore[assignment]  # this strategy's kind
        ns.metadata.labels["kubernetes.io/metadata.name"] = ns.name
        ns.spec.finalizers = list(old.spec.finalizers) if old else ["kubernetes"]  # type: ignore[attr-defined]  # a Namespace

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_meta(obj.metadata, namespaced=False, name_check=validation.dns1123_label)

    def on_create(self, obj: KubeObject) -> None:
        ns: Namespace = obj  # type: ignore[assignment]  # this strategy's kind
        ns.metadata.labels["kubernetes.io/metadata.name"] = ns.name
        ns.spec.finalizers = ["kubernetes"]
        ns.status.phase = "Active"


class NodeStrategy(Strategy):
    """Node: a valid name."""

    kind = "Node"

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_meta(obj.metadata, namespaced=False)


class PodStrategy(Strategy):
    """Pod: admission defaults, ValidatePod, and the few fields an update may change."""

    kind = "Pod"

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        pod: Pod = obj  # type: ignore[assignment]  # this strategy's kind
        if old is not None:
            # What the server set on create (binding, admission defaults) stays unless given.
            policies = {c.name: c.image_pull_policy for c in old.spec.containers}  # type: ignore[attr-defined]  # a Pod
            for c in pod.spec.containers:
                c.image_pull_policy = c.image_pull_policy or policies.get(c.name)
        defaults.default_pod(pod)
        if old is not None:
            pod.spec.node_name = pod.spec.node_name or old.spec.node_name  # type: ignore[attr-defined]  # a Pod

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_pod(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate_update(self, old: KubeObject, new: KubeObject) -> list[FieldError]:
        old_spec = manifest.to_plain(old.spec)  # type: ignore[attr-defined]  # a Pod
        new_spec = manifest.to_plain(new.spec)  # type: ignore[attr-defined]  # a Pod
        for spec in (old_spec, new_spec):
            for c in spec.get("containers", []):
                c.pop("image", None)
            for key in POD_MUTABLE_FIELDS:
                spec.pop(key, None)
        if old_spec != new_spec:
            return [FieldError("spec", "Forbidden", detail=POD_UPDATE_FORBIDDEN)]
        return []

    def on_create(self, obj: KubeObject) -> None:
        pod: Pod = obj  # type: ignore[assignment]  # this strategy's kind
        pod.status.phase = pod.status.phase or "Pending"
        pod.status.qos_class = "BestEffort"

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        super().on_update(old, new)
        new.spec.node_name = old.spec.node_name  # type: ignore[attr-defined]  # a Pod: binding is its own verb


class SecretStrategy(Strategy):
    """Secret: ``type: Opaque`` by default, ``stringData`` folded into ``data``, ValidateSecret,
    and an immutable ``type``."""

    kind = "Secret"

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        default_secret(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validate_secret(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate_update(self, old: KubeObject, new: KubeObject) -> list[FieldError]:
        if (old.type or "Opaque") != (new.type or "Opaque"):  # type: ignore[attr-defined]  # Secrets
            return [FieldError("type", "Invalid value", new.type, "field is immutable")]  # type: ignore[attr-defined]  # a Secret
        return []


class EndpointsStrategy(Strategy):
    """Endpoints: stored as given (kitlib does not validate hand-written Endpoints)."""

    kind = "Endpoints"


def validate_secret(secret: Secret) -> list[FieldError]:
    """ValidateSecret for what kitlib uses: the name, and a TLS Secret's two keys (``stringData`` is
    already folded into ``data`` by :func:`default_secret`)."""
    errs = validation.validate_meta(secret.metadata, namespaced=True)
    for key, value in secret.data.items():
        if not re.fullmatch(r"[-._a-zA-Z0-9]+", key):
            errs.append(FieldError(f"data[{key}]", "Invalid value", key,
                                   "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                                   "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                                   "is '[-._a-zA-Z0-9]+')"))
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            errs.append(FieldError(f"data[{key}]", "Invalid value", "<secret contents redacted>",
                                   "illegal base64 data"))
    if (secret.type or "Opaque") == TLS_TYPE:
        errs += [required(f"data[{key}]") for key in ("tls.crt", "tls.key") if key not in secret.data]
    return errs


def default_secret(secret: Secret) -> None:
    """SetDefaults_Secret: ``type: Opaque``; and ``stringData`` is folded into ``data``."""
    secret.type = secret.type or "Opaque"
    _merge_string_data(secret)


def _merge_string_data(secret: Secret) -> None:
    for key, value in secret.string_data.items():
        secret.data[key] = base64.b64encode(value.encode()).decode()
    secret.string_data = {}



STRATEGIES = (NamespaceStrategy(), NodeStrategy(), PodStrategy(), SecretStrategy(), EndpointsStrategy())
