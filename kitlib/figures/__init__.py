"""Figures: plotly views computed from cluster state. The engine never imports this package."""

from .cluster_map import cluster_map, map_text, update_cluster_map
from .iptables_view import iptables_rules, iptables_view
from .nftables_rules import nft_rules
from .sankey import traffic_sankey, update_traffic_sankey
from .service_graph import routes_text, service_graph, service_graph_text, update_service_graph

__all__ = ["cluster_map", "update_cluster_map", "map_text"]
__all__ += ["service_graph", "update_service_graph", "traffic_sankey", "update_traffic_sankey", "iptables_view",
            "iptables_rules", "nft_rules", "routes_text", "service_graph_text"]
from .timeline import success_rate, timeline, update_success_rate, update_timeline  # noqa: E402

__all__ += ["timeline", "update_timeline", "success_rate", "update_success_rate"]
from .routing_tree import ingress_tree, routing_tree, tree_text, update_routing_tree  # noqa: E402

__all__ += ["routing_tree", "update_routing_tree", "ingress_tree", "tree_text"]
from .topology import endpoint_choice, topology_view  # noqa: E402

__all__ += ["topology_view", "endpoint_choice"]
from .proxy_rules import proxy_rules  # noqa: E402

__all__ += ["proxy_rules"]
from .netpol import (  # noqa: E402
    cell_hover,
    heatmap_text,
    policy_graph,
    policy_graph_text,
    policy_text,
    reachability,
    reachability_heatmap,
    update_policy_graph,
    update_reachability_heatmap,
)

__all__ += ["reachability_heatmap", "update_reachability_heatmap", "reachability", "policy_graph",
            "update_policy_graph", "cell_hover", "heatmap_text", "policy_text", "policy_graph_text"]
from .gateway_tree import gateway_text, gateway_tree, gateway_view, update_gateway_tree  # noqa: E402

__all__ += ["gateway_tree", "update_gateway_tree", "gateway_view", "gateway_text"]
