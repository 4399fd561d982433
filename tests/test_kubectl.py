"""cluster.kubectl: kubectl's command lines, columns and messages over the same verbs."""

from __future__ import annotations

import json
import re

import pytest
import yaml

import kitlib


def rows(text):
    return [line.split() for line in text.splitlines()]


# ---------------------------------------------------------------- get


def test_get_pods_columns(web):
    """`get pods` prints NAME READY STATUS RESTARTS AGE, padded like kubectl's tabwriter."""
    out = web.kubectl("get pods")
    header, *lines = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert header.startswith("NAME                   READY   STATUS    RESTARTS   AGE")
    assert [r[1:] for r in rows(out)[1:]] == [["1/1", "Running", "0", "30s"]] * 3
    assert [r[0] for r in rows(out)[1:]] == sorted(p.name for p in web.pods())


def test_get_pods_wide(web):
    """`-o wide` adds IP, NODE, NOMINATED NODE and READINESS GATES."""
    header, *lines = web.kubectl("get pods -o wide").splitlines()
    assert re.split(r"\s{2,}", header) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                          "NOMINATED NODE", "READINESS GATES"]
    by_name = {p.name: p for p in web.pods()}
    for line in lines:
        name, *_, ip, node, nominated, gates = line.split()
        assert (ip, node) == (by_name[name].status.pod_ip, by_name[name].spec.node_name)
        assert (nominated, gates) == ("<none>", "<none>")


def test_get_nodes(cluster):
    """`get nodes` shows status, roles and the kubelet version; wide adds the InternalIP and OS."""
    assert cluster.kubectl("get nodes") == (
        "NAME           STATUS   ROLES           AGE   VERSION\n"
        "minikube       Ready    control-plane   2m    v1.37.1\n"
        "minikube-m02   Ready    <none>          2m    v1.37.1\n"
        "minikube-m03   Ready    <none>          2m    v1.37.1")
    wide = cluster.kubectl("get nodes -o wide").splitlines()
    assert re.split(r"\s{2,}", wide[0]) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP",
                                           "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    assert re.split(r"\s{2,}", wide[2])[5:7] == ["192.168.49.3", "<none>"]


def test_get_cordoned_node_shows_scheduling_disabled(cluster):
    """A cordoned node's STATUS reads Ready,SchedulingDisabled."""
    cluster.kubectl("cordon minikube-m02")
    assert rows(cluster.kubectl("get nodes"))[2][1] == "Ready,SchedulingDisabled"


def test_get_deployments_and_replicasets(web):
    """Deployments show READY UP-TO-DATE AVAILABLE; ReplicaSets DESIRED CURRENT READY; wide adds
    CONTAINERS IMAGES SELECTOR."""
    assert web.kubectl("get deployments") == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web    3/3     3            3           30s")
    rs = web.list("ReplicaSet")[0].name
    assert rows(web.kubectl("get rs")) == [["NAME", "DESIRED", "CURRENT", "READY", "AGE"], [rs, "3", "3", "3", "30s"]]
    assert rows(web.kubectl("get deploy -o wide"))[1][5:] == ["nginx", "nginx", "app=web"]
    h = rs.rsplit("-", 1)[1]
    assert rows(web.kubectl("get replicasets.apps -o wide"))[1][5:] == ["nginx", "nginx",
                                                                        f"app=web,pod-template-hash={h}"]


def test_get_namespaces(cluster):
    """`get ns` lists the four namespaces and flannel's, Active; --show-labels adds their name label."""
    assert rows(cluster.kubectl("get namespaces")) == [
        ["NAME", "STATUS", "AGE"], ["default", "Active", "2m"], ["kube-flannel", "Active", "2m"],
        ["kube-node-lease", "Active", "2m"],
        ["kube-public", "Active", "2m"], ["kube-system", "Active", "2m"]]
    assert rows(cluster.kubectl("get ns default --show-labels"))[1][-1] == "kubernetes.io/metadata.name=default"


def test_age_column_follows_the_clock(web):
    """AGE is kubectl's human duration of simulated time: 30s, then 2m30s, then 10m."""
    web.advance(120)
    assert rows(web.kubectl("get deploy"))[1][-1] == "2m30s"
    web.advance(420)
    assert rows(web.kubectl("get deploy"))[1][-1] == "9m30s"
    web.advance(30)
    assert rows(web.kubectl("get deploy"))[1][-1] == "10m"


def test_get_output_yaml_and_json(web):
    """`-o yaml` and `-o json` of one named object print that object; of several, a List."""
    d = web.get("Deployment", "web")
    assert yaml.safe_load(web.kubectl("get deployment web -o yaml")) == d.to_dict()
    assert json.loads(web.kubectl("get deploy/web -o json")) == d.to_dict()
    listed = yaml.safe_load(web.kubectl("get pods -o yaml"))
    assert listed["kind"] == "List" and listed["apiVersion"] == "v1"
    assert [i["metadata"]["name"] for i in listed["items"]] == [p.name for p in web.pods()]


def test_yaml_quotes_like_kubectl(web):
    """kubectl's YAML uses double quotes where a string needs quoting: resourceVersion: "12"."""
    text = web.kubectl("get deploy web -o yaml")
    rv = web.get("Deployment", "web").metadata.resource_version
    assert f'  resourceVersion: "{rv}"\n' in text
    assert '  creationTimestamp: "2026-01-01T00:00:00Z"\n' in text
    assert "'" not in text


def test_get_output_name(web):
    """`-o name` prints type/name, with the API group for apps resources."""
    assert web.kubectl("get deploy -o name") == "deployment.apps/web"
    assert web.kubectl("get nodes -o name").splitlines() == ["node/minikube", "node/minikube-m02", "node/minikube-m03"]
    assert web.kubectl("get pods -o name").splitlines() == [f"pod/{p.name}" for p in web.pods()]


def test_get_in_namespaces(web):
    """-n picks a namespace, -A lists every namespace with a NAMESPACE column first."""
    assert web.kubectl("get pods -n kube-public") == "No resources found in kube-public namespace."
    assert rows(web.kubectl("get pods -n kube-system"))[1][0].startswith("coredns-")
    all_ns = rows(web.kubectl("get pods -A"))
    assert all_ns[0][:2] == ["NAMESPACE", "NAME"]
    assert {r[0] for r in all_ns[1:]} == {"default", "kube-flannel", "kube-system"}
    web.kubectl("create namespace shop")
    web.kubectl("create deployment cart --image=nginx -n shop")
    assert [r[0] for r in rows(web.kubectl("get deploy --all-namespaces"))[1:]] == ["default", "kube-system", "shop"]
    assert rows(web.kubectl("get deploy -n shop"))[1][0] == "cart"


def test_get_with_label_selector(web):
    """-l filters by labels: equality, inequality and set-based terms."""
    web.kubectl("create deployment db --image=postgres --replicas=2")
    assert len(rows(web.kubectl("get pods -l app=web"))) == 4
    assert len(rows(web.kubectl("get pods -l app!=web"))) == 3
    assert len(rows(web.kubectl("get pods -l 'app in (web,db)'"))) == 6
    assert web.kubectl("get pods -l app=nope") == "No resources found in default namespace."


def test_get_by_kind_names_and_several_kinds(web):
    """Types may be given by plural, singular, short or group-qualified name; several kinds
    separated by commas print one table each with kind/name in the NAME column."""
    for kind in ("deployments", "deployment", "deploy", "deployments.apps", "Deployment"):
        assert rows(web.kubectl(f"get {kind}"))[1][0] == "web"
    out = web.kubectl("get deploy,rs")
    first, second = out.split("\n\n")
    assert rows(first)[1][0] == "deployment.apps/web"
    assert rows(second)[1][0].startswith("replicaset.apps/web-")


# ---------------------------------------------------------------- describe


ENDPOINTS_DEPRECATED = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


@pytest.mark.parametrize("command", [
    "get ep", "get endpoints kubernetes -o yaml", "get svc,ep,endpoints", "describe ep kubernetes",
    "label ep kubernetes tier=api", "annotate endpoints/kubernetes note=x", "delete ep kubernetes",
    "apply -f - <<EOF\napiVersion: v1\nkind: Endpoints\nmetadata: {name: manual}\nEOF",
])
def test_a_command_that_asks_for_endpoints_warns_once_on_stderr(cluster, command, capsys):
    """v1 Endpoints are deprecated since 1.33: the API server warns with every answer about them,
    and kubectl writes the warning once a command, on stderr; the output itself is unchanged."""
    out = cluster.kubectl(command)
    assert out.warnings == (ENDPOINTS_DEPRECATED,)
    assert capsys.readouterr().err == f"Warning: {ENDPOINTS_DEPRECATED}\n"
    assert "Warning" not in out


def test_a_failed_command_keeps_its_warnings(cluster, snapshot):
    before = snapshot(cluster)
    with pytest.raises(kitlib.NotFound) as err:
        cluster.kubectl("scale ep kubernetes --replicas=2")
    assert err.value.warnings == (ENDPOINTS_DEPRECATED,)
    assert snapshot(cluster) == before


@pytest.mark.parametrize("command", ["get pods", "get endpointslices", "describe svc kubernetes", "get nodes -o wide"])
def test_other_commands_warn_nothing(cluster, command, capsys):
    assert cluster.kubectl(command).warnings == ()
    assert capsys.readouterr().err == ""


def test_describe_pod(web):
    """`describe pod` shows node, IP, controller, container state, conditions, tolerations, events."""
    pod = web.pods_on("minikube-m02")[0]
    out = web.kubectl(f"describe pod {pod.name}")
    for line in (f"Name:            {pod.name}", "Namespace:       default",
                 "Node:            minikube-m02/192.168.49.3", "Status:          Running",
                 f"IP:              {pod.status.pod_ip}", f"Controlled By:  ReplicaSet/{web.list('ReplicaSet')[0].name}",
                 "    Port:          80/TCP", "    State:         Running", "    Ready:         True",
                 "QoS Class:      BestEffort",
                 "Tolerations:    node.kubernetes.io/not-ready:NoExecute op=Exists for 300s"):
        assert line in out, line
    assert re.search(r"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned "
                     rf"default/{pod.name} to minikube-m02", out)
    assert re.search(r"Normal\s+Started\s+\S+\s+kubelet\s+spec.containers{nginx}: Started container nginx", out)


def test_describe_node(cluster):
    """`describe node` shows roles, labels, taints, conditions, addresses, podCIDR and its pods."""
    cluster.kubectl("create deployment web --image=nginx --replicas=3")
    cluster.kubectl("cordon minikube-m02")
    out = cluster.kubectl("describe node minikube-m02")
    for line in ("Name:              minikube-m02", "Roles:             <none>",
                 "Taints:            node.kubernetes.io/unschedulable:NoSchedule", "Unschedulable:     true",
                 "  InternalIP:  192.168.49.3", "PodCIDR:  10.244.1.0/24", "PodCIDRs: 10.244.1.0/24",
                 "Non-terminated Pods:          (3 in total)"):  # web's, kube-proxy's, flannel's
        assert line in out, line
    assert re.search(r"Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status", out)
    assert "Roles:             control-plane" in cluster.kubectl("describe node minikube")


def test_describe_deployment(web):
    """`describe deployment` shows selector, replica counts, strategy, template, conditions, the
    ReplicaSets and the scaling events."""
    out = web.kubectl("describe deployment web")
    rs = web.list("ReplicaSet")[0].name
    for line in ("Name:              web", "Selector:          app=web",
                 "Replicas:          3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
                 "StrategyType:      RollingUpdate", "RollingUpdateStrategy: 25% max unavailable, 25% max surge",
                 "    Image:       nginx", "    Port:        80/TCP",
                 f"NewReplicaSet:   {rs} (3/3 replicas created)", "OldReplicaSets:  <none>"):
        assert line in out, line
    assert re.search(rf"ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set {rs} from 0 to 3", out)


def test_describe_missing_object(web):
    """describe of a missing object is kubectl's NotFound line."""
    with pytest.raises(kitlib.NotFound, match=r'^Error from server \(NotFound\): pods "nope" not found$'):
        web.kubectl("describe pod nope")


# ---------------------------------------------------------------- create


def test_create_deployment(cluster):
    """`create deployment NAME --image --replicas --port` creates it with label and selector app=NAME."""
    assert cluster.kubectl("create deployment web --image=nginx:1.27 --replicas=2 --port=8080") == \
        "deployment.apps/web created"
    d = cluster.get("Deployment", "web")
    assert d.metadata.labels == {"app": "web"}
    assert d.spec.selector.match_labels == {"app": "web"}
    assert d.spec.replicas == 2
    (c,) = d.spec.template.spec.containers
    assert (c.name, c.image, c.ports[0].container_port, c.ports[0].protocol) == ("nginx", "nginx:1.27", 8080, "TCP")
    assert c.image_pull_policy == "IfNotPresent"
    assert len(cluster.pods()) == 2


def test_create_deployment_defaults_to_one_replica(cluster):
    """Without --replicas a deployment has one replica; without --port no container port."""
    cluster.kubectl("create deploy solo --image=busybox")
    d = cluster.get("Deployment", "solo")
    assert d.spec.replicas == 1 and d.spec.template.spec.containers[0].ports == []
    assert d.spec.template.spec.containers[0].image_pull_policy == "Always"


def test_create_deployment_with_output(cluster):
    """`create ... -o name` prints type/name; `-o yaml` prints the stored object."""
    assert cluster.kubectl("create deployment a --image=nginx -o name") == "deployment.apps/a"
    stored = yaml.safe_load(cluster.kubectl("create deployment b --image=nginx -o yaml"))
    assert stored["metadata"]["uid"] == cluster.get("Deployment", "b").metadata.uid


def test_create_namespace(cluster):
    """`create namespace` makes a namespace; creating it again is AlreadyExists."""
    assert cluster.kubectl("create namespace shop") == "namespace/shop created"
    with pytest.raises(kitlib.AlreadyExists,
                       match=r'^Error from server \(AlreadyExists\): namespaces "shop" already exists$'):
        cluster.kubectl("create ns shop")


DRY_RUNS = [
    "create deployment web --image=nginx --replicas=3 --port=80",
    "create deployment web --image=nginx",
    "create deployment api --image=registry.k8s.io/e2e-test-images/agnhost:2.39 --port=8080",
    "create deployment multi --image=nginx --image=redis:7 --port=80",
    "create deployment cart --image=nginx:1.27 -n shop --replicas=2",
    "create deployment pinned --image=nginx@sha256:0123abcd",
    "create namespace shop",
    "create deployment api --image=registry.k8s.io/e2e-test-images/agnhost:2.39 --port=8080 -- /agnhost netexec --http-port=8080",
]


def _with_flags(command: str, flags: str) -> str:
    """Flags go before `--`: what follows it is the container's command."""
    head, sep, tail = command.partition(" -- ")
    return f"{head} {flags}{sep}{tail}"


@pytest.mark.parametrize("command", DRY_RUNS)
def test_dry_run_yaml_is_what_kubectl_prints(cluster, real_kubectl, command):
    """`--dry-run=client -o yaml` prints exactly what the real kubectl prints (text and data)."""
    ours = cluster.kubectl(_with_flags(command, "--dry-run=client -o yaml"))
    theirs = real_kubectl(_with_flags(command, "--dry-run=client -o yaml"))
    assert yaml.safe_load(ours) == yaml.safe_load(theirs)
    assert ours + "\n" == theirs
    assert cluster.list("Deployment") == []


@pytest.mark.parametrize("command", DRY_RUNS[:3])
def test_dry_run_json_and_name_are_what_kubectl_prints(cluster, real_kubectl, command):
    """`--dry-run=client -o json` carries the same data as kubectl's; `-o name` and no -o print
    the same lines."""
    assert json.loads(cluster.kubectl(f"{command} --dry-run=client -o json")) == \
        json.loads(real_kubectl(f"{command} --dry-run=client -o json"))
    for flags in ("--dry-run=client -o name", "--dry-run=client"):
        assert cluster.kubectl(f"{command} {flags}") + "\n" == real_kubectl(f"{command} {flags}")


def test_dry_run_sanitizes_container_names(cluster, real_kubectl):
    """kubectl turns `_` and `.` of an image name into `-` and adds a random suffix."""
    ours = yaml.safe_load(cluster.kubectl("create deployment web --image=my_app.v2 --dry-run=client -o yaml"))
    theirs = yaml.safe_load(real_kubectl("create deployment web --image=my_app.v2 --dry-run=client -o yaml"))
    pattern = r"my-app-v2-[bcdfghjklmnpqrstvwxz2456789]{5}"
    for doc in (ours, theirs):
        assert re.fullmatch(pattern, doc["spec"]["template"]["spec"]["containers"][0]["name"])
        doc["spec"]["template"]["spec"]["containers"][0]["name"] = "x"
    assert ours == theirs


def test_dry_run_output_applies_back(cluster):
    """The dry-run YAML applies as it is (the usual `> web.yaml; kubectl apply -f web.yaml`)."""
    text = cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80 --dry-run=client -o yaml")
    assert cluster.kubectl(f"apply -f - <<EOF\n{text}\nEOF") == "deployment.apps/web created"
    assert len(cluster.pods()) == 2


def test_create_requires_image_and_name(cluster):
    """kubectl's own errors for a missing --image or NAME."""
    with pytest.raises(kitlib.BadRequest, match=r'^error: required flag\(s\) "image" not set$'):
        cluster.kubectl("create deployment web")
    with pytest.raises(kitlib.BadRequest, match="^error: exactly one NAME is required, got 0$"):
        cluster.kubectl("create deployment --image=nginx")


# ---------------------------------------------------------------- apply


def test_apply_created_configured_unchanged(cluster, tmp_path):
    """`apply -f` says created, then unchanged for the same file, then configured after an edit."""
    text = cluster.kubectl("create deployment web --image=nginx --replicas=2 --dry-run=client -o yaml")
    path = tmp_path / "web.yaml"
    path.write_text(text)
    assert cluster.kubectl(f"apply -f {path}") == "deployment.apps/web created"
    assert cluster.kubectl(f"apply -f {path}") == "deployment.apps/web unchanged"
    path.write_text(text.replace("replicas: 2", "replicas: 4"))
    assert cluster.kubectl(f"apply -f {path}") == "deployment.apps/web configured"
    assert cluster.get("Deployment", "web").spec.replicas == 4


def test_apply_heredoc_with_several_documents(cluster):
    """A heredoc is the stdin of `apply -f -`; each document gets its own line."""
    out = cluster.kubectl("""apply -f - <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
      - name: cart
        image: nginx
EOF""")
    assert out == "namespace/shop created\ndeployment.apps/cart created"
    assert len(cluster.pods("shop")) == 2


def test_apply_missing_file(cluster):
    """A missing file is kubectl's path error."""
    with pytest.raises(kitlib.BadRequest, match=r'^error: the path "/nope/web.yaml" does not exist$'):
        cluster.kubectl("apply -f /nope/web.yaml")


# ---------------------------------------------------------------- scale, delete, label


def test_scale(web):
    """`scale deployment web --replicas=N` answers `deployment.apps/web scaled`."""
    assert web.kubectl("scale deployment web --replicas=5") == "deployment.apps/web scaled"
    assert web.get("Deployment", "web").spec.replicas == 5
    assert web.kubectl("scale deploy/web --replicas=1") == "deployment.apps/web scaled"
    assert len([p for p in web.pods() if not p.metadata.deletion_timestamp]) == 1


def test_scale_needs_a_count(web, snapshot):
    """kubectl itself rejects a missing or negative --replicas before asking the server."""
    before = snapshot(web)
    with pytest.raises(kitlib.BadRequest, match=r'^error: required flag\(s\) "replicas" not set$'):
        web.kubectl("scale deployment web")
    with pytest.raises(kitlib.BadRequest, match=r"^error: The --replicas=COUNT flag is required, and COUNT "
                                                r"must be greater than or equal to 0$"):
        web.kubectl("scale deployment web --replicas=-1")
    assert snapshot(web) == before


def test_delete_pod_and_deployment(web):
    """`delete` answers `<type> "<name>" deleted`; deleting the deployment takes its pods along."""
    pod = web.pods()[0].name
    assert web.kubectl(f"delete pod {pod}") == f'pod "{pod}" deleted from default namespace'
    assert web.kubectl("delete deployment web") == 'deployment.apps "web" deleted from default namespace'
    web.advance(10)
    assert web.kubectl("get pods") == "No resources found in default namespace."
    with pytest.raises(kitlib.NotFound, match=r'^Error from server \(NotFound\): deployments.apps "web" not found$'):
        web.kubectl("delete deployment web")


def test_delete_needs_a_name(web):
    """`delete pods` without a name, -l or --all is refused."""
    with pytest.raises(kitlib.BadRequest, match="^error: resource\\(s\\) were provided, but no name was specified$"):
        web.kubectl("delete pods")
    assert len(web.kubectl("delete pods -l app=web").splitlines()) == 3


def test_label_add_overwrite_remove(web):
    """`label` adds, refuses to overwrite without --overwrite, overwrites with it, removes with key-."""
    assert web.kubectl("label deployment web tier=front") == "deployment.apps/web labeled"
    assert web.kubectl("label deployment web tier=front") == "deployment.apps/web not labeled"
    with pytest.raises(kitlib.BadRequest,
                       match=r"^error: 'tier' already has a value \(front\), and --overwrite is false$"):
        web.kubectl("label deployment web tier=back")
    assert web.kubectl("label deployment web tier=back --overwrite") == "deployment.apps/web labeled"
    assert web.get("Deployment", "web").metadata.labels["tier"] == "back"
    assert web.kubectl("label deploy/web tier-") == "deployment.apps/web unlabeled"
    assert web.get("Deployment", "web").metadata.labels == {"app": "web"}


def test_label_nodes_and_select_them(cluster):
    """Labelled nodes can be selected with -l; --all labels every object of the type."""
    cluster.kubectl("label node minikube-m02 zone=b")
    assert rows(cluster.kubectl("get nodes -l zone=b"))[1][0] == "minikube-m02"
    assert len(cluster.kubectl("label nodes --all disk=ssd").splitlines()) == 3
    assert len(rows(cluster.kubectl("get nodes -l disk=ssd,zone!=b"))) == 3


def test_label_needs_an_update(web):
    """`label` with no key=value is kubectl's usage error."""
    with pytest.raises(kitlib.BadRequest, match="^error: at least one label update is required$"):
        web.kubectl("label deployment web")


def test_invalid_label_value(web):
    """A label value with a space is Invalid, in kubectl's words."""
    with pytest.raises(kitlib.Invalid, match=r'^The Deployment "web" is invalid: metadata.labels: Invalid value: '
                                             r'"a b": a valid label must be'):
        web.kubectl("label deployment web 'x=a b'")


# ---------------------------------------------------------------- nodes


def test_cordon_uncordon_drain(web):
    """cordon/uncordon/drain print kubectl's lines and change the node."""
    assert web.kubectl("cordon minikube-m02") == "node/minikube-m02 cordoned"
    assert web.kubectl("cordon minikube-m02") == "node/minikube-m02 already cordoned"
    assert web.kubectl("uncordon minikube-m02") == "node/minikube-m02 uncordoned"
    assert web.kubectl("uncordon minikube-m02") == "node/minikube-m02 already uncordoned"
    pod = web.pods_on("minikube-m03")[0].name
    assert web.kubectl("drain minikube-m03 --ignore-daemonsets") == (
        "node/minikube-m03 cordoned\n"
        f"evicting pod default/{pod}\n"
        f"pod/{pod} evicted\n"
        "node/minikube-m03 drained")
    assert web.get("Node", "minikube-m03").spec.unschedulable


# ---------------------------------------------------------------- usage errors


def test_unknown_command_and_resource(cluster):
    """An unknown verb or resource type is kubectl's error line."""
    with pytest.raises(kitlib.BadRequest, match='^error: unknown command "frobnicate" for "kubectl"$'):
        cluster.kubectl("frobnicate pods")
    with pytest.raises(kitlib.BadRequest, match='^error: the server doesn\'t have a resource type "pdos"$'):
        cluster.kubectl("get pdos")


def test_unknown_output_format(cluster):
    """An unknown -o format is refused."""
    with pytest.raises(kitlib.BadRequest, match='unable to match a printer suitable for the output format "table"'):
        cluster.kubectl("get pods -o table")


def test_leading_kubectl_word_is_optional(cluster):
    """`kubectl get nodes` and `get nodes` are the same command."""
    assert cluster.kubectl("kubectl get nodes") == cluster.kubectl("get nodes")


def test_describe_lists_events_oldest_first(web):
    """kubectl sorts a describe's events by their last timestamp (SortableEvents): an event that
    repeats moves below the ones that happened since."""
    pod = web.pods()[0]
    web.events.record("Pod", pod.metadata.uid, "Warning", "Unhealthy", "Readiness probe failed: x", "kubelet", 1.0)
    web.advance(30)
    web.events.record("Pod", pod.metadata.uid, "Warning", "Unhealthy", "Readiness probe failed: x", "kubelet", web.now)
    reasons = [line.split()[1] for line in web.kubectl(f"describe pod {pod.name}").split("Events:")[1].splitlines()[3:]]
    assert reasons[-1] == "Unhealthy" and reasons.index("Scheduled") == 0
