"""The apps group's kinds in the API server: Deployments and ReplicaSets.

Defaults and validation follow ``pkg/apis/apps`` for the fields kitlib models; a workload's
label selector cannot change once created.
"""

from __future__ import annotations

from .. import manifest
from ..api import defaults, validation
from ..api.apps import Deployment, ReplicaSet
from ..api.labels import LabelSelector
from ..errors import FieldError
from .strategy import Strategy


class DeploymentStrategy(Strategy[Deployment]):
    """Deployment: SetDefaults_Deployment, ValidateDeployment, an immutable selector."""

    kind = "Deployment"
    generation = True

    def default(self, obj: Deployment, old: Deployment | None) -> None:
        defaults.default_deployment(obj)

    def validate(self, obj: Deployment) -> list[FieldError]:
        return validation.validate_deployment(obj)

    def validate_update(self, old: Deployment, new: Deployment) -> list[FieldError]:
        return immutable_selector(old, new)


class ReplicaSetStrategy(Strategy[ReplicaSet]):
    """ReplicaSet: SetDefaults_ReplicaSet, ValidateReplicaSet, an immutable selector."""

    kind = "ReplicaSet"
    generation = True

    def default(self, obj: ReplicaSet, old: ReplicaSet | None) -> None:
        defaults.default_replicaset(obj)

    def validate(self, obj: ReplicaSet) -> list[FieldError]:
        return validation.validate_replicaset(obj)

    def validate_update(self, old: ReplicaSet, new: ReplicaSet) -> list[FieldError]:
        return immutable_selector(old, new)


def immutable_selector(old: Deployment | ReplicaSet, new: Deployment | ReplicaSet) -> list[FieldError]:
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


STRATEGIES = (DeploymentStrategy(), ReplicaSetStrategy())
