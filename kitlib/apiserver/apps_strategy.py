"""The apps group's kinds in the API server: Deployments and ReplicaSets.

Defaults and validation follow ``pkg/apis/apps`` for the fields kitlib models; a workload's
label selector cannot change once created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import manifest
from ..api import defaults, validation
from ..api.labels import LabelSelector
from ..errors import FieldError
from .strategy import Strategy

if TYPE_CHECKING:
    from ..api.meta import KubeObject


class DeploymentStrategy(Strategy):
    """Deployment: SetDefaults_Deployment, ValidateDeployment, an immutable selector."""

    kind = "Deployment"
    generation = True

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        defaults.default_deployment(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_deployment(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate_update(self, old: KubeObject, new: KubeObject) -> list[FieldError]:
        return immutable_selector(old, new)


class ReplicaSetStrategy(DeploymentStrategy):
    """ReplicaSet: SetDefaults_ReplicaSet, ValidateReplicaSet, an immutable selector."""

    kind = "ReplicaSet"

    def default(self, obj: KubeObject, old: KubeObject | None) -> None:
        defaults.default_replicaset(obj)  # type: ignore[arg-type]  # this strategy's kind

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate_replicaset(obj)  # type: ignore[arg-type]  # this strategy's kind


def immutable_selector(old: KubeObject, new: KubeObject) -> list[FieldError]:
    """``spec.selector: Invalid value: ...: field is immutable``, with the selector as Go prints it."""
    old_sel: LabelSelector | None = old.spec.selector  # type: ignore[attr-defined]  # a workload
    new_sel: LabelSelector | None = new.spec.selector  # type: ignore[attr-defined]  # a workload
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


STRATEGIES = (DeploymentStrategy(), ReplicaSetStrategy())
