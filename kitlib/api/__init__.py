"""The API objects: plain dataclasses that mirror the Kubernetes API fields.

Attributes are snake_case (``pod_ip``); ``to_dict()`` and YAML use the API's camelCase (``podIP``).
"""

from .apps import Deployment, DeploymentSpec, ReplicaSet, ReplicaSetSpec
from .labels import LabelSelector, LabelSelectorRequirement, parse_selector
from .meta import KubeObject, ObjectMeta, OwnerReference
from .namespace import Namespace
from .node import Node
from .pod import Container, ContainerPort, Pod, PodSpec, PodTemplateSpec

__all__ = [
    "Container", "ContainerPort", "Deployment", "DeploymentSpec", "KubeObject", "LabelSelector",
    "LabelSelectorRequirement", "Namespace", "Node", "ObjectMeta", "OwnerReference", "Pod", "PodSpec",
    "PodTemplateSpec", "ReplicaSet", "ReplicaSetSpec", "parse_selector",
]
