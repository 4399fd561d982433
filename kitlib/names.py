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
HEX = "0123456789abcdef"


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    """``n`` characters of ``alphabet``, each ``rng.choice(alphabet)``: the same draws, faster."""
    if _FAST_DRAW and type(rng) is random.Random and len(alphabet) < 256:
        return _fast_draw(rng, alphabet, n)
    return "".join([rng.choice(alphabet) for _ in range(n)])


_TAIL = 8
"""Below this many missing characters :func:`_fast_draw` draws word by word (measured: a batch
costs about five single draws, and yields half its words' worth of hex digits)."""


def _fast_draw(rng: random.Random, alphabet: str, n: int) -> str:
    # CPython's Random.choice(seq) is seq[_randbelow(len(seq))], and _randbelow draws
    # len(seq).bit_length() bits until the number is below len(seq); getrandbits(k) for k <= 8
    # is the top k bits of one 32-bit Mersenne Twister word, and getrandbits(32 * m) is the next
    # m words, the first in the lowest bits. So the words are drawn in batches of as many as
    # characters are still missing (never one too many, as each gives at most one) and their top
    # bytes mapped to characters or dropped by one bytes.translate: the same characters, and the
    # generator left where the calls would leave it (a 64-character container ID took about 128 calls).
    # The last few characters are drawn one word each (getrandbits(k), as _randbelow does): a
    # batch of one or two words costs as much as several single draws.
    table, drop, k = _TABLES.get(alphabet) or _tables(alphabet)
    getrandbits = rng.getrandbits
    out = b""
    while (need := n - len(out)) >= _TAIL:
        out += getrandbits(32 * need).to_bytes(4 * need, "little")[3::4].translate(table, drop)
    text = out.decode()
    size = len(alphabet)
    while need:
        if (x := getrandbits(k)) < size:
            text += alphabet[x]
            need -= 1
    return text


_TABLES: dict[str, tuple[bytes, bytes, int]] = {}


def _tables(alphabet: str) -> tuple[bytes, bytes, int]:
    """For :func:`_fast_draw`: a word's top byte to its character, the top bytes rejected, and
    the number of bits ``_randbelow`` draws for one character."""
    if alphabet not in _TABLES:
        bits = len(alphabet).bit_length()
        shift = 8 - bits
        if shift < 0 or not alphabet.isascii():
            raise ValueError("_fast_draw takes ASCII alphabets of at most 255 characters")
        codes = alphabet.encode()
        table = bytes(codes[b >> shift] if b >> shift < len(codes) else 0 for b in range(256))
        drop = bytes(b for b in range(256) if b >> shift >= len(codes))
        _TABLES[alphabet] = (table, drop, bits)
    return _TABLES[alphabet]


def _fast_draw_is_choice() -> bool:
    """Whether this Python's ``Random.choice`` draws as :func:`_fast_draw` does (checked once):
    every length up to a few batches, so that both the batches and the word-by-word tail are
    compared, then a long one."""
    for alphabet in (ALPHANUMS, HEX):
        a, b = random.Random(7), random.Random(7)
        for n in (*range(3 * _TAIL), 128, 500):
            if _fast_draw(a, alphabet, n) != "".join(b.choice(alphabet) for _ in range(n)):
                return False
        if a.getstate() != b.getstate():
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
    """``n`` lowercase hex digits, each ``rng.choice`` of the 16 (container and image IDs, veth names)."""
    if _FAST_DRAW and type(rng) is random.Random:
        return _fast_draw(rng, HEX, n)  # _draw without its checks: HEX is known to qualify
    return _draw(rng, HEX, n)
