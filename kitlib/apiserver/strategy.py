"""A kind's strategy: what the API server does to an object of that kind besides storing it.

As ``pkg/registry/<group>/<kind>/strategy.go`` in Kubernetes, one strategy answers for one kind:
its defaults, its admission, what it allocates, its validation on create and update (immutable
fields included), the server-set fields of a new object and what it frees when deleted. The
:class:`~kitlib.apiserver.server.ApiServer` runs them in this order for every write:

1. :meth:`Strategy.prepare`: on create, :meth:`Strategy.prepare_for_create` (the client's status
   dropped); then admission, defaults, allocation, validation (an error here fails the request and
   the server undoes whatever the request allocated);
2. :meth:`Strategy.on_create` or :meth:`Strategy.on_update`: the fields only the server sets;
   then :meth:`Strategy.before_store`: what the request writes just before the object (a
   Service's IPAddress);
3. :meth:`Strategy.release` once the object has left storage.

Where is kind X validated? In its strategy, listed by :mod:`kitlib.apiserver.strategies`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from ..api.meta import KubeObject
from ..api.registry import RESOURCES
from ..errors import FieldError, invalid

if TYPE_CHECKING:
    from .server import ApiServer

K = TypeVar("K", bound=KubeObject)


class Allocation:
    """What one request reserved (given back if it fails) and what it gives up (freed only once it
    succeeds), as the registry's allocation transaction."""

    def __init__(self, *, dry_run: bool = False) -> None:
        self.undo: list[Callable[[], None]] = []
        self.commit: list[Callable[[], None]] = []
        self.dry_run = dry_run
        """A dry run (``--dry-run=server``): undone even when it succeeds, and some allocators
        answer it without looking (the ClusterIP allocator's ``DryRun``)."""
        self.uid_rng_saved = False
        """Whether an undo already rewinds the API server's UID stream (saved at its first draw)."""

    def rollback(self) -> None:
        """The request failed: give back everything it reserved."""
        for fn in reversed(self.undo):
            fn()
        self.undo.clear()
        self.commit.clear()

    def finish(self) -> None:
        """The request succeeded: free what it gave up."""
        for fn in self.commit:
            fn()
        self.undo.clear()
        self.commit.clear()


class Strategy(Generic[K]):
    """The rules of one kind. The base class stores objects as they are, validating nothing.

    ``K`` is the kind's class: the server runs a kind's strategy only on objects of that kind
    (:func:`kitlib.apiserver.strategies.strategy_for`), so ``ServiceStrategy(Strategy[Service])``
    takes Services.
    """

    kind: ClassVar[str] = ""
    generation: ClassVar[bool] = False
    """Whether the object has ``metadata.generation`` (1 on create, +1 on each spec change)."""
    scalable: ClassVar[bool] = False
    """Whether the kind is served with a ``scale`` subresource (``kubectl scale``)."""
    draws: ClassVar[bool] = True
    """Whether :meth:`prepare` may draw from the cluster's random generator (an allocation): the
    request then saves the generator's state first, so that a failure rewinds it."""
    resets_status: ClassVar[bool] = False
    """Whether ``PrepareForCreate`` drops the status a client sent (every kind with a status but
    Node, whose kubelet registers it with its status)."""
    own_uid_stream: ClassVar[bool] = False
    """Whether the kind's UIDs come from the API server's second generator
    (:attr:`~kitlib.apiserver.server.ApiServer.uid_rng`), not the cluster's: IPAddresses and
    ServiceCIDRs, written with every Service, then draw nothing the lessons' names depend on."""

    def prepare_for_create(self, obj: K) -> None:
        """``PrepareForCreate``: a create cannot set the status; the server's controllers write it."""
        if self.resets_status:
            obj.status = type(obj.status)()  # type: ignore[attr-defined]  # a kind with a status

    def admit(self, api: ApiServer, obj: K, old: K | None) -> None:
        """Mutating admission plug-ins (DefaultIngressClass, ...)."""

    def default(self, obj: K, old: K | None) -> None:
        """The API's defaults (``SetDefaults_<Kind>``), on create (``old`` None) and on update."""

    def allocate(self, api: ApiServer, obj: K, old: K | None, txn: Allocation) -> None:
        """Reserve what the object needs from the server's allocators (ClusterIPs, NodePorts)."""

    def validate(self, obj: K) -> list[FieldError]:
        """``Validate<Kind>``: every field error of the object, in the API server's words."""
        return []

    def validate_update(self, old: K, new: K) -> list[FieldError]:
        """``Validate<Kind>Update`` beyond :meth:`validate`: the fields that may not change."""
        return []

    def prepare(self, api: ApiServer, obj: K, old: K | None, txn: Allocation) -> None:
        """Everything that can fail, in the registry's order: admission, defaults, allocation,
        validation. Raises :class:`kitlib.Invalid` with all field errors."""
        if old is None:
            self.prepare_for_create(obj)
        self.admit(api, obj, old)
        self.default(obj, old)
        self.allocate(api, obj, old, txn)
        errs = self.validate(obj)
        if old is not None:
            errs += self.validate_update(old, obj)
        if errs:
            raise invalid(RESOURCES[self.kind].qualified_kind, obj.name, errs)

    def warnings(self, obj: K, old: K | None) -> list[str]:
        """``WarningsOnCreate`` / ``WarningsOnUpdate``: what the server warns about an accepted
        object (kubectl prints each as ``Warning: ...``)."""
        return []

    def admit_delete(self, api: ApiServer, obj: K) -> None:
        """Validating admission of a DELETE (NamespaceLifecycle's immortal namespaces), before
        anything is deleted."""

    def on_create(self, obj: K) -> None:
        """Fields the server sets on a new object (``PrepareForCreate``: status, phase)."""

    def before_store(self, api: ApiServer, obj: K, old: K | None) -> None:
        """What the request writes just before it stores ``obj`` (new, or replacing ``old``): the
        IPAddress of a ClusterIP allocated to a Service."""

    def on_update(self, old: K, new: K) -> None:
        """Fields an update cannot change (``PrepareForUpdate``): by default the status is kept."""
        if hasattr(old, "status"):
            new.status = old.status  # type: ignore[attr-defined]  # every kind with a status

    def release(self, api: ApiServer, obj: K) -> None:
        """Give back what the object held, once it has left storage."""
