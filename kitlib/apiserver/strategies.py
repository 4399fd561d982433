"""Every kind the API server serves, with its strategy: the one list to extend with a new kind's
strategy module (a kind added to an existing module needs no change here)."""

from __future__ import annotations

from typing import Any

from ..api.meta import KubeObject
from . import (
    apps_strategy,
    core_strategy,
    customresource_strategy,
    ingress_strategy,
    networkpolicy_strategy,
    service_strategy,
    servicecidr_strategy,
)
from .strategy import Strategy

STRATEGIES: dict[str, Strategy[Any]] = {
    s.kind: s
    for module in (core_strategy, apps_strategy, service_strategy, ingress_strategy, servicecidr_strategy,
                   networkpolicy_strategy, customresource_strategy)
    for s in module.STRATEGIES
}
DEFAULT: Strategy[KubeObject] = Strategy()
"""Kinds with no rules of their own (EndpointSlices) are stored as they are."""


def strategy_for(kind: str) -> Strategy[Any]:
    """The strategy of ``kind``: the caller passes it objects of that kind only, which is what
    lets each strategy take its own class (``Strategy[Service]``)."""
    return STRATEGIES.get(kind, DEFAULT)
