"""Seed splitting: the same child streams on every supported numpy (numpy < 1.25 has no Generator.spawn)."""

import numpy as np
import pytest

from radbound._validation import _spawn_via_seed_sequence, spawn_generators


def _draws(gens):
    return [g.integers(0, 2**62, size=4).tolist() for g in gens]


def test_int_seed_splits_like_seed_sequence_spawn():
    expected = [np.random.default_rng(c) for c in np.random.SeedSequence(7).spawn(3)]
    assert _draws(spawn_generators(7, 3)) == _draws(expected)


def test_generator_split_is_numpy_definition_of_spawn():
    """The fallback for numpy < 1.25 gives the streams numpy >= 1.25's Generator.spawn gives."""
    fallback = _draws(_spawn_via_seed_sequence(np.random.default_rng(5), 3))
    if hasattr(np.random.Generator, "spawn"):
        assert fallback == _draws(np.random.default_rng(5).spawn(3))
    # independent of numpy's method: children of the parent's SeedSequence, in order
    children = np.random.SeedSequence(5).spawn(3)
    assert fallback == _draws([np.random.default_rng(c) for c in children])


def test_generator_split_is_reproducible_and_advances_the_parent_sequence():
    rng = np.random.default_rng(3)
    first, second = _draws(spawn_generators(rng, 1)), _draws(spawn_generators(rng, 1))
    assert first != second  # a later split gives new children
    assert _draws(spawn_generators(np.random.default_rng(3), 1)) == first


def test_generator_without_seed_sequence_is_refused_clearly():
    legacy = np.random.RandomState(0)._bit_generator  # a bit generator seeded the legacy way
    with pytest.raises(ValueError, match="seed"):
        _spawn_via_seed_sequence(np.random.Generator(legacy), 2)
