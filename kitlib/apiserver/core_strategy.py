"""The core group's kinds in the API server: Namespaces, Nodes, Pods, Secrets, ConfigMaps, Endpoints.

Validation follows ``pkg/apis/core/validation`` for the fields kitlib models; the field checks
shared by several kinds (names, labels, the pod spec) are in :mod:`kitlib.api.validation`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING

from .. import manifest
from ..api import defaults, validation
from ..api.config import TLS_TYPE, ConfigMap, Secret, config_key_errors
from ..api.namespace import ACTIVE, FINALIZER, TERMINATING, Namespace
from ..api.node import NOT_READY, Node, Taint
from ..api.pod import Pod, PodSpec, Probe
from ..api.registry import RESOURCES
from ..api.validation import (
    IANA_SVC_NAME,
    PROTOCOLS,
    dns1123_label,
    dns1123_subdomain,
    validate_meta,
)
from ..errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ServerBadRequest,
    invalid,
    required,
    unsupported,
)
from .strategy import Allocation, Strategy

if TYPE_CHECKING:
    from ..api.meta import KubeObject
    from .server import ApiServer

POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)")
# Fields a pod update may change, or that the server sets, left out of the comparison.
POD_MUTABLE_FIELDS = ("nodeName", "tolerations", "serviceAccount", "serviceAccountName",
                      "enableServiceLinks", "priority", "preemptionPolicy")
MAX_CONFIG_SIZE = 1024 * 1024
"""``core.MaxSecretSize``: the most bytes a ConfigMap's values may hold together."""
IMMUTABLE_SET = "field is immutable when `immutable` is set"
RESTART_POLICIES = ["Always", "OnFailure", "Never"]
"""``validateRestartPolicy``'s supported values, in its order (an empty policy is defaulted to Always)."""
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000"
"""What Go's ``strings.TrimSpace`` trims (``unicode.IsSpace``): not quite Python's ``str.isspace``."""


# ---------------------------------------------------------------------------- pods

def validate_pod_spec(spec: PodSpec, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not spec.containers:
        errs.append(required(f"{path}.containers"))
    names: set[str] = set()
    for i, c in enumerate(spec.containers):
        p = f"{path}.containers[{i}]"
        if not c.name:
            errs.append(required(f"{p}.name"))
        else:
            errs += dns1123_label(c.name, f"{p}.name")
            if c.name in names:
                errs.append(FieldError(f"{p}.name", "Duplicate value", c.name))
            names.add(c.name)
        if not c.image:
            errs.append(required(f"{p}.image"))
        port_names: set[str] = set()
        for j, port in enumerate(c.ports):
            pp = f"{p}.ports[{j}]"
            if port.name:
                if len(port.name) > 15:
                    errs.append(FieldError(f"{pp}.name", "Invalid value", port.name, "must be no more than 15 characters"))
                elif not IANA_SVC_NAME.match(port.name) or "--" in port.name or not re.search("[a-z]", port.name):
                    errs.append(FieldError(f"{pp}.name", "Invalid value", port.name,
                                           "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"))
                if port.name in port_names:
                    errs.append(FieldError(f"{pp}.name", "Duplicate value", port.name))
                port_names.add(port.name)
            if port.container_port == 0:
                errs.append(required(f"{pp}.containerPort"))
            elif not 1 <= port.container_port <= 65535:
                errs.append(FieldError(f"{pp}.containerPort", "Invalid value", port.container_port,
                                       "must be between 1 and 65535, inclusive"))
            if port.protocol is not None and port.protocol not in PROTOCOLS:
                errs.append(unsupported(f"{pp}.protocol", port.protocol, PROTOCOLS))
        if c.liveness_probe is not None:  # the paths built only for a probe (most containers have none)
            errs += validate_probe(c.liveness_probe, f"{p}.livenessProbe", "liveness")
        if c.readiness_probe is not None:
            errs += validate_probe(c.readiness_probe, f"{p}.readinessProbe", "readiness")
        if c.startup_probe is not None:
            errs += validate_probe(c.startup_probe, f"{p}.startupProbe", "startup")
    # ValidatePodSpec: after the containers, the restart policy; further on, the node name.
    if spec.restart_policy is not None and spec.restart_policy not in RESTART_POLICIES:
        errs.append(unsupported(f"{path}.restartPolicy", spec.restart_policy, RESTART_POLICIES))
    if spec.node_name:
        errs += dns1123_subdomain(spec.node_name, f"{path}.nodeName")  # ValidateNodeName
    return errs


PORT_NAME_MSG = "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"


def _port_num_or_name(port: int | str, path: str) -> list[FieldError]:
    """ValidatePortNumOrName: a number in 1-65535 or an IANA service name. Whether the container
    declares a named port is not checked here: the kubelet finds out (the probe errors)."""
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        return [FieldError(path, "Invalid value", port, "must be an integer or a string")]
    if isinstance(port, int):
        if not 1 <= port <= 65535:
            return [FieldError(path, "Invalid value", port, "must be between 1 and 65535, inclusive")]
        return []
    if not port:
        return [required(path)]
    if len(port) > 15:
        return [FieldError(path, "Invalid value", port, "must be no more than 15 characters")]
    if not IANA_SVC_NAME.match(port) or "--" in port:
        return [FieldError(path, "Invalid value", port, PORT_NAME_MSG)]
    if not re.search("[a-z]", port):
        return [FieldError(path, "Invalid value", port, "must contain at least one letter (a-z)")]
    return []


def validate_probe(probe: Probe | None, path: str, kind: str) -> list[FieldError]:
    """validateLivenessProbe / validateReadinessProbe / validateStartupProbe, in the API server's order:
    the handler (exactly one), the timing fields (not negative), then the kind's own rules."""
    if probe is None:
        return []
    errs: list[FieldError] = []
    handlers = probe.handlers()
    if not handlers:
        errs.append(FieldError(path, "Required value", detail="must specify a handler type"))
    for extra in handlers[1:]:
        errs.append(FieldError(f"{path}.{extra}", "Forbidden", detail="may not specify more than 1 handler type"))
    first = handlers[0] if handlers else None
    if first == "exec" and probe.exec is not None and not probe.exec.command:
        errs.append(required(f"{path}.exec.command"))
    elif first == "httpGet" and probe.http_get is not None:
        hg = probe.http_get
        if not hg.path:
            errs.append(required(f"{path}.httpGet.path"))
        errs += _port_num_or_name(hg.port, f"{path}.httpGet.port")
        if hg.scheme not in (None, "HTTP", "HTTPS"):
            errs.append(unsupported(f"{path}.httpGet.scheme", hg.scheme, ["HTTP", "HTTPS"]))
        for i, h in enumerate(hg.http_headers):
            if not h.name or not re.fullmatch(r"[-A-Za-z0-9]+", h.name):
                errs.append(FieldError(f"{path}.httpGet.httpHeaders[{i}].name", "Invalid value", h.name,
                                       "a valid HTTP header must consist of alphanumeric characters or '-' "
                                       "(e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"))
    elif first == "tcpSocket" and probe.tcp_socket is not None:
        errs += _port_num_or_name(probe.tcp_socket.port, f"{path}.tcpSocket.port")
    elif first == "grpc" and probe.grpc is not None:
        if isinstance(probe.grpc.port, bool) or not isinstance(probe.grpc.port, int) \
                or not 1 <= probe.grpc.port <= 65535:
            errs.append(FieldError(f"{path}.grpc.port", "Invalid value", probe.grpc.port,
                                   "must be between 1 and 65535, inclusive"))
    for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        value = getattr(probe, _snake(name))
        if value is not None and value < 0:
            errs.append(FieldError(f"{path}.{name}", "Invalid value", value, "must be greater than or equal to 0"))
    grace = probe.termination_grace_period_seconds
    if kind == "readiness" and grace is not None:
        errs.append(FieldError(f"{path}.terminationGracePeriodSeconds", "Invalid value", grace,
                               "must not be set for readinessProbes"))
    elif grace is not None and grace <= 0:
        errs.append(FieldError(f"{path}.terminationGracePeriodSeconds", "Invalid value", grace,
                               "must be greater than 0"))
    if kind in ("liveness", "startup") and probe.success_threshold != 1:
        errs.append(FieldError(f"{path}.successThreshold", "Invalid value", probe.success_threshold, "must be 1"))
    return errs


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def validate_containers_only_for_pod(spec: PodSpec, path: str) -> list[FieldError]:
    """validateContainersOnlyForPod: a Pod's image (not a template's) has no leading or trailing
    whitespace."""
    errs: list[FieldError] = []
    for i, c in enumerate(spec.containers):
        # image != image.strip(GO_SPACE), looking only at the two ends that strip() would trim
        if c.image and (c.image[0] in GO_SPACE or c.image[-1] in GO_SPACE):
            errs.append(FieldError(f"{path}.containers[{i}].image", "Invalid value", c.image,
                                   "must not have leading or trailing whitespace"))
    return errs


def validate_pod(pod: Pod) -> list[FieldError]:
    """validatePodMetadataAndSpec: the metadata, ValidatePodSpec, then the checks for Pods only."""
    return (validate_meta(pod.metadata, namespaced=True) + validate_pod_spec(pod.spec, "spec")
            + validate_containers_only_for_pod(pod.spec, "spec"))


IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
"""The namespaces the NamespaceLifecycle admission plug-in refuses to delete."""


def namespace_lifecycle(api: ApiServer, obj: KubeObject) -> None:
    """The NamespaceLifecycle admission plug-in on a create of a namespaced object, before any
    other check (it is the first admission plug-in): NotFound in a namespace that does not exist,
    Forbidden in one being terminated (``unable to create new content in namespace shop because it
    is being terminated``). The object is named by its name, else by its ``generateName``
    (``admission.NewForbidden``)."""
    namespace = obj.metadata.namespace or "default"
    ns = api.store.get("Namespace", namespace)
    if ns is None:
        raise NotFound(f'namespaces "{namespace}" not found')
    if isinstance(ns, Namespace) and ns.status.phase == TERMINATING:
        name = obj.metadata.name or obj.metadata.generate_name or "Unknown"
        raise Forbidden(f'{RESOURCES[obj.kind].qualified} "{name}" is forbidden: unable to create new content '
                        f"in namespace {namespace} because it is being terminated")


class NamespaceStrategy(Strategy):
    """Namespace: the ``kubernetes.io/metadata.name`` label, the ``kubernetes`` finalizer, and the
    rules of a DELETE (the immortal namespaces; a namespace already being terminated)."""

    kind = "Namespace"
    resets_status = True

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        ns: Namespace = obj  # type: ignore[assignment]  # this strategy's kind
        ns.metadata.labels["kubernetes.io/metadata.name"] = ns.name
        ns.spec.finalizers = list(old.spec.finalizers) if old else [FINALIZER]  # type: ignore[attr-defined]  # a Namespace

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_meta(obj.metadata, namespaced=False, name_check=validation.dns1123_label)

    def admit_delete(self, api: ApiServer, obj: KubeObject) -> None:
        # NamespaceLifecycle (apiserver admission/plugin/namespace/lifecycle) keeps these for ever.
        if obj.name in IMMORTAL_NAMESPACES:
            raise Forbidden(f'namespaces "{obj.name}" is forbidden: this namespace may not be deleted')
        # The namespace registry's Delete (pkg/registry/core/namespace/storage): the first DELETE
        # starts the termination; another one, while the finalizer is still there, is a Conflict.
        ns: Namespace = obj  # type: ignore[assignment]  # this strategy's kind
        if ns.metadata.deletion_timestamp is not None and ns.spec.finalizers:
            raise Conflict(f'Operation cannot be fulfilled on namespaces "{ns.name}": The system is ensuring all '
                           "content is removed from this namespace.  Upon completion, this namespace will "
                           "automatically be purged by the system.")

    def on_create(self, obj: KubeObject) -> None:
        ns: Namespace = obj  # type: ignore[assignment]  # this strategy's kind
        ns.metadata.labels["kubernetes.io/metadata.name"] = ns.name
        ns.spec.finalizers = [FINALIZER]
        ns.status.phase = ACTIVE


class NodeStrategy(Strategy):
    """Node: a valid name, and the TaintNodesByCondition admission plug-in."""

    kind = "Node"

    def admit(self, api: ApiServer, obj: KubeObject, old: KubeObject | None) -> None:
        # TaintNodesByCondition (plugin/pkg/admission/nodetaint): a new Node is tainted not-ready
        # (NoSchedule) so that no pod lands on it before its conditions are known; the node
        # lifecycle controller sets the taints its conditions call for right after
        # (kitlib.controllers.nodelifecycle.taint_no_schedule).
        node: Node = obj  # type: ignore[assignment]  # this strategy's kind
        if old is None and not any(t.key == NOT_READY and t.effect == "NoSchedule" for t in node.spec.taints):
            node.spec.taints.append(Taint(NOT_READY, "NoSchedule"))

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_meta(obj.metadata, namespaced=False)


class PodStrategy(Strategy):
    """Pod: admission defaults, ValidatePod, and the few fields an update may change."""

    kind = "Pod"
    resets_status = True
    draws = False  # defaults and validation only: a controller's pods need no copy of the generator's state

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
        return validate_pod(obj)  # type: ignore[arg-type]  # this strategy's kind

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
        pod.status.phase = "Pending"
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


class ConfigMapStrategy(Strategy):
    """ConfigMap: ValidateConfigMap, and ValidateConfigMapUpdate's frozen maps once ``immutable``."""

    kind = "ConfigMap"

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        # Not a default: the server cannot decode a binaryData value that is not base64.
        check_binary_data(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validate_configmap(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate_update(self, old: KubeObject, new: KubeObject) -> list[FieldError]:
        return validate_configmap_immutable(old, new)  # type: ignore[arg-type]  # this strategy's kind

    def prepare(self, api: ApiServer, obj: KubeObject, old: KubeObject | None, txn: Allocation) -> None:
        """As :meth:`Strategy.prepare`, but the update's errors come first, as in
        ``ValidateConfigMapUpdate``."""
        self.admit(api, obj, old)
        self.default(obj, old)
        self.allocate(api, obj, old, txn)
        errs = self.validate_update(old, obj) if old is not None else []
        errs += self.validate(obj)
        if errs:
            raise invalid(RESOURCES[self.kind].qualified_kind, obj.name, errs)


def validate_configmap(cm: ConfigMap) -> list[FieldError]:
    """ValidateConfigMap: the name, each key (a data key also in binaryData is refused), and at
    most 1 MiB of values in all."""
    errs = validation.validate_meta(cm.metadata, namespaced=True)
    total = 0
    for key, value in cm.data.items():
        errs += [FieldError(f"data[{key}]", "Invalid value", key, msg) for msg in config_key_errors(key)]
        if key in cm.binary_data:
            errs.append(FieldError(f"data[{key}]", "Invalid value", key, "duplicate of key present in binaryData"))
        total += len(value.encode())
    for key, value in cm.binary_data.items():
        errs += [FieldError(f"binaryData[{key}]", "Invalid value", key, msg) for msg in config_key_errors(key)]
        total += len(base64.b64decode(value))
    if total > MAX_CONFIG_SIZE:
        # The API server names no field: the error is about the whole object.
        errs.append(FieldError("", "Too long", detail=f"must have at most {MAX_CONFIG_SIZE} bytes", show_value=False))
    return errs


def validate_configmap_immutable(old: ConfigMap, new: ConfigMap) -> list[FieldError]:
    """The part of ValidateConfigMapUpdate beyond metadata: an immutable ConfigMap stays so, and its
    maps do not change."""
    if not old.immutable:
        return []
    errs = []
    if not new.immutable:
        errs.append(FieldError("immutable", "Forbidden", detail=IMMUTABLE_SET))
    if new.data != old.data:
        errs.append(FieldError("data", "Forbidden", detail=IMMUTABLE_SET))
    if new.binary_data != old.binary_data:
        errs.append(FieldError("binaryData", "Forbidden", detail=IMMUTABLE_SET))
    return errs


def check_binary_data(cm: ConfigMap) -> None:
    """Refuse, as the server's JSON decoder does, a binaryData value that is not base64."""
    for value in cm.binary_data.values():
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ServerBadRequest(f'ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                             f'illegal base64 data at input byte {_bad_byte(value)}') from None


def _bad_byte(value: str) -> int:
    """Where Go's base64 decoder stops: the first character outside the alphabet, else the end."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    body = value.rstrip("=")
    return next((i for i, ch in enumerate(body) if ch not in alphabet), len(body))


class EndpointsStrategy(Strategy):
    """Endpoints: stored as given (kitlib does not validate hand-written Endpoints)."""

    kind = "Endpoints"


def validate_secret(secret: Secret) -> list[FieldError]:
    """ValidateSecret for what kitlib uses: the name, and a TLS Secret's two keys (``stringData`` is
    already folded into ``data`` by :func:`default_secret`)."""
    errs = validation.validate_meta(secret.metadata, namespaced=True)
    for key, value in secret.data.items():
        errs += [FieldError(f"data[{key}]", "Invalid value", key, msg) for msg in config_key_errors(key)]
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



STRATEGIES = (NamespaceStrategy(), NodeStrategy(), PodStrategy(), SecretStrategy(), ConfigMapStrategy(),
              EndpointsStrategy())
