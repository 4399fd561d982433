"""Figures: plotly views computed from cluster state. The engine never imports this package."""

from .cluster_map import cluster_map, update_cluster_map

__all__ = ["cluster_map", "update_cluster_map"]
