"""Every kind the API server serves, with its strategy: the one list to extend with a new kind's
strategy module (a kind added to an existing module needs no change here)."""

from __future__ import annotations

from . import apps_strategy, core_strategy, ingress_strategy, service_strategy
from .strategy import Strategy

STRATEGIES: dict[str, Strategy] = {
    s.kind: s
    for module in (core_strategy, apps_strategy, service_strategy, ingress_strategy)
    for s in module.STRATEGIES
}
DEFAULT = Strategy()
"""Kinds with no rules of their own (EndpointSlices) are stored as they are."""


def strategy_for(kind: str) -> Strategy:
    """The strategy of ``kind``."""
    return STRATEGIES.get(kind, DEFAULT)
