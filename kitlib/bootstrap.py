"""What a new cluster already runs before the learner arrives, as minikube sets it up:

* the ServiceCIDR ``kubernetes`` (10.96.0.0/12), which the API server creates from its
  ``--service-cluster-ip-range`` and allocates ClusterIPs from, each with its IPAddress
  (:mod:`kitlib.controllers.servicecidr`);
* the ``kubernetes`` Service (10.96.0.1:443), whose endpoint is the API server on the
  control-plane node (minikube serves it on port 8443);
* CoreDNS: the ``coredns`` Deployment in ``kube-system`` and the ``kube-dns`` Service at
  10.96.0.10 in front of it (ports 53/UDP, 53/TCP and 9153 for metrics);
* the node components of ``minikube start --cni=flannel`` (:func:`node_components`; with
  ``--cni=calico``, Calico's ``calico-node`` DaemonSet and ``calico-kube-controllers`` instead of
  flannel's): the
  control plane's static pods (``etcd-minikube``, ``kube-apiserver-minikube``,
  ``kube-controller-manager-minikube``, ``kube-scheduler-minikube``) as the kubelet mirrors them,
  the ``kube-proxy`` DaemonSet, the ``kube-flannel-ds`` DaemonSet in ``kube-flannel`` and the
  ``storage-provisioner`` pod, all on their nodes' network (their IP is the node's). They draw
  from the API server's system stream (:mod:`kitlib.apiserver.streams`), so the learner's own
  objects keep the names and IPs a seed gave them before these existed.

Simplified: the static pods, kube-proxy and flannel have no probes, flannel no init containers,
and no ConfigMaps, ServiceAccounts or RBAC objects are created for them.

The cluster is built two minutes before simulated time 0, so that at time 0 every node is
Ready and CoreDNS is running, as on a cluster you have just started.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from . import manifest
from .api.convert import clone
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
from .api.meta import KubeObject, ObjectMeta, OwnerReference
from .api.node import Node, internal_ip
from .api.pod import MIRROR_ANNOTATION
from .apiserver.server import SECURE_PORT
from .controllers import servicecidr
from .names import hex_id
from .network import calico

if TYPE_CHECKING:
    from .runtime import Runtime

BOOT_SECONDS = 120.0
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.14.6"
"""The CoreDNS image kubeadm deploys with Kubernetes 1.37 (minikube's ``constants_kubeadm_images.go``)."""
ETCD_IMAGE = "registry.k8s.io/etcd:3.7.0-0"
"""etcd for Kubernetes 1.37 (minikube's ``constants_kubeadm_images.go``)."""
KUBE_VERSION = "v1.37.1"
STORAGE_PROVISIONER_IMAGE = "gcr.io/k8s-minikube/storage-provisioner:v5"
"""minikube's ``storageProvisioner`` image (``images.go``; ``STORAGE_PROVISIONER_TAG`` in its Makefile)."""
FLANNEL_IMAGE = "ghcr.io/flannel-io/flannel:v0.28.9"
"""The flannel image of minikube's ``pkg/minikube/cni/flannel.yaml``."""
STATIC_PODS: tuple[tuple[str, str, list[str], dict[str, str]], ...] = (
    ("etcd", ETCD_IMAGE, ["etcd", "--advertise-client-urls=https://{ip}:2379", "--data-dir=/var/lib/minikube/etcd",
                          "--listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379"],
     {"kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://{ip}:2379"}),
    ("kube-apiserver", f"registry.k8s.io/kube-apiserver:{KUBE_VERSION}",
     ["kube-apiserver", "--advertise-address={ip}", "--secure-port=8443",
      "--service-cluster-ip-range={service_cidr}"],
     {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "{ip}:8443"}),
    ("kube-controller-manager", f"registry.k8s.io/kube-controller-manager:{KUBE_VERSION}",
     ["kube-controller-manager", "--allocate-node-cidrs=true", "--cluster-cidr={pod_cidr}",
      "--service-cluster-ip-range={service_cidr}"], {}),
    ("kube-scheduler", f"registry.k8s.io/kube-scheduler:{KUBE_VERSION}",
     ["kube-scheduler", "--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf"], {}),
)
"""kubeadm's static pod manifests (``/etc/kubernetes/manifests``): the component, its image,
its main flags and the annotations kubeadm writes (``cmd/kubeadm/app/phases/controlplane``, ``etcd``)."""


def _decoded(doc: dict[str, Any]) -> KubeObject:
    """The object of a bootstrap manifest, decoded and checked once per process (every test
    builds clusters) and copied for each cluster."""
    return clone(_decode(json.dumps(doc, sort_keys=True)))


@functools.lru_cache(maxsize=256)
def _decode(text: str) -> KubeObject:
    return manifest.decode(json.loads(text))


def _create(rt: Runtime, doc: dict[str, Any]) -> None:
    """Create a bootstrap object and let the controllers converge (:meth:`Runtime.create`)."""
    rt.api.create(_decoded(doc), copy=False)
    rt.controllers.run()


def control_plane(rt: Runtime) -> None:
    """The API server's ServiceCIDR, its own Service and endpoints, and CoreDNS with its Service."""
    servicecidr.ensure_default(rt)
    node = rt.nodes()[0]
    _create(rt, {
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
    _create(rt, {
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
    _create(rt, {
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


def node_components(rt: Runtime, cni: str) -> None:
    """What minikube runs on the nodes besides CoreDNS: the static control-plane pods on the first
    node, kube-proxy and the CNI's DaemonSet on every node, and storage-provisioner."""
    node = rt.nodes()[0]
    for component, image, command, notes in STATIC_PODS:
        _mirror_pod(rt, node, component, image, command, notes)
    _kube_proxy(rt)
    if cni == "flannel":
        _flannel(rt)
    elif cni == "calico":
        _calico(rt)
    _create(rt, {
        # deploy/addons/storage-provisioner/storage-provisioner.yaml.tmpl
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "storage-provisioner", "namespace": "kube-system",
                     "labels": {"integration-test": "storage-provisioner",
                                "addonmanager.kubernetes.io/mode": "Reconcile"}},
        "spec": {"serviceAccountName": "storage-provisioner", "hostNetwork": True,
                 "containers": [{"name": "storage-provisioner", "image": STORAGE_PROVISIONER_IMAGE,
                                 "command": ["/storage-provisioner"], "imagePullPolicy": "IfNotPresent",
                                 "volumeMounts": [{"mountPath": "/tmp", "name": "tmp"}]}],
                 "volumes": [{"name": "tmp", "hostPath": {"path": "/tmp", "type": "Directory"}}]},
    })


def _mirror_pod(rt: Runtime, node: Node, component: str, image: str, command: list[str],
                annotations: dict[str, str]) -> None:
    """The mirror pod the kubelet writes for a static pod (``pkg/kubelet/pod/mirror_client.go``):
    named ``<component>-<node>``, annotated ``kubernetes.io/config.mirror``, owned by its Node, bound
    to it; its image is already on the node (minikube preloads the images)."""
    ip, config = internal_ip(node), rt.api.config
    values = {"ip": ip, "service_cidr": config.service_cidr, "pod_cidr": config.pod_cidr}
    config_hash = hex_id(rt.api.system_rng, 32)
    rt.node_runtime(node.name).images.add(image)
    pod = _decoded({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": f"{component}-{node.name}", "namespace": "kube-system",
            "labels": {"component": component, "tier": "control-plane"},
            "annotations": {k: v.format(**values) for k, v in annotations.items()},
        },
        "spec": {"nodeName": node.name, "hostNetwork": True, "priorityClassName": "system-node-critical",
                 "containers": [{"name": component, "image": image, "imagePullPolicy": "IfNotPresent",
                                 "command": [c.format(**values) for c in command]}]},
    })
    pod.metadata.annotations.update({
        "kubernetes.io/config.hash": config_hash, MIRROR_ANNOTATION: config_hash,
        "kubernetes.io/config.seen": rt.clock.timestamp()[:19] + ".000000000Z", "kubernetes.io/config.source": "file"})
    pod.metadata.owner_references = [OwnerReference("v1", "Node", node.name, node.metadata.uid or "", True)]
    rt.api.create(pod, copy=False)
    rt.controllers.run()


def _kube_proxy(rt: Runtime) -> None:
    """kubeadm's kube-proxy DaemonSet (``cmd/kubeadm/app/phases/addons/proxy/manifests.go``)."""
    labels = {"k8s-app": "kube-proxy"}
    _create(rt, {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {"metadata": {"labels": dict(labels)}, "spec": {
                "priorityClassName": "system-node-critical", "hostNetwork": True,
                "serviceAccountName": "kube-proxy", "nodeSelector": {"kubernetes.io/os": "linux"},
                "tolerations": [{"operator": "Exists"}],
                "containers": [{
                    "name": "kube-proxy", "image": f"registry.k8s.io/kube-proxy:{KUBE_VERSION}",
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                                "--hostname-override=$(NODE_NAME)"],
                    "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                    "securityContext": {"privileged": True},
                }],
            }},
        },
    })


def _flannel(rt: Runtime) -> None:
    """The ``kube-flannel-ds`` DaemonSet of minikube's ``pkg/minikube/cni/flannel.yaml``, in its
    own namespace (without its init containers and probes)."""
    _create(rt, {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "kube-flannel",
                            "labels": {"k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged"}}})
    _create(rt, {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-flannel-ds", "namespace": "kube-flannel",
                     "labels": {"tier": "node", "app": "flannel", "k8s-app": "flannel"}},
        "spec": {
            "selector": {"matchLabels": {"app": "flannel"}},
            "template": {"metadata": {"labels": {"tier": "node", "app": "flannel"}}, "spec": {
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [
                        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}},
                "hostNetwork": True, "priorityClassName": "system-node-critical",
                "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                "serviceAccountName": "flannel",
                "containers": [{
                    "name": "kube-flannel", "image": FLANNEL_IMAGE, "command": ["/opt/bin/flanneld"],
                    "args": ["--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081"],
                    "ports": [{"name": "healthz", "containerPort": 8081, "protocol": "TCP"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "50Mi"}},
                }],
            }},
        },
    })


def _calico(rt: Runtime) -> None:
    """The ``calico-node`` DaemonSet and the ``calico-kube-controllers`` Deployment of minikube's
    ``pkg/minikube/cni/calico.yaml`` (Calico v3.32.1), in ``kube-system`` (without calico-node's init
    containers and both probes; no CRDs, ConfigMap, ServiceAccounts or RBAC objects)."""
    node_labels = {"k8s-app": "calico-node"}
    _create(rt, {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "calico-node", "namespace": "kube-system", "labels": dict(node_labels)},
        "spec": {
            "selector": {"matchLabels": dict(node_labels)},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {"metadata": {"labels": dict(node_labels)}, "spec": {
                "nodeSelector": {"kubernetes.io/os": "linux"}, "hostNetwork": True,
                "tolerations": [{"effect": "NoSchedule", "operator": "Exists"},
                                {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                {"effect": "NoExecute", "operator": "Exists"}],
                "serviceAccountName": "calico-node", "terminationGracePeriodSeconds": 0,
                "priorityClassName": "system-node-critical",
                "containers": [{
                    "name": "calico-node", "image": calico.NODE_IMAGE, "imagePullPolicy": "IfNotPresent",
                    "env": [{"name": "DATASTORE_TYPE", "value": "kubernetes"},
                            {"name": "WAIT_FOR_DATASTORE", "value": "true"},
                            {"name": "NODENAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                            {"name": "CLUSTER_TYPE", "value": "k8s,bgp"},
                            {"name": "IP", "value": "autodetect"},
                            {"name": "CALICO_IPV4POOL_IPIP", "value": "Always"},
                            {"name": "CALICO_IPV4POOL_VXLAN", "value": "Never"},
                            {"name": "CALICO_IPV6POOL_VXLAN", "value": "Never"},
                            {"name": "CALICO_DISABLE_FILE_LOGGING", "value": "true"},
                            {"name": "FELIX_DEFAULTENDPOINTTOHOSTACTION", "value": "ACCEPT"},
                            {"name": "FELIX_IPV6SUPPORT", "value": "false"},
                            {"name": "FELIX_HEALTHENABLED", "value": "true"}],
                    "securityContext": {"privileged": True},
                    "resources": {"requests": {"cpu": "250m"}},
                }],
            }},
        },
    })
    controller_labels = {"k8s-app": "calico-kube-controllers"}
    _create(rt, {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "calico-kube-controllers", "namespace": "kube-system",
                     "labels": dict(controller_labels)},
        "spec": {
            "replicas": 1, "selector": {"matchLabels": dict(controller_labels)},
            "strategy": {"type": "Recreate"},
            "template": {"metadata": {"name": "calico-kube-controllers", "namespace": "kube-system",
                                      "labels": dict(controller_labels)}, "spec": {
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                {"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"},
                                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                "serviceAccountName": "calico-kube-controllers",
                "priorityClassName": "system-cluster-critical",
                "containers": [{
                    "name": "calico-kube-controllers", "image": calico.KUBE_CONTROLLERS_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "env": [{"name": "ENABLED_CONTROLLERS", "value": "node,loadbalancer"},
                            {"name": "DATASTORE_TYPE", "value": "kubernetes"}],
                    "securityContext": {"runAsNonRoot": True},
                }],
            }},
        },
    })
