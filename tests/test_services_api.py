"""The API server's handling of Services: defaults, ClusterIP and NodePort allocation, type
changes, validation with its exact messages, and failed requests that change nothing.

Sources: pkg/apis/core/validation (ValidateService), pkg/registry/core/service/storage
(alloc.go, storage.go) and the ipallocator (the ServiceCIDRs' MetaAllocator since 1.33) and
portallocator packages of Kubernetes 1.37.
"""

from __future__ import annotations

import ipaddress
import re

import pytest

import kitlib
from kitlib.errors import AlreadyExists, ApiError, Invalid


def svc(name: str, namespace: str = "default", **spec) -> dict:
    """A Service manifest selecting ``app=<name>`` on port 80 unless ``spec`` says otherwise."""
    body = {"selector": {"app": name}, "ports": [{"port": 80}], **spec}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": body}


def refused(cluster, snapshot, call, message: str, error: type[ApiError] = Invalid) -> None:
    """``call`` fails with exactly ``message`` and leaves the cluster as it was."""
    before = snapshot(cluster)
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        call()
    assert snapshot(cluster) == before


def node_port_free(cluster, port: int) -> bool:
    return not cluster.node_ports.in_use(port)


# ------------------------------------------------------------------------------ ClusterIPs


def test_well_known_cluster_ips(cluster):
    """`kubernetes` has the first address of 10.96.0.0/12 and kube-dns the tenth, as kubeadm sets it up."""
    assert cluster.get("Service", "kubernetes").spec.cluster_ip == "10.96.0.1"
    dns = cluster.get("Service", "kube-dns", "kube-system")
    assert (dns.spec.cluster_ip, dns.spec.cluster_ips) == ("10.96.0.10", ["10.96.0.10"])
    assert [(p.name, p.port, p.protocol) for p in dns.spec.ports] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]


def test_cluster_ip_comes_from_the_dynamic_band(cluster):
    """A ClusterIP nobody asked for is drawn from the upper band of the range (10.96.1.1 up);
    the lower band 10.96.0.1-10.96.1.0 stays for addresses asked for by hand."""
    ips = [cluster.apply(svc(f"s{i}"))[0].spec.cluster_ip for i in range(20)]
    for ip in ips:
        addr = ipaddress.ip_address(ip)
        assert addr in ipaddress.ip_network("10.96.0.0/12")
        assert addr > ipaddress.ip_address("10.96.1.0")
    assert len(set(ips)) == 20


def test_cluster_ips_are_the_same_for_the_same_seed():
    """Allocation draws from the cluster's seeded random generator: same seed, same addresses."""
    def ips(seed):
        c = kitlib.Cluster(nodes=1, seed=seed)
        return [c.apply(svc(f"s{i}"))[0].spec.cluster_ip for i in range(3)]
    assert ips(7) == ips(7)
    assert ips(7) != ips(8)


def test_requested_cluster_ip_is_honoured(cluster):
    """`clusterIP: 10.96.0.50` is reserved as asked, in the static band or anywhere in range."""
    s = cluster.apply(svc("web", clusterIP="10.96.0.50"))[0]
    assert (s.spec.cluster_ip, s.spec.cluster_ips) == ("10.96.0.50", ["10.96.0.50"])
    assert cluster.service_ips.in_use("10.96.0.50")
    assert cluster.apply(svc("far", clusterIP="10.111.255.254"))[0].spec.cluster_ip == "10.111.255.254"


def test_taken_cluster_ip_is_rejected(cluster, snapshot):
    """Asking for kube-dns's address fails in the allocator's words and changes nothing."""
    refused(cluster, snapshot, lambda: cluster.apply(svc("web", clusterIP="10.96.0.10")),
            'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: '
            "failed to allocate IP 10.96.0.10: provided IP is already allocated")


def test_cluster_ip_out_of_range_is_rejected(cluster, snapshot):
    """An address outside every ServiceCIDR has no allocator (``ErrMismatchedNetwork``, since 1.33);
    nor have the CIDR's own network and broadcast addresses, which ``getAllocator`` does not count
    as contained (``servicecidr.PrefixContainsIP``)."""
    for ip in ("192.168.1.10", "10.96.0.0", "10.111.255.255"):
        refused(cluster, snapshot, lambda ip=ip: cluster.apply(svc("web", clusterIP=ip)),
                f'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{{"{ip}"}}: failed to allocate '
                f"IP {ip}: the provided network does not match the current range")


def test_malformed_cluster_ip_is_rejected(cluster, snapshot):
    """A clusterIP that is not an IP address is caught before anything is allocated."""
    refused(cluster, snapshot, lambda: cluster.apply(svc("web", clusterIP="10.96.0.300")),
            'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.300": '
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")


def test_cluster_ip_is_immutable(cluster, snapshot):
    """Once set, the ClusterIP cannot change; the error shows the new clusterIPs as Go prints them."""
    cluster.apply(svc("web", clusterIP="10.96.0.50"))
    refused(cluster, snapshot, lambda: cluster.apply(svc("web", clusterIP="10.96.0.51")),
            'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.51"}: may not change once set')
    assert not cluster.service_ips.in_use("10.96.0.51")


def test_headless_stays_headless(cluster, snapshot):
    """`clusterIP: None` gets no address, and None cannot later become an address."""
    s = cluster.apply(svc("db", clusterIP="None"))[0]
    assert (s.spec.cluster_ip, s.spec.cluster_ips) == ("None", ["None"])
    refused(cluster, snapshot, lambda: cluster.apply(svc("db", clusterIP="10.96.0.77")),
            'Service "db" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.77"}: may not change once set')


def test_reapplying_without_allocated_fields_keeps_them(cluster):
    """Applying the same manifest again (no clusterIP, no nodePort in it) keeps what was
    allocated, and kubectl reports the Service unchanged."""
    first = cluster.apply(svc("web", type="NodePort"))[0]
    ip, port = first.spec.cluster_ip, first.spec.ports[0].node_port
    [(again, word)] = cluster.apply_with_outcome(svc("web", type="NodePort"))
    assert word == "unchanged"
    assert (again.spec.cluster_ip, again.spec.ports[0].node_port) == (ip, port)


# ------------------------------------------------------------------------------- NodePorts


def test_node_port_comes_from_30000_32767(cluster):
    """An automatic nodePort is drawn from the dynamic band 30086-32767 (30000-30085 are kept
    for ports asked for by hand)."""
    ports = [cluster.apply(svc(f"n{i}", type="NodePort"))[0].spec.ports[0].node_port for i in range(20)]
    assert all(30086 <= p <= 32767 for p in ports)
    assert len(set(ports)) == 20


def test_requested_node_port_is_honoured(cluster):
    """`nodePort: 30080` is reserved as asked."""
    s = cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))[0]
    assert s.spec.ports[0].node_port == 30080
    assert cluster.node_ports.in_use(30080)


def test_taken_node_port_is_rejected(cluster, snapshot):
    """A second Service asking for the same nodePort is refused with the allocator's message."""
    cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    refused(cluster, snapshot,
            lambda: cluster.apply(svc("api", type="NodePort", ports=[{"port": 80, "nodePort": 30080}])),
            'Service "api" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated')


def test_node_port_out_of_range_is_rejected(cluster, snapshot):
    """A nodePort outside 30000-32767 is refused, naming the range."""
    refused(cluster, snapshot,
            lambda: cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 40000}])),
            'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the '
            "valid range. The range of valid ports is 30000-32767")


def test_node_port_on_a_cluster_ip_service_is_forbidden(cluster, snapshot):
    """A ClusterIP Service may not ask for a nodePort."""
    refused(cluster, snapshot, lambda: cluster.apply(svc("web", ports=[{"port": 80, "nodePort": 30080}])),
            "Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")


def test_allocation_errors_come_alone(cluster, snapshot):
    """Allocation runs before validation: a taken nodePort is reported even when the Service
    has other faults."""
    cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    refused(cluster, snapshot,
            lambda: cluster.apply(svc("api", type="NodePort", sessionAffinity="Sticky",
                                      ports=[{"port": 80, "nodePort": 30080}])),
            'Service "api" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated')


def test_ports_with_one_number_share_a_node_port(cluster):
    """On create, 53/UDP and 53/TCP of one Service get the same nodePort (initNodePorts)."""
    s = cluster.apply(svc("dns", type="NodePort", ports=[{"name": "dns", "port": 53, "protocol": "UDP"},
                                                          {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                                                          {"name": "metrics", "port": 9153}]))[0]
    udp, tcp, metrics = (p.node_port for p in s.spec.ports)
    assert udp == tcp != metrics


def test_one_requested_node_port_for_two_port_numbers(cluster, snapshot):
    """`create service nodeport --node-port` puts the nodePort on every port; the second port
    number cannot have it too."""
    refused(cluster, snapshot,
            lambda: cluster.kubectl("create service nodeport web --tcp=80:8080,443:8443 --node-port=30090"),
            'error: failed to create NodePort service: Service "web" is invalid: spec.ports[1].nodePort: '
            "Invalid value: 30090: provided port is already allocated")
    assert node_port_free(cluster, 30090)


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "Foo"}, 'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", '
                      '"LoadBalancer", "NodePort"'),
    ({"ports": []}, "spec.ports: Required value"),
    ({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]},
     'spec.ports[1].name: Duplicate value: "http"'),
    ({"ports": [{"port": 70000, "targetPort": 80}]},
     "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ({"ports": [{"port": 70000}]},  # targetPort defaults to the port, so it is out of range too
     "[spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, "
     "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]"),
    ({"ports": [{"port": 80, "targetPort": 70000}]},
     "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ({"ports": [{"port": 80, "protocol": "HTTP"}]},
     'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    ({"ports": [{"port": 80, "targetPort": "a--b"}]},
     'spec.ports[0].targetPort: Invalid value: "a--b": must not contain consecutive hyphens'),
    ({"ports": [{"port": 80}, {"name": "b", "port": 81}]}, "spec.ports[0].name: Required value"),
    ({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]},
     'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, '
     'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'),
    ({"sessionAffinity": "Sticky"}, 'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", '
                                    '"None"'),
    ({"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}}},
     "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"),
    ({"externalTrafficPolicy": "Local"},
     'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'),
    ({"type": "NodePort", "externalTrafficPolicy": "Foo"},
     'spec.externalTrafficPolicy: Unsupported value: "Foo": supported values: "Cluster", "Local"'),
    ({"internalTrafficPolicy": "Foo"},
     'spec.internalTrafficPolicy: Unsupported value: "Foo": supported values: "Cluster", "Local"'),
    ({"type": "NodePort", "clusterIP": "None"},
     "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"),
    ({"type": "LoadBalancer", "ports": [{"port": 10250}]},
     "spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet"),
    ({"type": "NodePort", "healthCheckNodePort": 32000},
     "spec.healthCheckNodePort: Invalid value: 32000: may only be set when `type` is 'LoadBalancer' and "
     "`externalTrafficPolicy` is 'Local'"),
    ({"type": "ExternalName", "ports": []}, "spec.externalName: Required value"),
    ({"type": "ExternalName", "externalName": "db.example.com", "clusterIP": "10.96.0.60"},
     "spec.clusterIPs: Forbidden: may not be set for ExternalName services"),
])
def test_invalid_services_are_refused(cluster, snapshot, spec, message):
    """Each bad Service gets ValidateService's message and nothing is stored or allocated."""
    refused(cluster, snapshot, lambda: cluster.apply(svc("web", **spec)), f'Service "web" is invalid: {message}')


def test_bad_service_name(cluster, snapshot):
    """A Service name is a DNS-1035 label: no leading digit."""
    bad = svc("web")
    bad["metadata"]["name"] = "1web"
    refused(cluster, snapshot, lambda: cluster.apply(bad),
            'Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower '
            "case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
            "character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def test_kubectl_lists_several_causes(cluster):
    """kubectl prints one cause after the colon, several as a bulleted list."""
    with pytest.raises(Invalid) as info:
        cluster.kubectl("""apply -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: a, port: 80, nodePort: 30001}, {name: b, port: 81, nodePort: 30002}]
EOF""")
    assert str(info.value) == (
        'The Service "web" is invalid: \n'
        "* spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'\n"
        "* spec.ports[1].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")


# ------------------------------------------------------------------------------ defaults


def test_defaults(cluster):
    """SetDefaults_Service and the registry fill in type, protocol, targetPort, affinity,
    traffic policies and IP families."""
    s = cluster.apply(svc("web"))[0].spec
    assert (s.type, s.session_affinity, s.internal_traffic_policy, s.external_traffic_policy) == \
        ("ClusterIP", "None", "Cluster", None)
    assert (s.ports[0].protocol, s.ports[0].target_port) == ("TCP", 80)
    assert (s.ip_families, s.ip_family_policy) == (["IPv4"], "SingleStack")
    lb = cluster.apply(svc("lb", type="LoadBalancer", sessionAffinity="ClientIP"))[0].spec
    assert (lb.external_traffic_policy, lb.allocate_load_balancer_node_ports) == ("Cluster", True)
    assert lb.session_affinity_config.client_ip.timeout_seconds == 10800


def test_headless_without_selector_asks_for_both_families(cluster):
    """A headless Service with no selector gets RequireDualStack and [IPv4, IPv6], even on a
    single-stack cluster (initIPFamilyFields' special case)."""
    s = cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                       "spec": {"clusterIP": "None", "ports": [{"port": 80}]}})[0].spec
    assert (s.ip_family_policy, s.ip_families) == ("RequireDualStack", ["IPv4", "IPv6"])


def test_external_name_has_no_cluster_ip(cluster):
    """ExternalName: no ClusterIP, IP families or traffic policy."""
    s = cluster.apply(svc("db", type="ExternalName", externalName="db.example.com", ports=[]))[0].spec
    assert (s.cluster_ip, s.cluster_ips, s.ip_families, s.ip_family_policy, s.internal_traffic_policy) == \
        (None, [], [], None, None)


# --------------------------------------------------------------------------- type changes


def test_cluster_ip_to_node_port_and_back(cluster):
    """ClusterIP -> NodePort keeps the ClusterIP and allocates a nodePort; back to ClusterIP the
    nodePort is dropped and released, and can be asked for again."""
    ip = cluster.apply(svc("web"))[0].spec.cluster_ip
    np = cluster.apply(svc("web", type="NodePort"))[0]
    port = np.spec.ports[0].node_port
    assert (np.spec.cluster_ip, np.spec.external_traffic_policy) == (ip, "Cluster")
    assert cluster.node_ports.in_use(port)
    back = cluster.apply(svc("web"))[0]
    assert (back.spec.ports[0].node_port, back.spec.external_traffic_policy, back.spec.cluster_ip) == (None, None, ip)
    assert node_port_free(cluster, port)
    other = cluster.apply(svc("api", type="NodePort", ports=[{"port": 80, "nodePort": port}]))[0]
    assert other.spec.ports[0].node_port == port


def test_node_port_to_load_balancer_keeps_node_ports(cluster):
    """NodePort -> LoadBalancer keeps the nodePorts (matched by port name) and, with no load
    balancer implementation, leaves EXTERNAL-IP pending."""
    ports = [{"name": "http", "port": 80}, {"name": "https", "port": 443}]
    before = [p.node_port for p in cluster.apply(svc("web", type="NodePort", ports=ports))[0].spec.ports]
    lb = cluster.apply(svc("web", type="LoadBalancer", ports=ports))[0]
    assert [p.node_port for p in lb.spec.ports] == before
    assert lb.spec.allocate_load_balancer_node_ports is True
    assert lb.status.load_balancer.ingress == []
    assert "<pending>" in cluster.kubectl("get svc web")


def test_load_balancer_local_gets_a_health_check_node_port(cluster):
    """LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort from the nodePort
    range; switching to Cluster releases it. NodePort + Local gets none."""
    np_local = cluster.apply(svc("np", type="NodePort", externalTrafficPolicy="Local"))[0]
    assert np_local.spec.health_check_node_port is None
    lb = cluster.apply(svc("web", type="LoadBalancer", externalTrafficPolicy="Local"))[0]
    hc = lb.spec.health_check_node_port
    assert 30000 <= hc <= 32767 and hc != lb.spec.ports[0].node_port
    assert cluster.node_ports.in_use(hc)
    cluster.apply(svc("web", type="LoadBalancer", externalTrafficPolicy="Cluster"))
    assert cluster.get("Service", "web").spec.health_check_node_port is None
    assert node_port_free(cluster, hc)


def test_requested_health_check_node_port(cluster, snapshot):
    """A requested healthCheckNodePort is honoured; a taken one is an internal error (it is
    allocated outside validation); changing it afterwards is forbidden."""
    lb = cluster.apply(svc("web", type="LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=30050))[0]
    assert lb.spec.health_check_node_port == 30050
    refused(cluster, snapshot,
            lambda: cluster.apply(svc("api", type="LoadBalancer", externalTrafficPolicy="Local",
                                      healthCheckNodePort=30050)),
            "Internal error occurred: failed to allocate requested HealthCheck NodePort 30050: "
            "provided port is already allocated", ApiError)
    refused(cluster, snapshot,
            lambda: cluster.apply(svc("web", type="LoadBalancer", externalTrafficPolicy="Local",
                                      healthCheckNodePort=30051)),
            'Service "web" is invalid: spec.healthCheckNodePort: Forbidden: field is immutable')


def test_taken_health_check_port_as_kubectl_prints_it(cluster):
    """kubectl prints an internal error as `Error from server (InternalError): ...`, after the
    source of the failed create."""
    cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 30050}]))
    with pytest.raises(ApiError, match=re.escape(
            'Error from server (InternalError): error when creating "STDIN": Internal error occurred: '
            "failed to allocate requested HealthCheck NodePort 30050: provided port is already allocated")):
        cluster.kubectl("""apply -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 30050, ports: [{port: 80}]}
EOF""")


def test_editing_the_stored_object_changes_the_type(cluster):
    """Changing only `type` in the object as stored (what `kubectl edit` does) works: fields the
    old type needed and the client left alone are dropped (dropTypeDependentFields)."""
    cluster.apply(svc("web", type="LoadBalancer", externalTrafficPolicy="Local"))
    stored = cluster.get("Service", "web")
    held = {stored.spec.ports[0].node_port, stored.spec.health_check_node_port}
    doc = stored.to_dict()
    doc["spec"]["type"] = "ClusterIP"
    s = cluster.apply(doc)[0].spec
    assert (s.ports[0].node_port, s.health_check_node_port, s.external_traffic_policy,
            s.allocate_load_balancer_node_ports) == (None, None, None, None)
    assert all(node_port_free(cluster, p) for p in held)


def test_external_name_releases_and_regains_a_cluster_ip(cluster):
    """ClusterIP -> ExternalName gives the address back; ExternalName -> ClusterIP allocates anew."""
    cluster.apply(svc("web", clusterIP="10.96.0.60"))
    cluster.apply(svc("web", type="ExternalName", externalName="web.example.com", ports=[]))
    assert not cluster.service_ips.in_use("10.96.0.60")
    assert cluster.get("Service", "web").spec.cluster_ip is None
    again = cluster.apply(svc("web"))[0]
    assert cluster.service_ips.in_use(again.spec.cluster_ip)


def test_failed_update_keeps_the_old_service(cluster, snapshot):
    """An update asking for a taken nodePort fails and the Service keeps its type and ports."""
    cluster.apply(svc("taken", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    cluster.apply(svc("web"))
    refused(cluster, snapshot,
            lambda: cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}])),
            'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated')
    assert cluster.get("Service", "web").spec.type == "ClusterIP"


# ------------------------------------------------------------------------- delete, atomicity


def test_delete_releases_everything(cluster):
    """Deleting a Service frees its ClusterIP, nodePorts and healthCheckNodePort, and its
    Endpoints go with it."""
    s = cluster.apply(svc("web", type="LoadBalancer", externalTrafficPolicy="Local", clusterIP="10.96.0.70",
                          ports=[{"port": 80, "nodePort": 30070}]))[0]
    hc = s.spec.health_check_node_port
    cluster.delete("Service", "web")
    assert not cluster.service_ips.in_use("10.96.0.70")
    assert node_port_free(cluster, 30070) and node_port_free(cluster, hc)
    with pytest.raises(kitlib.NotFound):
        cluster.get("Endpoints", "web")
    again = cluster.apply(svc("web2", type="NodePort", clusterIP="10.96.0.70", ports=[{"port": 80, "nodePort": 30070}]))
    assert again[0].spec.ports[0].node_port == 30070


@pytest.mark.parametrize("bad_first", [True, False])
def test_multi_document_apply_is_all_or_nothing(cluster, snapshot, bad_first):
    """`kubectl apply -f` of several documents with one bad Service stores none of them and
    leaks no address or port, whichever document is the bad one."""
    good = [svc("a", type="NodePort", clusterIP="10.96.0.80", ports=[{"port": 80, "nodePort": 30081}]),
            svc("b", type="LoadBalancer", externalTrafficPolicy="Local")]
    bad = svc("c", type="NodePort", ports=[{"port": 80, "nodePort": 40000}])
    docs = [bad, *good] if bad_first else [*good, bad]
    refused(cluster, snapshot, lambda: cluster.apply(docs),
            'Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid '
            "range. The range of valid ports is 30000-32767")
    assert node_port_free(cluster, 30081) and not cluster.service_ips.in_use("10.96.0.80")


def test_create_of_a_taken_name_gives_back_its_allocations(cluster, snapshot):
    """`create` of an existing name fails with AlreadyExists after allocation ran; what it
    reserved is given back."""
    cluster.apply(svc("web"))
    refused(cluster, snapshot, lambda: cluster.create(svc("web", clusterIP="10.96.0.90")),
            'services "web" already exists', AlreadyExists)
    assert not cluster.service_ips.in_use("10.96.0.90")


def test_services_in_other_namespaces(cluster):
    """Names are per namespace; addresses and node ports are cluster-wide."""
    cluster.kubectl("create namespace shop")
    cluster.apply(svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    with pytest.raises(Invalid, match="provided port is already allocated"):
        cluster.apply(svc("web", namespace="shop", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert cluster.apply(svc("web", namespace="shop"))[0].namespace == "shop"


def test_exported_services_validate_against_the_schema(cluster):
    """Every kind of Service kitlib stores is a valid Kubernetes 1.37 Service."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    cluster.apply([svc("c"), svc("n", type="NodePort"), svc("h", clusterIP="None"),
                   svc("lb", type="LoadBalancer", externalTrafficPolicy="Local", sessionAffinity="ClientIP"),
                   svc("x", type="ExternalName", externalName="db.example.com", ports=[])])
    for s in cluster.list("Service", None):
        kubernetes_validate.validate(s.to_dict(), "1.37.0", strict=True)
