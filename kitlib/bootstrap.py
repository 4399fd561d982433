"""What a new cluster already runs before the learner arrives, as minikube sets it up:

* the ServiceCIDR ``kubernetes`` (10.96.0.0/12), which the API server creates from its
  ``--service-cluster-ip-range`` and allocates ClusterIPs from, each with its IPAddress
  (:mod:`kitlib.controllers.servicecidr`);
* the ``kubernetes`` Service (10.96.0.1:443), whose endpoint is the API server on the
  control-plane node (minikube serves it on port 8443);
* CoreDNS: the ``coredns`` Deployment in ``kube-system`` and the ``kube-dns`` Service at
  10.96.0.10 in front of it (ports 53/UDP, 53/TCP and 9153 for metrics).

The cluster is built two minutes before simulated time 0, so that at time 0 every node is
Ready and CoreDNS is running, as on a cluster you have just started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .api.discovery import (
    SERVICE_NAME_LABEL,
    Endpoint,
    EndpointAddress,
    EndpointConditions,
    EndpointPort,
    Endpoints,
    EndpointSlice,
    EndpointsPort,
    EndpointSubset,
)
from .api.meta import ObjectMeta
from .api.node import internal_ip
from .apiserver.server import SECURE_PORT
from .controllers import servicecidr

if TYPE_CHECKING:
    from .runtime import Runtime

BOOT_SECONDS = 120.0
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.14.6"
"""The CoreDNS image kubeadm deploys with Kubernetes 1.37 (minikube's ``constants_kubeadm_images.go``)."""


def control_plane(rt: Runtime) -> None:
    """The API server's ServiceCIDR, its own Service and endpoints, and CoreDNS with its Service."""
    servicecidr.ensure_default(rt)
    node = rt.nodes()[0]
    rt.create({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": rt.api.service_ips.indexed(1),
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": SECURE_PORT}]},
    })
    ip = internal_ip(node)
    # The API server keeps these two itself (no selector, no controller).
    rt.api.create_trusted(Endpoints(
        metadata=ObjectMeta(name="kubernetes", namespace="default",
                            labels={"endpointslice.kubernetes.io/skip-mirror": "true"}),
        subsets=[EndpointSubset(addresses=[EndpointAddress(ip=ip)],
                                ports=[EndpointsPort(port=SECURE_PORT, name="https", protocol="TCP")])]))
    rt.api.create_trusted(EndpointSlice(
        metadata=ObjectMeta(name="kubernetes", namespace="default", labels={SERVICE_NAME_LABEL: "kubernetes"}),
        address_type="IPv4",
        endpoints=[Endpoint(addresses=[ip], conditions=EndpointConditions(ready=True))],
        ports=[EndpointPort(name="https", port=SECURE_PORT, protocol="TCP")]))
    dns_labels = {"k8s-app": "kube-dns"}
    rt.create({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(dns_labels)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(dns_labels)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}},
            "template": {
                "metadata": {"labels": dict(dns_labels)},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "dnsPolicy": "Default",
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                    "containers": [{
                        "name": "coredns", "image": COREDNS_IMAGE, "args": ["-conf", "/etc/coredns/Corefile"],
                        "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                  {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                  {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}],
                    }],
                },
            },
        },
    })
    rt.create({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"},
                     "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
        "spec": {"clusterIP": rt.api.service_ips.indexed(10), "selector": dict(dns_labels),
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]},
    })
