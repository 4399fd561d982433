"""``kubectl patch``: strategic merge (the default), JSON merge and JSON patch, the status and scale
subresources, and kubectl's own refusals (checked against kubectl 1.37.1 where it runs offline)."""

from __future__ import annotations

import shlex
import subprocess

import oracle
import pytest

import kitlib


def real_kubectl_error(line: str) -> str:
    """What kubectl 1.37.1 prints on stderr for a line it refuses before asking any server."""
    done = subprocess.run([oracle.require(), *shlex.split(line)], capture_output=True, text=True, timeout=60,
                          check=False, env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done
    return done.stderr.rstrip("\n")


@pytest.fixture
def web() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=1)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    return c


def test_strategic_merge_sets_a_field(web):
    """A strategic merge patch changes what it names; the same patch again changes nothing, and
    kubectl says ``patched (no change)``."""
    assert web.kubectl("""patch deployment web -p '{"spec":{"replicas":3}}'""") == "deployment.apps/web patched"
    assert web.get("Deployment", "web").spec.replicas == 3
    revision = web.api.store.revision
    assert web.kubectl("""patch deploy/web -p '{"spec":{"replicas":3}}'""") == "deployment.apps/web patched (no change)"
    assert web.api.store.revision == revision


def test_strategic_merge_adds_a_container_by_name(web):
    """Containers merge by ``name``: a patch with a new name adds a container, one with an existing
    name changes it; ``$patch: delete`` removes one."""
    web.kubectl("""patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"log","image":"busybox"}]}}}}'""")
    web.kubectl("""patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}'""")
    containers = web.get("Deployment", "web").spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("nginx", "nginx:1.27"), ("log", "busybox")]
    web.kubectl("""patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"log","$patch":"delete"}]}}}}'""")
    assert [c.name for c in web.get("Deployment", "web").spec.template.spec.containers] == ["nginx"]


def test_merge_patch_replaces_lists(web):
    """A JSON merge patch (RFC 7386) replaces a list whole, and ``null`` removes a key."""
    web.kubectl("label deploy web tier=web")
    web.kubectl("""patch deploy web --type merge -p '{"metadata":{"labels":{"tier":null}},"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}}'""")
    d = web.get("Deployment", "web")
    assert "tier" not in d.metadata.labels
    assert [c.name for c in d.spec.template.spec.containers] == ["only"]


def test_json_patch_operations(web):
    """A JSON patch (RFC 6902) applies its operations in order; one that does not apply is the
    server's 422 and changes nothing."""
    assert web.kubectl("""patch deploy web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":4},"""
                       """{"op":"add","path":"/metadata/labels/x","value":"y"}]'""") == "deployment.apps/web patched"
    d = web.get("Deployment", "web")
    assert d.spec.replicas == 4 and d.metadata.labels["x"] == "y"
    with pytest.raises(kitlib.Invalid, match=r'^The request is invalid: remove operation does not apply: doc is '
                                             r'missing path: "/spec/nothing": missing value$'):
        web.kubectl("""patch deploy web --type json -p '[{"op":"remove","path":"/spec/nothing"}]'""")


def test_scale_subresource(web):
    """``--subresource=scale`` patches the autoscaling/v1 Scale: kubectl prints the Scale."""
    assert web.kubectl("""patch deploy web --subresource=scale -p '{"spec":{"replicas":5}}'""") == \
        "scale.autoscaling/web patched"
    assert web.get("Deployment", "web").spec.replicas == 5


def test_status_subresource_changes_only_the_status(web):
    """The main resource ignores a status in the patch; ``--subresource=status`` writes only it (how
    a LoadBalancer Service without a load balancer is given an address by hand)."""
    web.kubectl("create service loadbalancer lb --tcp=80")
    status = """'{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}'"""
    assert web.kubectl(f"patch svc lb --type merge -p {status}") == "service/lb patched (no change)"
    assert web.kubectl(f"patch svc lb --subresource=status --type merge -p {status}") == "service/lb patched"
    assert web.get("Service", "lb").status.load_balancer.ingress[0].ip == "203.0.113.7"


def test_dry_run_changes_nothing(web, snapshot):
    before = snapshot(web)
    assert web.kubectl("""patch deploy web -p '{"spec":{"replicas":3}}' --dry-run=server""") == \
        "deployment.apps/web patched (server dry run)"
    assert snapshot(web) == before


def test_strategic_merge_on_a_custom_resource_is_refused(web):
    """A custom resource has no Go type to read merge keys from: the server answers 415 and kubectl
    names the patch type and the kind."""
    web.enable_addon("gateway")
    web.apply("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\n"
              "spec:\n  hostnames: [b.example]\n")
    with pytest.raises(kitlib.BadRequest) as err:
        web.kubectl("""patch httproute r -p '{"spec":{"hostnames":["a.example"]}}'""")
    assert str(err.value) == ("error: application/strategic-merge-patch+json is not supported by "
                              "gateway.networking.k8s.io/v1, Kind=HTTPRoute: the body of the request was in an "
                              "unknown format - accepted media types include: application/json-patch+json, "
                              "application/merge-patch+json, application/apply-patch+yaml")
    assert web.kubectl("""patch httproute r --type=merge -p '{"spec":{"hostnames":["a.example"]}}'""") == \
        "httproute.gateway.networking.k8s.io/r patched"


def test_missing_object(web):
    with pytest.raises(kitlib.NotFound, match=r'^Error from server \(NotFound\): deployments.apps "nope" not found$'):
        web.kubectl("patch deploy nope -p '{}'")


@oracle.needs_kubectl
@pytest.mark.parametrize("line", [
    "patch deploy web --type=xml -p {}",
    "patch deploy web",
    "patch deploy web -p {} --patch-file x",
    "patch deploy web -p {} --dry-run=bogus",
])
def test_usage_errors_match_kubectl(web, line):
    """kubectl's own checks, before any request, word for word."""
    with pytest.raises(kitlib.BadRequest) as err:
        web.kubectl(line)
    assert str(err.value) == real_kubectl_error(line)
