"""Widgets: thin controls over the engine. Every control is one Cluster call, then a redraw."""

from .lab import DeploymentLab

__all__ = ["DeploymentLab"]
