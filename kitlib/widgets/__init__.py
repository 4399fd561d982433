"""Widgets: thin controls over the engine. Every control is one Cluster call, then a redraw."""

from .lab import DeploymentLab
from .service_lab import ServiceLab

__all__ = ["DeploymentLab"]
__all__ += ["ServiceLab"]
from .readiness_lab import ReadinessLab  # noqa: E402

__all__ += ["ReadinessLab"]
from .ingress_lab import IngressLab  # noqa: E402

__all__ += ["IngressLab"]
from .firewall_lab import FirewallLab  # noqa: E402

__all__ += ["FirewallLab"]
from .gateway_lab import GatewayLab  # noqa: E402

__all__ += ["GatewayLab"]
