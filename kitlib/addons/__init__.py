"""Cluster add-ons: components a fresh cluster does not run until you install them.

``cluster.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")`` installs
MetalLB in layer-2 mode, the usual load-balancer implementation of a bare-metal or minikube
cluster: without it a LoadBalancer Service's EXTERNAL-IP stays ``<pending>`` for ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BadRequest
from .envoy_gateway import EnvoyGateway
from .ingress_nginx import IngressNginx
from .metallb import MetalLB

if TYPE_CHECKING:
    from ..runtime import Runtime

ADDONS: dict[str, Any] = {"metallb": MetalLB, "ingress": IngressNginx, "gateway": EnvoyGateway}
"""Add-on name -> class; each has ``install()``, ``configure(**options)`` and ``uninstall()``."""


def enable(rt: Runtime, name: str, **options: Any) -> Any:
    """Install an add-on (or reconfigure it if it runs already) and return it."""
    cls = ADDONS.get(name)
    if cls is None:
        raise BadRequest(f'error: "{name}" is not a valid addon: the addons kitlib has are '
                         + ", ".join(f'"{n}"' for n in sorted(ADDONS)))
    installed = rt.addons.get(name)
    if installed is not None:
        installed.configure(**options)
        return installed
    addon = cls(rt, **options)
    rt.addons[name] = addon
    addon.install()
    return addon


def disable(rt: Runtime, name: str) -> None:
    """Uninstall an add-on."""
    if name not in ADDONS:
        raise BadRequest(f'error: "{name}" is not a valid addon: the addons kitlib has are '
                         + ", ".join(f'"{n}"' for n in sorted(ADDONS)))
    addon = rt.addons.pop(name, None)
    if addon is None:
        raise BadRequest(f'error: addon "{name}" is not enabled')
    addon.uninstall()


__all__ = ["ADDONS", "EnvoyGateway", "IngressNginx", "MetalLB", "disable", "enable"]
