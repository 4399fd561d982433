"""Names the control plane makes up: generated suffixes, pod-template-hash, UIDs.

Kubernetes draws random name suffixes from an alphabet without vowels (so that no
words are spelled by accident) and encodes hashes into the same alphabet.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apimachinery/pkg/util/rand's alphabet: no vowels, no 0/1/3 (confusable)."""


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` characters of ``alphabet``, each ``rng.choice(alphabet)``: the same draws, faster."""
    if _FAST_DRAW and type(rng) is random.Random:
        return _fast_draw(rng, alphabet, n)
    return "".join([rng.choice(alphabet) for _ in range(n)])


def _fast_draw(rng: random.Random, alphabet: str, n: int) -> str:
    # CPython's Random.choice(seq) is seq[_randbelow(len(seq))], and _randbelow draws
    # len(seq).bit_length() bits until the number is below len(seq): done here without the calls.
    size = len(alphabet)
    k, bits = size.bit_length(), rng.getrandbits
    out = []
    for _ in range(n):
        r = bits(k)
        while r >= size:
            r = bits(k)
        out.append(alphabet[r])
    return "".join(out)


def _fast_draw_is_choice() -> bool:
    """Whether this Python's ``Random.choice`` draws as :func:`_fast_draw` does (checked once)."""
    for alphabet in (ALPHANUMS, "0123456789abcdef"):
        a, b = random.Random(7), random.Random(7)
        if _fast_draw(a, alphabet, 500) != "".join(b.choice(alphabet) for _ in range(500)) \
                or a.getstate() != b.getstate():
            return False
    return True


_FAST_DRAW = _fast_draw_is_choice()


def random_suffix(rng: random.Random, n: int = 5) -> str:
    """The 5-character suffix of a generated name, as ``utilrand.String(5)``."""
    return _draw(rng, ALPHANUMS, n)


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: map every character into the vowel-free alphabet."""
    return "".join(ALPHANUMS[ord(ch) % len(ALPHANUMS)] for ch in text)


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def pod_template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """The ``pod-template-hash`` label of a ReplicaSet, computed as the Deployment controller does:
    FNV-32a over the template, then the decimal number encoded with :func:`safe_encode`.

    (The controller hashes Go's printout of the template; kitlib hashes its canonical JSON, so the
    values differ from a real cluster's but have the same form and the same stability.)
    """
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def new_uid(rng: random.Random) -> str:
    """A UUID drawn from the cluster's seeded generator, so that UIDs are reproducible."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hex_id(rng: random.Random, n: int) -> str:
    return _draw(rng, "0123456789abcdef", n)
