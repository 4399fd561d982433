"""The random IDs the kubelet and the control plane draw: container and image IDs, veth names, name
suffixes. kitlib draws them faster than one ``Random.choice`` per character, and must draw exactly
the same characters and leave the generator exactly where the ``choice`` calls would (the same
seed gives the same cluster)."""

from __future__ import annotations

import random

import pytest

import kitlib
from kitlib import names


@pytest.mark.parametrize("alphabet", [names.HEX, names.ALPHANUMS])
def test_fast_draw_is_random_choice_for_every_length(alphabet):
    """Each character is ``rng.choice(alphabet)``: batches of words for most of an ID, word by word
    for the last few (both sides of that boundary compared), and the generator's state after."""
    assert names._FAST_DRAW  # CPython's choice draws as _fast_draw assumes (checked at import)
    fast, slow = random.Random(2026), random.Random(2026)
    for n in [*range(3 * names._TAIL), 64, 128, 300]:
        expected = "".join(slow.choice(alphabet) for _ in range(n))
        got = names.hex_id(fast, n) if alphabet == names.HEX else names._draw(fast, alphabet, n)
        assert got == expected
        assert fast.getstate() == slow.getstate()


def test_hex_id_of_another_generator_draws_with_choice():
    """A generator that is not exactly ``random.Random`` (a subclass may draw otherwise) gets the
    plain ``choice`` calls."""

    class Counting(random.Random):
        calls = 0

        def choice(self, seq):  # type: ignore[override]
            self.calls += 1
            return super().choice(seq)

    rng, plain = Counting(1), random.Random(1)
    assert names.hex_id(rng, 8) == "".join(plain.choice(names.HEX) for _ in range(8))
    assert rng.calls == 8


def test_container_and_image_ids_are_64_hex_digits_drawn_per_pod():
    """A started container's ID (``docker://`` + 64 hex digits) and its image's digest (64 more)
    come from the cluster's seeded generator: the same seed gives the same IDs, the image ID names
    the image's repository, and the pod's veth (flannel's ``veth`` + 8 hex digits) too."""

    def ids(seed: int) -> list[tuple[str, str, str | None]]:
        c = kitlib.Cluster(nodes=2, seed=seed)
        c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
        c.kubectl("create deployment echo --image=registry.k8s.io/e2e-test-images/agnhost:2.53 --replicas=1")
        c.settle()
        out = []
        for p in sorted(c.api.store.objects("Pod"), key=lambda p: p.key):
            if p.metadata.namespace == "default":
                cs = p.status.container_statuses[0]
                out.append((cs.container_id, cs.image_id, c.runtime.topology.veth(p.key)))
        return out

    first = ids(7)
    assert first == ids(7)
    assert first != ids(8)
    for container_id, image_id, veth in first:
        assert container_id.startswith("docker://") and len(container_id) == len("docker://") + 64
        assert all(ch in names.HEX for ch in container_id.removeprefix("docker://"))
        repo, digest = image_id.removeprefix("docker-pullable://").split("@sha256:")
        assert repo in ("nginx", "registry.k8s.io/e2e-test-images/agnhost") and len(digest) == 64
        assert veth is not None and veth.startswith("veth") and len(veth) == 12
