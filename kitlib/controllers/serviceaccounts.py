"""The ServiceAccount controller (kube-controller-manager's ``serviceaccount-controller``,
``pkg/controller/serviceaccount/serviceaccounts_controller.go``): every active namespace has a
ServiceAccount named ``default``, made when the namespace appears and again when it is deleted.
A terminating namespace gets none.

The system components' own accounts (``kube-proxy``, ``coredns``, ...) are not modelled: kitlib's
bootstrap creates no RBAC objects for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.event import ServiceAccount
from ..api.meta import ObjectMeta

if TYPE_CHECKING:
    from ..runtime import Runtime

DEFAULT = "default"
"""The account each namespace gets (``serviceaccount.DefaultServiceAccountName``)."""


def sync(rt: Runtime, namespace: str) -> None:
    """Create ``default`` in ``namespace`` if the namespace is active and the account is missing."""
    store = rt.api.store
    ns = store.get("Namespace", namespace)
    if ns is None or ns.metadata.deletion_timestamp is not None:
        return
    if store.get("ServiceAccount", f"{namespace}/{DEFAULT}") is not None:
        return
    rt.api.create_trusted(ServiceAccount(metadata=ObjectMeta(name=DEFAULT, namespace=namespace)))
