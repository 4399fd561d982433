"""NetworkPolicy through the API server and kubectl: defaults, ValidateNetworkPolicy's messages
(``pkg/apis/networking/validation/validation.go``), ``get``/``describe`` in kubectl 1.37's words,
the strict schema, label changes taking effect at once, and ``explain`` on flannel."""

from __future__ import annotations

import re

import pytest

import kitlib
from kitlib.api.addresses import CIDR_MSG
from kitlib.errors import Invalid
from kitlib.network import netpol


@pytest.fixture
def small() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=1, seed=0)
    c.kubectl("create namespace ops")
    for ns, name, labels in (("default", "web", "app: web"), ("default", "api", "app: api"), ("ops", "mon", "app: mon")):
        c.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}
spec:
  containers: [{{name: c, image: nginx, ports: [{{containerPort: 80, name: http}}]}}]
""")
    c.advance(30)
    return c


def policy(spec: dict, name: str = "np", namespace: str = "default") -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def refused(cluster, snapshot, doc: dict, body: str) -> None:
    """Creating ``doc`` (create and apply) fails with exactly the API server's message, changing nothing."""
    before = snapshot(cluster)
    message = f'NetworkPolicy.networking.k8s.io "{doc["metadata"]["name"]}" is invalid: {body}'
    for call in (cluster.create, cluster.apply):
        with pytest.raises(Invalid, match="^" + re.escape(message) + "$"):
            call(doc)
        assert snapshot(cluster) == before


def peer_from(*peers: dict) -> dict:
    return {"podSelector": {}, "ingress": [{"from": list(peers)}]}


def ports(*entries: dict) -> dict:
    return {"podSelector": {}, "ingress": [{"ports": list(entries)}]}


@pytest.mark.parametrize("spec, body", [
    (peer_from({"ipBlock": {"cidr": "10.0.0.0/33"}}),
     f'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": {CIDR_MSG}'),
    (peer_from({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}),
     'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`'),
    (peer_from({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}),
     'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`'),
    (peer_from({"ipBlock": {"cidr": ""}}), "spec.ingress[0].from[0].ipBlock.cidr: Required value"),
    (peer_from({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
     "spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"),
    (peer_from({}), "spec.ingress[0].from[0]: Required value: must specify a peer"),
    (ports({"port": "http", "endPort": 90}),
     "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric"),
    (ports({"endPort": 90}),
     "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified"),
    (ports({"port": 80, "endPort": 70}),
     "spec.ingress[0].ports[0].endPort: Invalid value: 70: must be greater than or equal to `port`"),
    (ports({"port": 80, "protocol": "tcp"}),
     'spec.ingress[0].ports[0].protocol: Unsupported value: "tcp": supported values: "TCP", "UDP", "SCTP"'),
    (ports({"port": 0}), "spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
    (ports({"port": "Http"}), 'spec.ingress[0].ports[0].port: Invalid value: "Http": '
                              "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
    ({"podSelector": {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["a"]}]}},
     'spec.podSelector.matchExpressions[0].operator: Unsupported value: "Equals": '
     'supported values: "In", "NotIn", "Exists", "DoesNotExist"'),
    (peer_from({"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In"}]}}),
     "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: Required value: "
     "must be specified when `operator` is 'In' or 'NotIn'"),
    ({"podSelector": {}, "policyTypes": ["Inbound"]},
     'spec.policyTypes[0]: Unsupported value: "Inbound": supported values: "Ingress", "Egress"'),
    ({"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]},
     'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: '
     "may not specify more than two policyTypes"),
    ({"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "1.2.3.4/8", "except": ["2.0.0.0/24"]}}]}]},
     'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "2.0.0.0/24": must be a strict subset of `cidr`'),
])
def test_invalid_policies_are_refused_and_change_nothing(small, snapshot, spec, body):
    """Each bad field gets ValidateNetworkPolicy's message; nothing is stored."""
    refused(small, snapshot, policy(spec), body)


def test_every_error_is_reported_at_once(small, snapshot):
    """The validator's order: pod selector, each ingress rule's ports then peers, then egress."""
    spec = {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Foo"}]},
            "ingress": [{"from": [{"ipBlock": {"cidr": "x"}}], "ports": [{"port": 80, "endPort": 70}]}]}
    refused(small, snapshot, policy(spec),
            '[spec.podSelector.matchExpressions[0].operator: Unsupported value: "Foo": supported values: '
            '"In", "NotIn", "Exists", "DoesNotExist", '
            "spec.ingress[0].ports[0].endPort: Invalid value: 70: must be greater than or equal to `port`, "
            f'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "x": {CIDR_MSG}]')


def test_defaults_are_stored(small):
    """The API server stores policyTypes (Ingress, plus Egress with egress rules) and TCP ports."""
    small.apply(policy({"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}, "a"))
    small.apply(policy({"podSelector": {}, "egress": []}, "b"))
    a, b = small.get("NetworkPolicy", "a"), small.get("NetworkPolicy", "b")
    assert a.spec.policy_types == ["Ingress", "Egress"] and a.spec.egress[0].ports[0].protocol == "TCP"
    assert b.spec.policy_types == ["Ingress"]


DEMO = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: ops
      podSelector:
        matchLabels:
          app: mon
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    ports:
    - port: 80
    - port: 8000
      endPort: 8100
      protocol: UDP
  - {}
  egress:
  - to:
    - namespaceSelector: {}
    ports:
    - port: dns
      protocol: UDP
"""


def test_kubectl_create_get_describe_delete(small):
    """``create -f`` (AlreadyExists the second time, naming its source), ``get netpol`` (NAME POD-SELECTOR AGE), ``describe`` in describeNetworkPolicy's
    words, ``delete``."""
    assert small.kubectl(f"create -f - <<EOF\n{DEMO}EOF") == "networkpolicy.networking.k8s.io/api-allow created"
    with pytest.raises(kitlib.ApiError, match=re.escape(
            'Error from server (AlreadyExists): error when creating "STDIN": '
            'networkpolicies.networking.k8s.io "api-allow" already exists')):
        small.kubectl(f"create -f - <<EOF\n{DEMO}EOF")
    small.apply(policy({"podSelector": {}}, "deny"))
    small.advance(5)
    assert small.kubectl("get networkpolicies") == (
        "NAME        POD-SELECTOR   AGE\n"
        "api-allow   app=api        5s\n"
        "deny        <none>         5s")
    assert small.kubectl("get netpol -o wide") == small.kubectl("get networkpolicy")
    assert small.kubectl("describe networkpolicy api-allow") == (
        "Name:         api-allow\n"
        "Namespace:    default\n"
        f"Created on:   {_created(small, 'api-allow')}\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "Spec:\n"
        "  PodSelector:     app=api\n"
        "  Allowing ingress traffic:\n"
        "    To Port: 80/TCP\n"
        "    To Port Range: 8000-8100/UDP\n"
        "    From:\n"
        "      NamespaceSelector: team=ops\n"
        "      PodSelector: app=mon\n"
        "    From:\n"
        "      IPBlock:\n"
        "        CIDR: 172.17.0.0/16\n"
        "        Except: 172.17.1.0/24\n"
        "    ----------\n"
        "    To Port: <any> (traffic allowed to all ports)\n"
        "    From: <any> (traffic not restricted by source)\n"
        "  Allowing egress traffic:\n"
        "    To Port: dns/UDP\n"
        "    To:\n"
        "      NamespaceSelector: <none>\n"
        "  Policy Types: Ingress, Egress")
    assert small.kubectl("describe netpol deny").endswith(
        "Spec:\n"
        "  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)\n"
        "  Allowing ingress traffic:\n"
        "    <none> (Selected pods are isolated for ingress connectivity)\n"
        "  Not affecting egress traffic\n"
        "  Policy Types: Ingress")
    assert small.kubectl("delete netpol deny") == 'networkpolicy.networking.k8s.io "deny" deleted from default namespace'
    assert small.kubectl("get netpol -o name") == "networkpolicy.networking.k8s.io/api-allow"


def _created(cluster, name: str) -> str:
    from kitlib.kubectl.networkpolicies import created_on
    return created_on(cluster.get("NetworkPolicy", name).metadata.creation_timestamp)


def test_exported_policies_validate_against_the_schema(small):
    """``get netpol -o yaml`` is a valid networking.k8s.io/v1 NetworkPolicy (strict schema)."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    small.apply(DEMO)
    small.apply(policy({"podSelector": {}}, "deny"))
    for np in small.list("NetworkPolicy"):
        kubernetes_validate.validate(np.to_dict(), "1.37.0", strict=True)


def test_unknown_fields_are_refused_strictly(small, snapshot):
    """Strict field validation knows the kind's fields (fields-v1.37.json)."""
    before = snapshot(small)
    with pytest.raises(kitlib.ApiError, match='unknown field "spec.ingress\\[0\\].form"'):
        small.apply(policy({"podSelector": {}, "ingress": [{"form": [{"podSelector": {}}]}]}))
    assert snapshot(small) == before


def test_label_changes_take_effect_at_once(small):
    """Relabelling a namespace or a pod (``kubectl label --overwrite``) changes the verdict of the
    next connection: the policy set follows the store's revision."""
    small.apply(policy({"podSelector": {"matchLabels": {"app": "api"}},
                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "ops"}}}]}]}))
    assert not small.netpol_verdict("ops/mon", "default/api", 80).allowed
    assert small.kubectl("label namespace ops team=ops") == "namespace/ops labeled"
    assert small.netpol_verdict("ops/mon", "default/api", 80).allowed
    with pytest.raises(kitlib.ApiError, match=re.escape("error: 'team' already has a value (ops), and --overwrite is false")):
        small.kubectl("label ns ops team=dev")
    assert small.kubectl("label ns ops team=dev --overwrite") == "namespace/ops labeled"
    assert not small.netpol_verdict("ops/mon", "default/api", 80).allowed
    # A pod relabelled out of the policy's podSelector is no longer isolated.
    assert small.kubectl("label pod api app=api2 --overwrite") == "pod/api labeled"
    assert small.netpol_verdict("ops/mon", "default/api", 80).allowed


def test_policy_set_is_cached_per_revision(small):
    """The data path's accessor builds the set once per store revision."""
    first = netpol.policy_set(small.runtime)
    assert netpol.policy_set(small.api) is first
    small.apply(policy({"podSelector": {}}))
    assert netpol.policy_set(small.runtime) is not first


def test_explain_on_flannel_says_policies_are_not_enforced(small):
    """flannel stores policies and enforces none: explain says so, then what Calico would do."""
    small.apply(policy({"podSelector": {}}, "deny"))
    text = small.explain("default/web", "default/api", 80)
    assert text.splitlines()[0].startswith("flannel does not enforce NetworkPolicy")
    assert "default/web -> default/api port 80/TCP: denied" in text
    assert small.connect("default/web", "default/api", 80).ok


def test_explain_takes_what_connect_takes(small):
    """Pods as ns/name or a bare name in default, IPs, nodes and the outside world."""
    ip = small.get("Pod", "api").status.pod_ip
    assert small.netpol_verdict("web", ip, 80).dst == "default/api"
    assert small.netpol_verdict("node/minikube", "default/api", 80).src == "192.168.49.2"
    assert small.netpol_verdict("external", "default/api", 80).egress.pod is False
    with pytest.raises(kitlib.ApiError, match="unsupported protocol"):
        small.explain("web", "api", 80, "ICMP")
