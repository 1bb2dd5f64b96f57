"""Fuzz tests of radbound.train's public functions: malformed or extreme inputs never escape.

Every call on inputs drawn by hypothesis (``derandomize=True``: the same examples every run) must
end in one of two ways: a clear error of a named kind whose message names the offending parameter
(or, for a solver that cannot finish, the eps and lam it was given), or a finite result. Never a
deep numpy error, a NaN/inf result, a numpy warning (overflow, invalid value) or a hang: each
example runs under a time budget. Sizes stay tiny so that a hundred examples cost seconds.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from radbound.train import (  # noqa: E402
    LinearModel,
    NonOptimalWarning,
    SolverError,
    duality_gap,
    fit_linear,
    fit_sgd_attack,
    objective,
)

#: Names an error message may point at (parameters, options, or the file of a model).
NAMES = (
    "X",
    "y",
    "W",
    "b",
    "eps",
    "lam",
    "loss",
    "attack_norm",
    "kind",
    "solver",
    "n_classes",
    "tol",
    "gtol",
    "max_iter",
    "time_limit",
    "on_inaccurate",
    "blas_threads",
    "warm_start",
    "fit_intercept",
    "dual",
    "gap_rtol",
    "check_rtol",
    "cvxpy_solver",
    "verbose",
    "solver_options",
    "option",
    "lr",
    "batch_size",
    "n_steps",
    "rule",
    "sampling",
    "dtype",
    "init",
    "seed",
    "working memory",
    "objective",
)
#: FloatingPointError: a diverging SGD run (its message names lr and lam).
ERRORS = (ValueError, TypeError, NotImplementedError, OverflowError, FloatingPointError)
BUDGET_S = 20.0
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def _finite(value) -> bool:
    return bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))


def _call(fn, *args, **kwargs):
    """Run ``fn``; return the result or the allowed exception; fail on anything else."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except ERRORS as exc:
            out = exc
        except SolverError as exc:  # a solver that could not finish names what it was given
            assert "eps=" in str(exc) or "LP" in str(exc), str(exc)
            out = exc
    assert time.perf_counter() - start < BUDGET_S, "over the time budget"
    stray = [
        w for w in caught if not issubclass(w.category, (NonOptimalWarning, DeprecationWarning, UserWarning))
    ]
    assert not stray, [f"{w.category.__name__}: {w.message}" for w in stray]
    if isinstance(out, Exception):
        msg = str(out)
        assert msg and any(name in msg for name in NAMES), f"{type(out).__name__}: {msg}"
    return out


# ------------------------------------------------------------------------------------ strategies
#: Valid values, extreme ones included (they must give finite, correct results).
GOOD_REALS = [0.0, 1e-300, 0.01, 0.1, 1.0, 1e10, 1e300]
BAD_REALS = [-0.1, math.nan, math.inf, "0.1", None]
GOOD_NORMS = [1.0, 1.5, 2.0, math.inf, 1 + 1e-9, 1e9]
BAD_NORMS = [0.5, math.nan, "two"]
LOSSES = ["logistic", "hinge", "softmax", "multiclass-hinge"]
DEFECTS = [
    "nan_X",
    "inf_X",
    "X_1d",
    "X_3d",
    "X_empty",
    "X_complex",
    "X_str",
    "y_short",
    "y_01",
    "y_float",
    "y_complex",
    "y_2d",
    "y_huge",
    "y_one_class",
    "y_bool",
    "loss",
]


def _problem(draw, defect):
    """(X, y, loss): a tiny well-formed problem, with the data defect ``defect`` if it names one."""
    loss = draw(st.sampled_from(LOSSES))
    n = draw(st.integers(2, 8))
    d = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(n, d)) * draw(st.sampled_from([1.0, 1e-200, 1e200]))
    binary = loss in ("logistic", "hinge")
    y = np.where(np.arange(n) % 2 == 0, 1, -1) if binary else np.arange(n) % min(3, n)
    if defect == "nan_X":
        X[0, 0] = np.nan
    elif defect == "inf_X":
        X[-1, -1] = np.inf
    elif defect == "X_1d":
        X = X[:, 0]
    elif defect == "X_3d":
        X = X[:, :, None]
    elif defect == "X_empty":
        X = X[:0]
    elif defect == "X_complex":
        X = X + 1j
    elif defect == "X_str":
        X = X.astype(str)
    elif defect == "y_short":
        y = y[:-1]
    elif defect == "y_01":
        y = (np.arange(n) % 2).astype(int)
    elif defect == "y_float":
        y = y + 0.5
    elif defect == "y_complex":
        y = y + 0j
    elif defect == "y_2d":
        y = y[:, None]
    elif defect == "y_huge":
        y = np.where(np.arange(n) == 0, 10**12, y)
    elif defect == "y_one_class":
        y = np.ones(n, dtype=int)
    elif defect == "y_bool":
        y = np.arange(n) % 2 == 0
    elif defect == "loss":
        loss = "bogus"
    return X, y, loss


def _draw_case(draw, bad_options):
    """One example: mode 0 all valid (values may be extreme), 1 one data defect, 2 one bad parameter."""
    mode = draw(st.sampled_from([0, 1, 2]))
    defect = draw(st.sampled_from(DEFECTS)) if mode == 1 else None
    X, y, loss = _problem(draw, defect)
    params = {
        "eps": draw(st.sampled_from(GOOD_REALS)),
        "lam": draw(st.sampled_from(GOOD_REALS)),
        "attack_norm": draw(st.sampled_from(GOOD_NORMS)),
    }
    options: dict = {}
    if mode == 2:
        which = draw(st.sampled_from(["eps", "lam", "attack_norm", "options"]))
        if which == "attack_norm":
            params["attack_norm"] = draw(st.sampled_from(BAD_NORMS))
        elif which == "options":
            options = draw(st.sampled_from(bad_options))
        else:
            params[which] = draw(st.sampled_from(BAD_REALS))
    return X, y, loss, params, options


# ------------------------------------------------------------------------------------ the fuzz
@SETTINGS
@given(st.data())
def test_objective_and_duality_gap_fuzz(data):
    X, y, loss, params, options = _draw_case(data.draw, [{"kind": "x"}, {"kind": "single-target-exact"}])
    shape = (np.shape(X)[1],) if loss in ("logistic", "hinge") and np.ndim(X) == 2 else (3, np.shape(X)[-1])
    W = np.random.default_rng(0).normal(size=shape) * data.draw(st.sampled_from([1.0, 1e-300, 1e200]))
    b = 0.1 if len(shape) == 1 else np.zeros(3)
    out = _call(objective, X, y, W, b, loss=loss, **params, **options)
    if not isinstance(out, Exception):
        assert _finite(out)
    cert = _call(duality_gap, X, y, W, b, loss=loss, **params)
    if not isinstance(cert, Exception):
        assert _finite([cert.primal, cert.dual, cert.gap]) and cert.gap >= -1e-9 * max(1.0, abs(cert.primal))


FAST_BAD = [
    {"tol": -1.0},
    {"max_iter": 0},
    {"blas_threads": -3},
    {"warm_start": 1.0},
    {"time_limit": math.nan},
    {"on_inaccurate": "ignore"},
    {"gtol": math.inf},
    {"bogus": 1},
    {"fit_intercept": "no"},
    {"n_classes": 10**6},
]


@SETTINGS
@given(st.data())
def test_fit_linear_fast_fuzz(data):
    X, y, loss, params, options = _draw_case(data.draw, FAST_BAD)
    params.pop("attack_norm")  # the fast solvers take the l_inf attack only
    m = _call(fit_linear, X, y, loss=loss, **params, **options)
    if not isinstance(m, Exception):
        assert _finite(m.W) and _finite(m.b) and math.isfinite(m.objective)
        assert m.certificate is not None and _finite([m.certificate.primal, m.certificate.dual])


CVXPY_BAD = [
    {"gap_rtol": -1.0},
    {"check_rtol": math.nan},
    {"cvxpy_solver": 3},
    {"solver_options": "x"},
    {"tol": 1e-7},
]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fit_linear_cvxpy_fuzz(data):
    X, y, loss, params, options = _draw_case(data.draw, CVXPY_BAD)
    m = _call(fit_linear, X, y, loss=loss, solver="cvxpy", **params, **options)
    if not isinstance(m, Exception):
        assert _finite(m.W) and _finite(m.b) and math.isfinite(m.objective)


SGD_BAD = [
    {"lr": 0.0},
    {"batch_size": 0},
    {"n_steps": -1},
    {"rule": "x"},
    {"dtype": np.int8},
    {"n_classes": 10**6},
    {"seed": -1},
    {"init": "zeros"},
    {"sampling": "cyclic"},
]


@SETTINGS
@given(st.data())
def test_fit_sgd_attack_fuzz(data):
    X, y, loss, params, options = _draw_case(data.draw, SGD_BAD)
    sgd_loss = "logistic" if loss in ("logistic", "hinge") else ("softmax" if loss != "bogus" else loss)
    kw = {"n_steps": 5, "batch_size": 2, "seed": 0} | options
    m = _call(fit_sgd_attack, X, y, loss=sgd_loss, **params, **kw)
    if not isinstance(m, Exception):
        assert _finite(m.W) and _finite(m.b) and math.isfinite(m.objective)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(cut=st.integers(0, 10**6), flips=st.lists(st.integers(0, 10**6), max_size=4))
def test_model_load_fuzz(tmp_path_factory, cut, flips):
    """Truncated or bit-flipped model files load as the same model or fail with a ValueError naming
    the file."""
    folder = tmp_path_factory.mktemp("models")
    m = LinearModel(np.arange(6.0).reshape(3, 2), np.zeros(3), "softmax", 0.1, 0.01, math.inf, 1.0, "fast")
    path = folder / "m.npz"
    m.save(path)
    raw = bytearray(path.read_bytes())
    raw = raw[: cut % (len(raw) + 1)] if cut % 3 == 0 else raw
    for f in flips:
        if raw:
            raw[f % len(raw)] ^= 0xFF
    path.write_bytes(bytes(raw))
    out = _call(LinearModel.load, path)
    if isinstance(out, Exception):
        assert isinstance(out, ValueError) and str(path) in str(out)
    else:
        assert _finite(out.W) and out.W.shape == (3, 2)
