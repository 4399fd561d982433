"""``kubectl get`` beyond one kind's table, as kubectl 1.37 prints it: ``get all``, ``get events``
(the event log read as core/v1 Events), ServiceAccounts and their controller, the other kinds'
columns (``pkg/printers/internalversion/printers.go``), ``--show-labels``, ``-L``,
``--field-selector`` with the API server's refusal, ``--sort-by``, ``--no-headers`` and ``-w``."""

from __future__ import annotations

import re

import pytest

import kitlib


@pytest.fixture
def web() -> kitlib.Cluster:
    """Two nodes, a Deployment ``web`` of two nginx pods behind a Service."""
    c = kitlib.Cluster(nodes=2, seed=1)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.kubectl("expose deployment web --port=80")
    c.advance(30)
    return c


def test_get_all_lists_the_all_category_in_discovery_order(web: kitlib.Cluster) -> None:
    """``get all``: pods, services, daemonsets, deployments, replicasets (the kinds of kubectl's
    ``all`` category kitlib serves, in discovery order), each row named ``type/name``, a blank line
    between tables, empty kinds left out (no DaemonSet in ``default``)."""
    assert web.kubectl("get all") == """\
NAME                       READY   STATUS    RESTARTS   AGE
pod/web-7957885594-rxjtf   1/1     Running   0          30s
pod/web-7957885594-vtbnz   1/1     Running   0          30s

NAME                 TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)   AGE
service/kubernetes   ClusterIP   10.96.0.1      <none>        443/TCP   2m30s
service/web          ClusterIP   10.105.4.114   <none>        80/TCP    30s

NAME                  READY   UP-TO-DATE   AVAILABLE   AGE
deployment.apps/web   2/2     2            2           30s

NAME                             DESIRED   CURRENT   READY   AGE
replicaset.apps/web-7957885594   2         2         2       30s"""
    lines = web.kubectl("get all -n kube-system").split("\n")
    assert lines[lines.index("") + 1].startswith("NAME ") and "daemonset.apps/kube-proxy" in "\n".join(lines)
    assert web.kubectl("get all --no-headers").split("\n")[:3] == [
        "pod/web-7957885594-rxjtf   1/1   Running   0     30s",
        "pod/web-7957885594-vtbnz   1/1   Running   0     30s",
        "service/kubernetes   ClusterIP   10.96.0.1      <none>   443/TCP   2m30s"]
    assert web.kubectl("get all -n kube-node-lease") == "No resources found in kube-node-lease namespace."
    assert web.kubectl("get all -o name").split("\n")[2:] == ["service/kubernetes", "service/web",
                                                            "deployment.apps/web", "replicaset.apps/web-7957885594"]


def test_get_events(web: kitlib.Cluster) -> None:
    """``get events``: LAST SEEN, TYPE, REASON, OBJECT (``kind/name``), MESSAGE, listed by name as the
    API server lists them (the object's name, then the time), not sorted by time since kubectl 1.30;
    each event named ``<object>.<unix nanoseconds, hex>``."""
    lines = web.kubectl("get events").split("\n")
    assert lines[0] == "LAST SEEN   TYPE     REASON              OBJECT                      MESSAGE"
    assert lines[1] == ("30s         Normal   Scheduled           pod/web-7957885594-rxjtf    "
                        "Successfully assigned default/web-7957885594-rxjtf to minikube-m02")
    assert lines[-1] == ("30s         Normal   ScalingReplicaSet   deployment/web              "
                         "Scaled up replica set web-7957885594 from 0 to 2")
    wide = web.kubectl("get events -o wide").split("\n")
    assert re.split(r"\s{2,}", wide[0]) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
                                            "FIRST SEEN", "COUNT", "NAME"]
    assert "spec.containers{nginx}   kubelet, minikube-m02   Pulling image \"nginx\"" in wide[2]
    names = web.kubectl("get events -o name").split("\n")
    assert all(re.fullmatch(r"event/[a-z0-9.-]+\.[0-9a-f]{16}", n) for n in names)
    assert len(set(names)) == len(names) == len(lines) - 1
    event = web.kubectl(f"get {names[0]} -o yaml")
    assert "involvedObject:\n  apiVersion: v1\n  fieldPath:" not in event  # the Scheduled event is about the pod
    assert "kind: Event\n" in event and "source:\n  component: default-scheduler\n" in event
    assert "eventTime: null\n" in event and "count: 1\n" in event


def test_events_sorted_and_selected(web: kitlib.Cluster) -> None:
    """``--sort-by=.lastTimestamp`` orders events by time (ties keep the server's order);
    ``--field-selector type=Warning`` and ``involvedObject.name=...`` select as the API server
    does; a field events do not have is the server's ``field label not supported``."""
    web.kubectl("create deployment odd --image=example.com/odd:1")
    web.advance(10)
    by_time = web.kubectl("get events --sort-by=.lastTimestamp").split("\n")[1:]
    ages = [int(line.split("s")[0]) for line in by_time]
    assert ages == sorted(ages, reverse=True) and by_time[-1].split()[1:3] == ["Warning", "UnknownImage"]
    warnings = web.kubectl("get events --field-selector type=Warning").split("\n")
    assert len(warnings) == 2 and warnings[1].split()[1:3] == ["Warning", "UnknownImage"]
    pod = web.api.list("Pod", "default", "app=web")[0].name
    mine = web.kubectl(f"get events --field-selector involvedObject.name={pod},reason!=Pulled").split("\n")[1:]
    assert [line.split()[2] for line in mine] == ["Scheduled", "Pulling", "Created", "Started"]
    assert web.kubectl("get events -A --field-selector type=Warning").startswith("NAMESPACE   LAST SEEN   TYPE")
    before = web.state()
    with pytest.raises(kitlib.ApiError) as err:
        web.kubectl("get events --field-selector spec.foo=bar")
    assert str(err.value) == ('Error from server (BadRequest): Unable to find "/v1, Resource=events" that match label '
                              'selector "", field selector "spec.foo=bar": field label not supported: spec.foo')
    assert web.state() == before


def test_events_expire_after_an_hour() -> None:
    """The API server keeps an event one hour after it was last seen (``--event-ttl=1h``)."""
    c = kitlib.Cluster(nodes=1)
    c.kubectl("create deployment web --image=nginx")
    c.advance(30)
    assert c.kubectl("get events").startswith("LAST SEEN")
    c.advance(3600)
    assert c.kubectl("get events") == "No resources found in default namespace."


def test_service_accounts(web: kitlib.Cluster) -> None:
    """The ServiceAccount controller keeps a ``default`` account in every active namespace, made
    again when deleted; SECRETS is 0 (no token Secrets since 1.24). Its UIDs draw from no stream
    the cluster's names and IPs come from."""
    assert web.kubectl("get sa -A") == """\
NAMESPACE         NAME      SECRETS   AGE
default           default   0         2m30s
kube-flannel      default   0         2m30s
kube-node-lease   default   0         2m30s
kube-public       default   0         2m30s
kube-system       default   0         2m30s"""
    web.kubectl("create namespace team")
    assert web.kubectl("get serviceaccounts -n team") == "NAME      SECRETS   AGE\ndefault   0         0s"
    rng = web.api.rng.getstate()
    assert web.kubectl("delete sa default -n team") == 'serviceaccount "default" deleted from team namespace'
    assert web.kubectl("get sa -n team -o name") == "serviceaccount/default"
    assert web.api.rng.getstate() == rng
    assert web.kubectl("describe sa default") == """\
Name:                default
Namespace:           default
Labels:              <none>
Annotations:         <none>
Image pull secrets:  <none>
Mountable secrets:   <none>
Tokens:              <none>
Events:              <none>"""


def test_other_kinds_columns(web: kitlib.Cluster) -> None:
    """Each kind's ``get`` columns as ``printers.go`` defines them."""
    web.kubectl("create configmap cfg --from-literal=a=1 --from-literal=b=2")
    assert web.kubectl("get cm") == "NAME   DATA   AGE\ncfg    2      0s"
    assert web.kubectl("get ds -A").split("\n")[0].split() == [
        "NAMESPACE", "NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR", "AGE"]
    assert web.kubectl("get ep web").split("\n")[0] == "NAME   ENDPOINTS                     AGE"
    assert web.kubectl("get endpointslice").split("\n")[0].split() == [
        "NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    web.apply("""
apiVersion: v1
kind: Secret
metadata: {name: s}
type: Opaque
data: {a: YQ==}
""")
    assert web.kubectl("get secret") == "NAME   TYPE     DATA   AGE\ns      Opaque   1      0s"


def test_labels_columns(web: kitlib.Cluster) -> None:
    """``--show-labels`` adds LABELS (``k=v`` sorted); ``-L KEY`` a column per key, headed by the
    key's last part in capitals, before LABELS."""
    out = web.kubectl("get deploy --show-labels -L app,tier")
    assert out == ("NAME   READY   UP-TO-DATE   AVAILABLE   AGE   APP   TIER   LABELS\n"
                   "web    2/2     2            2           30s   web          app=web")


def test_pod_field_selectors(web: kitlib.Cluster) -> None:
    """Pods select on ``spec.nodeName``, ``status.phase``, ``status.podIP``, ``metadata.name``,
    with ``=``, ``==`` and ``!=``; an unknown field is refused by the server, naming the resource."""
    on_m02 = web.kubectl("get pods --field-selector spec.nodeName=minikube-m02 -o name")
    assert on_m02 == "pod/web-7957885594-rxjtf"
    assert web.kubectl("get pods --field-selector spec.nodeName!=minikube-m02,status.phase==Running -o name") \
        == "pod/web-7957885594-vtbnz"
    ip = web.api.get("Pod", "web-7957885594-vtbnz").status.pod_ip
    assert web.kubectl(f"get pods --field-selector status.podIP={ip} -o name") == "pod/web-7957885594-vtbnz"
    assert web.kubectl("get pods -A --field-selector metadata.namespace=kube-flannel -o name").startswith(
        "pod/kube-flannel-ds-")
    assert web.kubectl("get pods --field-selector status.phase=Pending") == "No resources found in default namespace."
    with pytest.raises(kitlib.ApiError, match=r'^Error from server \(BadRequest\): Unable to find "apps/v1, '
                                              r'Resource=deployments" that match label selector "app=web", field '
                                              r'selector "spec.replicas=2": field label not supported: spec.replicas$'):
        web.kubectl("get deploy -l app=web --field-selector spec.replicas=2")


def test_sort_by(web: kitlib.Cluster) -> None:
    """``--sort-by`` sorts each table's rows (and ``-o`` lists' items) by a JSONPath, relaxed
    (``.status.podIP`` or ``{.status.podIP}``); a path no object has is kubectl's error, or, for a
    table, nothing (kubectl drops the error); several tables fail, as on a real cluster."""
    by_ip = web.kubectl("get pods --sort-by=.status.podIP -o custom-columns=IP:.status.podIP --no-headers")
    assert by_ip.split("\n") == sorted(by_ip.split("\n"))
    names = web.kubectl("get svc --sort-by={.metadata.creationTimestamp} -o name")
    assert names == "service/kubernetes\nservice/web"
    assert web.kubectl("get svc --sort-by=.spec.clusterIP --no-headers -o custom-columns=N:.metadata.name") \
        == "web\nkubernetes"  # 10.105.4.114 < 10.96.0.1 as strings
    with pytest.raises(kitlib.ApiError, match=r'^error: couldn\'t find any field with path "\{\.nope\}" in the list '
                                              r'of objects$'):
        web.kubectl("get pods --sort-by=.nope -o name")
    # A table's sorting error is dropped by kubectl: nothing is printed, then "No resources found".
    assert web.kubectl("get pods --sort-by=.nope") == "No resources found in default namespace."
    # With several tables kubectl sorts the Table objects, which have no .metadata.name.
    with pytest.raises(kitlib.ApiError, match=r'^error: couldn\'t find any field with path "\{\.metadata\.name\}"'):
        web.kubectl("get deploy,svc --sort-by=.metadata.name")


def test_quantities_sort_as_quantities() -> None:
    """Strings that are quantities sort by value (``100m`` < ``1`` < ``2Gi``), as kubectl's ``isLess`` does."""
    from kitlib.kubectl.get import sort_bodies
    bodies = [{"v": "2Gi"}, {"v": "100m"}, {}, {"v": "1"}]
    assert sort_bodies(bodies, ".v") == [2, 1, 3, 0]


def test_watch_prints_the_table_then_the_changes() -> None:
    """``get pods -w`` prints the table, then a row per change while the clock advances (at most
    ``--request-timeout``, and until 5 s pass without a change), in the table's column widths."""
    c = kitlib.Cluster(nodes=1, seed=2)
    c.kubectl("create deployment web --image=nginx")
    c.advance(20)
    start = c.now
    c.kubectl("scale deploy web --replicas=2")
    lines = c.kubectl("get pods -w").split("\n")
    assert lines[0] == "NAME                   READY   STATUS              RESTARTS   AGE"
    new = [line for line in lines[1:] if "ContainerCreating" in line][0].split()[0]
    assert any(line.startswith(new) and " Running " in line for line in lines[3:])
    assert 5 <= c.now - start <= 60
    quiet = c.now
    out = c.kubectl("get deploy -w --request-timeout=7s")
    assert out.split("\n")[1].split()[:4] == ["web", "2/2", "2", "2"] and len(out.split("\n")) == 2
    assert c.now == quiet + 7
    with pytest.raises(kitlib.ApiError, match=r"^error: you may only specify a single resource type$"):
        c.kubectl("get pods,svc -w")


def test_missing_named_objects(web: kitlib.Cluster) -> None:
    """Objects asked by name that are missing: kubectl prints the others, then one NotFound each
    (exit 1); one object alone is just its error; ``--ignore-not-found`` prints nothing for them."""
    with pytest.raises(kitlib.PartialFailure) as err:
        web.kubectl("get deploy web nope -o name")
    assert str(err.value) == 'deployment.apps/web\nError from server (NotFound): deployments.apps "nope" not found'
    assert err.value.output == "deployment.apps/web"
    with pytest.raises(kitlib.NotFound, match=r'^Error from server \(NotFound\): deployments.apps "nope" not found$'):
        web.kubectl("get deploy nope")
    assert web.kubectl("get deploy nope --ignore-not-found") == ""
    assert web.kubectl("get deploy web nope --ignore-not-found -o name") == "deployment.apps/web"


def test_watch_events(web: kitlib.Cluster) -> None:
    """``get events -w``: the events so far, then the ones recorded while the clock advances."""
    web.kubectl("scale deploy web --replicas=3")
    before = web.kubectl("get events").split("\n")
    watched = web.kubectl("get events -w").split("\n")
    assert watched[:len(before)] == before
    new = watched[len(before):]
    assert [line.split()[2] for line in new] == ["Pulling", "Pulled", "Created", "Started"]
    assert all(" pod/web-" in line for line in new)


def test_names_and_selectors_do_not_mix(web: kitlib.Cluster) -> None:
    """kubectl refuses a name together with ``-l`` or ``--field-selector`` before asking the server
    (checked against kubectl 1.37.1, which says so offline)."""
    for flags in ("-l app=web", "--field-selector metadata.name=web"):
        with pytest.raises(kitlib.ApiError, match=r"^error: name cannot be provided when a selector is specified$"):
            web.kubectl(f"get deploy web {flags}")
