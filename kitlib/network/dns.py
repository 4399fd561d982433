"""Cluster DNS: CoreDNS answering as ``kube-dns`` at 10.96.0.10, and each pod's resolver.

CoreDNS runs minikube's Corefile: kubeadm's (``kubernetes cluster.local in-addr.arpa
ip6.arpa { pods insecure; ttl 30 }``, ``forward . /etc/resolv.conf``) plus the ``hosts``
block minikube adds for ``host.minikube.internal``. Its ``kubernetes`` plugin answers:

* ``<svc>.<ns>.svc.cluster.local`` A → the ClusterIP (even with no endpoints);
* a headless Service → one A per ready endpoint (``publishNotReadyAddresses`` makes every
  endpoint ready), NXDOMAIN when there is none;
* an ExternalName Service → a CNAME to ``spec.externalName``;
* ``_<port>._<proto>.<svc>.<ns>.svc.cluster.local`` SRV for named ports: priority 0,
  weight ``100/n``, the Service port and the Service name (normal), or the endpoint port and
  ``<a-b-c-d>.<svc>...`` (headless);
* ``a-b-c-d.<ns>.pod.cluster.local`` A → a-b-c-d (``pods insecure``: any dashed IP);
* NXDOMAIN otherwise; names outside the zone go upstream, and this simulator has no
  internet: a name in a real top-level domain gets SERVFAIL, any other NXDOMAIN.

A pod's resolver reads the ``/etc/resolv.conf`` the kubelet gave it (:func:`resolv_conf`) and
expands names with the search list: a name with fewer dots than ``ndots`` (5) is tried with
each search suffix first and then as it is (glibc's order), so ``web`` finds the Service in
the pod's own namespace and ``web.other`` the one in ``other``. The query itself is a UDP
packet to kube-dns, which is a Service like any other: with no ready CoreDNS endpoint every
lookup fails.

Not modelled: AAAA records (the cluster is IPv4 only), the ``loadbalance`` plugin's shuffling
(answers come in endpoint order), caching, and the Endpoints hostname of StatefulSet pods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from ..api.addresses import is_ip
from ..api.service import Service, is_headless, service_type
from ..errors import BadRequest
from . import datapath
from .datapath import Hop, Source, resolve_source
from .ref import Ref
from .topology import EXTERNAL

if TYPE_CHECKING:
    from ..api.pod import Pod
    from ..runtime import Runtime

DNS_NAMESPACE = "kube-system"
DNS_SERVICE = "kube-dns"
TTL = 30
"""The ``kubernetes`` plugin's ``ttl 30`` in kubeadm's Corefile."""
HOSTS_TTL = 3600
NDOTS = 5
QTYPES = ("A", "AAAA", "SRV", "CNAME", "PTR")
REAL_TLDS = frozenset("""com org net edu gov mil int io dev app ai co me sh cloud info biz xyz tech site online
    us uk de fr nl be eu es it pt ch at se no dk fi pl cz ie jp cn kr in au nz ca br mx ru tv cc""".split())
"""Top-level domains the forwarded queries would find on the internet (for all others the root
servers say NXDOMAIN, so the simulator can too)."""


@dataclass(frozen=True)
class DnsRecord:
    """One resource record, as ``dig`` prints it: ``web.default.svc.cluster.local. 30 IN A 10.96.0.42``."""

    name: str
    type: str
    data: str
    ttl: int = TTL

    def __str__(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.type}\t{self.data}"

    @property
    def target(self) -> str:
        """The name an SRV, CNAME or PTR record points to (its last field)."""
        return self.data.split()[-1]

    @property
    def port(self) -> int | None:
        """The port of an SRV record."""
        return int(self.data.split()[2]) if self.type == "SRV" else None


@dataclass(frozen=True)
class DnsReply:
    """What kube-dns answers for one absolute name: the response code and the answer section."""

    rcode: str
    records: tuple[DnsRecord, ...] = ()
    authoritative: bool = True

    @property
    def nodata(self) -> bool:
        """The name exists but has no record of the type asked for."""
        return self.rcode == "NOERROR" and not self.records


@dataclass
class DnsAnswer:
    """The outcome of :meth:`kitlib.Cluster.resolve`: data, never an exception.

    ``name`` is what was asked, ``fqdn`` the expanded name that answered, ``tried`` every
    name the resolver sent, in order, with kube-dns's response code.
    """

    name: str
    type: str
    ok: bool
    reason: str
    fqdn: str | None = None
    records: list[DnsRecord] = field(default_factory=list)
    rcode: str | None = None
    server: str | None = None
    src: str = ""
    tried: list[tuple[str, str]] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)

    @property
    def addresses(self) -> list[str]:
        """The IPv4 addresses in the answer (after any CNAME)."""
        return [r.data for r in self.records if r.type == "A"]

    @property
    def address(self) -> str | None:
        """The first address, the one a client connects to."""
        return next(iter(self.addresses), None)

    def __str__(self) -> str:
        if self.ok:
            via = f"{self.name} → {self.fqdn}" if self.fqdn and self.fqdn != self.name else self.name
            head = f"OK: {via}" + (f" (asked of kube-dns {self.server})" if self.server else "")
        else:
            head = f"FAILED: {self.reason}"
        lines = [head] + [f"  tried {n}: {code}" for n, code in self.tried if len(self.tried) > 1 or not self.ok]
        return "\n".join(lines + [f"  {r}" for r in self.records])

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the readable form
        p.text(str(self))


# ---------------------------------------------------------------------------- the server


def server_ip(rt: Runtime) -> str:
    """The kubelet's ``clusterDNS`` (10.96.0.10): the nameserver every ClusterFirst pod is given."""
    return rt.api.service_ips.indexed(10)


def query(rt: Runtime, name: str, qtype: str = "A") -> DnsReply:
    """What kube-dns (CoreDNS) answers for one absolute name, with no search list applied.

    >>> from kitlib import Cluster
    >>> query(Cluster(nodes=1).runtime, "kubernetes.default.svc.cluster.local").records[0].data
    '10.96.0.1'
    """
    qtype = qtype.upper()
    fqdn = name.rstrip(".").lower()
    zone = rt.config.cluster_domain
    if fqdn == "host.minikube.internal":
        # minikube's hosts block: the host machine as seen from the cluster network.
        if qtype != "A":
            return DnsReply("NOERROR")
        return DnsReply("NOERROR", (DnsRecord(name.rstrip(".") + ".", "A", _gateway(rt), HOSTS_TTL),))
    if fqdn.endswith(".in-addr.arpa"):
        return _reverse(rt, fqdn, qtype)
    if fqdn == zone or fqdn.endswith("." + zone):
        return _kubernetes(rt, fqdn, name.rstrip(".") + ".", qtype)
    return _upstream(fqdn)


def _gateway(rt: Runtime) -> str:
    return rt.topology.graph.nodes[EXTERNAL]["ip"]


def _upstream(fqdn: str) -> DnsReply:
    # forward . /etc/resolv.conf: the node's resolver, and behind it the internet, which the
    # simulator does not have. The root servers would deny a made-up top-level domain.
    tld = fqdn.rsplit(".", 1)[-1]
    if tld in REAL_TLDS and "." in fqdn:
        return DnsReply("SERVFAIL", authoritative=False)
    return DnsReply("NXDOMAIN", authoritative=False)


@dataclass(frozen=True)
class _Item:
    """One entry of CoreDNS's findServices result (its msg.Service)."""

    host: str
    port: int
    key: str  # the record's own name, used as SRV target


def _kubernetes(rt: Runtime, fqdn: str, qname: str, qtype: str) -> DnsReply:
    base = fqdn[: -len(rt.config.cluster_domain)].rstrip(".")
    if base in ("", "svc", "pod"):
        return DnsReply("NOERROR")  # the zone apex: NODATA
    segs = base.split(".")
    kind, rest = segs[-1], segs[:-1]
    if kind not in ("svc", "pod") or len(rest) > 4:
        return DnsReply("NXDOMAIN")
    namespace = rest[-1] if rest else ""
    if not namespace:
        return DnsReply("NOERROR")
    if rt.api.store.get("Namespace", namespace) is None:
        return DnsReply("NXDOMAIN")
    if len(rest) == 1:
        return DnsReply("NOERROR")  # <ns>.svc.cluster.local exists but holds no record
    if kind == "pod":
        return _pod_record(rest[-2], qname, qtype)
    endpoint = port = proto = ""
    extra = rest[:-2]
    if len(extra) == 1:
        endpoint = extra[0]
    elif len(extra) == 2:
        port, proto = extra[0].removeprefix("_"), extra[1].removeprefix("_")
    svc = rt.api.store.get("Service", f"{namespace}/{rest[-2]}")
    if not isinstance(svc, Service):
        return DnsReply("NXDOMAIN")
    items, cname = _find(rt, svc, endpoint, port, proto)
    if cname is not None:
        return _cname_reply(rt, qname, cname, qtype)
    if not items:
        return DnsReply("NXDOMAIN")
    return DnsReply("NOERROR", _records(items, qname, qtype))


def _pod_record(podname: str, qname: str, qtype: str) -> DnsReply:
    ip = podname.replace("-", ".")
    if podname.count("-") != 3 or "--" in podname or not is_ip(ip):
        return DnsReply("NXDOMAIN")
    if qtype != "A":
        return DnsReply("NOERROR")
    return DnsReply("NOERROR", (DnsRecord(qname, "A", ip),))


def _find(rt: Runtime, svc: Service, endpoint: str, port: str, proto: str) -> tuple[list[_Item], str | None]:
    """CoreDNS's findServices for one Service: its items, or the ExternalName to CNAME to."""
    zone = rt.config.cluster_domain
    svc_name = f"{svc.name}.{svc.namespace}.svc.{zone}."
    if service_type(svc) == "ExternalName":
        return [], (None if endpoint else (svc.spec.external_name or "").rstrip(".") + ".")
    items: list[_Item] = []
    if is_headless(svc) or endpoint:
        for ip, host, ports in ready_endpoints(rt, svc):
            if endpoint and endpoint.lower() != host:
                continue
            for name, number, protocol in ports or [("", -1, "")]:
                if _match(port, name) and _match(proto, protocol):
                    items.append(_Item(ip, number, f"{host}.{svc_name}"))
        return items, None
    for sp in svc.spec.ports:
        if _match(port, sp.name or "") and _match(proto, sp.protocol or "TCP"):
            for ip in svc.spec.cluster_ips or [svc.spec.cluster_ip or ""]:
                items.append(_Item(ip, sp.port, svc_name))
    return items, None


def _match(asked: str, actual: str) -> bool:
    return not asked or asked.lower() == actual.lower()


def ready_endpoints(rt: Runtime, svc: Service) -> list[tuple[str, str, list[tuple[str, int, str]]]]:
    """(IP, endpoint hostname, [(port name, port, protocol)]) of every ready endpoint, as CoreDNS
    sees them: from the Service's EndpointSlices (a missing ``ready`` counts as ready), or from
    its Endpoints object when it has no slice."""
    from ..api.discovery import SERVICE_NAME_LABEL, EndpointSlice

    out = []
    slices = [s for s in rt.api.store.items("EndpointSlice", svc.namespace)
              if isinstance(s, EndpointSlice) and s.metadata.labels.get(SERVICE_NAME_LABEL) == svc.name]
    for sl in sorted(slices, key=lambda s: s.name):
        ports = [(p.name or "", p.port or 0, p.protocol or "TCP") for p in sl.ports]
        for ep in sl.endpoints:
            if ep.conditions.ready is False:
                continue
            for ip in ep.addresses:
                out.append((ip, (ep.hostname or ip.replace(".", "-")).lower(), ports))
    if slices:
        return out
    endpoints = rt.api.store.get("Endpoints", svc.key)
    for subset in getattr(endpoints, "subsets", []):
        ports = [(p.name or "", p.port, p.protocol or "TCP") for p in subset.ports]
        for a in subset.addresses:
            out.append((a.ip, (a.hostname or a.ip.replace(".", "-")).lower(), ports))
    return out


def _records(items: list[_Item], qname: str, qtype: str) -> tuple[DnsRecord, ...]:
    out: list[DnsRecord] = []
    seen: set[tuple[str, int]] = set()
    if qtype == "A":
        for it in items:
            if (it.host, 0) not in seen:
                seen.add((it.host, 0))
                out.append(DnsRecord(qname, "A", it.host))
    elif qtype == "SRV":
        # plugin.SRV: every item weighs 100, each record gets floor(100 / total * 100).
        weight = max(1, int(100.0 / (100 * len(items)) * 100))
        for it in items:
            if it.port != -1 and (it.key, it.port) not in seen:
                seen.add((it.key, it.port))
                out.append(DnsRecord(qname, "SRV", f"0 {weight} {it.port} {it.key}"))
    return tuple(out)


def _cname_reply(rt: Runtime, qname: str, target: str, qtype: str, depth: int = 0) -> DnsReply:
    record = DnsRecord(qname, "CNAME", target)
    if qtype != "A" or depth > 7:
        return DnsReply("NOERROR", (record,))
    inside = query(rt, target, "A") if _in_zone(rt, target) else None
    if inside is not None:
        # The target is a cluster name: CoreDNS follows it itself and keeps the CNAME only if it resolves.
        return DnsReply("NOERROR", (record, *inside.records) if inside.records else ())
    # Outside the zone the target goes upstream; with no internet only the CNAME comes back.
    return DnsReply("NOERROR", (record,))


def _in_zone(rt: Runtime, name: str) -> bool:
    n = name.rstrip(".").lower()
    return n == rt.config.cluster_domain or n.endswith("." + rt.config.cluster_domain)


def _reverse(rt: Runtime, fqdn: str, qtype: str) -> DnsReply:
    octets = fqdn.removesuffix(".in-addr.arpa").split(".")
    ip = ".".join(reversed(octets))
    if len(octets) != 4 or not is_ip(ip):
        return DnsReply("NXDOMAIN")
    zone = rt.config.cluster_domain
    names: list[str] = []
    # The store keeps a kind's own class: these are Services.
    for svc in cast("list[Service]", rt.api.store.items("Service")):
        if ip in (svc.spec.cluster_ips or [svc.spec.cluster_ip or ""]):
            names.append(f"{svc.name}.{svc.namespace}.svc.{zone}.")
    if not names:
        for svc in cast("list[Service]", rt.api.store.items("Service")):
            for ep_ip, host, _ in ready_endpoints(rt, svc):
                if ep_ip == ip:
                    names.append(f"{host}.{svc.name}.{svc.namespace}.svc.{zone}.")
    if not names:
        return _upstream(fqdn)  # fallthrough in-addr.arpa: the node's resolver
    if qtype != "PTR":
        return DnsReply("NOERROR")
    return DnsReply("NOERROR", tuple(DnsRecord(fqdn + ".", "PTR", n) for n in names))


# ---------------------------------------------------------------------------- the pod's resolver


@dataclass(frozen=True)
class ResolvConf:
    """A parsed ``/etc/resolv.conf``."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...]

    @property
    def ndots(self) -> int:
        for opt in self.options:
            if opt.startswith("ndots:"):
                return int(opt.split(":", 1)[1])
        return 1

    def text(self) -> str:
        """The file as cri-dockerd writes it (minikube's runtime is Docker): nameserver, search, options."""
        lines = [f"nameserver {ns}" for ns in self.nameservers]
        if self.search:
            lines.append("search " + " ".join(self.search))
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


NODE_SEARCH: tuple[str, ...] = ()
"""The search domains of the node's own resolv.conf, which the kubelet appends to a pod's list.
A minikube node inherits them from the host machine; a laptop at home usually has none."""
NODE_OPTIONS = ("ndots:0",)
"""Docker writes ``options ndots:0`` into the resolv.conf of containers on a user-defined
network, and the minikube node is such a container."""


def node_resolv(rt: Runtime) -> ResolvConf:
    """The node's resolver: the docker network's gateway (192.168.49.1), not CoreDNS."""
    return ResolvConf((_gateway(rt),), NODE_SEARCH, NODE_OPTIONS)


def pod_resolv(rt: Runtime, pod: Pod) -> ResolvConf:
    """What the kubelet configures for ``pod`` from its ``dnsPolicy`` and ``dnsConfig``."""
    policy = pod.spec.dns_policy or "ClusterFirst"
    host_network = bool(pod.spec.extra.get("hostNetwork"))
    if policy == "ClusterFirst" and host_network:
        policy = "Default"  # a hostNetwork pod falls back unless it asks for ClusterFirstWithHostNet
    ns = pod.namespace
    zone = rt.config.cluster_domain
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
        conf = ResolvConf((server_ip(rt),), (f"{ns}.svc.{zone}", f"svc.{zone}", zone, *NODE_SEARCH),
                          (f"ndots:{NDOTS}",))
    elif policy == "None":
        conf = ResolvConf((), (), ())
    else:
        conf = node_resolv(rt)
    extra = pod.spec.extra.get("dnsConfig") or {}
    if extra:
        servers = tuple(dict.fromkeys((*conf.nameservers, *extra.get("nameservers", []))))
        search = tuple(dict.fromkeys((*conf.search, *extra.get("searches", []))))
        opts = {o.split(":", 1)[0]: o for o in conf.options}
        for o in extra.get("options", []):
            opts[o["name"]] = f"{o['name']}:{o['value']}" if o.get("value") is not None else o["name"]
        conf = ResolvConf(servers, search, tuple(opts.values()))
    return conf


def resolv_conf(rt: Runtime, pod: Pod) -> str:
    """The text of the pod's ``/etc/resolv.conf``, e.g. for a ClusterFirst pod in ``default``::

        nameserver 10.96.0.10
        search default.svc.cluster.local svc.cluster.local cluster.local
        options ndots:5
    """
    return pod_resolv(rt, pod).text()


def candidates(name: str, search: tuple[str, ...], ndots: int = NDOTS) -> list[str]:
    """The names a glibc resolver sends for ``name``, in order.

    Fewer dots than ``ndots``: each search suffix first, then the name itself; otherwise the
    name first. A trailing dot makes the name absolute: it is sent alone.

    >>> candidates("web", ("default.svc.cluster.local", "svc.cluster.local", "cluster.local"))
    ['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']
    """
    if name.endswith("."):
        return [name.rstrip(".")]
    expanded = [f"{name}.{s}" for s in search]
    return [*expanded, name] if name.count(".") < ndots else [name, *expanded]


def unreachable(rt: Runtime, src: Ref | None) -> tuple[str | None, list[Hop]]:
    """Why a DNS query from ``src`` gets no answer from kube-dns (None if it does), and its path.

    The packet goes to 10.96.0.10:53/UDP, which kube-proxy DNATs to a ready CoreDNS endpoint; the
    resolver retries, so the lookup works if any ready endpoint answers. With no ``src`` only the
    endpoints are checked.
    """
    server = server_ip(rt)
    svc = rt.api.store.get("Service", f"{DNS_NAMESPACE}/{DNS_SERVICE}")
    if not isinstance(svc, Service) or server not in (svc.spec.cluster_ips or [svc.spec.cluster_ip or ""]):
        return (f"no Service has the address {server}: the query to kube-dns goes nowhere and the "
                "resolver times out"), []
    eps = [ip for ip, _, ports in ready_endpoints(rt, svc)
           if any(p == 53 and pr == "UDP" for _, p, pr in ports)]
    if not eps:
        return (f"kube-dns ({server}) has no ready endpoints: kube-proxy rejects the query (ICMP port "
                "unreachable) and the resolver gives up after its retries (timeout)"), []
    if src is None:
        return None, []
    conns = []
    for ip in eps:
        conns.append(datapath.connect_refs(rt, src, Ref.parse(ip), 53, "UDP"))
        if conns[-1].ok:
            return None, conns[-1].hops
    last = conns[-1]
    return (f"the query to kube-dns ({server}) reached no CoreDNS pod ({last.reason}): the resolver "
            "times out"), last.hops


def resolve(rt: Runtime, name: str, src: str | None = None, type: str = "A") -> DnsAnswer:
    """Look ``name`` up as a client at ``src`` would (see :meth:`kitlib.Cluster.resolve`)."""
    return resolve_from(rt, name, None if src is None else Ref.parse(src), type)


def resolve_from(rt: Runtime, name: str, src: Ref | None, type: str = "A") -> DnsAnswer:
    """:func:`resolve` for a source already parsed (None: a pod in ``default``)."""
    qtype = type.upper()
    if qtype not in QTYPES:
        raise BadRequest(f'error: unsupported query type "{type}": use one of {", ".join(QTYPES)}')
    if not name or " " in name:
        raise BadRequest(f'error: "{name}" is not a DNS name')
    where = src.text if src is not None and src.text else "default"
    if is_ip(name) and qtype == "A":
        return DnsAnswer(name, qtype, True, f"{name} is an address: no lookup is needed", fqdn=name,
                         records=[DnsRecord(name, "A", name, 0)], rcode="NOERROR", src=where)
    zone = rt.config.cluster_domain
    if src is not None and src.kind == "external":
        return _not_cluster_resolver(rt, name, qtype, where, (
            "a machine outside the cluster asks its own resolver, which does not know the cluster's private zone "
            f"{zone}: only pods, whose resolv.conf names kube-dns {server_ip(rt)}, can resolve Service names"))
    if src is not None and src.kind == "node":
        rt.get("Node", src.name)
        return _not_cluster_resolver(rt, name, qtype, where, (
            f"a node asks its own resolver ({_gateway(rt)}, docker's DNS), not CoreDNS: the zone {zone} is "
            "known only to pods with dnsPolicy ClusterFirst"))
    if src is None:
        conf = ResolvConf((server_ip(rt),), (f"default.svc.{zone}", f"svc.{zone}", zone, *NODE_SEARCH),
                          (f"ndots:{NDOTS}",))
    else:
        # The same checks, and errors, as a connection's source; neither external nor a node, it is a pod.
        pod = cast("Pod", resolve_source(rt, src).pod)
        conf = pod_resolv(rt, pod)
        if server_ip(rt) not in conf.nameservers:
            return _not_cluster_resolver(rt, name, qtype, where, (
                f"pod {pod.name} has dnsPolicy {pod.spec.dns_policy}: its resolv.conf names the node's resolver "
                f"({', '.join(conf.nameservers) or 'none'}), not kube-dns"))
    why, hops = unreachable(rt, src)
    server = server_ip(rt)
    names = candidates(name, conf.search, conf.ndots) if qtype != "PTR" else [name]
    if why is not None:
        return DnsAnswer(name, qtype, False, why, server=server, src=where, tried=[(names[0], "no reply")],
                         hops=hops)
    tried: list[tuple[str, str]] = []
    last = DnsReply("NXDOMAIN")
    for fq in names:
        reply = query(rt, fq, qtype)
        tried.append((fq, reply.rcode if not reply.nodata else "NOERROR, no records"))
        if reply.rcode == "NOERROR" and reply.records:
            return DnsAnswer(name, qtype, True, _ok_reason(name, fq, reply, server), fqdn=fq,
                             records=list(reply.records), rcode="NOERROR", server=server, src=where, tried=tried,
                             hops=hops)
        last = reply
    return DnsAnswer(name, qtype, False, _fail_reason(name, names, last), rcode=last.rcode, server=server,
                     src=where, tried=tried, hops=hops)


def _not_cluster_resolver(rt: Runtime, name: str, qtype: str, where: str, why: str) -> DnsAnswer:
    if not _in_zone(rt, name) and "." in name.rstrip("."):
        why = (f"{name} is not a cluster name, and this simulator models no resolver outside the cluster "
               "(and no internet): nothing resolves it")
    return DnsAnswer(name, qtype, False, why, src=where)


def _ok_reason(name: str, fq: str, reply: DnsReply, server: str) -> str:
    data = ", ".join(r.data for r in reply.records)
    via = f"{name} → {fq}" if fq != name else name
    return f"{via} → {data}, asked of kube-dns {server}"


def _fail_reason(name: str, names: list[str], last: DnsReply) -> str:
    if last.rcode == "SERVFAIL":
        return (f"{name} is not a cluster name: CoreDNS forwards it to the node's resolver, and this "
                "simulator has no internet (SERVFAIL)")
    if last.nodata:
        return f"{name} exists but has no record of that type (NODATA)"
    if len(names) > 1:
        return f"no such name: {', '.join(names)} all got NXDOMAIN"
    return f"no such name: {names[0]} got NXDOMAIN"


def lookup_for(rt: Runtime, src: Ref, name: str) -> DnsAnswer:
    """Resolve ``name`` to an IPv4 address as the client at ``src`` would, before it connects."""
    return resolve_from(rt, name, src, "A")


def dns_hop(end: Source, answer: DnsAnswer) -> Hop:
    """The hop that stands for the lookup at the start of a connection's path from ``end``."""
    if answer.ok:
        chain = " → ".join(dict.fromkeys([answer.name, answer.fqdn or answer.name]))
        note = f"DNS: {chain} → {answer.address}, asked of kube-dns {answer.server}"
    else:
        note = f"DNS: {answer.name} → no address ({answer.rcode or 'no answer'})"
    server = f"{answer.server}:53" if answer.server else "its own resolver"
    return Hop(end.vertex, end.node or "outside", "resolver", end.ip, server, note)


def for_connect(rt: Runtime, src: Source, name: str) -> tuple[str, Hop, str | None]:
    """For :func:`kitlib.network.datapath.connect`: (the address to dial, the DNS hop, why the
    lookup failed or None)."""
    answer = lookup_for(rt, src.ref, name)
    hop = dns_hop(src, answer)
    if not answer.ok or answer.address is None:
        return name, hop, f"{name} does not resolve: {answer.reason}"
    return answer.address, hop, None




__all__ = ["DnsAnswer", "DnsRecord", "DnsReply", "ResolvConf", "candidates", "lookup_for", "query", "resolv_conf",
           "resolve"]
