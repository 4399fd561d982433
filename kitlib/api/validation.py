"""The API server's validation, with apimachinery's messages.

Each ``validate_*`` returns a list of :class:`FieldError`; the caller raises
:func:`kitlib.errors.invalid` when the list is not empty, before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import FieldError, required, unsupported
from .apps import Deployment, ReplicaSet
from .labels import LabelSelector, validate_selector
from .meta import ObjectMeta
from .pod import Pod, PodSpec, PodTemplateSpec, Probe

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
PROTOCOLS = ["SCTP", "TCP", "UDP"]


def dns1123_subdomain(value: str, path: str) -> list[FieldError]:
    errs = []
    if len(value) > 253:
        errs.append(FieldError(path, "Invalid value", value, "must be no more than 253 characters"))
    if not DNS1123_SUBDOMAIN.match(value):
        errs.append(FieldError(path, "Invalid value", value, SUBDOMAIN_MSG))
    return errs


def dns1123_label(value: str, path: str) -> list[FieldError]:
    errs = []
    if len(value) > 63:
        errs.append(FieldError(path, "Invalid value", value, "must be no more than 63 characters"))
    if not DNS1123_LABEL.match(value):
        errs.append(FieldError(path, "Invalid value", value, LABEL_MSG))
    return errs


def validate_labels(labels: dict[str, str], path: str) -> list[FieldError]:
    errs = []
    for key, value in labels.items():
        name = key.rsplit("/", 1)[-1]
        if not QUALIFIED_NAME.match(name) or len(name) > 63:
            errs.append(FieldError(path, "Invalid value", key, NAME_MSG))
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            errs.append(FieldError(path, "Invalid value", value, LABEL_VALUE_MSG))
    return errs


def validate_meta(meta: ObjectMeta, *, namespaced: bool, name_check: Callable[[str, str], list[FieldError]] = dns1123_subdomain) -> list[FieldError]:
    errs: list[FieldError] = []
    if not meta.name and not meta.generate_name:
        errs.append(FieldError("metadata.name", "Required value", detail="name or generateName is required"))
    elif meta.name:
        errs += name_check(meta.name, "metadata.name")
    errs += validate_labels(meta.labels, "metadata.labels")
    return errs


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
        errs += validate_probe(c.liveness_probe, f"{p}.livenessProbe", "liveness")
        errs += validate_probe(c.readiness_probe, f"{p}.readinessProbe", "readiness")
        errs += validate_probe(c.startup_probe, f"{p}.startupProbe", "startup")
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


def validate_pod(pod: Pod) -> list[FieldError]:
    return validate_meta(pod.metadata, namespaced=True) + validate_pod_spec(pod.spec, "spec")


def _validate_template(selector: LabelSelector | None, template: PodTemplateSpec, what: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if selector is None:
        errs.append(required("spec.selector"))
    elif selector.is_empty():
        errs.append(FieldError("spec.selector", "Invalid value", _go_selector(selector),
                               f"empty selector is invalid for {what}", show_value=True))
    else:
        errs += validate_selector(selector, "spec.selector")
        if not selector.matches(template.metadata.labels):
            errs.append(FieldError("spec.template.metadata.labels", "Invalid value",
                                   _go_map(template.metadata.labels),
                                   "`selector` does not match template `labels`"))
    errs += validate_labels(template.metadata.labels, "spec.template.metadata.labels")
    errs += validate_pod_spec(template.spec, "spec.template.spec")
    return errs


def validate_deployment(d: Deployment) -> list[FieldError]:
    errs = validate_meta(d.metadata, namespaced=True)
    if d.spec.replicas is not None and d.spec.replicas < 0:
        errs.append(FieldError("spec.replicas", "Invalid value", d.spec.replicas, "must be greater than or equal to 0"))
    errs += _validate_template(d.spec.selector, d.spec.template, "deployment")
    strategy = d.spec.strategy
    if strategy and strategy.type not in (None, "RollingUpdate", "Recreate"):
        errs.append(unsupported("spec.strategy.type", strategy.type, ["Recreate", "RollingUpdate"]))
    if strategy and strategy.rolling_update:
        ru = strategy.rolling_update
        for field_name, value in (("maxUnavailable", ru.max_unavailable), ("maxSurge", ru.max_surge)):
            errs += _int_or_percent(value, f"spec.strategy.rollingUpdate.{field_name}")
        if _is_zero(ru.max_surge) and _is_zero(ru.max_unavailable):
            errs.append(FieldError("spec.strategy.rollingUpdate.maxUnavailable", "Invalid value",
                                   _go_intstr(ru.max_unavailable), "may not be 0 when `maxSurge` is 0"))
        # Only maxUnavailable is capped: a surge of more than 100% is allowed.
        if isinstance(ru.max_unavailable, str) and re.fullmatch(r"[0-9]+%", ru.max_unavailable) \
                and int(ru.max_unavailable[:-1]) > 100:
            errs.append(FieldError("spec.strategy.rollingUpdate.maxUnavailable", "Invalid value",
                                   _go_intstr(ru.max_unavailable), "must not be greater than 100%"))
    if d.spec.min_ready_seconds is not None and d.spec.min_ready_seconds < 0:
        errs.append(FieldError("spec.minReadySeconds", "Invalid value", d.spec.min_ready_seconds,
                               "must be greater than or equal to 0"))
    return errs


def validate_replicaset(rs: ReplicaSet) -> list[FieldError]:
    errs = validate_meta(rs.metadata, namespaced=True)
    if rs.spec.replicas is not None and rs.spec.replicas < 0:
        errs.append(FieldError("spec.replicas", "Invalid value", rs.spec.replicas, "must be greater than or equal to 0"))
    return errs + _validate_template(rs.spec.selector, rs.spec.template, "replicaset")


def _is_zero(v: int | str | None) -> bool:
    return v in (0, "0%")


def _int_or_percent(value: int | str | None, path: str) -> list[FieldError]:
    if value is None or isinstance(value, int):
        if isinstance(value, int) and value < 0:
            return [FieldError(path, "Invalid value", value, "must be greater than or equal to 0")]
        return []
    if not re.fullmatch(r"[0-9]+%", value):
        return [FieldError(path, "Invalid value", _go_intstr(value), "a valid percent string must be a numeric string "
                           "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")]
    return []


def _go_intstr(value: int | str | None) -> GoValue:
    """An IntOrString as apimachinery prints it in a field error (Go's %#v of the struct)."""
    if isinstance(value, str):
        return GoValue(f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}')
    return GoValue(f'intstr.IntOrString{{Type:0, IntVal:{value or 0}, StrVal:""}}')


def _go_map(m: dict[str, str]) -> GoValue:
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(m.items()))
    return GoValue(f"map[string]string{{{inner}}}")


def _go_selector(sel: LabelSelector) -> GoValue:
    return GoValue("v1.LabelSelector{MatchLabels:map[string]string(nil), "
                 "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}")


class GoValue:
    """A Go value printed as-is (not quoted) in a field error."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text
