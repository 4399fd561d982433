"""ValidatePodSpec's restart policy and node name, validateContainersOnlyForPod's image rule, and
ValidatePodTemplateSpecForReplicaSet's ``restartPolicy: Always``: each refused in the API server's
words and at its place in the error list, and a refused call changes nothing."""

from __future__ import annotations

import copy
import re

import pytest

import kitlib
from kitlib.api.validation import SUBDOMAIN_MSG


def expect_unchanged(cluster, call, match):
    before = cluster.state()
    with pytest.raises(kitlib.Invalid, match=match):
        call()
    assert cluster.state() == before


def _pod(name="p", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def _workload(kind, restart_policy=None, image="nginx"):
    spec = {"containers": [{"name": "c", "image": image}]}
    if restart_policy is not None:
        spec["restartPolicy"] = restart_policy
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"},
            "spec": {"selector": {"matchLabels": {"app": "w"}},
                     "template": {"metadata": {"labels": {"app": "w"}}, "spec": spec}}}


# ---------------------------------------------------------------- restartPolicy


def test_a_pod_restart_policy_is_always_onfailure_or_never(cluster):
    """validateRestartPolicy lists the values in its own order; an unset policy is defaulted to Always."""
    expect_unchanged(cluster, lambda: cluster.apply(_pod(restartPolicy="Sometimes")),
                     r'^Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": '
                     r'supported values: "Always", "OnFailure", "Never"$')
    for i, policy in enumerate(["Always", "OnFailure", "Never"]):
        cluster.apply(_pod(f"p{i}", restartPolicy=policy))
        assert cluster.get("pod", f"p{i}").spec.restart_policy == policy
    cluster.apply(_pod("unset"))
    assert cluster.get("pod", "unset").spec.restart_policy == "Always"


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet"])
def test_a_workload_template_restarts_always(cluster, kind):
    """ValidatePodTemplateSpecForReplicaSet: after the template's own checks, only Always; a policy
    that is no policy at all gets both errors, ValidatePodSpec's first."""
    expect_unchanged(cluster, lambda: cluster.apply(_workload(kind, "Never")),
                     rf'^{kind}.apps "w" is invalid: spec.template.spec.restartPolicy: Unsupported value: '
                     r'"Never": supported values: "Always"$')
    expect_unchanged(cluster, lambda: cluster.apply(_workload(kind, "Sometimes")),
                     rf'^{kind}.apps "w" is invalid: \[spec.template.spec.restartPolicy: Unsupported value: '
                     r'"Sometimes": supported values: "Always", "OnFailure", "Never", '
                     r'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
                     r'"Always"\]$')
    cluster.apply(_workload(kind, "Always"))
    cluster.apply(_workload(kind))  # defaulted to Always


# ---------------------------------------------------------------- image whitespace


@pytest.mark.parametrize(("image", "printed"), [(" nginx", '" nginx"'), ("nginx\n", r'"nginx\\n"'),
                                                ("nginx\u3000", r'"nginx\\u3000"')])
def test_a_pod_image_has_no_leading_or_trailing_whitespace(cluster, image, printed):
    """validateContainersOnlyForPod trims as Go's strings.TrimSpace (an ideographic space too); the
    value is printed as Go's %q, which escapes what is not printable."""
    pod = _pod()
    pod["spec"]["containers"][0]["image"] = image
    expect_unchanged(cluster, lambda: cluster.apply(pod),
                     rf'^Pod "p" is invalid: spec.containers\[0\].image: Invalid value: {printed}: '
                     r"must not have leading or trailing whitespace$")


def test_a_template_image_with_whitespace_is_accepted(cluster):
    """The rule is for Pods only: the Deployment is stored, and its ReplicaSet cannot create pods."""
    cluster.apply(_workload("Deployment", image=" nginx"))
    cluster.advance(30)
    assert cluster.get("deployment", "w").spec.template.spec.containers[0].image == " nginx"
    assert cluster.kubectl("get pods") == "No resources found in default namespace."


# ---------------------------------------------------------------- nodeName


def test_a_pod_node_name_is_a_subdomain(cluster):
    """ValidateNodeName (NameIsDNSSubdomain) when spec.nodeName is set."""
    expect_unchanged(cluster, lambda: cluster.apply(_pod(nodeName="Bad_Node")),
                     r'^Pod "p" is invalid: spec.nodeName: Invalid value: "Bad_Node": '
                     + re.escape(SUBDOMAIN_MSG) + "$")
    name = "n" * 254
    expect_unchanged(cluster, lambda: cluster.apply(_pod(nodeName=name)),
                     rf'^Pod "p" is invalid: spec.nodeName: Invalid value: "{name}": '
                     r"must be no more than 253 characters$")
    cluster.apply(_pod(nodeName="minikube-m02"))
    assert cluster.get("pod", "p").spec.node_name == "minikube-m02"


# ---------------------------------------------------------------- order


def test_the_errors_come_in_the_api_servers_order(cluster):
    """The containers, then restartPolicy, then nodeName (ValidatePodSpec), then the image rule
    (validatePodMetadataAndSpec, after ValidatePodSpec)."""
    pod = _pod(restartPolicy="Sometimes", nodeName="Bad_Node")
    pod["spec"]["containers"] = [{"name": "C_1", "image": " nginx"}]
    before = cluster.state()
    with pytest.raises(kitlib.Invalid) as info:
        cluster.apply(copy.deepcopy(pod))
    assert [c.path for c in info.value.causes] == [
        "spec.containers[0].name", "spec.restartPolicy", "spec.nodeName", "spec.containers[0].image"]
    assert cluster.state() == before
