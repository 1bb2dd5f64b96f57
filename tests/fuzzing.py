"""Fuzzing harness for every public function of radbound (used by tests/test_fuzz.py and
benchmarks/fuzz_public_api.py).

What is fuzzed
--------------
Every callable named in the public ``__all__`` of the modules in :data:`MODULES` (plus the methods in
:data:`METHODS`), found by :func:`public_targets`. A new public function is fuzzed automatically when
its parameters carry names of the vocabulary (``X``, ``y``, ``eps``, ``p``, ``radius``, ``delta`` ...,
see :data:`PARAMETER_KINDS`); a parameter with an unknown name, or a required argument without a
valid value, makes :func:`coverage_problems` report it, so the test fails naming it until an entry
is added to :data:`RECIPES`. Exceptions, warnings and result records (constructed by the package,
not user input) are listed in :data:`EXEMPT` with the reason.

How
---
A target starts from a valid call (its *base*, which must succeed with a finite result); then each
parameter in turn is replaced by values of its kind (the declarative table :data:`KINDS`):

- ``invalid`` values must be refused with ``ValueError`` / ``TypeError`` (or ``OverflowError``,
  ``NotImplementedError``, ``FileNotFoundError``) whose message names the parameter (or a related
  one: :data:`RELATED`);
- ``extreme`` values (huge or tiny scales, float32, huge labels, huge n ...) must give a finite
  result or such a named error.

Phase "property" draws whole inputs with hypothesis (``derandomize=True``): data of random shape,
dtype and scale (``2**-1074 .. 2**1023``), random parameters at the extremes of their ranges, and
the same rule.

Every call runs under a time budget of CPU seconds (``ITIMER_PROF`` in the worker, so that the verdict
does not depend on how loaded the machine is; BLAS runs on one thread there), and a wall-clock watchdog
in the parent kills a worker that stays silent (stuck in C code or waiting); and under a memory budget
(``tracemalloc`` peak, and an address-space limit on the worker so that a huge allocation fails at
once). Outcomes fall in the categories of
:data:`CATEGORIES`; everything except ``ok`` is a failure.

Run ``python tests/fuzzing.py`` for the counts by category (``--help`` for options).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import inspect
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Modules whose ``__all__`` is fuzzed (a module that does not exist yet is skipped).
MODULES = (
    "radbound",
    "radbound.complexity",
    "radbound.bounds",
    "radbound.attacks",
    "radbound.train",
    "radbound.networks",
    "radbound.data",
    "radbound.pacbayes",
    "radbound.certify",
)

#: Public modules of radbound whose functions are not fuzzed here, with the reason (a public module in
#: neither list fails ``tests/test_fuzz.py``).
UNFUZZED_MODULES: dict[str, str] = {
    "radbound.cli": (
        "its input is argv strings: damaged files, bad options and output faults are tested end to end "
        "in tests/test_reliability_files.py and tests/test_cli_*.py"
    ),
    "radbound.plot": "matplotlib helpers drawing the package's own results (no user data reaches them)",
    "radbound.study": (
        "the study framework: file, lock and process faults are tested in tests/test_study_faults.py"
    ),
    "radbound.studies": "figure modules run through radbound.study (no public functions of their own)",
    "radbound.results": "result records built by the package (see EXEMPT)",
}

#: Targets whose every call trains a model, solves an SDP or enumerates sign vectors (about a second
#: each): in the test suite they get their base call and all their invalid values; their extreme values
#: and drawn inputs run in ``benchmarks/fuzz_public_api.py``.
SLOW_TARGETS = frozenset(
    {
        "coverage",
        "surrogate_margin_bound",
        "sample_complexity",
        "multiclass_ramp_lower_estimate",
        "linear_certificate",
        "network_certificate",
        "surrogate_adversarial_loss",
        "fit_path",
        "fit_linear",
        "pac_bayes_certificate",
        "fit_sgd_attack",
    }
)

#: Outcome categories (``ok`` is the only good one).
CATEGORIES = (
    "ok",
    "unclear message",
    "malformed accepted",
    "crash deep inside",
    "NaN/inf returned",
    "hang",
    "memory blow-up",
    "base call failed",
)
#: Exceptions that count as a refusal when their message names the parameter.
NAMED_ERRORS = (
    ValueError,
    TypeError,
    NotImplementedError,
    OverflowError,
    FileNotFoundError,
    FloatingPointError,
)
#: Per-call budget of CPU seconds and tracemalloc peak budget (bytes).
TIME_BUDGET = 10.0
MEMORY_BUDGET = 512 * 2**20
#: Extra address space a worker may map beyond what it holds after the imports.
ADDRESS_SPACE_EXTRA = 3 * 2**30

nan, inf = math.nan, math.inf


# ================================================================================================
# the declarative parameter table
# ================================================================================================
@dataclass(frozen=True)
class Kind:
    """Values of one kind of parameter: a valid one, values that must be refused, extreme ones.

    Values are factories ``ctx -> value`` (``ctx`` is the :class:`Context` of the target) or plain
    values; labels name them in reports.
    """

    valid: Any
    invalid: tuple[tuple[str, Any], ...] = ()
    extreme: tuple[tuple[str, Any], ...] = ()


def _real(
    valid: float,
    low: float,
    *,
    low_open: bool,
    high: float = inf,
    high_open: bool = True,
    finite: bool = True,
    big: float = 1e300,
) -> Kind:
    """A real parameter in an interval (the scikit-learn ``Interval`` idea)."""
    invalid: list[tuple[str, Any]] = [
        ("nan", nan),
        ("string", "0.5"),
        ("complex", 0.5 + 0j),
        ("bool", True),
        ("list", [valid, valid]),
        ("array", np.array([valid, valid])),
        ("object", object()),
    ]
    if low > -inf:
        invalid.append(("below", low - 1.0 if low > -1e300 else -inf))
        if low_open:
            invalid.append(("at low", low))
        invalid.append(("-inf", -inf))
    if high < inf:
        invalid.append(("above", high + 1.0))
        if high_open:
            invalid.append(("at high", high))
    if finite or high < inf:
        invalid.append(("inf", inf))
    extreme: list[tuple[str, Any]] = [
        ("huge", big),
        ("0-d array", np.array(valid)),
        ("float32", np.float32(valid)),
        ("int", int(valid) if float(valid).is_integer() else 1),
    ]
    if not low_open and low > -inf:
        extreme.append(("at low", low))
    if high == inf:
        extreme += [("1e300", 1e300), ("max float", 1.7976931348623157e308), ("2**70 int", 2**70)]
    if low >= 0:
        extreme += [("tiny", 1e-300), ("subnormal", 5e-324)]
    if high < inf and not high_open:
        extreme.append(("at high", high))
    if high < inf:
        extreme.append(("just below high", math.nextafter(high, -inf)))
    return Kind(valid, tuple(invalid), tuple(extreme))


def _integer(valid: int, minimum: int, *, huge: tuple[int, ...] = (2**31, 2**64)) -> Kind:
    invalid = (
        ("below", minimum - 1),
        ("negative", -5),
        ("fraction", minimum + 0.5),
        ("nan", nan),
        ("inf", inf),
        ("string", str(valid)),
        ("bool", True),
        ("complex", complex(valid)),
        ("list", [valid]),
    )
    extreme = tuple((f"huge {h:.3g}", h) for h in huge) + (
        ("minimum", minimum),
        ("float integral", float(valid)),
        ("numpy int8", np.int8(valid)),
    )
    return Kind(valid, invalid, extreme)


def _option(valid: str) -> Kind:
    return Kind(valid, (("unknown", "no-such-option"), ("int", 3), ("upper", valid.upper() + "X")))


_BOOL = Kind(True, (("string", "yes"), ("int 2", 2), ("float", 0.5)))
_SEED = Kind(
    0,
    (("negative", -1), ("fraction", 1.5), ("string", "abc"), ("float nan", nan), ("object", object())),
    (("huge", 2**70), ("generator", "GENERATOR"), ("None", None)),
)
_EXPONENT = Kind(
    2.0,
    (
        ("below 1", 0.5),
        ("zero", 0.0),
        ("negative", -2.0),
        ("nan", nan),
        ("string", "two"),
        ("complex", 2 + 0j),
        ("bool", True),
        ("list", [2.0]),
    ),
    (
        ("1", 1.0),
        ("inf", inf),
        ("'inf'", "inf"),
        ("1+1e-12", 1.0 + 1e-12),
        ("1e9", 1e9),
        ("1e300", 1e300),
        ("int", 3),
        ("float32", np.float32(2.0)),
    ),
)


@dataclass
class Context:
    """The valid data of one target: ``n`` samples, ``d`` features, labels of ``K`` classes."""

    n: int = 6
    d: int = 3
    K: int = 3
    labels: str = "binary"  # "binary" | "free" (classes = labels present) | "model" (0..K-1 of a model)
    d_fixed: bool = False  # X's width is fixed by a model
    images_ok: bool = False  # X may also be (n, *input_shape) of a network
    has_y: bool = True
    tmp: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))

    def X(self) -> np.ndarray:
        return np.random.default_rng(0).normal(size=(self.n, self.d))

    def y(self) -> np.ndarray:
        if self.labels == "binary":
            return np.array([1.0, -1.0] * (self.n // 2) + [1.0] * (self.n % 2))
        return np.arange(self.n) % self.K


def _X_invalid(ctx: Context) -> list[tuple[str, Any]]:
    X = ctx.X()
    out: list[tuple[str, Any]] = [
        ("None", None),
        ("string", "X"),
        ("1-D", X[:, 0]),
        ("empty", np.ones((0, ctx.d))),
        ("nan", np.where(np.eye(ctx.n, ctx.d, dtype=bool), nan, X)),
        ("inf", np.where(np.eye(ctx.n, ctx.d, dtype=bool), inf, X)),
        ("complex", X + 0j),
        ("object", X.astype(object)),
        ("ragged", [[1.0, 2.0], [3.0]]),
        ("strings", np.full((ctx.n, ctx.d), "a")),
    ]
    if not ctx.images_ok:
        out.append(("3-D", X[:, :, None]))
    if ctx.has_y:
        out.append(("one row fewer", X[:-1]))
    if ctx.d_fixed:
        out.append(("one column more", np.hstack([X, X[:, :1]])))
    return out


def _X_extreme(ctx: Context) -> list[tuple[str, Any]]:
    X = ctx.X()
    out: list[tuple[str, Any]] = [
        ("x 1e300", X * 1e300),
        ("x 1e160", X * 1e160),
        ("x 1e-300", X * 1e-300),
        ("subnormal", X * 5e-324 * 8),
        ("zeros", np.zeros_like(X)),
        ("float32", X.astype(np.float32)),
        ("float32 x 1e30", (X * 1e30).astype(np.float32)),
        ("float16", X.astype(np.float16)),
        ("int", (X * 10).astype(np.int64)),
        ("bool", X > 0),
        ("Fortran order", np.asfortranarray(X)),
        ("list", X.tolist()),
        ("max float", np.sign(X) * 1.7976931348623157e308),
    ]
    if not ctx.d_fixed:
        out.append(("wide", np.random.default_rng(1).normal(size=(ctx.n, 20000))))
    if ctx.images_ok:
        out.append(("3-D", X[:, :, None]))
    return out


def _y_invalid(ctx: Context) -> list[tuple[str, Any]]:
    y = ctx.y()
    out: list[tuple[str, Any]] = [
        ("None", None),
        ("string", "y"),
        ("2-D", y.reshape(-1, 1) if ctx.n % 2 else y.reshape(2, -1)),
        ("one fewer", y[:-1]),
        ("complex", y + 0j),
        ("nan", np.where(np.arange(ctx.n) == 0, nan, y)),
        ("fraction", y + 0.5),
        ("strings", np.array(["a", "b"] * (ctx.n // 2))),
        ("object", y.astype(object)),
        ("inf", np.where(np.arange(ctx.n) == 0, inf, y)),
    ]
    if ctx.labels == "binary":
        out += [("0/1", (y > 0).astype(float)), ("bool", y > 0), ("2", np.where(y > 0, 2.0, -1.0))]
    elif ctx.labels == "model":
        out += [
            ("label K", np.where(np.arange(ctx.n) == 0, ctx.K, y)),
            ("10**6", np.where(np.arange(ctx.n) == 0, 10**6, y)),
            ("negative", np.where(np.arange(ctx.n) == 0, -1, y)),
            ("bool", y > 0),
        ]
    else:
        out += [("one class", np.zeros(ctx.n, dtype=int)), ("bool", y > 0)]
    return out


def _y_extreme(ctx: Context) -> list[tuple[str, Any]]:
    y = ctx.y()
    out: list[tuple[str, Any]] = [
        ("int8", y.astype(np.int8)),
        ("list", y.tolist()),
        ("float", y.astype(float)),
    ]
    if ctx.labels == "free":
        out += [
            ("stray 10**6", np.where(np.arange(ctx.n) == ctx.n - 1, 10**6, y)),
            ("stray 2**62", np.where(np.arange(ctx.n) == ctx.n - 1, 2**62, y)),
            ("negative classes", y - 5),
            ("all distinct", np.arange(ctx.n)),
            ("float 1e15 labels", y * 1e15),
        ]
    elif ctx.labels == "binary":
        out += [("one class", np.ones(ctx.n))]
    else:
        out += [("two of K classes", y % 2)]
    return out


def _path_invalid(ctx: Context) -> list[tuple[str, Any]]:
    d = ctx.tmp
    garbage = d / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all" * 10)
    good = d / "good.npz"
    np.savez(good, x=np.ones((3, 784), np.uint8), y=np.zeros(3, np.uint8))
    raw = good.read_bytes()
    truncated = d / "truncated.npz"
    truncated.write_bytes(raw[: len(raw) // 2])
    crc = d / "crc.npz"
    bad = bytearray(raw)
    i = bad.find(b"x.npy") + 200
    bad[i] ^= 0xFF
    crc.write_bytes(bytes(bad))
    adir = d / "a-directory.npz"
    adir.mkdir(exist_ok=True)
    return [
        ("missing", str(d / "missing.npz")),
        ("directory", str(adir)),
        ("garbage", str(garbage)),
        ("truncated", str(truncated)),
        ("crc", str(crc)),
        ("int", 3),
        ("None-like list", [1, 2]),
    ]


#: Parameter kinds by name (the vocabulary of the package). Values are Kinds or functions
#: ``ctx -> Kind``.
KINDS: dict[str, Any] = {
    "nonneg": _real(0.1, 0.0, low_open=False),
    "radius": _real(1.0, 0.0, low_open=False),
    "pos": _real(1.0, 0.0, low_open=True),
    "prob": _real(0.05, 0.0, low_open=True, high=1.0, high_open=True),
    "unit": _real(0.1, 0.0, low_open=False, high=1.0, high_open=False),
    "fraction": _real(0.5, 0.0, low_open=False, high=1.0, high_open=True),
    "exponent": _EXPONENT,
    "seed": _SEED,
    "bool": _BOOL,
    "int>=1": _integer(5, 1),
    "int>=0": _integer(5, 0),
    "int>=2": _integer(10, 2),
    "n_draws": _integer(100, 2, huge=(2**31, 2**62)),
    "n_classes": _integer(3, 2, huge=(10**6, 10**9, 2**62)),
    # iteration counts: the cost is linear in the value and is what the caller asked for, so huge
    # values are not fuzzed (a refusal is not required); counts that size an allocation are "int>=1"
    "work": _integer(5, 0, huge=()),
    "X": lambda ctx: Kind(ctx.X(), tuple(_X_invalid(ctx)), tuple(_X_extreme(ctx))),
    "y": lambda ctx: Kind(ctx.y(), tuple(_y_invalid(ctx)), tuple(_y_extreme(ctx))),
    "path": lambda ctx: Kind(None, tuple(_path_invalid(ctx)), ()),
}

#: Default kind of each parameter name (the package's vocabulary).
PARAMETER_KINDS: dict[str, str] = {
    "X": "X",
    "y": "y",
    "eps": "nonneg",
    "lam": "nonneg",
    "kl": "nonneg",
    "radius": "radius",
    "margin": "pos",
    "input_radius": "pos",
    "leading_constant": "pos",
    "c": "pos",
    "tol": "pos",
    "target": "pos",
    "loss_range": "pos",
    "value_range": "pos",
    "mc_range": "pos",
    "step_size": "pos",
    "lr": "pos",
    "learning_rate": "pos",
    "prior_learning_rate": "pos",
    "init_std": "pos",
    "prior_std": "pos",
    "pmin": "prob",
    "timeout": "pos",
    "n_max": "pos",
    "delta": "prob",
    "delta_mc": "prob",
    "prior_fraction": "fraction",
    "empirical_risk": "unit",
    "empirical_mean": "unit",
    "p": "exponent",
    "attack_norm": "exponent",
    "ord": "exponent",
    "norm": "exponent",
    "seed": "seed",
    "antithetic": "bool",
    "fit_intercept": "bool",
    "rigorous": "bool",
    "random_start": "bool",
    "progress": "bool",
    "download": "bool",
    "bias": "bool",
    "n_draws": "n_draws",
    "n_posterior_draws": "n_draws",
    "n": "int>=1",
    "d": "int>=1",
    "chunk_size": "int>=1",
    "n_steps": "work",
    "prior_steps": "work",
    "steps": "work",
    "max_iter": "work",
    "batch_size": "int>=1",
    "n_restarts": "int>=1",
    "n_pool": "int>=1",
    "n_grid": "int>=1",
    "examples_per_draw": "int>=1",
    "side": "int>=1",
    "blas_threads": "int>=1",
    "n_classes": "n_classes",
    "path": "path",
    "directory": "path",
    "cache_dir": "path",
    "posthoc": "bool",
    "grid": "grid",
    "sigma": "pos",
    "n0": "int>=1",
    "alpha": "prob",
    "anchor": "pos",
    "steps_per_doubling": "int>=1",
    "n_samples": "int>=1",
    "restarts": "work",
    "norms": "none_only",
    "surrogate": "none_only",
    "lipschitz": "none_only",
    "net": "net",
    "clip": "clip",
    "hidden": "widths",
}
#: Parameters whose kind is an option string (the valid value is the default).
OPTION_PARAMETERS = frozenset(
    {
        "keep",
        "method",
        "form",
        "loss",
        "solver",
        "rule",
        "kind",
        "log_factor",
        "subset",
        "objective",
        "certifier",
        "sampling",
        "part",
        "backend",
        "padding_mode",
        "intermediate",
        "lower_slope",
        "risk",
        "combine",
    }
)
#: Names an error about a parameter may use instead of the parameter's own name.
RELATED: dict[str, tuple[str, ...]] = {
    "X": (
        "y",
        "n_samples",
        "W",
        "w",
        "net",
        "input",
        "d",
        "n_features",
        "features",
        "width",
        "image",
        "side",
    ),
    "y": ("X", "n_samples", "n_classes", "labels", "classes", "class", "W", "K"),
    "W": ("X", "b", "w", "n_features", "K", "y"),
    "b": ("W", "bias", "K"),
    "n_classes": ("y", "K", "classes"),
    "p": ("attack_norm", "q"),
    "attack_norm": ("p", "q", "r"),
    "path": ("file", "npz", "IDX", "directory"),
    "directory": ("file", "npz", "IDX", "path"),
    "cache_dir": ("file", "directory", "path"),
    "n_draws": ("draws",),
    "eps": ("epsilon",),
    "weights": ("weight", "layers"),
    "biases": ("bias", "layers"),
    "input_shape": ("input", "shape", "layers"),
    "layers": ("layer",),
    "model": ("W", "weight", "net", "X"),
    "self": ("net", "model"),
}

# ================================================================================================
# targets
# ================================================================================================
#: Public names that are not fuzzed, with the reason. Keys are short names (the name in its module's
#: ``__all__``, or ``Class.method``), so that moving a function between modules keeps its entry.
EXEMPT: dict[str, str] = {}
for _name in (
    "Estimate",
    "AdversarialEstimate",
    "MulticlassEstimate",
    "LowerEstimate",
    "Bound",
    "GridPoint",
    "PosthocPrice",
    "LinearSandwich",
    "SampleComplexity",
    "Coverage",
    "NetworkBounds",
    "WorstCase",
    "DualityGap",
    "LinearModel",
    "TrainingProblem",
    "SpectralNorm",
    "LayerNorms",
    "NetworkNorms",
    "SDPCertificate",
    "SurrogateLoss",
    "RiskCertificate",
    "SampleSplit",
    "SampledRisk",
    "TrainingSummary",
    "Dataset",
    "CertifiedMargins",
    "CertifiedRisk",
    "SmoothedCertificate",
    "LocalLinearity",
):
    EXEMPT[_name] = "result record: built by the package from validated inputs"
EXEMPT["ReLU"] = "takes no arguments"
EXEMPT["Flatten"] = "takes no arguments"
EXEMPT["download_mnist"] = "needs the network (its inputs are checked in tests/test_data.py)"


def short_name(qualified: str) -> str:
    """``radbound.bounds.spectral_bound`` -> ``spectral_bound``; methods keep their class."""
    if qualified in METHODS:
        return ".".join(qualified.rsplit(".", 2)[-2:])
    return qualified.rsplit(".", 1)[-1]


@dataclass
class Recipe:
    """How to fuzz one target: valid values of the arguments that have no usable default,
    overrides of parameter kinds, parameters left alone (with the reason), and the context."""

    base: Callable[[Context], dict[str, Any]] | None = None
    kinds: dict[str, Any] = field(default_factory=dict)
    skip: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    allow_inf: bool = False  # +-inf is a correct answer for some inputs (e.g. a KL divergence)
    #: result fields whose non-finite entries are a documented convention, with the reason
    conventions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # **options entries fuzzed, name -> kind


def _bin_model(ctx: Context) -> dict[str, Any]:
    return {"W": np.array([1.0, -2.0, 0.5]), "b": 0.25}


def _mc_model(ctx: Context) -> dict[str, Any]:
    return {"W": np.random.default_rng(2).normal(size=(ctx.K, ctx.d)), "b": np.zeros(ctx.K)}


def _net(ctx: Context, outputs: int = 1) -> Any:
    from radbound.networks import Network

    rng = np.random.default_rng(3)
    return Network.from_arrays([rng.normal(size=(4, ctx.d)), rng.normal(size=(outputs, 4))])


def _dense(ctx: Context) -> Any:
    from radbound.networks import Dense

    return Dense(np.random.default_rng(4).normal(size=(2, 3)))


def _conv(ctx: Context) -> Any:
    from radbound.networks import Conv2d

    return Conv2d(np.random.default_rng(5).normal(size=(2, 1, 2, 2)), padding=1)


def _estimate(ctx: Context) -> Any:
    from radbound import Estimate

    return Estimate(0.3, 0.01, "monte-carlo", 100, interval=(0.25, 0.35), delta=0.05, antithetic=True)


def _bound(ctx: Context) -> Any:
    from radbound.bounds import generalization

    return generalization(0.1, 0.05, 1000, delta=0.05)


def _gaussian(shape: tuple[int, ...] = (3, 4), std: float = 0.1) -> Any:
    from radbound.pacbayes import DiagonalGaussian

    return DiagonalGaussian(np.zeros(shape), std)


def _sampled_risk(ctx: Context) -> Any:
    from radbound.pacbayes import SampledRisk

    return SampledRisk(0.1, 0.001, 2000, 1, 500)


_LAYER = {"layer": "layer"}
_NET = {"net": "net"}
_MODEL_X = {"d_fixed": True}
_NET_X = {"d_fixed": True, "images_ok": True}

#: Per-target entries; every other target uses the defaults of the table.
RECIPES: dict[str, Recipe] = {
    "empirical_rademacher": Recipe(
        base=lambda ctx: {"sup": lambda s: np.abs(s.sum(axis=1)), "n": 6},
        kinds={"sup": "sup", "bounded_differences": "vector_n", "n": "n_huge"},
        context={"has_y": False},
    ),
    "linear_rademacher": Recipe(context={"has_y": False}),
    "adversarial_linear_rademacher": Recipe(base=lambda ctx: {"eps": 0.1}),
    "multiclass_rademacher": Recipe(context={"labels": "free"}),
    "adversarial_linear_lower_bound": Recipe(
        base=lambda ctx: {"eps": 0.1}, kinds={"complexity": "complexity"}, context={"has_y": False}
    ),
    "adversarial_linear_upper_bound": Recipe(
        base=lambda ctx: {"eps": 0.1}, kinds={"complexity": "complexity"}, context={"has_y": False}
    ),
    "adversarial_linear_sandwich": Recipe(base=lambda ctx: {"eps": 0.1}),
    "dimension_factor": Recipe(base=lambda ctx: {"d": 4}, kinds={"d": "int_huge"}),
    "expected_abs_sign_sum": Recipe(base=lambda ctx: {"n": 10}, kinds={"n": "n_huge"}),
    "generalization": Recipe(
        base=lambda ctx: {"empirical_risk": 0.1, "complexity": 0.05, "n": 1000},
        kinds={"complexity": "complexity_value", "n": "int_huge"},
    ),
    "linear_rademacher_bound": Recipe(context={"has_y": False}),
    "linear_rademacher_lower_bound": Recipe(context={"has_y": False}),
    "mc_deviation": Recipe(
        base=lambda ctx: {"est": _estimate(ctx), "delta": 0.05}, kinds={"est": "estimate"}
    ),
    "multiclass_adversarial_bound": Recipe(
        base=lambda ctx: {"margin": 1.0, "eps": 0.1},
        kinds={"complexity": "complexity"},
        context={"labels": "free"},
    ),
    "multiclass_natural_bound": Recipe(
        base=lambda ctx: {"margin": 1.0}, kinds={"complexity": "complexity"}, context={"labels": "free"}
    ),
    "multiclass_ramp_lower_estimate": Recipe(
        # 8 Monte-Carlo sign vectors, not the 64 of the exact average: the cost is linear in both
        base=lambda ctx: {
            "margin": 1.0,
            "n_restarts": 2,
            "n_steps": 20,
            "n_pool": 50,
            "method": "monte-carlo",
            "n_draws": 8,
            "seed": 0,
        },
        # the cost is linear in n_draws (each draw runs the search): a work count, huge values not fuzzed
        kinds={"n_draws": "work"},
        context={"labels": "free"},
    ),
    "sample_complexity": Recipe(
        base=lambda ctx: {"bound": _bound(ctx), "target": 0.5},
        kinds={"bound": "bound", "scaling": "scaling"},
        allow_inf=True,
    ),
    "ramp_risk": Recipe(
        base=lambda ctx: {**_bin_model(ctx), "margin": 1.0}, kinds={"W": "W", "b": "b"}, context=_MODEL_X
    ),
    "linear_worst_case": Recipe(
        base=lambda ctx: {**_mc_model(ctx), "eps": 0.1},
        kinds={"W": "W", "b": "b", "clip": "clip"},
        context={"labels": "model", **_MODEL_X},
    ),
    "adversarial_margins": Recipe(
        base=lambda ctx: {**_bin_model(ctx), "eps": 0.1}, kinds={"W": "W", "b": "b"}, context=_MODEL_X
    ),
    "linear_robust_accuracy": Recipe(
        base=lambda ctx: {**_mc_model(ctx), "eps": 0.1},
        kinds={"W": "W", "b": "b", "clip": "clip"},
        context={"labels": "model", **_MODEL_X},
    ),
    "pgd_linear": Recipe(
        base=lambda ctx: {**_mc_model(ctx), "eps": 0.1, "steps": 5, "seed": 0},
        kinds={"W": "W", "b": "b"},
        context={"labels": "model", **_MODEL_X},
    ),
    "duality_gap": Recipe(
        base=lambda ctx: {**_bin_model(ctx), "eps": 0.1, "lam": 0.01, "loss": "logistic"},
        kinds={"W": "W", "b": "b", "dual": "none_only"},
        context=_MODEL_X,
    ),
    "objective": Recipe(
        base=lambda ctx: {**_bin_model(ctx), "eps": 0.1, "lam": 0.01, "loss": "logistic"},
        kinds={"W": "W", "b": "b"},
        context=_MODEL_X,
    ),
    "fit_linear": Recipe(
        base=lambda ctx: {"eps": 0.1, "lam": 0.01, "loss": "logistic"},
        extra={"tol": "pos", "max_iter": "int>=1"},
    ),
    "fit_path": Recipe(
        base=lambda ctx: {"eps": [0.0, 0.1], "lam": 0.01, "loss": "logistic"},
        kinds={"eps": "nonneg_or_list", "lam": "nonneg_or_list"},
    ),
    "fit_sgd_attack": Recipe(
        base=lambda ctx: {"eps": 0.1, "n_steps": 20, "batch_size": 4, "seed": 0},
        kinds={"init": "none_only", "dtype": "dtype"},
        context={"labels": "free"},
    ),
    "Network": Recipe(
        base=lambda ctx: {"layers": (_dense(ctx),), "input_shape": (3,)},
        kinds={"layers": "layers", "input_shape": "shape", "reference": "none_only"},
    ),
    "Dense": Recipe(
        base=lambda ctx: {"weight": np.ones((2, 3))}, kinds={"weight": "matrix", "bias": "vector2"}
    ),
    "Conv2d": Recipe(
        base=lambda ctx: {"weight": np.ones((2, 1, 2, 2))},
        kinds={"weight": "conv_weight", "bias": "vector2", "stride": "stride", "padding": "padding"},
    ),
    "MaxPool2d": Recipe(kinds={"kernel_size": "stride", "stride": "stride"}),
    "conv_geometry": Recipe(
        base=lambda ctx: {"layer": _conv(ctx), "input_shape": (1, 4, 4)},
        kinds={"layer": "conv_layer", "input_shape": "shape"},
    ),
    "unrolled_matrix": Recipe(
        base=lambda ctx: {"layer": _conv(ctx), "input_shape": (1, 4, 4)},
        kinds={"layer": "layer", "input_shape": "shape"},
    ),
    "dense_spectral_norm": Recipe(base=lambda ctx: {"weight": np.ones((2, 3))}, kinds={"weight": "matrix"}),
    "spectral_norm": Recipe(
        base=lambda ctx: {"layer": _dense(ctx)}, kinds=_LAYER | {"input_shape": "shape_or_none"}
    ),
    "row_norms": Recipe(
        base=lambda ctx: {"layer": _dense(ctx)},
        kinds=_LAYER | {"input_shape": "shape_or_none", "reference": "none_only"},
    ),
    "l21_norm": Recipe(
        base=lambda ctx: {"layer": _dense(ctx)},
        kinds=_LAYER | {"input_shape": "shape_or_none", "reference": "none_only"},
    ),
    "frobenius_norm": Recipe(
        base=lambda ctx: {"layer": _dense(ctx)},
        kinds=_LAYER | {"input_shape": "shape_or_none", "reference": "none_only"},
    ),
    "l1inf_norm": Recipe(
        base=lambda ctx: {"layer": _dense(ctx)}, kinds=_LAYER | {"input_shape": "shape_or_none"}
    ),
    "lipschitz": Recipe(base=lambda ctx: {"layer": _maxpool()}, kinds=_LAYER),
    "network_norms": Recipe(base=lambda ctx: {"net": _net(ctx)}, kinds=_NET),
    "path_norm": Recipe(base=lambda ctx: {"net": _net(ctx)}, kinds=_NET),
    "network_bounds": Recipe(
        base=lambda ctx: {"net": _net(ctx), "eps": 0.1}, kinds=_NET, context={"has_y": False, **_NET_X}
    ),
    "spectral_bound": Recipe(
        base=lambda ctx: {"net": _net(ctx)},
        kinds=_NET | {"norms": "none_only"},
        context={"has_y": False, **_NET_X},
    ),
    "golowich_bound": Recipe(
        base=lambda ctx: {"net": _net(ctx)},
        kinds=_NET | {"norms": "none_only"},
        context={"has_y": False, **_NET_X},
    ),
    "neyshabur_bound": Recipe(
        base=lambda ctx: {"net": _net(ctx)},
        kinds=_NET | {"norms": "none_only"},
        context={"has_y": False, **_NET_X},
    ),
    "adversarial_lower_bound": Recipe(
        base=lambda ctx: {"net": _net(ctx), "eps": 0.1},
        kinds=_NET | {"norms": "none_only"},
        context={"has_y": False, **_NET_X},
    ),
    "sdp_matrix": Recipe(
        base=lambda ctx: {"v": np.ones(3), "W": np.ones((3, 2))}, kinds={"v": "vector3", "W": "matrix32"}
    ),
    "sdp_certificate": Recipe(
        base=lambda ctx: {"Q": np.array([[0.0, 1.0], [1.0, 0.0]])}, kinds={"Q": "symmetric"}
    ),
    "surrogate_adversarial_loss": Recipe(
        base=lambda ctx: {"net": _net(ctx, outputs=3), "eps": 0.1},
        kinds=_NET,
        context={"labels": "model", **_NET_X},
    ),
    "surrogate_margin_bound": Recipe(
        base=lambda ctx: {"net": _net(ctx, outputs=3), "eps": 0.1},
        kinds=_NET | {"surrogate": "none_only"},
        context={"labels": "model", **_NET_X},
    ),
    "GaussianMixture": Recipe(
        base=lambda ctx: {"mean": np.array([1.0, 0.0])},
        kinds={"mean": "vector_finite", "scale": "pos", "cov": "cov", "prior": "prob", "name": "string"},
    ),
    "load_mnist": Recipe(kinds={"path": "path"}),
    "read_idx": Recipe(base=lambda ctx: {"path": str(_idx_file(ctx))}, kinds={"path": "idx_path"}),
    "rescale_images": Recipe(
        base=lambda ctx: {"X": np.random.default_rng(0).random((2, 784)), "side": 14}, kinds={"X": "images"}
    ),
    "DiagonalGaussian": Recipe(
        base=lambda ctx: {"mean": np.zeros((2, 3)), "std": 0.5}, kinds={"mean": "vector_finite", "std": "pos"}
    ),
    "GaussianLinear": Recipe(base=lambda ctx: {"weights": _gaussian()}, kinds={"weights": "gaussian"}),
    "GaussianNetwork": Recipe(
        base=lambda ctx: {
            "weights": (_gaussian((4, 3)), _gaussian((2, 4))),
            "biases": (_gaussian((4,)), _gaussian((2,))),
        },
        kinds={"weights": "gaussians", "biases": "gaussians", "input_shape": "shape_or_none"},
    ),
    "gaussian_kl": Recipe(
        base=lambda ctx: {"q": _gaussian(), "p": _gaussian(std=0.2)}, kinds={"q": "gaussian", "p": "gaussian"}
    ),
    "kl": Recipe(
        base=lambda ctx: {"q": 0.1, "p": 0.2}, kinds={"q": "unit_array", "p": "unit_array"}, allow_inf=True
    ),
    "kl_inv": Recipe(base=lambda ctx: {"q": 0.1, "c": 0.05}, kinds={"q": "unit_array", "c": "nonneg_array"}),
    "kl_inv_lower": Recipe(
        base=lambda ctx: {"q": 0.1, "c": 0.05}, kinds={"q": "unit_array", "c": "nonneg_array"}
    ),
    "linear_certificate": Recipe(
        base=lambda ctx: {"n_steps": 5, "prior_steps": 5, "n_posterior_draws": 20, "seed": 0},
        kinds={"n_posterior_draws": "int>=1"},
        context={"n": 20, "labels": "free"},
        conventions={"empirical.stderr": "inf for a single posterior draw: no spread can be estimated"},
    ),
    "network_certificate": Recipe(
        base=lambda ctx: {"hidden": (3,), "n_steps": 3, "prior_steps": 3, "n_posterior_draws": 4, "seed": 0},
        kinds={"hidden": "widths", "device": "none_only", "n_posterior_draws": "int>=1"},
        context={"n": 20, "labels": "free", "images_ok": True},
        conventions={"empirical.stderr": "inf for a single posterior draw: no spread can be estimated"},
    ),
    "pac_bayes_certificate": Recipe(
        base=lambda ctx: {"empirical_risk": _sampled_risk(ctx), "kl": 3.0, "n": 500},
        kinds={
            "empirical_risk": "sampled_risk",
            "n": "int_huge",
            "reference": "string_or_none",
            "name": "string",
            "notes": "string",
        },
    ),
    "pac_bayes_kl_bound": Recipe(
        base=lambda ctx: {"empirical_risk": 0.1, "kl": 5.0, "n": 1000}, kinds={"n": "int_huge"}
    ),
    "pac_bayes_lambda_bound": Recipe(
        base=lambda ctx: {"empirical_risk": 0.1, "kl": 5.0, "n": 1000}, kinds={"n": "int_huge", "lam": "pos"}
    ),
    "pac_bayes_quadratic_bound": Recipe(
        base=lambda ctx: {"empirical_risk": 0.1, "kl": 5.0, "n": 1000}, kinds={"n": "int_huge"}
    ),
    "pac_bayes_spectral_bound": Recipe(
        base=lambda ctx: {"net": _net(ctx, outputs=3), "input_radius": 6.0},
        kinds=_NET,
        context={"labels": "model", **_NET_X},
    ),
    "sample_convergence_bound": Recipe(
        base=lambda ctx: {"empirical_mean": 0.2, "n_draws": 1000}, kinds={"n_draws": "int_huge"}
    ),
}


def _idx_file(ctx: Context) -> Path:
    from radbound.data._idx import write_idx

    path = ctx.tmp / "ok-idx1-ubyte"
    if not path.exists():
        write_idx(path, np.arange(5, dtype=np.uint8))
    return path


def _idx_invalid(ctx: Context) -> list[tuple[str, Any]]:
    import struct

    out = _path_invalid(ctx)
    for label, header, data in (
        (
            "overflowing dims",
            struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", 2**31, 2**31, 2**31),
            b"",
        ),
        (
            "overflowing dims + data",
            struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">III", 2**31, 2**31, 2**31),
            b"\0" * 64,
        ),
        ("short", struct.pack(">BBBB", 0, 0, 8, 1) + struct.pack(">I", 10), b"\0" * 3),
        ("bad magic", b"\x01\x02\x03\x04", b"\0" * 8),
        ("many dims", struct.pack(">BBBB", 0, 0, 8, 255), b"\0" * 64),
    ):
        p = ctx.tmp / f"idx-{label.replace(' ', '-')}"
        p.write_bytes(header + data)
        out.append((label, str(p)))
    return out


def _more_kinds() -> None:
    K = KINDS
    K["n_huge"] = _integer(6, 1, huge=(2**28, 2**64, 10**30))
    K["int_huge"] = _integer(10, 1, huge=(2**31, 2**64, 10**30))
    K["none_only"] = Kind(None, (("string", "bogus"), ("int", 3)), ())
    K["string"] = Kind("name", (("int", 3),), ())
    K["string_or_none"] = Kind(None, (("int", 3),), ())
    K["dtype"] = Kind(
        np.float64,
        (("string", "bogus"), ("int dtype", np.int64), ("complex", np.complex128)),
        (("float32", np.float32),),
    )
    K["scaling"] = Kind(None, (("string", "bogus"), ("int", 3)), ())
    K["nonneg_or_list"] = Kind(
        0.1,
        (
            ("negative", -1.0),
            ("nan", nan),
            ("list with nan", [0.1, nan]),
            ("2-D", [[0.1]]),
            ("string", "a"),
            ("empty", []),
        ),
        (("huge", 1e300),),
    )
    K["complexity"] = Kind(
        "auto",
        (("string", "bogus"), ("negative", -1.0), ("nan", nan), ("complex", 1j), ("list", [0.1])),
        (("float", 0.3), ("exact", "exact"), ("huge", 1e300)),
    )
    K["complexity_value"] = Kind(
        0.05,
        (("negative", -1.0), ("nan", nan), ("inf", inf), ("string", "a"), ("complex", 1j), ("None", None)),
        (("huge", 1e300), ("estimate", "ESTIMATE")),
    )
    K["estimate"] = Kind(
        None, (("float", 0.3), ("None", None), ("string", "x")), (("exact estimate", "EXACT_ESTIMATE"),)
    )
    K["bound"] = Kind(None, (("float", 0.3), ("None", None), ("string", "x")), ())
    K["sampled_risk"] = Kind(
        None,
        (("negative", -0.1), ("above 1", 1.5), ("nan", nan), ("string", "a"), ("None", None)),
        (("float", 0.1), ("zero", 0.0), ("one", 1.0)),
    )
    K["W"] = lambda ctx: Kind(
        None,
        (
            ("None", None),
            ("string", "W"),
            ("nan", np.array([nan, 1.0, 1.0])),
            ("inf", np.array([inf, 1.0, 1.0])),
            ("complex", np.ones(3) + 0j),
            ("wrong width", np.ones(4)),
            ("3-D", np.ones((1, 1, 3))),
            ("empty", np.ones((0, 3))),
            ("object", np.ones(3, dtype=object)),
        ),
        (
            ("x 1e300", np.array([1.0, -2.0, 0.5]) * 1e300),
            ("x 1e-300", np.array([1.0, -2.0, 0.5]) * 1e-300),
            ("zeros", np.zeros(3)),
            ("float32 3e38", np.full(3, 3e38, dtype=np.float32)),
            ("list", [1.0, -2.0, 0.5]),
            ("int", np.array([1, -2, 0])),
        ),
    )
    K["b"] = Kind(
        None,
        (
            ("string", "b"),
            ("nan", nan),
            ("inf", inf),
            ("complex", 1j),
            ("wrong shape", np.zeros(7)),
            ("2-D", np.zeros((2, 2))),
        ),
        (("huge", 1e300), ("None", None), ("float32", np.float32(0.5)), ("size-1 array", np.zeros((1, 1)))),
    )
    K["clip"] = Kind(
        None,
        (
            ("reversed", (1.0, 0.0)),
            ("nan", (nan, 1.0)),
            ("one value", (0.0,)),
            ("string", "a"),
            ("three", (0, 1, 2)),
        ),
        (("wide", (-1e300, 1e300)), ("unit", (0.0, 1.0))),
    )
    K["layer"] = Kind(None, (("None", None), ("string", "layer"), ("array", np.ones((2, 3))), ("int", 3)), ())
    K["conv_layer"] = Kind(None, (("None", None), ("dense", "DENSE"), ("array", np.ones((2, 3)))), ())
    K["net"] = Kind(
        None, (("None", None), ("string", "net"), ("array", np.ones((2, 3))), ("dense layer", "DENSE")), ()
    )
    K["layers"] = Kind(
        None,
        (("None", None), ("empty", ()), ("string", "layers"), ("array", np.ones((2, 3))), ("int", 3)),
        (),
    )
    K["shape"] = Kind(
        None,
        (
            ("None", None),
            ("negative", (-1, 4, 4)),
            ("zero", (0, 4, 4)),
            ("string", "shape"),
            ("float", (1.5, 4, 4)),
            ("nan", (nan,)),
        ),
        (("huge", (1, 2**31, 2**31)),),
    )
    K["shape_or_none"] = Kind(
        None,
        (("negative", (-1,)), ("zero", (0,)), ("string", "shape"), ("float", (1.5,)), ("nan", (nan,))),
        (("huge", (2**40,)),),
    )
    K["matrix"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.full((2, 3), nan)),
            ("inf", np.full((2, 3), inf)),
            ("1-D", np.ones(3)),
            ("3-D", np.ones((2, 3, 1))),
            ("complex", np.ones((2, 3)) + 0j),
            ("empty", np.ones((0, 3))),
            ("string", "w"),
            ("object", np.ones((2, 3), dtype=object)),
        ),
        (
            ("x 1e300", np.ones((2, 3)) * 1e300),
            ("x 1e-300", np.ones((2, 3)) * 1e-300),
            ("float32", np.ones((2, 3), np.float32)),
            ("int", np.ones((2, 3), int)),
            ("max float", np.full((2, 3), 1.7976931348623157e308)),
        ),
    )
    K["matrix32"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.full((3, 2), nan)),
            ("wrong rows", np.ones((4, 2))),
            ("1-D", np.ones(3)),
            ("complex", np.ones((3, 2)) + 0j),
        ),
        (("x 1e300", np.ones((3, 2)) * 1e300), ("x 1e-300", np.ones((3, 2)) * 1e-300)),
    )
    K["vector3"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.array([nan, 1, 1])),
            ("wrong length", np.ones(4)),
            ("2-D", np.ones((3, 1))),
            ("complex", np.ones(3) + 0j),
        ),
        (("x 1e300", np.ones(3) * 1e300),),
    )
    K["vector2"] = Kind(
        None,
        (
            ("nan", np.array([nan, 1.0])),
            ("wrong length", np.ones(3)),
            ("2-D", np.ones((2, 1))),
            ("complex", np.ones(2) + 0j),
            ("string", "b"),
        ),
        (("x 1e300", np.ones(2) * 1e300),),
    )
    K["vector_n"] = Kind(
        None,
        (
            ("nan", np.full(6, nan)),
            ("negative", -np.ones(6)),
            ("wrong length", np.ones(5)),
            ("2-D", np.ones((6, 1))),
            ("complex", np.ones(6) + 0j),
            ("string", "c"),
        ),
        (("huge", np.full(6, 1e300)), ("scalar", 0.5), ("max float", np.full(6, 1.7976931348623157e308))),
    )
    K["vector_finite"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.array([nan, 0.0])),
            ("inf", np.array([inf, 0.0])),
            ("complex", np.array([1 + 0j, 0])),
            ("empty", np.ones(0)),
            ("string", "m"),
            ("object", np.array([1.0, 0.0], dtype=object)),
        ),
        (
            ("huge", np.array([1e300, 0.0])),
            ("tiny", np.array([1e-300, 0.0])),
            ("float32", np.array([1.0, 0.0], np.float32)),
        ),
    )
    K["conv_weight"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.full((2, 1, 2, 2), nan)),
            ("2-D", np.ones((2, 2))),
            ("complex", np.ones((2, 1, 2, 2)) + 0j),
            ("empty", np.ones((0, 1, 2, 2))),
        ),
        (("x 1e300", np.ones((2, 1, 2, 2)) * 1e300),),
    )
    K["stride"] = Kind(
        None,
        (
            ("zero", 0),
            ("negative", -1),
            ("fraction", 1.5),
            ("string", "a"),
            ("nan", nan),
            ("three", (1, 1, 1)),
        ),
        (("huge", 2**40),),
    )
    K["padding"] = Kind(
        None,
        (("negative", -1), ("string", "bogus"), ("fraction", 0.5), ("three", (1, 1, 1))),
        (("huge", 2**20),),
    )
    K["symmetric"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.array([[nan, 1], [1, 0]])),
            ("not square", np.ones((2, 3))),
            ("not symmetric", np.array([[0.0, 1.0], [0.0, 0.0]])),
            ("1-D", np.ones(2)),
            ("complex", np.eye(2) + 0j),
            ("empty", np.ones((0, 0))),
        ),
        (
            ("x 1e300", np.array([[0.0, 1.0], [1.0, 0.0]]) * 1e300),
            ("x 1e-300", np.array([[0.0, 1.0], [1.0, 0.0]]) * 1e-300),
        ),
    )
    K["cov"] = Kind(
        None,
        (
            ("negative", np.array([-1.0, 1.0])),
            ("nan", np.array([nan, 1.0])),
            ("wrong length", np.ones(3)),
            ("not PSD", np.array([[1.0, 2.0], [2.0, 1.0]])),
            ("complex", np.ones(2) + 0j),
            ("string", "c"),
        ),
        (("huge", np.array([1e300, 1.0])),),
    )
    K["gaussian"] = Kind(None, (("None", None), ("array", np.zeros((3, 4))), ("string", "q")), ())
    K["gaussians"] = Kind(
        None, (("None", None), ("empty", ()), ("array", np.zeros((3, 4))), ("string", "q")), ()
    )
    K["unit_array"] = Kind(
        None,
        (("below", -0.1), ("above", 1.1), ("nan", nan), ("string", "a"), ("complex", 0.5j), ("None", None)),
        (
            ("zero", 0.0),
            ("one", 1.0),
            ("subnormal", 5e-324),
            ("just below one", math.nextafter(1.0, 0.0)),
            ("array", np.array([0.1, 0.9])),
            ("2-D", np.full((2, 2), 0.3)),
        ),
    )
    K["nonneg_array"] = Kind(
        None,
        (("negative", -0.1), ("nan", nan), ("string", "a"), ("complex", 0.5j), ("None", None)),
        (("zero", 0.0), ("huge", 1e300), ("inf", inf), ("array", np.array([0.1, 2.0]))),
    )
    K["widths"] = Kind(
        None,
        (("zero", (0,)), ("negative", (-3,)), ("fraction", (2.5,)), ("string", "a"), ("nan", (nan,))),
        (("empty", ()), ("huge", (2**40,))),
    )
    K["sup"] = Kind(
        None,
        (
            ("not callable", 3),
            ("complex values", "SUP_COMPLEX"),
            ("nan values", "SUP_NAN"),
            ("wrong shape", "SUP_SHAPE"),
            ("strings", "SUP_STR"),
        ),
        (("huge values", "SUP_HUGE"),),
    )
    K["images"] = Kind(
        None,
        (
            ("None", None),
            ("nan", np.full((2, 784), nan)),
            ("not square", np.ones((2, 783))),
            ("3-D", np.ones((2, 28, 28, 1))),
            ("complex", np.ones((2, 784)) + 0j),
            ("empty", np.ones((0, 784))),
        ),
        (
            ("x 1e200", np.random.default_rng(0).random((2, 784)) * 1e200),
            ("x 1e-300", np.random.default_rng(0).random((2, 784)) * 1e-300),
            ("max float", np.full((2, 784), 1.7976931348623157e308)),
            ("float32", np.random.default_rng(0).random((2, 784)).astype(np.float32)),
            ("uint8", np.full((2, 784), 255, np.uint8)),
        ),
    )
    K["idx_path"] = lambda ctx: Kind(None, tuple(_idx_invalid(ctx)), ())


_more_kinds()


#: Placeholders resolved when a call is made (objects that need the context or a fresh state).
def _resolve(value: Any, ctx: Context) -> Any:
    if isinstance(value, str):
        if value == "GENERATOR":
            return np.random.default_rng(0)
        if value == "DENSE":
            return _dense(ctx)
        if value in ("ESTIMATE", "EXACT_ESTIMATE"):
            from radbound import Estimate

            return Estimate(0.3, 0.0, "exact", 64) if value == "EXACT_ESTIMATE" else _estimate(ctx)
        if value == "SUP_COMPLEX":
            return lambda s: s.sum(axis=1) * 1j
        if value == "SUP_NAN":
            return lambda s: np.full(s.shape[0], nan)
        if value == "SUP_SHAPE":
            return lambda s: np.ones((s.shape[0], 2))
        if value == "SUP_STR":
            return lambda s: np.array(["a"] * s.shape[0])
        if value == "SUP_HUGE":
            return lambda s: np.abs(s.sum(axis=1)) * 1e308
        if value == "FIT_STRING":
            return lambda X, y, rng: "w"
        if value == "FIT_NAN":
            return lambda X, y, rng: (np.full(X.shape[1], nan), 0.0)
        if value == "FIT_WIDE":
            return lambda X, y, rng: (np.ones(X.shape[1] + 1), 0.0)
    return value


# ================================================================================================
# enumeration
# ================================================================================================
#: Methods fuzzed besides the public functions (user input reaches them directly).
METHODS = (
    "radbound.networks.Network.from_npz",
    "radbound.networks.Network.from_arrays",
    "radbound.networks.Network.forward",
    "radbound.train.LinearModel.load",
    "radbound.data.GaussianMixture.sample",
    "radbound.data.GaussianMixture.risk",
)

RECIPES.update(
    {
        "Network.from_npz": Recipe(base=lambda ctx: {"path": str(_net_file(ctx))}, kinds={"path": "path"}),
        "Network.from_arrays": Recipe(
            base=lambda ctx: {"weights": [np.ones((4, 3)), np.ones((1, 4))]},
            kinds={"weights": "weights_list", "input_shape": "shape_or_none", "biases": "none_only"},
        ),
        "Network.forward": Recipe(
            base=lambda ctx: {"self": _net(ctx)}, kinds={"self": "self"}, context={"has_y": False, **_NET_X}
        ),
        "LinearModel.load": Recipe(base=lambda ctx: {"path": str(_model_file(ctx))}, kinds={"path": "path"}),
        "check_lower_bound_architecture": Recipe(base=lambda ctx: {"net": _net(ctx)}),
        "LossClass": Recipe(
            base=lambda ctx: {"loss": "natural"},
            kinds={
                "loss": "option",
                "statement": "option",
                "eps": "nonneg_or_none",
                "lipschitz": "none_only",
            },
        ),
        "MarginLipschitz": Recipe(
            base=lambda ctx: {"value": 1.0, "norm": 2.0, "input_dim": 3},
            kinds={"value": "nonneg", "input_dim": "int>=1"},
        ),
        "coverage": Recipe(
            base=lambda ctx: {"distribution": _gm(), "fit": _lstsq_fit, "n": 20, "n_samples": 2, "seed": 0},
            kinds={
                "distribution": "distribution",
                "fit": "fit",
                "n": "int>=1",
                "margin": "margin_or_auto",
                "n_samples": "work",
            },
        ),
        "model_generalization": Recipe(
            base=lambda ctx: {"model": np.array([1.0, -2.0, 0.5]), "margin": 0.5},
            kinds={"model": "W", "margin": "margin_or_auto", "bound": "option", "complexity": "option"},
            context=_MODEL_X,
        ),
        "certified_margins": Recipe(
            base=lambda ctx: {"net": _net(ctx, outputs=3), "eps": 0.1},
            context={"labels": "model", **_NET_X},
            conventions={"pairwise": "+inf at the true class (no margin against itself)"},
        ),
        "certify": Recipe(
            base=lambda ctx: {"net": _net(ctx, outputs=3), "eps": 0.1},
            context={"labels": "model", **_NET_X},
            conventions={"pairwise": "+inf at the true class (no margin against itself)"},
        ),
        "certified_risk": Recipe(
            base=lambda ctx: {"net": _net(ctx, outputs=3), "eps": 0.1}, context={"labels": "model", **_NET_X}
        ),
        "certify_smoothed": Recipe(
            base=lambda ctx: {
                "model": (np.array([1.0, -2.0, 0.5]), 0.0),
                "sigma": 0.5,
                "n0": 10,
                "n": 50,
                "seed": 0,
            },
            kinds={"model": "smoothing_model", "n": "work", "n0": "work", "batch_size": "int>=1"},
            context=_NET_X,
        ),
        "predict_smoothed": Recipe(
            base=lambda ctx: {"model": (np.array([1.0, -2.0, 0.5]), 0.0), "sigma": 0.5, "n": 50, "seed": 0},
            kinds={"model": "smoothing_model", "n": "work", "batch_size": "int>=1"},
            context=_NET_X,
            conventions={"p_lower": "NaN: prediction only, no bound computed"},
        ),
        "local_linearity": Recipe(
            base=lambda ctx: {
                **{"model": (np.random.default_rng(2).normal(size=(3, 3)), None)},
                "eps": 0.1,
                "seed": 0,
            },
            kinds={"model": "mc_model"},
            context={"labels": "model", **_MODEL_X},
        ),
        "pgd": Recipe(
            base=lambda ctx: {
                "model": (np.random.default_rng(2).normal(size=(3, 3)), None),
                "eps": 0.1,
                "steps": 5,
                "seed": 0,
            },
            kinds={"model": "mc_model"},
            context={"labels": "model", **_MODEL_X},
        ),
        "resampling_matrix": Recipe(
            base=lambda ctx: {"n_in": 28, "n_out": 14}, kinds={"n_in": "int_alloc", "n_out": "int_alloc"}
        ),
        "clopper_pearson_lower": Recipe(
            base=lambda ctx: {"k": 5, "n": 10, "alpha": 0.05}, kinds={"k": "count", "n": "int>=1"}
        ),
        "GaussianMixture.sample": Recipe(
            base=lambda ctx: {"self": _gm(), "n": 10}, kinds={"self": "self", "n": "int_huge"}
        ),
        "GaussianMixture.risk": Recipe(
            base=lambda ctx: {"self": _gm(), "W": np.array([1.0, 1.0]), "b": 0.0},
            kinds={"self": "self", "W": "W2", "b": "b", "margin": "pos_or_none"},
        ),
    }
)


def _net_file(ctx: Context) -> Path:
    path = ctx.tmp / "net.npz"
    if not path.exists():
        _net(ctx).save_npz(path)
    return path


def _model_file(ctx: Context) -> Path:
    from radbound.train import fit_linear

    path = ctx.tmp / "model.npz"
    if not path.exists():
        fit_linear(
            ctx.X(),
            ctx.y() if ctx.labels == "binary" else np.array([1.0, -1.0] * 3),
            eps=0.1,
            lam=0.01,
            loss="logistic",
        ).save(path)
    return path


def _maxpool() -> Any:
    from radbound.networks import MaxPool2d

    return MaxPool2d(2)


def _lstsq_fit(X: np.ndarray, y: np.ndarray, rng: Any) -> tuple[np.ndarray, float]:
    return np.linalg.lstsq(X, y, rcond=None)[0], 0.0


def _gm() -> Any:
    from radbound.data import GaussianMixture

    return GaussianMixture(np.array([1.0, 0.0]), scale=0.5)


KINDS["self"] = Kind(None, (), ())
KINDS["int_alloc"] = _integer(10, 1, huge=(2**31, 2**64))
KINDS["grid"] = Kind(None, (("string", "bogus"), ("int", 3), ("float", 2.0)), ())
KINDS["margin_or_auto"] = Kind(
    "auto",
    (("zero", 0.0), ("negative", -1.0), ("nan", nan), ("inf", inf), ("string", "bogus"), ("complex", 1j)),
    (("huge", 1e300), ("tiny", 1e-300), ("float", 0.5)),
)
KINDS["distribution"] = Kind(None, (("None", None), ("string", "gm"), ("int", 3), ("array", np.ones(2))), ())
KINDS["fit"] = Kind(
    None,
    (
        ("not callable", 3),
        ("returns a string", "FIT_STRING"),
        ("returns NaN weights", "FIT_NAN"),
        ("wrong width", "FIT_WIDE"),
    ),
    (),
)
KINDS["smoothing_model"] = Kind(
    None,
    (
        ("None", None),
        ("string", "model"),
        ("int", 3),
        ("nan weights", (np.array([nan, 1.0, 1.0]), 0.0)),
        ("wrong width", (np.ones(4), 0.0)),
    ),
    (
        ("huge weights", (np.array([1e300, -1e300, 1e300]), 0.0)),
        ("tiny weights", (np.array([1e-300, 1e-300, 1e-300]), 0.0)),
    ),
)
KINDS["mc_model"] = Kind(
    None,
    (
        ("None", None),
        ("string", "model"),
        ("int", 3),
        ("nan weights", (np.full((3, 3), nan), None)),
        ("wrong width", (np.ones((3, 4)), None)),
        ("complex weights", (np.ones((3, 3)) + 0j, None)),
    ),
    (
        ("huge weights", (np.eye(3) * 1e300, None)),
        ("tiny weights", (np.eye(3) * 1e-300, None)),
        ("float32 weights", (np.eye(3, dtype=np.float32), None)),
    ),
)
KINDS["count"] = Kind(
    None,
    (("negative", -1), ("above n", 11), ("fraction", 2.5), ("nan", nan), ("string", "k"), ("complex", 1j)),
    (("zero", 0), ("n", 10), ("array", np.array([0, 5, 10])), ("float integral", 5.0)),
)
KINDS["pos_or_none"] = _real(1.0, 0.0, low_open=True)
_NONNEG = _real(0.1, 0.0, low_open=False)
KINDS["nonneg_or_none"] = Kind(_NONNEG.valid, _NONNEG.invalid, _NONNEG.extreme + (("None", None),))
KINDS["weights_list"] = Kind(
    None,
    (
        ("empty", []),
        ("None", None),
        ("mismatched", [np.ones((4, 3)), np.ones((1, 5))]),
        ("nan", [np.full((4, 3), nan), np.ones((1, 4))]),
        ("1-D", [np.ones(3)]),
        ("string", "w"),
    ),
    (("x 1e300", [np.ones((4, 3)) * 1e300, np.ones((1, 4)) * 1e300]),),
)
KINDS["W2"] = Kind(
    None,
    (
        ("nan", np.array([nan, 1.0])),
        ("wrong width", np.ones(3)),
        ("complex", np.ones(2) + 0j),
        ("string", "W"),
        ("None", None),
    ),
    (
        ("x 1e300", np.array([1e300, 1e300])),
        ("zeros", np.zeros(2)),
        ("x 1e-300", np.array([1e-300, 1e-300])),
        ("float32 max", np.full(2, 3e38, np.float32)),
    ),
)


def module_problems() -> list[str]:
    """Public modules of radbound (no leading underscore) that are neither fuzzed nor listed in
    :data:`UNFUZZED_MODULES` with a reason."""
    import pkgutil

    import radbound

    listed = set(MODULES) | set(UNFUZZED_MODULES)
    return [
        f"radbound.{m.name}: a public module neither fuzzed (MODULES) nor listed in UNFUZZED_MODULES"
        for m in pkgutil.iter_modules(radbound.__path__)
        if not m.name.startswith("_") and f"radbound.{m.name}" not in listed
    ]


#: optional extras of radbound (``pip install radbound[torch]``): a call that needs one is skipped without it
OPTIONAL_EXTRAS = frozenset({"torch"})


def _needs_missing_extra(exc: BaseException) -> bool:
    """The call stopped at the import of an optional extra that is not installed: nothing to fuzz."""
    name = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    return name in OPTIONAL_EXTRAS and not _module_available(name)


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def public_names() -> dict[str, Any]:
    """``qualified name -> object`` for every callable of the public ``__all__`` s (first module wins)."""
    out: dict[str, Any] = {}
    seen: set[int] = set()
    for modname in MODULES:
        if not _module_available(modname):
            continue
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, type) and issubclass(obj, (BaseException, Warning)):
                continue
            out[f"{modname}.{name}"] = obj
    for qual in METHODS:
        modname, cls, meth = qual.rsplit(".", 2)
        if _module_available(modname):
            out[qual] = getattr(getattr(importlib.import_module(modname), cls), meth)
    return out


@dataclass
class Target:
    name: str
    func: Callable[..., Any]
    recipe: Recipe
    params: list[inspect.Parameter]


def public_targets() -> list[Target]:
    """The fuzzed targets (public names minus :data:`EXEMPT`), in a fixed order."""
    out = []
    for name, obj in public_names().items():
        if short_name(name) in EXEMPT:
            continue
        recipe = RECIPES.get(short_name(name), Recipe())
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            params = []
        else:
            params = [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        out.append(Target(name, obj, recipe, params))
    return out


def kind_of(target: Target, param: str) -> str | None:
    """Name of the kind of ``param`` in ``target``, or None when nobody declared one."""
    if param in target.recipe.kinds:
        return target.recipe.kinds[param]
    if param in target.recipe.extra:
        return target.recipe.extra[param]
    if param in PARAMETER_KINDS:
        return PARAMETER_KINDS[param]
    if param in OPTION_PARAMETERS:
        return "option"
    return None


def coverage_problems() -> list[str]:
    """Public names that cannot be fuzzed yet (each with what is missing)."""
    problems = []
    for t in public_targets():
        for p in t.params:
            if p.name in t.recipe.skip:
                continue
            if kind_of(t, p.name) is None:
                problems.append(
                    f"{t.name}: parameter {p.name!r} has no kind (add it to PARAMETER_KINDS or RECIPES)"
                )
    return problems


def _kind(name: str, ctx: Context, default: Any) -> Kind:
    if name == "option":
        return _option(default if isinstance(default, str) else "auto")
    k = KINDS[name]
    if not callable(k) or isinstance(k, Kind):
        return k
    cache = ctx.__dict__.setdefault("_kinds", {})  # built once per target context (arrays, files)
    if name not in cache:
        cache[name] = k(ctx)
    return cache[name]


def _context(target: Target, tmp: Path) -> Context:
    required = {p.name for p in target.params if p.default is inspect.Parameter.empty}
    ctx = Context(tmp=tmp, has_y="y" in required)
    for k, v in target.recipe.context.items():
        setattr(ctx, k, v)
    return ctx


def base_call(target: Target, ctx: Context) -> dict[str, Any]:
    """Valid keyword arguments for ``target``: the recipe's, then the kinds' valid values for the
    required parameters without one."""
    kwargs = dict(target.recipe.base(ctx)) if target.recipe.base else {}
    for p in target.params:
        if p.name in kwargs or p.default is not inspect.Parameter.empty or p.name == "self":
            continue
        kname = kind_of(target, p.name)
        if kname is None:
            continue
        valid = _kind(kname, ctx, None).valid
        kwargs[p.name] = valid.copy() if isinstance(valid, np.ndarray) else valid  # the cache stays intact
    return kwargs


@dataclass
class Case:
    target: str
    param: str
    label: str
    tag: str  # "base" | "invalid" | "extreme"


def cases(target: Target, ctx: Context) -> Iterator[tuple[Case, Any]]:
    """The base call, then every (parameter, value) mutation of ``target``."""
    yield Case(target.name, "", "base", "base"), None
    params = [(p.name, p.default) for p in target.params] + [
        (k, inspect.Parameter.empty) for k in target.recipe.extra
    ]
    for pname, default in params:
        if pname in target.recipe.skip or pname == "self":
            continue
        kname = kind_of(target, pname)
        if kname is None:
            continue
        kind = _kind(kname, ctx, default)
        invalid = list(kind.invalid)
        if default is None:  # None is the documented default: a valid value, not a malformed one
            invalid = [(label, v) for label, v in invalid if v is not None]
        mentions_none = any(label == "None" for label, _ in invalid + list(kind.extreme))
        if default is not None and not mentions_none and kind.valid is not None and kname not in ("path",):
            invalid.append(("None", None))
        for label, value in invalid:
            yield Case(target.name, pname, label, "invalid"), value
        for label, value in kind.extreme:
            yield Case(target.name, pname, label, "extreme"), value


# ================================================================================================
# one call
# ================================================================================================
class _Timeout(BaseException):
    """Raised by the interval timer inside a call that exceeds the time budget."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


_ECHO = frozenset({"p", "q", "attack_norm", "r", "dual_exponent", "ord", "norm", "input_shape"})


def nonfinite(value: Any, depth: int = 0, skip: frozenset[str] = frozenset()) -> str | None:
    """Where ``value`` holds a NaN or an infinity (None when it holds none); dataclass fields named
    in ``skip`` are not looked at."""
    if depth > 6:
        return None
    if isinstance(value, (bool, np.bool_, str, bytes, type(None))):
        return None
    if isinstance(value, (int, np.integer)):
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isfinite(float(value)) else repr(value)
    if isinstance(value, complex):
        return repr(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and value.size and not np.isfinite(value).all():
            n_nan = int(np.isnan(value).sum())
            return f"array with {n_nan} NaN and {int((~np.isfinite(value)).sum()) - n_nan} infinite entries"
        if value.dtype == object:
            for v in value.ravel()[:100]:
                w = nonfinite(v, depth + 1)
                if w:
                    return w
        return None
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return nonfinite(value.detach().cpu().numpy(), depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name in _ECHO or f.name == "formula_builder" or f.name in skip:
                continue
            inner = frozenset(k.split(".", 1)[1] for k in skip if k.startswith(f.name + "."))
            w = nonfinite(getattr(value, f.name), depth + 1, inner)
            if w:
                return f"{f.name}: {w}"
        return None
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in _ECHO:
                continue
            w = nonfinite(v, depth + 1)
            if w:
                return f"[{k!r}]: {w}"
        return None
    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value[:1000]):
            w = nonfinite(v, depth + 1)
            if w:
                return f"[{i}]: {w}"
    return None


def names_parameter(message: str, param: str) -> bool:
    """True if ``message`` names ``param`` (or a name related to it) as a word; ``param`` may list
    several parameters separated by commas (the drawn ones of the property phase): any of them."""
    names = tuple(n for p in param.split(",") for n in (p, *RELATED.get(p, ())))
    for name in names:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message):
            return True
    return False


def run_case(
    func: Callable[..., Any],
    kwargs: dict[str, Any],
    case: Case,
    allow_inf: bool,
    skip: frozenset[str] = frozenset(),
    time_budget: float = TIME_BUDGET,
    memory_budget: int = MEMORY_BUDGET,
) -> tuple[str, str]:
    """Call ``func(**kwargs)`` and classify the outcome: ``(category, detail)``."""
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    start = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, time_budget)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.seterr(all="ignore")
            result = func(**kwargs)
    except _Timeout:
        return "hang", f"over {time_budget:g} s"
    except MemoryError as exc:
        return "memory blow-up", f"MemoryError: {str(exc)[:200]}"
    except NAMED_ERRORS as exc:
        if _needs_missing_extra(exc):
            return "ok", f"needs {exc.name}, which is not installed here"  # type: ignore[attr-defined]
        message = str(exc)
        if isinstance(exc, FileNotFoundError) or names_parameter(message, case.param or "-"):
            category = "ok" if case.tag != "base" else "base call failed"
            return category, f"{type(exc).__name__}: {message[:200]}"
        if case.tag == "base":
            return "base call failed", f"{type(exc).__name__}: {message[:300]}"
        return "unclear message", f"{type(exc).__name__}: {message[:300]}"
    except Exception as exc:  # noqa: BLE001 - the point is to classify every escape
        if _needs_missing_extra(exc):
            return "ok", f"needs {exc.name}, which is not installed here"  # type: ignore[attr-defined]
        tb = exc.__traceback__
        where = ""
        while tb is not None:
            where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
            tb = tb.tb_next
        category = "base call failed" if case.tag == "base" else "crash deep inside"
        return category, f"{type(exc).__name__} at {where}: {str(exc)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    elapsed = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1] - held
    if peak > memory_budget:
        return "memory blow-up", f"peak {peak / 2**20:.0f} MiB"
    if elapsed > time_budget:
        return "hang", f"{elapsed:.1f} s"
    where = nonfinite(result, skip=skip)
    if where and not allow_inf:
        return "NaN/inf returned", where
    if where and allow_inf and ("nan" in where.lower() and " 0 NaN" not in where):
        return "NaN/inf returned", where
    if case.tag == "invalid":
        return "malformed accepted", f"returned {type(result).__name__}"
    if case.tag == "base" and where:
        return "base call failed", where
    return "ok", ""


# ================================================================================================
# the worker and its watchdog
# ================================================================================================
def table_cases(
    targets: list[Target], tmp: Path, only: str | None = None, selection: str = "all"
) -> Iterator[tuple[int, Target, Case, Callable[[], dict[str, Any]]]]:
    """Every case of the table phase, numbered in a fixed order; the kwargs are built lazily.

    ``selection="suite"`` keeps, for the targets of :data:`SLOW_TARGETS`, the base call and the
    invalid values only (their extreme values run in ``benchmarks/fuzz_public_api.py``)."""
    i = 0
    for t in targets:
        if only and not re.search(only, t.name):
            continue
        ctx = _context(t, tmp)
        slow = selection == "suite" and short_name(t.name) in SLOW_TARGETS
        for case, value in cases(t, ctx):
            if slow and case.tag == "extreme":
                continue

            def make(
                t: Target = t, case: Case = case, value: Any = value, ctx: Context = ctx
            ) -> dict[str, Any]:
                kw = base_call(t, ctx)
                if case.tag != "base":
                    kw[case.param] = _resolve(value, ctx)
                return kw

            yield i, t, case, make
            i += 1


def _limit_address_space() -> None:
    try:
        import resource

        with open("/proc/self/status") as fh:
            vm = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
        limit = vm + ADDRESS_SPACE_EXTRA
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration, ImportError):  # not Linux: the tracemalloc budget remains
        pass


def _import_everything() -> None:
    import radbound

    for name in MODULES:
        if _module_available(name):
            importlib.import_module(name)
    for name in ("cvxpy", "torch", "torch._dynamo", "sympy", "scipy.optimize"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    try:  # torch initialises parts of itself lazily: do it before any call runs under a timer
        import torch

        layer = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(layer.parameters())
        layer(torch.ones(1, 2)).sum().backward()
        opt.step()
    except ImportError:
        pass
    del radbound


def worker(
    phase: str, start: int, only: str | None, examples: int, time_budget: float, selection: str = "all"
) -> None:
    """Run the cases from ``start`` on, one JSON line per case on stdout (``START i`` before each)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    _import_everything()
    _limit_address_space()
    signal.signal(signal.SIGPROF, _on_alarm)
    tracemalloc.start(1)
    out = sys.stdout
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        targets = public_targets()
        source = (
            table_cases(targets, tmp, only, selection)
            if phase == "table"
            else property_cases(targets, tmp, only, examples, selection)
        )
        for i, t, case, make in source:
            if i < start:
                continue
            out.write(f"START {i}\n")
            out.flush()
            elapsed = 0.0
            try:
                kwargs = make()
            except Exception as exc:  # noqa: BLE001
                category, detail = "base call failed", f"building the arguments: {type(exc).__name__}: {exc}"
            else:
                skip = frozenset(t.recipe.conventions)
                t_case = time.process_time()
                category, detail = run_case(t.func, kwargs, case, t.recipe.allow_inf, skip, time_budget)
                elapsed = time.process_time() - t_case
            record = {
                "i": i,
                "target": case.target,
                "param": case.param,
                "label": case.label,
                "tag": case.tag,
                "category": category,
                "detail": detail,
                "seconds": round(elapsed, 4),
            }
            out.write(json.dumps(record) + "\n")
            out.flush()
    out.write("DONE\n")
    out.flush()


def run(
    phase: str = "table",
    *,
    only: str | None = None,
    examples: int = 20,
    time_budget: float = TIME_BUDGET,
    python: str | None = None,
    env: dict[str, str] | None = None,
    echo: bool = False,
    selection: str = "all",
) -> list[dict[str, Any]]:
    """Run a phase in worker processes; a worker silent for ``10 * time_budget + 30`` s is killed and the
    case it was running is recorded as a hang. Returns one record per case."""
    records: list[dict[str, Any]] = []
    start = 0
    python = python or sys.executable
    while True:
        cmd = [
            python,
            str(Path(__file__).resolve()),
            "worker",
            "--phase",
            phase,
            "--start",
            str(start),
            "--examples",
            str(examples),
            "--time-budget",
            str(time_budget),
            "--selection",
            selection,
        ]
        if only:
            cmd += ["--only", only]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        current: int | None = None
        finished = False
        stuck = False
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buffer = ""
        while True:
            ready = sel.select(timeout=10 * time_budget + 30)
            if not ready:
                stuck = True
                break
            chunk = os.read(proc.stdout.fileno(), 65536).decode()
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split("\n")
            for line in lines:
                if line.startswith("START "):
                    current = int(line.split()[1])
                elif line == "DONE":
                    finished = True
                elif line.startswith("{"):
                    rec = json.loads(line)
                    records.append(rec)
                    current = None
                    if echo and rec["category"] != "ok":
                        print(format_record(rec), flush=True)
        if stuck or not finished:
            proc.kill()
        proc.wait()
        stderr = proc.stderr.read() if proc.stderr else ""
        if finished:
            return records
        if current is None:
            raise RuntimeError(f"fuzz worker died outside a case:\n{stderr[-3000:]}")
        last = stderr.strip().splitlines()[-1][:200] if stderr.strip() else f"exit code {proc.returncode}"
        detail = "killed by the watchdog" if stuck else f"worker died: {last}"
        category = (
            "hang"
            if stuck
            else (
                "memory blow-up"
                if "MemoryError" in stderr or proc.returncode in (-9, 137)
                else "crash deep inside"
            )
        )
        records.append(
            {
                "i": current,
                "target": "?",
                "param": "?",
                "label": "?",
                "tag": "?",
                "category": category,
                "detail": detail,
            }
        )
        start = current + 1


# ================================================================================================
# the property phase (hypothesis)
# ================================================================================================
def property_cases(
    targets: list[Target], tmp: Path, only: str | None, examples: int, selection: str = "all"
) -> Iterator[tuple[int, Target, Case, Callable[[], dict[str, Any]]]]:
    """Whole inputs drawn by hypothesis (derandomized) for every target that takes ``X``: data of random
    shape, dtype and scale, and the scalar parameters at random points of their ranges."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    drawn: list[tuple[Target, dict[str, Any], str]] = []
    number = 0
    scalar_params = ("eps", "radius", "margin", "lam", "p", "attack_norm", "delta")

    @st.composite
    def inputs(draw: Any, target: Target, ctx: Context) -> tuple[dict[str, Any], str]:
        n = draw(st.integers(2, 8))
        d = ctx.d if ctx.d_fixed else draw(st.integers(1, 5))
        ctx2 = dataclasses.replace(ctx, n=n, d=d)
        kw = base_call(target, ctx2)
        exp = draw(st.integers(-1074, 1023))
        dtype = draw(st.sampled_from(["float64", "float64", "float32", "int64"]))
        entries = draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=n * d, max_size=n * d))
        X = np.ldexp(np.array(entries).reshape(n, d), exp)
        if dtype == "float32":
            X = X.astype(np.float32)
        elif dtype == "int64":
            X = np.round(np.array(entries).reshape(n, d) * 100).astype(np.int64)
        kw["X"] = X
        desc = [f"n={n} d={d} X=2**{exp} {dtype}"]
        if "y" in kw:
            if ctx.labels == "binary":
                y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
                y[:2] = [1.0, -1.0]
            elif ctx.labels == "model":
                y = np.array(draw(st.lists(st.integers(0, ctx.K - 1), min_size=n, max_size=n)))
            else:
                y = np.array(
                    draw(st.lists(st.sampled_from([0, 1, 2, 7, 10**6, 2**40]), min_size=n, max_size=n))
                )
                y[:2] = [0, 1]
            kw["y"] = y
            desc.append(f"y={y.tolist()}")
        names = {p.name for p in target.params}
        for pname in scalar_params:
            if pname not in names:
                continue
            if pname in ("p", "attack_norm"):
                v = draw(st.sampled_from([1.0, 1.0 + 1e-12, 1.5, 2.0, 3.0, 1e9, inf]))
            elif pname == "delta":
                v = draw(st.sampled_from([1e-300, 1e-10, 0.05, 0.5, math.nextafter(1.0, 0.0)]))
            else:
                lo = 0 if pname in ("eps", "lam") else 1
                v = draw(st.sampled_from([0.0, 1.0] if lo == 0 else [1.0])) * 0 + math.ldexp(
                    draw(st.floats(0.5, 1.0)), draw(st.integers(-1074, 1023))
                )
                if lo == 0 and draw(st.booleans()):
                    v = 0.0
            kw[pname] = v
            desc.append(f"{pname}={v!r}")
        return kw, " ".join(desc)

    for t in targets:
        if only and not re.search(only, t.name):
            continue
        if "X" not in {p.name for p in t.params} or kind_of(t, "X") != "X":
            continue
        if selection == "suite" and short_name(t.name) in SLOW_TARGETS:
            continue
        ctx = _context(t, tmp)
        current = t

        @settings(
            max_examples=examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(inputs(t, ctx))
        def collect(sample: tuple[dict[str, Any], str]) -> None:
            drawn.append((current, *sample))  # noqa: B023 - called at once, in this iteration

        with warnings.catch_warnings():  # overflow while building extreme data is intended
            warnings.simplefilter("ignore")
            collect()
        # one target at a time, so that the worker reports progress while drawing (watchdog)
        for t_drawn, kw, desc in drawn:
            drawn_names = ",".join(k for k in ("X", "y", *scalar_params) if k in kw)
            yield number, t_drawn, Case(t_drawn.name, drawn_names, desc, "extreme"), (lambda kw=kw: kw)
            number += 1
        drawn.clear()


# ================================================================================================
# command line
# ================================================================================================
def format_record(rec: dict[str, Any]) -> str:
    """One line: category | target parameter=value label | detail."""
    return f"{rec['category']:>18} | {rec['target']} {rec['param']}={rec['label']} | {rec['detail']}"


def summarize(records: list[dict[str, Any]]) -> Counter:
    return Counter(r["category"] for r in records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fuzz every public function of radbound; print counts by category."
    )
    sub = parser.add_subparsers(dest="command")
    w = sub.add_parser("worker")
    for sp in (parser, w):
        sp.add_argument("--phase", choices=("table", "property", "both"), default="both")
        sp.add_argument("--only", default=None, help="regular expression on target names")
        sp.add_argument(
            "--examples", type=int, default=20, help="hypothesis examples per target (property phase)"
        )
        sp.add_argument("--time-budget", type=float, default=TIME_BUDGET)
    w.add_argument("--start", type=int, default=0)
    w.add_argument("--selection", choices=("all", "suite"), default="all")
    parser.add_argument("--json", default=None, help="write every record to this file")
    parser.add_argument("--quiet", action="store_true", help="do not list the bad outcomes")
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker(args.phase, args.start, args.only, args.examples, args.time_budget, args.selection)
        return 0
    problems = coverage_problems()
    for p in problems:
        print("NOT COVERED:", p)
    phases = ("table", "property") if args.phase == "both" else (args.phase,)
    all_records = []
    t0 = time.time()
    for phase in phases:
        recs = run(
            phase, only=args.only, examples=args.examples, time_budget=args.time_budget, echo=not args.quiet
        )
        for r in recs:
            r["phase"] = phase
        all_records += recs
        counts = summarize(recs)
        print(
            f"phase {phase}: {len(recs)} calls; " + ", ".join(f"{c}: {counts.get(c, 0)}" for c in CATEGORIES),
            flush=True,
        )
    counts = summarize(all_records)
    bad = sum(v for k, v in counts.items() if k != "ok")
    print(f"total: {len(all_records)} calls, {bad} bad outcomes in {time.time() - t0:.0f} s")
    for c in CATEGORIES:
        print(f"  {c:>20}: {counts.get(c, 0)}")
    if args.json:
        Path(args.json).write_text(json.dumps(all_records, indent=1))
    return 1 if bad or problems else 0


if __name__ == "__main__":
    sys.exit(main())
