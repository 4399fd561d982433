"""The classic one-liners of the Kubernetes documentation's Services, DNS and Ingress pages, typed
as a learner copies them, each kept as a test that names its page.

A command that runs in a pod on the page (``nslookup``, ``wget -qO-``, ``curl``, ``printenv``) runs
here through ``kubectl exec`` in a pod of the image the page uses; a pipe into ``grep`` runs in the
learner's own shell, so the test filters kubectl's output as ``grep`` would. BusyBox's ``nslookup``
(1.37) does not apply the search list to a name with a dot, so the DNS pages' lookups run in
``jessie-dnsutils`` (bind's ``nslookup``), the pod the "Debugging DNS Resolution" page creates.

The Services concept page (concepts/services-networking/service/) shows manifests rather than
commands; its Services are the ones these pages create.

``WORKS`` lists them, each with its page; every one runs in kitlib.

Left out: what needs a terminal or the network (``kubectl edit``, ``kubectl apply -f https://...``,
``minikube service --url``), and ``-o jsonpath``, ``port-forward`` and ``get events``, which these
pages do not use (their tests belong with those commands).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import pytest

import kitlib

CONNECT = "https://kubernetes.io/docs/tutorials/services/connect-applications-service/"
DNS = "https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/"
DNS_DEBUG = "https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/"
DEBUG_SERVICE = "https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/"
INGRESS = "https://kubernetes.io/docs/concepts/services-networking/ingress/"
INGRESS_MINIKUBE = "https://kubernetes.io/docs/tasks/access-application-cluster/ingress-minikube/"

RUN_MY_NGINX = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-nginx
spec:
  selector:
    matchLabels:
      run: my-nginx
  replicas: 2
  template:
    metadata:
      labels:
        run: my-nginx
    spec:
      containers:
      - name: my-nginx
        image: nginx
        ports:
        - containerPort: 80
"""
"""``service/networking/run-my-nginx.yaml``, the Connecting Applications page's Deployment."""

DNSUTILS = """\
apiVersion: v1
kind: Pod
metadata:
  name: dnsutils
  namespace: default
spec:
  containers:
  - name: dnsutils
    image: registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3
    command:
      - sleep
      - "infinity"
    imagePullPolicy: IfNotPresent
  restartPolicy: Always
"""
"""``admin/dns/dnsutils.yaml``, the DNS debugging page's pod."""

BUSYBOX = """\
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  containers:
  - name: client
    image: busybox:1.37
    command: ["sleep", "3600"]
"""
"""A busybox pod `client` to run the pages' in-pod commands from (what ``kubectl run -it --rm`` gives)."""

SIMPLE_FANOUT = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: simple-fanout-example
spec:
  rules:
  - host: foo.bar.com
    http:
      paths:
      - path: /foo
        pathType: Prefix
        backend:
          service:
            name: service1
            port:
              number: 4200
      - path: /bar
        pathType: Prefix
        backend:
          service:
            name: service2
            port:
              number: 8080
"""
"""``service/networking/simple-fanout-example.yaml``, the Ingress page's fan-out."""

EXAMPLE_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: example-ingress
spec:
  ingressClassName: nginx
  rules:
    - host: hello-world.example
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 8080
"""
"""``service/networking/example-ingress.yaml``, the minikube Ingress page's Ingress."""


def services_world() -> kitlib.Cluster:
    """The Connecting Applications and Debug Services pages' cluster: `my-nginx` (2 nginx pods,
    made again after its Service so they carry its variables), `hostnames` (3 pods) with their
    Services, a busybox pod `client` and a dnsutils pod to run commands from."""
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("apply -f -\n" + RUN_MY_NGINX)
    c.kubectl("expose deployment/my-nginx")
    c.kubectl("create deployment hostnames --image=registry.k8s.io/serve_hostname")
    c.kubectl("scale deployment hostnames --replicas=3")
    c.kubectl("expose deployment hostnames --port=80 --target-port=9376")
    c.kubectl("apply -f -\n" + BUSYBOX)
    c.kubectl("apply -f -\n" + DNSUTILS)
    c.advance(10)
    c.kubectl("scale deployment my-nginx --replicas=0")
    c.kubectl("scale deployment my-nginx --replicas=2")
    c.advance(10)
    return c


def ingress_world() -> kitlib.Cluster:
    """The minikube Ingress page's cluster: `minikube addons enable ingress`, hello-app `web`
    behind a NodePort Service, the page's Ingress; the Ingress page's fan-out beside it."""
    c = kitlib.Cluster(nodes=1, seed=0)
    c.enable_addon("ingress")
    c.kubectl("create deployment web --image=gcr.io/google-samples/hello-app:1.0")
    c.kubectl("expose deployment web --type=NodePort --port=8080")
    c.kubectl("apply -f -\n" + EXAMPLE_INGRESS)
    c.kubectl("apply -f -\n" + SIMPLE_FANOUT)
    c.advance(30)
    return c


def shell(c: kitlib.Cluster, command: str) -> str:
    """What a terminal shows for ``kubectl ...`` (``| grep X`` filtered as the shell's grep does)."""
    command, _, grep = command.partition(" | grep ")
    out = c.kubectl(command.removeprefix("kubectl "))
    return "\n".join(line for line in out.splitlines() if grep in line) if grep else str(out)


def in_pod(pod: str) -> Callable[[kitlib.Cluster, str], str]:
    """Run the page's in-pod command in ``pod`` (``kubectl exec POD -- CMD``)."""
    def run(c: kitlib.Cluster, command: str) -> str:
        return str(c.kubectl(f"exec {pod} -- {command}"))
    return run


def cluster_ip(c: kitlib.Cluster, name: str) -> str:
    return c.get("Service", name).spec.cluster_ip


def pod_ips(c: kitlib.Cluster, selector: str) -> list[str]:
    return sorted(p.status.pod_ip for p in c.pods(selector=selector))


@dataclass(frozen=True)
class OneLiner:
    """A command as a page prints it, where it runs, and what its output must show: ``expect``
    returns the lines or fragments (each must appear) for this cluster."""

    page: str
    command: str
    expect: Callable[[kitlib.Cluster], list[str]]
    world: Callable[[], kitlib.Cluster] = services_world
    run: Callable[[kitlib.Cluster, str], str] = shell

    def __str__(self) -> str:
        return f"{self.page.removeprefix('https://kubernetes.io/docs/')} · {self.command}"


WORKS = [
    # Connecting Applications with Services
    OneLiner(CONNECT, "kubectl get pods -l run=my-nginx -o wide",
             lambda c: ["NAME                        READY   STATUS    RESTARTS   AGE   IP           NODE",
                        *pod_ips(c, "run=my-nginx")]),
    OneLiner(CONNECT, "kubectl get svc my-nginx",
             lambda c: ["NAME       TYPE        CLUSTER-IP", f"my-nginx   ClusterIP   {cluster_ip(c, 'my-nginx')}",
                        "80/TCP"]),
    OneLiner(CONNECT, "kubectl describe svc my-nginx",
             lambda c: ["Selector:                 run=my-nginx", f"IP:                       {cluster_ip(c, 'my-nginx')}",
                        *[f"{ip}:80" for ip in pod_ips(c, "run=my-nginx")]]),
    OneLiner(CONNECT, "kubectl get endpointslices -l kubernetes.io/service-name=my-nginx",
             lambda c: ["NAME             ADDRESSTYPE   PORTS   ENDPOINTS", *pod_ips(c, "run=my-nginx")]),
    OneLiner(CONNECT, "kubectl exec {my_nginx_pod} -- printenv | grep SERVICE",
             lambda c: [f"MY_NGINX_SERVICE_HOST={cluster_ip(c, 'my-nginx')}", "MY_NGINX_SERVICE_PORT=80",
                        "KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT=443",
                        "KUBERNETES_SERVICE_PORT_HTTPS=443"]),
    OneLiner(CONNECT, "kubectl get services kube-dns --namespace=kube-system",
             lambda c: ["kube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP"]),
    OneLiner(CONNECT, "wget -qO- my-nginx", lambda c: ["<h1>Welcome to nginx!</h1>"], run=in_pod("client")),
    OneLiner(CONNECT, "kubectl get svc my-nginx -o yaml",
             lambda c: ["kind: Service", "  selector:\n    run: my-nginx", "    targetPort: 80"]),
    # Debug Services
    OneLiner(DEBUG_SERVICE, "kubectl get pods -l app=hostnames",
             lambda c: ["NAME                         READY   STATUS    RESTARTS   AGE",
                        *[f"{p.name}   1/1     Running" for p in c.pods(selector="app=hostnames")]]),
    OneLiner(DEBUG_SERVICE, "kubectl get svc hostnames",
             lambda c: [f"hostnames   ClusterIP   {cluster_ip(c, 'hostnames')}   <none>        80/TCP"]),
    OneLiner(DEBUG_SERVICE, "kubectl get service hostnames -o json",
             lambda c: ['"kind": "Service"', '"targetPort": 9376', f'"clusterIP": "{cluster_ip(c, "hostnames")}"']),
    OneLiner(DEBUG_SERVICE, "kubectl get endpoints hostnames",
             lambda c: [",".join(f"{ip}:9376" for ip in sorted(pod_ips(c, "app=hostnames")))]),
    OneLiner(DEBUG_SERVICE, "kubectl get endpointslices -l kubernetes.io/service-name=hostnames",
             lambda c: ["9376", *pod_ips(c, "app=hostnames")]),
    OneLiner(DEBUG_SERVICE, "nslookup hostnames",
             lambda c: ["Name:\thostnames.default.svc.cluster.local", f"Address: {cluster_ip(c, 'hostnames')}"],
             run=in_pod("dnsutils")),
    OneLiner(DEBUG_SERVICE, "nslookup hostnames.default",
             lambda c: ["Name:\thostnames.default.svc.cluster.local", f"Address: {cluster_ip(c, 'hostnames')}"],
             run=in_pod("dnsutils")),
    OneLiner(DEBUG_SERVICE, "nslookup hostnames.default.svc.cluster.local",
             lambda c: ["Name:\thostnames.default.svc.cluster.local", f"Address: {cluster_ip(c, 'hostnames')}"],
             run=in_pod("dnsutils")),
    OneLiner(DEBUG_SERVICE, "nslookup kubernetes.default",
             lambda c: ["Server:\t\t10.96.0.10", "Name:\tkubernetes.default.svc.cluster.local", "Address: 10.96.0.1"],
             run=in_pod("dnsutils")),
    OneLiner(DEBUG_SERVICE, "cat /etc/resolv.conf",
             lambda c: ["nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\n"
                        "options ndots:5"], run=in_pod("client")),
    OneLiner(DEBUG_SERVICE, "kubectl get pods -n kube-system -l k8s-app=kube-proxy",
             lambda c: [f"{p.name}   1/1     Running" for p in c.pods("kube-system", "k8s-app=kube-proxy")]),
    # DNS for Services and Pods, and its debugging page
    OneLiner(DNS, "nslookup my-nginx.default.svc.cluster.local",
             lambda c: [f"Address: {cluster_ip(c, 'my-nginx')}"], run=in_pod("dnsutils")),
    OneLiner(DNS_DEBUG, "kubectl get pods dnsutils", lambda c: ["dnsutils   1/1     Running   0"]),
    OneLiner(DNS_DEBUG, "kubectl exec -i -t dnsutils -- nslookup kubernetes.default",
             lambda c: ["Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tkubernetes.default.svc.cluster.local\n"
                        "Address: 10.96.0.1"]),
    OneLiner(DNS_DEBUG, "kubectl exec -ti dnsutils -- cat /etc/resolv.conf",
             lambda c: ["nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\n"
                        "options ndots:5"]),
    OneLiner(DNS_DEBUG, "kubectl get pods --namespace=kube-system -l k8s-app=kube-dns",
             lambda c: [f"{p.name}   1/1     Running" for p in c.pods("kube-system", "k8s-app=kube-dns")]),
    OneLiner(DNS_DEBUG, "kubectl get pods --namespace=kube-system -l k8s-app=kube-dns -o name",
             lambda c: [f"pod/{p.name}" for p in c.pods("kube-system", "k8s-app=kube-dns")]),
    OneLiner(DNS_DEBUG, "kubectl get ep kube-dns --namespace=kube-system",
             lambda c: ["kube-dns   " + ",".join(f"{ip}:{port}" for ip in pod_ips(c, "k8s-app=kube-dns")
                                             for port in (53, 53, 9153))]),
    OneLiner(DNS_DEBUG, "kubectl get svc --namespace=kube-system",
             lambda c: ["kube-dns   ClusterIP   10.96.0.10"]),
    OneLiner(DNS_DEBUG, "kubectl get endpointslices -l kubernetes.io/service-name=kube-dns --namespace=kube-system",
             lambda c: ["53,53,9153", *pod_ips(c, "k8s-app=kube-dns")]),
    # Ingress, and Ingress on minikube
    OneLiner(INGRESS, "kubectl describe ingress simple-fanout-example",
             lambda c: ["Name:             simple-fanout-example", "Address:          192.168.49.2",
                        "  foo.bar.com", "/foo   service1:4200 (<error: services \"service1\" not found>)"],
             world=ingress_world),
    OneLiner(INGRESS, "kubectl get ingress simple-fanout-example",
             lambda c: ["simple-fanout-example   nginx   foo.bar.com   192.168.49.2   80"], world=ingress_world),
    OneLiner(INGRESS_MINIKUBE, "kubectl get pods -n ingress-nginx",
             lambda c: ["ingress-nginx-controller-", "1/1     Running"], world=ingress_world),
    OneLiner(INGRESS_MINIKUBE, "kubectl get deployment web",
             lambda c: ["NAME   READY   UP-TO-DATE   AVAILABLE   AGE", "web    1/1     1            1"],
             world=ingress_world),
    OneLiner(INGRESS_MINIKUBE, "kubectl get service web",
             lambda c: [f"web    NodePort   {cluster_ip(c, 'web')}   <none>        8080:"], world=ingress_world),
    OneLiner(INGRESS_MINIKUBE, "kubectl get ingress",
             lambda c: ["example-ingress         nginx   hello-world.example   192.168.49.2   80"], world=ingress_world),
    OneLiner(CONNECT, "kubectl get pods -l run=my-nginx -o custom-columns=POD_IP:.status.podIPs",
             lambda c: ["POD_IP", *[f"[map[ip:{ip}]]" for ip in pod_ips(c, "run=my-nginx")]]),
    # The page's interactive `kubectl run -it --rm --restart=Never busybox --image=... sh`, with the
    # command typed at its prompt given after `--`, as a notebook cell (no terminal) runs it.
    OneLiner(DEBUG_SERVICE, "kubectl run -i --rm --restart=Never busybox --image=gcr.io/google-containers/busybox "
                            "-- wget -qO- my-nginx",
             lambda c: ["<h1>Welcome to nginx!</h1>"]),
    # registry.k8s.io/serve_hostname answers its pod's hostname on 9376, through the Service's port 80
    # (the page's `for i in $(seq 1 3); do wget -qO- 10.0.1.175:80; done` and the pod IPs' loop).
    OneLiner(DEBUG_SERVICE, "wget -qO- {hostnames_ip}:80",
             lambda c: ["hostnames-"], run=in_pod("client")),
    OneLiner(DEBUG_SERVICE, "wget -qO- {hostnames_pod_ip}:9376",
             lambda c: ["hostnames-"], run=in_pod("client")),
    # `for p in $(kubectl get pods --namespace=kube-system -l k8s-app=kube-dns -o name); do kubectl
    # logs --namespace=kube-system $p; done`: CoreDNS's start-up lines.
    OneLiner(DNS_DEBUG, "kubectl logs --namespace=kube-system {coredns_pod}",
             lambda c: [".:53\n[INFO] plugin/reload: Running configuration SHA512 = ", "\nCoreDNS-1.14.6\n"
                        "linux/amd64, go1.26.5, 424d125"]),
    OneLiner(DEBUG_SERVICE, """kubectl get pods -l app=hostnames -o go-template='{{range .items}}{{.status.podIP}}{{"\\n"}}{{end}}'""",
             # a pod IP a line, the pods in kubectl get's order (by name)
             lambda c: ["\n".join(p.status.pod_ip for p in sorted(c.pods(selector="app=hostnames"),
                                                                 key=lambda p: p.name))]),
]


def placeholders(c: kitlib.Cluster, command: str) -> str:
    """The names and addresses a page writes as `<POD-NAME>` or its own IPs, from this cluster."""
    return command.format(my_nginx_pod=c.pods(selector="run=my-nginx")[0].name,
                          hostnames_ip=cluster_ip(c, "hostnames"),
                          hostnames_pod_ip=pod_ips(c, "app=hostnames")[0],
                          coredns_pod=c.kubectl("get pods --namespace=kube-system -l k8s-app=kube-dns -o name").strip())


def check(line: OneLiner) -> None:
    c = line.world()
    command = placeholders(c, line.command) if re.search(r"(?<!\{)\{(my_nginx_pod|hostnames_ip|hostnames_pod_ip|coredns_pod)\}",
                                                       line.command) else line.command
    out = line.run(c, command)
    missing = [want for want in line.expect(c) if want not in out]
    assert missing == [], f"{line.page}\n$ {command}\n{out}"


@pytest.mark.parametrize("line", WORKS, ids=str)
def test_a_documented_one_liner_runs_and_prints_what_the_page_shows(line):
    """The command, copied from the page, prints what the page shows for this cluster's names and
    addresses."""
    check(line)


    check(line)


def test_the_pages_setup_commands_print_what_the_pages_show():
    """The pages' creating commands: `kubectl expose deployment/my-nginx`, `kubectl create deployment
    hostnames`, `kubectl scale ... --replicas=3`, the port 80 → 9376 Service, and the minikube page's
    hello-app and NodePort Service, each with the line the page prints."""
    c = kitlib.Cluster(nodes=3, seed=0)
    assert c.kubectl("apply -f -\n" + RUN_MY_NGINX) == "deployment.apps/my-nginx created"  # CONNECT
    assert c.kubectl("expose deployment/my-nginx") == "service/my-nginx exposed"  # CONNECT
    scaled = [c.kubectl(cmd) for cmd in ("scale deployment my-nginx --replicas=0",
                                         "scale deployment my-nginx --replicas=2")]  # CONNECT
    assert scaled == ["deployment.apps/my-nginx scaled"] * 2
    assert c.kubectl("create deployment hostnames --image=registry.k8s.io/serve_hostname") == \
        "deployment.apps/hostnames created"  # DEBUG_SERVICE
    assert c.kubectl("scale deployment hostnames --replicas=3") == "deployment.apps/hostnames scaled"
    with pytest.raises(kitlib.NotFound, match=r'^Error from server \(NotFound\): services "hostnames" not found$'):
        c.kubectl("get svc hostnames")  # DEBUG_SERVICE: before the Service exists
    assert c.kubectl("expose deployment hostnames --port=80 --target-port=9376") == "service/hostnames exposed"
    mk = kitlib.Cluster(nodes=1, seed=0)
    mk.enable_addon("ingress")  # INGRESS_MINIKUBE: minikube addons enable ingress
    assert mk.kubectl("create deployment web --image=gcr.io/google-samples/hello-app:1.0") == "deployment.apps/web created"
    assert mk.kubectl("expose deployment web --type=NodePort --port=8080") == "service/web exposed"
    assert mk.kubectl("apply -f -\n" + EXAMPLE_INGRESS) == "ingress.networking.k8s.io/example-ingress created"
    assert mk.kubectl("create deployment web2 --image=gcr.io/google-samples/hello-app:2.0") == \
        "deployment.apps/web2 created"
    assert mk.kubectl("expose deployment web2 --port=8080 --type=NodePort") == "service/web2 exposed"


def test_the_configmap_of_the_connecting_applications_page(tmp_path, monkeypatch):
    """`kubectl create configmap nginxconfigmap --from-file=default.conf` stores the file under its
    name, and `kubectl get configmaps` lists it with one key (Connecting Applications)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "default.conf").write_text("server {\n        listen 80 default_server;\n}\n")
    c = kitlib.Cluster(nodes=1)
    assert c.kubectl("create configmap nginxconfigmap --from-file=default.conf") == "configmap/nginxconfigmap created"
    assert re.search(r"^nginxconfigmap\s+1\s+0s$", c.kubectl("get configmaps"), re.M)
    assert "default.conf:\n----\nserver {" in c.kubectl("describe configmap  nginxconfigmap")


def test_curl_through_the_minikube_ingress_reaches_hello_app():
    """`curl --resolve "hello-world.example:80:$( minikube ip )" -i http://hello-world.example`
    (Ingress on minikube) answers hello-app's three lines, from a pod of `web`."""
    c = ingress_world()
    resp = c.http("http://hello-world.example/")  # the lab's DNS resolves the name to minikube ip
    assert resp.status == 200
    assert resp.body.startswith("Hello, world!\nVersion: 1.0.0\nHostname: web-")
    assert resp.service == "default/web"


def test_the_tls_secret_of_the_connecting_applications_page(tmp_path, monkeypatch):
    """`openssl req -x509 ... -keyout nginx.key -out nginx.crt -subj "/CN=my-nginx/O=my-nginx"`, then
    `kubectl create secret tls nginxsecret --key nginx.key --cert nginx.crt` makes a
    kubernetes.io/tls Secret with two keys (Connecting Applications; the files in the notebook's folder)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl makes the page's certificate")
    monkeypatch.chdir(tmp_path)
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "365", "-newkey", "rsa:2048",
                    "-keyout", "nginx.key", "-out", "nginx.crt", "-subj", "/CN=my-nginx/O=my-nginx"],
                   check=True, capture_output=True)
    c = kitlib.Cluster(nodes=1)
    assert c.kubectl("create secret tls nginxsecret --key nginx.key --cert nginx.crt") == "secret/nginxsecret created"
    assert re.search(r"^nginxsecret\s+kubernetes.io/tls\s+2\s+0s$", c.kubectl("get secrets"), re.M)
