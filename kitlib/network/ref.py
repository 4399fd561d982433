"""Where a connection starts or ends, as the network verbs take it: ``"ns/pod"``, ``"node/<name>"``,
``"external"``, an IP address or a DNS name.

:meth:`Ref.parse` reads the text once; what it names is looked up later (by
:func:`kitlib.network.datapath.resolve_source` and :func:`~kitlib.network.datapath.resolve_destination`),
which is also where a reference that cannot serve (a source that is not a pod, a node or
``external``) fails, with the API's error.

>>> Ref.parse("default/web-1")
Ref(kind='pod', text='default/web-1', namespace='default', name='web-1')
>>> Ref.parse("node/minikube").name, Ref.parse("10.244.0.5").kind, Ref.parse("web.default").kind
('minikube', 'ip', 'name')
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api.addresses import is_ip

KINDS = ("pod", "node", "external", "ip", "name")


@dataclass(frozen=True)
class Ref:
    """A parsed ``src`` or ``dst``: its kind (one of :data:`KINDS`), the text as written, and for a
    pod its namespace and name, for a node its name."""

    kind: str
    text: str
    namespace: str = ""
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Read ``text``; never fails (text with no ``/`` that is no IP, name or ``external``, i.e. the
        empty string, is a pod reference without its namespace, which resolving reports)."""
        if text == "external":
            return cls("external", text)
        if text.startswith("node/"):
            return cls("node", text, name=text[5:])
        if "/" in text:
            namespace, name = text.split("/", 1)
            return cls("pod", text, namespace, name)
        if is_ip(text):
            return cls("ip", text)
        return cls("name", text) if text else cls("pod", text)

    @property
    def is_dns_name(self) -> bool:
        """As a destination: a name the client's resolver looks up (only a source can be ``external``)."""
        return self.kind in ("name", "external")

    def __str__(self) -> str:
        return self.text


__all__ = ["KINDS", "Ref"]
