"""CoreDNS's Corefile on minikube, and what CoreDNS prints when it starts with it.

kitlib stores no ``coredns`` ConfigMap; the Corefile CoreDNS reads from it is minikube's:

* kubeadm's (``cmd/kubeadm/app/phases/addons/dns/manifests.go``, ``CoreDNSConfigMap``: ``errors``,
  ``health``, ``ready``, ``kubernetes <domain> in-addr.arpa ip6.arpa``, ``prometheus :9153``,
  ``forward . /etc/resolv.conf``, ``cache 30`` with ``disable success/denial <domain>``, ``loop``,
  ``reload``, ``loadbalance``),
* edited by minikube's ``addCoreDNSEntry`` (``pkg/minikube/node/start.go``): its ``sed`` inserts a
  ``hosts`` block for ``host.minikube.internal`` (the docker network's gateway) before ``forward``
  and ``log`` before ``errors``.

CoreDNS v1.14.6's start-up on stdout (Go's ``log`` with flags 0, ``coremain/run.go``):
automaxprocs' line (``maxprocs.Set(maxprocs.Logger(log.Printf))``; kubeadm's Deployment sets no CPU
limit, so the quota is undefined and GOMAXPROCS stays the node's 2 CPUs), the server's zones
(``core/dnsserver/onstartup.go``, ``startUpZones``: ``.:53``), the reload plugin's hash
(``plugin/reload/reload.go``: ``sha512.Sum512(json.Marshal(caddyfile.Parse(...)))``, see
:func:`configuration_sha512`) and ``showVersion``'s two lines (``CoreDNS-1.14.6``; ``GOOS/GOARCH,
runtime.Version(), GitCommit``: the release's ``.go-version`` 1.26.5 and the tag's commit
``424d125``, as ``git describe --always`` prints it in the release workflow's tagless checkout).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from ..network.topology import EXTERNAL

if TYPE_CHECKING:
    from ..runtime import Runtime

COREFILE = """\
.:53 {{
    log
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {domain} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    hosts {{
       {host_ip} host.minikube.internal
       fallthrough
    }}
    forward . /etc/resolv.conf {{
       max_concurrent 1000
    }}
    cache 30 {{
       disable success {domain}
       disable denial {domain}
    }}
    loop
    reload
    loadbalance
}}
"""
"""The ``Corefile`` key of minikube's ``coredns`` ConfigMap (module docstring), for a cluster domain and host IP."""

RELEASES = {"v1.14.6": ("1.14.6", "go1.26.5", "424d125")}
"""CoreDNS image tag → (version, Go version, commit) that ``showVersion`` prints (coredns/coredns at
tag v1.14.6: ``coremain/version.go``, ``.go-version``, the tag's commit)."""
GOMAXPROCS = 2
"""The node's CPUs (minikube's default ``--cpus=2``; the nodes' ``capacity.cpu``)."""


def corefile(rt: Runtime) -> str:
    """This cluster's Corefile: :data:`COREFILE` with its domain and the host's IP."""
    return COREFILE.format(domain=rt.config.cluster_domain, host_ip=rt.topology.graph.nodes[EXTERNAL]["ip"])


def configuration_sha512(text: str) -> str:
    """The hash CoreDNS's reload plugin logs: SHA512 over ``json.Marshal`` of the server blocks
    ``caddyfile.Parse`` makes (coredns/caddy ``caddyfile/parse.go``: ``ServerBlock{Keys, Tokens}``,
    tokens grouped by directive, each ``{"File": "", "Line": n, "Text": t}`` as the lexer leaves
    them; Go's encoding/json sorts the map's keys). Enough of the Caddyfile grammar for
    :data:`COREFILE`: whitespace-separated words, ``{``/``}`` blocks, one server block per key line.

    >>> configuration_sha512(".:53 {\\n    reload\\n}\\n")[:16]
    'e59241cf2eded0c0'
    """
    tokens = [(n, word) for n, line in enumerate(text.splitlines(), 1) for word in line.split()]
    blocks: list[dict[str, object]] = []
    i = 0
    while i < len(tokens):
        keys = []
        while i < len(tokens) and tokens[i][1] != "{":  # addresses(): the keys up to the block's "{"
            keys.append(tokens[i][1])
            i += 1
        i += 1
        groups: dict[str, list[dict[str, object]]] = {}
        while i < len(tokens) and tokens[i][1] != "}":  # blockContents(): a directive per line
            group = groups.setdefault(tokens[i][1], [])
            group.append(_token(*tokens[i]))
            i, nesting = i + 1, 0
            # directive(): the words after it, up to a new line outside its braces
            while i < len(tokens) and not (nesting == 0 and tokens[i][0] > tokens[i - 1][0]):
                word = tokens[i][1]
                nesting += 1 if word == "{" else -1 if word == "}" else 0
                group.append(_token(*tokens[i]))
                i += 1
        i += 1
        blocks.append({"Keys": keys, "Tokens": dict(sorted(groups.items()))})
    data = json.dumps(blocks, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha512(data.encode()).hexdigest()


def _token(line: int, text: str) -> dict[str, object]:
    # caddyfile.Token{File, Line, Text}: the lexer leaves File empty (NewDispenser does not set it).
    return {"File": "", "Line": line, "Text": text}


def startup_lines(rt: Runtime, tag: str) -> list[str]:
    """What CoreDNS prints on stdout when it starts with this cluster's Corefile (module docstring)."""
    version, go, commit = RELEASES.get(tag, (tag.removeprefix("v"), "", ""))
    lines = [f"maxprocs: Leaving GOMAXPROCS={GOMAXPROCS}: CPU quota undefined", ".:53",
             f"[INFO] plugin/reload: Running configuration SHA512 = {configuration_sha512(corefile(rt))}",
             f"CoreDNS-{version}"]
    return lines + ([f"linux/amd64, {go}, {commit}"] if go else [])


__all__ = ["COREFILE", "configuration_sha512", "corefile", "startup_lines"]
