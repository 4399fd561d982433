"""ServiceCIDRs and IPAddresses (networking.k8s.io/v1, GA in 1.33): the objects behind ClusterIP
allocation, checked against the Kubernetes sources (``pkg/registry/core/service/ipallocator``,
``pkg/controller/servicecidrs``, ``pkg/controlplane/controller/defaultservicecidr``,
``pkg/apis/networking/validation``, ``repairip.go``) and, for kubectl's client-side output, the
real kubectl 1.37.1 through the stub API server of ``test_kubectl_services``.
"""

from __future__ import annotations

import re
from pathlib import Path

import oracle
import pytest
import yaml
from test_kubectl_services import against_real, ours  # noqa: F401  (against_real is a fixture)

import kitlib
from kitlib.api.servicecidr import IPAddress, ServiceCIDR
from kitlib.errors import AlreadyExists, ApiError, BadRequest, Invalid

KUBE_DNS = "10.96.0.10"


def apply(cluster: kitlib.Cluster, text: str) -> str:
    return cluster.kubectl(f"apply -f - <<EOF\n{text}\nEOF")


def ipaddress(name: str, parent: str = "  parentRef:\n    group: gateway.networking.k8s.io\n"
              "    resource: gateways\n    namespace: default\n    name: gw") -> str:
    return f"apiVersion: networking.k8s.io/v1\nkind: IPAddress\nmetadata:\n  name: {name}\nspec:\n{parent}"


def servicecidr(name: str, *cidrs: str) -> str:
    listed = "".join(f"\n  - {c}" for c in cidrs)
    return f"apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata:\n  name: {name}\nspec:\n  cidrs:{listed}"


def refused(cluster, snapshot, call, message: str, error: type[ApiError] = Invalid) -> None:
    """``call`` fails with exactly ``message`` and leaves the whole cluster as it was."""
    before = snapshot(cluster)
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message
    assert snapshot(cluster) == before


def names(cluster: kitlib.Cluster, kind: str) -> list[str]:
    return [o.name for o in cluster.list(kind, None)]


# ------------------------------------------------------------------------- a new cluster


def test_a_new_cluster_has_the_default_service_cidr(cluster):
    """The API server creates ServiceCIDR ``kubernetes`` from --service-cluster-ip-range; the
    controller manager adds its finalizer and sets Ready with its own message."""
    cidr = cluster.get("ServiceCIDR", "kubernetes")
    assert isinstance(cidr, ServiceCIDR)
    assert cidr.spec.cidrs == ["10.96.0.0/12"]
    assert cidr.metadata.finalizers == ["networking.k8s.io/service-cidr-finalizer"]
    assert cidr.to_dict()["status"] == {"conditions": [{
        "lastTransitionTime": cidr.metadata.creation_timestamp, "message": "Kubernetes Service CIDR is ready",
        "reason": "", "status": "True", "type": "Ready"}]}
    assert cluster.kubectl("get servicecidr") == "NAME         CIDRS          AGE\nkubernetes   10.96.0.0/12   2m"


def test_the_bootstrap_services_have_their_ipaddresses(cluster):
    """10.96.0.1 (``kubernetes``) and 10.96.0.10 (``kube-dns``) each have the allocator's IPAddress,
    as on minikube (``kubectl get ipaddress 10.96.0.1`` in the Extend Service IP Ranges task)."""
    assert cluster.kubectl("get ipaddresses") == (
        "NAME         PARENTREF\n"
        "10.96.0.1    services/default/kubernetes\n"
        "10.96.0.10   services/kube-system/kube-dns")
    ip = cluster.get("IPAddress", "10.96.0.1").to_dict()
    assert ip["metadata"]["labels"] == {"ipaddress.kubernetes.io/ip-family": "IPv4",
                                        "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io"}
    assert ip["spec"] == {"parentRef": {"resource": "services", "namespace": "default", "name": "kubernetes"}}


def test_kubectl_finds_them_by_every_name(cluster):
    """Discovery gives ``ipaddresses`` the short name ``ip``, ``servicecidrs`` none."""
    for word in ("ip", "ipaddress", "ipaddresses", "ipaddresses.networking.k8s.io", "IPAddress"):
        assert cluster.kubectl(f"get {word} 10.96.0.1 -o name") == "ipaddress.networking.k8s.io/10.96.0.1"
    for word in ("servicecidr", "servicecidrs", "servicecidrs.networking.k8s.io"):
        assert cluster.kubectl(f"get {word} -o name") == "servicecidr.networking.k8s.io/kubernetes"
    with pytest.raises(BadRequest, match='the server doesn\'t have a resource type "sc"'):
        cluster.kubectl("get sc")


# ---------------------------------------------------------------- IPAddresses and Services


def test_a_clusterip_gets_its_ipaddress_written_before_the_service(cluster):
    """The allocator creates the IPAddress as it allocates (``createIPAddress``): it is stored
    before the Service, with the Service as its parent."""
    svc = cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                         "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}})[0]
    ip = cluster.get("IPAddress", svc.spec.cluster_ip)
    assert isinstance(ip, IPAddress)
    assert (ip.spec.parent_ref.resource, ip.spec.parent_ref.namespace, ip.spec.parent_ref.name) == (
        "services", "default", "web")
    assert int(ip.metadata.resource_version) < int(svc.metadata.resource_version)
    assert ip.metadata.creation_timestamp == svc.metadata.creation_timestamp


def test_deleting_the_service_deletes_its_ipaddress(cluster):
    """The ClusterIP goes back to the allocator with the IPAddress (``Release``)."""
    cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.96.0.50")
    cluster.kubectl("delete service web --wait=false")
    assert "10.96.0.50" not in names(cluster, "IPAddress")
    assert not cluster.service_ips.in_use("10.96.0.50")
    cluster.kubectl("create service clusterip again --tcp=80 --clusterip=10.96.0.50")
    assert cluster.get("IPAddress", "10.96.0.50").spec.parent_ref.name == "again"


def test_headless_and_external_name_services_have_no_ipaddress(cluster):
    """Only an allocated ClusterIP has an IPAddress."""
    before = names(cluster, "IPAddress")
    cluster.kubectl("create service clusterip db --clusterip=None")
    cluster.kubectl("create service externalname ext --external-name=db.example.com")
    assert names(cluster, "IPAddress") == before


def test_a_type_change_writes_or_deletes_the_ipaddress(cluster):
    """ExternalName to ClusterIP allocates (an IPAddress appears); back to ExternalName releases
    it once the update succeeds."""
    ext = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
           "spec": {"type": "ExternalName", "externalName": "db.example.com"}}
    cluster.apply(ext)
    svc = cluster.apply({**ext, "spec": {"type": "ClusterIP", "ports": [{"port": 5432}]}})[0]
    ip = svc.spec.cluster_ip
    assert cluster.get("IPAddress", ip).spec.parent_ref.name == "db"
    cluster.apply(ext)
    assert ip not in names(cluster, "IPAddress") and not cluster.service_ips.in_use(ip)


def test_a_failed_service_create_leaves_no_ipaddress(cluster, snapshot):
    """Allocation comes before validation; a create that then fails gives the address back and
    writes no IPAddress: the request is all or nothing."""
    refused(cluster, snapshot, lambda: cluster.apply(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"clusterIP": "10.96.0.60", "ports": [{"port": 70000, "targetPort": 80}]}}),
        'Service "web" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive')
    assert not cluster.service_ips.in_use("10.96.0.60")


def test_an_apply_that_fails_later_keeps_no_ipaddress(cluster, snapshot):
    """kitlib's apply admits every document before storing any: a Service allocated by the first
    document is given back when the second is refused."""
    good = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ok"}, "spec": {"ports": [{"port": 80}]}}
    bad = {"apiVersion": "networking.k8s.io/v1", "kind": "IPAddress", "metadata": {"name": "10.96.0.07"},
           "spec": {"parentRef": {"resource": "services", "name": "x"}}}
    refused(cluster, snapshot, lambda: cluster.apply([good, bad]),
            'IPAddress.networking.k8s.io "10.96.0.07" is invalid: metadata.name: Invalid value: "10.96.0.07": '
            "must not have leading 0s")


def test_a_server_dry_run_writes_no_ipaddress_and_shows_the_network_address(cluster, snapshot):
    """Since 1.33 a dry run is answered by the allocator's ``DryRun``: a ClusterIP left to the server
    is the range's network address, one asked for is only checked to be in the range (not free)."""
    before = snapshot(cluster)
    shown = yaml.safe_load(cluster.kubectl("create service clusterip web --tcp=80 --dry-run=server -o yaml"))
    assert shown["spec"]["clusterIP"] == "10.96.0.0"
    assert cluster.kubectl(f"create service clusterip web --tcp=80 --clusterip={KUBE_DNS} --dry-run=server") == \
        "service/web created (server dry run)"
    assert snapshot(cluster) == before
    with pytest.raises(Invalid, match=re.escape(
            'failed to allocate IP 192.168.1.10: provided IP 192.168.1.10 is not in the valid range')):
        cluster.kubectl("create service clusterip web --tcp=80 --clusterip=192.168.1.10 --dry-run=server")


# ------------------------------------------------------------------ IPAddresses by hand


def test_an_ipaddress_created_by_hand_reserves_its_address(cluster, snapshot):
    """The allocator refuses an address an IPAddress names, whoever made it, in its own words."""
    assert apply(cluster, ipaddress("10.96.0.50")) == "ipaddress.networking.k8s.io/10.96.0.50 created"
    assert cluster.kubectl("get ip 10.96.0.50") == \
        "NAME         PARENTREF\n10.96.0.50   gateways.gateway.networking.k8s.io/default/gw"
    refused(cluster, snapshot, lambda: cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.96.0.50"),
            'error: failed to create ClusterIP service: Service "web" is invalid: spec.clusterIPs: Invalid value: '
            '[]string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated')
    cluster.kubectl("delete ipaddress 10.96.0.50 --wait=false")
    assert cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.96.0.50") == "service/web created"


def test_automatic_allocation_skips_reserved_addresses():
    """In a /28 (14 addresses, no static band) with every address but one reserved, the next
    Service gets the one left, and the one after that finds the range full."""
    cluster = kitlib.Cluster(nodes=1, service_cidr="10.96.0.0/28")
    taken = {"10.96.0.1", KUBE_DNS}
    for last in range(1, 15):
        ip = f"10.96.0.{last}"
        if ip not in taken and ip != "10.96.0.7":
            apply(cluster, ipaddress(ip))
    assert cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "last"},
                          "spec": {"ports": [{"port": 80}]}})[0].spec.cluster_ip == "10.96.0.7"
    with pytest.raises(ApiError, match=re.escape(
            "Internal error occurred: failed to allocate a serviceIP: range is full")):
        cluster.kubectl("create service clusterip one-more --tcp=80")


def test_an_ipaddress_outside_the_ranges_is_only_an_object(cluster):
    """An IPAddress anywhere (another IPv4 range, an IPv6 address) is stored; it reserves the
    address for when a ServiceCIDR covers it."""
    apply(cluster, ipaddress("10.200.0.5"))
    apply(cluster, ipaddress("2001:db8::1"))
    assert cluster.get("IPAddress", "2001:db8::1").name == "2001:db8::1"
    apply(cluster, servicecidr("extra", "10.200.0.0/24"))
    with pytest.raises(Invalid, match="failed to allocate IP 10.200.0.5: provided IP is already allocated"):
        cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.200.0.5")


def test_creating_an_existing_ipaddress_is_already_exists(cluster, snapshot):
    """kube-dns's address is taken: its IPAddress exists (``kubectl create`` would POST it)."""
    refused(cluster, snapshot, lambda: cluster.create(yaml.safe_load(ipaddress(KUBE_DNS))),
            f'ipaddresses.networking.k8s.io "{KUBE_DNS}" already exists', AlreadyExists)


@pytest.mark.parametrize(("name", "parent", "errors"), [
    ("10.96.0.07", "  parentRef:\n    resource: services\n    name: web",
     'metadata.name: Invalid value: "10.96.0.07": must not have leading 0s'),
    ("2001:DB8::1", "  parentRef:\n    resource: services\n    name: web",
     'metadata.name: Invalid value: "2001:DB8::1": must be in canonical form ("2001:db8::1")'),
    ("::ffff:10.96.0.7", "  parentRef:\n    resource: services\n    name: web",
     'metadata.name: Invalid value: "::ffff:10.96.0.7": must not be an IPv4-mapped IPv6 address'),
    ("web", "  parentRef:\n    resource: services\n    name: web",
     'metadata.name: Invalid value: "web": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'),
    ("10.96.0.70", "  {}", "spec.parentRef: Required value"),
    ("10.96.0.70", "  parentRef:\n    group: Gateway_API\n    resource: a/b\n    namespace: '..'\n    name: ''",
     "[spec.parentRef.group: Invalid value: \"Gateway_API\": a lowercase RFC 1123 subdomain must consist of lower "
     "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
     "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), "
     "spec.parentRef.resource: Invalid value: \"a/b\": may not contain '/', spec.parentRef.name: Required value, "
     "spec.parentRef.namespace: Invalid value: \"..\": may not be '..']"),
])
def test_ipaddress_validation(cluster, snapshot, name, parent, errors):
    """``ValidateIPAddress``: the name is an IP address in canonical form (``IsValidIP``, strict
    since 1.33), ``spec.parentRef`` names a resource and an object (``validateIPAddressParentReference``)."""
    refused(cluster, snapshot, lambda: cluster.apply(ipaddress(name, parent)),
            f'IPAddress.networking.k8s.io "{name}" is invalid: {errors}')


def test_an_ipaddress_parent_is_immutable(cluster, snapshot):
    """``ValidateIPAddressUpdate``: parentRef may not change (printed as Go prints the struct)."""
    apply(cluster, ipaddress("10.96.0.50"))
    refused(cluster, snapshot, lambda: cluster.apply(ipaddress("10.96.0.50", "  parentRef:\n    resource: services\n"
                                                                             "    name: web")),
            'IPAddress.networking.k8s.io "10.96.0.50" is invalid: spec.parentRef: Invalid value: '
            'networking.ParentReference{Group:"", Resource:"services", Namespace:"", Name:"web"}: field is immutable')
    assert cluster.kubectl("label ip 10.96.0.50 team=net") == "ipaddress.networking.k8s.io/10.96.0.50 labeled"


# ----------------------------------------------------------------------------- ServiceCIDRs


def test_a_servicecidr_extends_the_range():
    """The Extend Service IP Ranges task: on a /28 the Services fill the range; a new ServiceCIDR
    10.96.0.0/24 gives more, from its own range (which overlaps the first: both are allocators)."""
    cluster = kitlib.Cluster(nodes=1, service_cidr="10.96.0.0/28")
    for i in range(1, 13):  # 14 addresses, two taken by kubernetes and kube-dns
        cluster.kubectl(f"create service clusterip test-{i} --tcp=80")
    with pytest.raises(ApiError, match="failed to allocate a serviceIP: range is full"):
        cluster.kubectl("create service clusterip test-13 --tcp=80")
    assert apply(cluster, servicecidr("newcidr1", "10.96.0.0/24")) == "servicecidr.networking.k8s.io/newcidr1 created"
    got = [cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"test-{i}"},
                          "spec": {"ports": [{"port": 80}]}})[0].spec.cluster_ip for i in range(13, 17)]
    assert all(16 <= int(ip.rsplit(".", 1)[1]) <= 254 for ip in got)
    cidr = cluster.get("ServiceCIDR", "newcidr1")
    assert cidr.metadata.finalizers == ["networking.k8s.io/service-cidr-finalizer"]
    assert [(c.type, c.status, c.message) for c in cidr.status.conditions] == [
        ("Ready", "True", "Kubernetes Service CIDR is ready")]


def test_a_servicecidr_in_use_waits_for_its_addresses():
    """Deleting a ServiceCIDR whose addresses only it holds leaves it Terminating (finalizer kept,
    ``Ready=False``, reason ``Terminating``) and takes no address from it; once the Services are
    gone, its finalizer goes 10 s after the DELETE (``deletionGracePeriod``), and so does it."""
    cluster = kitlib.Cluster(nodes=1)
    apply(cluster, servicecidr("extra", "10.200.0.0/24"))
    cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.200.0.7")
    assert cluster.kubectl("delete servicecidr extra --wait=false") == 'servicecidr.networking.k8s.io "extra" deleted'
    cidr = cluster.get("ServiceCIDR", "extra")
    assert cidr.metadata.deletion_timestamp is not None and cidr.metadata.deletion_grace_period_seconds == 0
    assert [(c.status, c.reason, c.message) for c in cidr.status.conditions] == [(
        "False", "Terminating",
        "There are still IPAddresses referencing the ServiceCIDR, please remove them or create a new ServiceCIDR")]
    with pytest.raises(Invalid, match="failed to allocate IP 10.200.0.8: the provided network does not match"):
        cluster.kubectl("create service clusterip more --tcp=80 --clusterip=10.200.0.8")
    cluster.advance(30)
    assert "extra" in names(cluster, "ServiceCIDR")
    cluster.kubectl("delete service web --wait=false")  # 30 s after the DELETE: the grace period is over
    assert "extra" not in names(cluster, "ServiceCIDR")
    assert cluster.service_ips.state() == [("10.96.0.0/12", [("kubernetes", True)])]


def test_a_servicecidr_inside_another_goes_after_the_grace_period(cluster):
    """A ServiceCIDR whose range another contains may go with addresses in use (they stay
    covered), once the 10 s grace period is over."""
    apply(cluster, servicecidr("inner", "10.96.200.0/24"))
    cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.96.200.7")
    cluster.kubectl("delete servicecidr inner --wait=false")
    cluster.advance(9)
    assert "inner" in names(cluster, "ServiceCIDR")
    cluster.advance(1)
    assert "inner" not in names(cluster, "ServiceCIDR")
    assert cluster.get("IPAddress", "10.96.200.7").spec.parent_ref.name == "web"


def test_the_default_servicecidr_comes_back():
    """The API server recreates ``kubernetes`` at its next sync (every 10 s) once it is gone; it
    can go only while another ServiceCIDR contains its range."""
    cluster = kitlib.Cluster(nodes=1)
    cluster.kubectl("delete servicecidr kubernetes --wait=false")
    cluster.advance(60)
    assert cluster.get("ServiceCIDR", "kubernetes").status.conditions[0].reason == "Terminating"
    apply(cluster, servicecidr("wide", "10.96.0.0/11"))
    cluster.advance(0)
    assert "kubernetes" not in names(cluster, "ServiceCIDR")
    cluster.advance(10)
    fresh = cluster.get("ServiceCIDR", "kubernetes")
    assert fresh.metadata.deletion_timestamp is None and fresh.spec.cidrs == ["10.96.0.0/12"]
    assert fresh.status.conditions[0].message == "Kubernetes Service CIDR is ready"


@pytest.mark.parametrize(("cidrs", "errors"), [
    ((), "spec.cidrs: Required value: at least one CIDR required"),
    (("10.200.0.0/24", "10.101.0.0/24", "fd00::/108"),
     'spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.200.0.0/24", "10.101.0.0/24", '
     '"fd00::/108"}}: may only hold up to 2 values'),
    (("10.200.0.0/24", "10.101.0.0/24"),
     'spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.200.0.0/24", "10.101.0.0/24"}}: '
     "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"),
    (("10.200.0.1/24",), 'spec.cidrs[0]: Invalid value: "10.200.0.1/24": must not have bits set beyond the prefix length'),
    (("10.200.0.0/024",), 'spec.cidrs[0]: Invalid value: "10.200.0.0/024": must not have leading 0s in IP or '
                          "prefix length"),
    (("10.200.0.0",), 'spec.cidrs[0]: Invalid value: "10.200.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 '
                      "or 2001:db8::/64)"),
    (("FD00::/108",), 'spec.cidrs[0]: Invalid value: "FD00::/108": must be in canonical form ("fd00::/108")'),
])
def test_servicecidr_validation(cluster, snapshot, cidrs, errors):
    """``ValidateServiceCIDR``: one or two CIDRs, one of each family, each strict and canonical
    (``IsValidCIDR``)."""
    refused(cluster, snapshot, lambda: cluster.apply({
        "apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR", "metadata": {"name": "bad"},
        "spec": {"cidrs": list(cidrs)}}), f'ServiceCIDR.networking.k8s.io "bad" is invalid: {errors}')


def test_servicecidr_update_rules(cluster, snapshot):
    """``ValidateServiceCIDRUpdate`` (1.33): the CIDRs may not change, but a single-stack ServiceCIDR
    may gain the other family's; applying the manifest again keeps the controller's finalizer."""
    apply(cluster, servicecidr("extra", "10.200.0.0/24"))
    refused(cluster, snapshot, lambda: cluster.apply(servicecidr("extra", "10.101.0.0/24")),
            'ServiceCIDR.networking.k8s.io "extra" is invalid: spec.cidrs[0]: Invalid value: "10.101.0.0/24": '
            "field is immutable")
    assert apply(cluster, servicecidr("extra", "10.200.0.0/24", "fd00::/108")) == \
        "servicecidr.networking.k8s.io/extra configured"
    refused(cluster, snapshot, lambda: cluster.apply(servicecidr("extra", "10.200.0.0/24")),
            'ServiceCIDR.networking.k8s.io "extra" is invalid: spec.cidrs: Invalid value: []string{"10.200.0.0/24"}: '
            "field is immutable")
    assert cluster.get("ServiceCIDR", "extra").metadata.finalizers == ["networking.k8s.io/service-cidr-finalizer"]


def test_an_ipv6_range_is_accepted_and_unused(cluster):
    """The cluster is single-stack IPv4: an IPv6 ServiceCIDR is stored, and its range is not the
    IPv4 allocator's."""
    apply(cluster, servicecidr("v6", "fd00::/108"))
    assert [c for c, _ in cluster.service_ips.state()] == ["10.96.0.0/12"]


def test_a_range_over_the_pod_network_is_refused(cluster, snapshot):
    """kitlib's simplification: a real API server accepts it (and its ClusterIPs then shadow pods)."""
    refused(cluster, snapshot, lambda: cluster.apply(servicecidr("pods", "10.244.0.0/24")),
            'ServiceCIDR.networking.k8s.io "pods" is invalid: spec.cidrs[0]: Forbidden: overlaps the pod network '
            "10.244.0.0/16: kitlib does not simulate ClusterIPs that shadow pod or node addresses (a real API server "
            "accepts this range)")


def test_kube_proxy_drops_traffic_to_every_range():
    """nftables' ``cluster-ips-check`` drops unallocated addresses of every ServiceCIDR it knows
    (``OnServiceCIDRsChanged``), and a connection to one times out."""
    cluster = kitlib.Cluster(nodes=1, proxy_mode="nftables")
    apply(cluster, servicecidr("extra", "10.200.0.0/24"))
    assert '\t\tip daddr { 10.96.0.0/12, 10.200.0.0/24 } drop comment "Drop traffic to unallocated ClusterIPs"' in \
        cluster.nft("minikube")
    conn = cluster.connect("node/minikube", "10.200.0.9", 80)
    assert (conn.ok, conn.failure) == (False, "timeout")
    assert "in the Service range 10.200.0.0/24 but belongs to no Service" in conn.reason


# ------------------------------------------------------------------------------ the repairer


def test_a_deleted_ipaddress_of_a_service_comes_back_at_the_resync(cluster):
    """Deleting a Service's IPAddress frees nothing for long: the repair loop writes it again when it
    next goes over the Services (every 3 minutes), with a Warning on the Service."""
    cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.96.0.50")
    cluster.kubectl("delete ip 10.96.0.50 --wait=false")
    assert not cluster.service_ips.in_use("10.96.0.50")
    cluster.advance(180)
    assert cluster.get("IPAddress", "10.96.0.50").spec.parent_ref.name == "web"
    events = cluster.kubectl("describe svc web").split("Events:")[1]
    assert "Warning  ClusterIPNotAllocated" in events
    assert "ipallocator-repair-controller, ipallocator-repair-controller-minikube" in events
    assert "Cluster IP [IPv4]: 10.96.0.50 is not allocated; repairing" in events


def test_a_leaked_ipaddress_is_cleaned_up_after_a_minute(cluster):
    """An IPAddress marked as the allocator's whose Service does not exist is deleted once it is
    a minute old (a Service being created has its IPAddress first)."""
    apply(cluster, ipaddress("10.96.0.77", "  parentRef:\n    resource: services\n    namespace: default\n"
                                           "    name: ghost").replace(
        "  name: 10.96.0.77", "  name: 10.96.0.77\n  labels:\n    ipaddress.kubernetes.io/managed-by: ipallocator.k8s.io"))
    cluster.advance(59)
    assert "10.96.0.77" in names(cluster, "IPAddress")
    cluster.advance(1)
    assert "10.96.0.77" not in names(cluster, "IPAddress") and not cluster.service_ips.in_use("10.96.0.77")


# ------------------------------------------------------------------------------ determinism


def test_these_objects_draw_nothing_from_the_cluster_generator(cluster):
    """IPAddresses and ServiceCIDRs take their UIDs from a stream of their own (seeded from the
    cluster's seed): creating them leaves the generator behind names and addresses where it was."""
    state = cluster.rng.getstate()
    apply(cluster, servicecidr("extra", "10.200.0.0/24"))
    apply(cluster, ipaddress("10.96.0.50"))
    cluster.kubectl("delete ip 10.96.0.50 --wait=false")
    assert cluster.rng.getstate() == state
    twin = kitlib.Cluster(nodes=3, seed=0)
    assert [o.metadata.uid for o in twin.list("IPAddress", None)] == \
        [o.metadata.uid for o in cluster.list("IPAddress", None)]
    assert twin.get("ServiceCIDR", "kubernetes").metadata.uid == cluster.get("ServiceCIDR", "kubernetes").metadata.uid


def test_services_get_the_same_addresses_with_or_without_extra_objects():
    """A cluster that also holds an IPAddress and a ServiceCIDR elsewhere gives the same pods,
    names and ClusterIPs as one that does not."""
    def run(extra: bool) -> list[str]:
        c = kitlib.Cluster(nodes=2, seed=4)
        if extra:
            apply(c, servicecidr("extra", "10.200.0.0/24"))
            c.kubectl("delete servicecidr extra --wait=false")
            apply(c, ipaddress("192.0.2.1"))
        c.advance(10)  # the ServiceCIDR's grace period: one range again, as in the other run
        c.kubectl("create deployment web --image=nginx --replicas=2")
        c.kubectl("expose deployment web --port=80")
        c.advance(30)
        return [p.name for p in c.pods()] + [p.status.pod_ip or "" for p in c.pods()] + \
            [c.get("Service", "web").spec.cluster_ip or ""] + [p.metadata.uid or "" for p in c.pods()]
    assert run(True) == run(False)


# ------------------------------------------------------------------------ strict validation


def test_unknown_fields_are_refused_as_the_schema_says(cluster, tmp_path):
    """Strict field validation knows the two kinds' fields (from the 1.37 schemas)."""
    path = tmp_path / "ip.yaml"
    path.write_text(ipaddress("10.96.0.50", "  parentRefs:\n    resource: services\n    name: web"))
    with pytest.raises(BadRequest) as info:
        cluster.kubectl(f"apply -f {path}")
    assert str(info.value) == (
        f'Error from server (BadRequest): error when creating "{path}": IPAddress in version "v1" cannot be '
        'handled as a IPAddress: strict decoding error: unknown field "spec.parentRefs"')
    path.write_text(servicecidr("x", "10.200.0.0/24").replace("  cidrs:", "  cidr: []\n  cidrs:"))
    out = cluster.kubectl(f"apply -f {path} --validate=warn")
    assert (str(out), out.warnings) == ("servicecidr.networking.k8s.io/x created", ('unknown field "spec.cidr"',))


# ----------------------------------------------------------------- kubectl, against the real one


def test_get_columns_are_the_servers(cluster):
    """``printServiceCIDR`` (NAME, CIDRS joined by commas, AGE) and ``printIPAddress`` (NAME,
    PARENTREF: two columns, so kubectl drops the age cell the printer also fills); ``-o wide`` adds
    nothing."""
    apply(cluster, servicecidr("dual", "10.200.0.0/24", "fd00::/108"))
    assert cluster.kubectl("get servicecidr dual -o wide") == \
        "NAME   CIDRS                      AGE\ndual   10.200.0.0/24,fd00::/108   0s"
    assert cluster.kubectl("get ip -l ipaddress.kubernetes.io/ip-family=IPv4 --show-labels").splitlines()[0] == \
        "NAME         PARENTREF                       LABELS"


@pytest.fixture
def described(cluster):
    """A cluster with a ServiceCIDR waiting to be deleted, and IPAddresses with and without labels."""
    apply(cluster, servicecidr("extra", "10.200.0.0/24", "fd00::/108"))
    cluster.label("ServiceCIDR", "extra", {"team": "net", "tier": "edge"})
    cluster.kubectl("create service clusterip web --tcp=80 --clusterip=10.200.0.7")
    cluster.kubectl("delete servicecidr extra --wait=false")
    apply(cluster, ipaddress("10.96.0.99"))
    return cluster


@oracle.needs_kubectl
@pytest.mark.parametrize("command", ["describe servicecidr kubernetes", "describe servicecidr extra",
                                     "describe ip 10.96.0.1", "describe ipaddress 10.96.0.99",
                                     "describe ip 10.200.0.7"])
def test_describe_matches_kubectl(described, against_real, command):  # noqa: F811 (the fixture)
    """``describe servicecidr|ipaddress`` prints what kubectl 1.37.1's describers print for the
    same objects (``describeServiceCIDRV1``, ``describeIPAddressV1``)."""
    assert ours(described, command) == against_real(described)(command)


@oracle.needs_kubectl
def test_apply_dry_run_matches_kubectl(cluster, against_real, tmp_path):  # noqa: F811 (the fixture)
    """``apply --dry-run=client`` names both kinds as kubectl does."""
    path = Path(tmp_path / "objects.yaml")
    path.write_text(ipaddress("10.96.0.50") + "\n---\n" + servicecidr("extra", "10.200.0.0/24"))
    command = f"apply -f {path} --dry-run=client --validate=false"  # the stub serves no OpenAPI
    assert ours(cluster, command) == against_real(cluster)(command)


@oracle.needs_kubectl
@pytest.mark.parametrize("command", ["get ip 10.96.0.1 -o yaml", "get servicecidr kubernetes -o yaml",
                                     "get ipaddress 10.96.0.99 -o yaml", "get ip -o name", "get servicecidrs -o name"])
def test_printed_objects_match_kubectl(described, against_real, command):  # noqa: F811 (the fixture)
    """The objects as kubectl prints what the server sends (``reason: ""`` kept, omitempty fields
    left out, names qualified by the group)."""
    assert ours(described, command) == against_real(described)(command)
