"""Names the control plane makes up: generated suffixes, pod-template-hash, UIDs.

Kubernetes draws random name suffixes from an alphabet without vowels (so that no
words are spelled by accident) and encodes hashes into the same alphabet.
"""

from __future__ import annotations

import json
import random
from typing import Any

ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apimachinery/pkg/util/rand's alphabet: no vowels, no 0/1/3 (confusable)."""


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` characters of ``alphabet``, each ``rng.choice(alphabet)``: the same draws, faster."""
    if _FAST_DRAW and type(rng) is random.Random and len(alphabet) < 256:
        return _fast_draw(rng, alphabet, n)
    return "".join([rng.choice(alphabet) for _ in range(n)])


def _fast_draw(rng: random.Random, alphabet: str, n: int) -> str:
    # CPython's Random.choice(seq) is seq[_randbelow(len(seq))], and _randbelow draws
    # len(seq).bit_length() bits until the number is below len(seq); getrandbits(k) for k <= 8
    # is the top k bits of one 32-bit Mersenne Twister word, and getrandbits(32 * m) is the next
    # m words, the first in the lowest bits. So the words are drawn in batches of as many as
    # characters are still missing (never one too many, as each gives at most one) and their top
    # bytes mapped to characters or dropped by one bytes.translate: the same characters, and the
    # generator left where the calls would leave it (a 64-character container ID took about 128 calls).
    table, drop = _tables(alphabet)
    out = b""
    while (need := n - len(out)) > 0:
        out += rng.getrandbits(32 * need).to_bytes(4 * need, "little")[3::4].translate(table, drop)
    return out.decode()


_TABLES: dict[str, tuple[bytes, bytes]] = {}


def _tables(alphabet: str) -> tuple[bytes, bytes]:
    """For :func:`_fast_draw`: a word's top byte to its character, and the top bytes rejected."""
    if alphabet not in _TABLES:
        shift = 8 - len(alphabet).bit_length()
        if shift < 0 or not alphabet.isascii():
            raise ValueError("_fast_draw takes ASCII alphabets of at most 255 characters")
        codes = alphabet.encode()
        table = bytes(codes[b >> shift] if b >> shift < len(codes) else 0 for b in range(256))
        drop = bytes(b for b in range(256) if b >> shift >= len(codes))
        _TABLES[alphabet] = (table, drop)
    return _TABLES[alphabet]


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
    # str(uuid.UUID(int=..., version=4)) without UUID's checks: the variant and version bits set.
    h = f"{rng.getrandbits(128) & _UUID_CLEAR | _UUID_V4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID_V4 = (0x8000 << 48) | (4 << 76)


def hex_id(rng: random.Random, n: int) -> str:
    return _draw(rng, "0123456789abcdef", n)
