"""The apps group's kinds in the API server: Deployments, ReplicaSets and DaemonSets.

Defaults and validation follow ``pkg/apis/apps`` for the fields kitlib models; a workload's
label selector cannot change once created.
"""

from __future__ import annotations

import re

from .. import manifest
from ..api import defaults, validation
from ..api.apps import DaemonSet, Deployment, ReplicaSet
from ..api.labels import LabelSelector, validate_selector
from ..api.pod import PodTemplateSpec
from ..api.validation import GoValue, validate_labels, validate_meta
from ..errors import FieldError, required, unsupported
from .core_strategy import validate_pod_spec
from .strategy import Strategy


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
    # ValidatePodTemplateSpecForReplicaSet: after the template's own checks, a workload's pods restart.
    if template.spec.restart_policy != "Always":
        errs.append(unsupported("spec.template.spec.restartPolicy", template.spec.restart_policy, ["Always"]))
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


TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
"""The annotation apps/v1 keeps a DaemonSet's ``spec.templateGeneration`` in (1, then +1 for each
template change); the controller labels its pods ``pod-template-generation`` with it."""


def validate_daemonset(ds: DaemonSet) -> list[FieldError]:
    """``ValidateDaemonSetSpec`` (``pkg/apis/apps/validation``): the selector (matching the
    template's labels, not empty), the pod template (restartPolicy Always), minReadySeconds, the
    update strategy and revisionHistoryLimit, in that order. Unlike a Deployment's, a missing
    selector is not "Required": it selects nothing, so only the template's labels fail."""
    errs = validate_meta(ds.metadata, namespaced=True)
    sel, template = ds.spec.selector, ds.spec.template
    if sel is not None:
        errs += validate_selector(sel, "spec.selector")
    # LabelSelectorAsSelector(nil) selects nothing, so a missing selector matches no labels either.
    if sel is None or not sel.matches(template.metadata.labels):
        errs.append(FieldError("spec.template.metadata.labels", "Invalid value", _go_map(template.metadata.labels),
                               "`selector` does not match template `labels`"))
    if sel is not None and sel.is_empty():
        errs.append(FieldError("spec.selector", "Invalid value", _go_selector(sel),
                               "empty selector is invalid for daemonset", show_value=True))
    errs += validate_labels(template.metadata.labels, "spec.template.metadata.labels")
    errs += validate_pod_spec(template.spec, "spec.template.spec")
    if template.spec.restart_policy != "Always":
        errs.append(unsupported("spec.template.spec.restartPolicy", template.spec.restart_policy, ["Always"]))
    if ds.spec.min_ready_seconds is not None and ds.spec.min_ready_seconds < 0:
        errs.append(FieldError("spec.minReadySeconds", "Invalid value", ds.spec.min_ready_seconds,
                               "must be greater than or equal to 0"))
    strategy = ds.spec.update_strategy
    if strategy is not None and strategy.type == "RollingUpdate":
        ru = strategy.rolling_update
        if ru is None:
            errs.append(required("spec.updateStrategy.rollingUpdate"))
        else:
            # ValidateRollingUpdateDaemonSet: each an int or percentage of at most 100%, and
            # exactly one of them non-zero.
            path = "spec.updateStrategy.rollingUpdate"
            errs += _int_or_percent(ru.max_unavailable, f"{path}.maxUnavailable")
            errs += _int_or_percent(ru.max_surge, f"{path}.maxSurge")
            for name, value in (("maxUnavailable", ru.max_unavailable), ("maxSurge", ru.max_surge)):
                if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value) and int(value[:-1]) > 100:
                    errs.append(FieldError(f"{path}.{name}", "Invalid value", _go_intstr(value),
                                           "must not be greater than 100%"))
            has_unavailable, has_surge = not _is_zero(ru.max_unavailable), not _is_zero(ru.max_surge)
            if has_unavailable and has_surge:
                errs.append(FieldError(f"{path}.maxSurge", "Invalid value", _go_intstr(ru.max_surge),
                                       "may not be set when maxUnavailable is non-zero"))
            elif not has_unavailable and not has_surge:
                errs.append(FieldError(f"{path}.maxUnavailable", "Required value",
                                       detail="cannot be 0 when maxSurge is 0", show_value=False))
    elif strategy is not None and strategy.type != "OnDelete":
        errs.append(unsupported("spec.updateStrategy", GoValue(
            f'apps.DaemonSetUpdateStrategy{{Type:"{strategy.type}", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}}'),
            ["OnDelete", "RollingUpdate"]))
    if ds.spec.revision_history_limit is not None and ds.spec.revision_history_limit < 0:
        errs.append(FieldError("spec.revisionHistoryLimit", "Invalid value", ds.spec.revision_history_limit,
                               "must be greater than or equal to 0"))
    return errs


def _is_zero(v: int | str | None) -> bool:
    return v in (0, "0%", None)


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


class DeploymentStrategy(Strategy[Deployment]):
    """Deployment: SetDefaults_Deployment, ValidateDeployment, an immutable selector."""

    kind = "Deployment"
    generation = True
    scalable = True
    resets_status = True

    def default(self, obj: Deployment, old: Deployment | None) -> None:
        defaults.default_deployment(obj)

    def validate(self, obj: Deployment) -> list[FieldError]:
        return validate_deployment(obj)

    def validate_update(self, old: Deployment, new: Deployment) -> list[FieldError]:
        return immutable_selector(old, new)


class ReplicaSetStrategy(Strategy[ReplicaSet]):
    """ReplicaSet: SetDefaults_ReplicaSet, ValidateReplicaSet, an immutable selector."""

    kind = "ReplicaSet"
    generation = True
    scalable = True
    resets_status = True

    def default(self, obj: ReplicaSet, old: ReplicaSet | None) -> None:
        defaults.default_replicaset(obj)

    def validate(self, obj: ReplicaSet) -> list[FieldError]:
        return validate_replicaset(obj)

    def validate_update(self, old: ReplicaSet, new: ReplicaSet) -> list[FieldError]:
        return immutable_selector(old, new)


class DaemonSetStrategy(Strategy[DaemonSet]):
    """DaemonSet: SetDefaults_DaemonSet, ValidateDaemonSet, an immutable selector, and the
    template generation (``daemonSetStrategy.PrepareForCreate`` / ``PrepareForUpdate``)."""

    kind = "DaemonSet"
    generation = True
    resets_status = True

    def default(self, obj: DaemonSet, old: DaemonSet | None) -> None:
        defaults.default_daemonset(obj)
        if old is None:
            obj.metadata.annotations[TEMPLATE_GENERATION] = "1"
            return
        generation = old.metadata.annotations.get(TEMPLATE_GENERATION, "1")
        if manifest.to_plain(old.spec.template) != manifest.to_plain(obj.spec.template):
            generation = str(int(generation) + 1)
        obj.metadata.annotations[TEMPLATE_GENERATION] = generation

    def validate(self, obj: DaemonSet) -> list[FieldError]:
        return validate_daemonset(obj)

    def validate_update(self, old: DaemonSet, new: DaemonSet) -> list[FieldError]:
        return immutable_selector(old, new)


def immutable_selector(old: Deployment | ReplicaSet | DaemonSet, new: Deployment | ReplicaSet | DaemonSet) -> list[FieldError]:
    """``spec.selector: Invalid value: ...: field is immutable``, with the selector as Go prints it."""
    old_sel: LabelSelector | None = old.spec.selector
    new_sel: LabelSelector | None = new.spec.selector
    if manifest.to_plain(old_sel) == manifest.to_plain(new_sel):
        return []
    return [FieldError("spec.selector", "Invalid value", validation.GoValue(go_selector_text(new_sel)),
                       "field is immutable")]


def go_selector_text(sel: LabelSelector | None) -> str:
    """A label selector as Go's ``%#v`` prints it in the API server's message."""
    if sel is None:
        return "nil"
    labels = ", ".join(f'"{k}":"{v}"' for k, v in sorted(sel.match_labels.items()))
    exprs = "nil" if not sel.match_expressions else "..."
    return (f"v1.LabelSelector{{MatchLabels:map[string]string{{{labels}}}, "
            f"MatchExpressions:[]v1.LabelSelectorRequirement({exprs})}}")


STRATEGIES = (DeploymentStrategy(), ReplicaSetStrategy(), DaemonSetStrategy())
