"""``radbound complexity`` and ``radbound bound``: complexities and bounds from the shell.

Examples (shell)::

    radbound complexity --mnist --classes 3 8 --n 200 --p 2 --radius 1 --eps 0.1 \\
        --method monte-carlo --n-draws 1000 --seed 0 --json
    radbound bound linear-adversarial --data sample.npz --eps 0.1 --form sharp
    radbound bound multiclass-adversarial --mnist --n 500 --margin 1 --eps 0.01 --p 1 --radius 0.5
    radbound bound generalization --mnist --n 1000 --margin 1 --eps 0.01 --risk adversarial \\
        --model model.npz        # or --empirical-risk 0.12
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, cast

import numpy as np

from .. import bounds
from .._lp import norm
from .._validation import check_exponent, check_random_state, read_npz
from ..attacks import ramp_risk
from ..complexity import adversarial_linear_rademacher, linear_rademacher, multiclass_rademacher
from ..data import load_mnist
from ..results import Bound, Estimate

__all__ = ["register", "load_sample"]

_BOUND_KINDS = (
    "linear-adversarial",
    "linear-natural",
    "multiclass-natural",
    "multiclass-adversarial",
    "generalization",
)


# --------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------
def load_sample(
    data: str | None, mnist: bool, classes: list[int] | None, n: int | None, seed: Any
) -> tuple[np.ndarray, np.ndarray, bool, list]:
    """Return ``(X, y, binary, original_labels)``.

    Two classes give a binary problem with labels in {-1, +1}: labels that already are {-1, +1} keep
    their sign; any other pair of labels needs ``classes`` (the first one becomes +1), so that which
    class is positive is never guessed. More classes give labels ``0..K-1`` in the order of
    ``classes`` (or of the sorted labels). ``n`` rows are drawn without replacement with ``seed`` when
    given.
    """
    if (data is None) == (not mnist):
        raise ValueError("give exactly one of --data FILE.npz and --mnist")
    if mnist:
        ds = load_mnist()
        X, y = ds.X, ds.y
    else:
        X, y = _read_data(cast(str, data))
    labels = sorted(np.unique(y).tolist()) if classes is None else list(classes)
    if classes is None and len(labels) == 2:
        if labels == [-1, 1]:
            labels = [1, -1]  # +1 stays the positive class
        else:
            raise ValueError(
                f"the data has two labels {labels}: pass --classes POS NEG to say which one is the positive "
                "class (+1); only labels already in {-1, +1} are used as they are"
            )
    if len(labels) < 2:
        raise ValueError(f"classes must name at least two classes, got {labels}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"classes must be distinct, got {labels}")
    present = set(np.unique(y).tolist())
    missing = [c for c in labels if c not in present]
    if missing:
        raise ValueError(f"classes {missing} do not occur in the data labels {sorted(present)}")
    keep = np.isin(y, labels)
    X, y = X[keep], y[keep]
    if n is not None:
        if n < 1 or n > X.shape[0]:
            raise ValueError(f"n must be in [1, {X.shape[0]}] for this data, got {n}")
        idx = np.sort(check_random_state(seed).permutation(X.shape[0])[:n])
        X, y = X[idx], y[idx]
    binary = len(labels) == 2
    if binary:
        y = np.where(y == labels[0], 1.0, -1.0)
    else:
        lookup = {c: k for k, c in enumerate(labels)}
        y = np.array([lookup[v] for v in y.tolist()], dtype=np.int64)
    return X, y, binary, labels


def _read_data(path: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from the ``--data`` npz: X of shape (n, ...) flattened to (n, d), y of shape (n,);
    every defect of the file or of the arrays is a ValueError naming the file."""
    f = read_npz(path, "--data file")
    xk = "x" if "x" in f else ("X" if "X" in f else None)
    if xk is None or "y" not in f:
        raise ValueError(f"--data file {path!r} must hold arrays 'x' (or 'X') and 'y', got {sorted(f)}")
    X, y = f[xk], f["y"]
    if X.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise ValueError(
            f"--data file {path!r}: {xk} and y must hold real numbers, got dtypes {X.dtype} and {y.dtype}"
        )
    if X.ndim < 2:
        raise ValueError(
            f"--data file {path!r}: {xk} must have shape (n, d) or (n, ...), got shape {X.shape}"
        )
    if y.ndim != 1:
        raise ValueError(f"--data file {path!r}: y must have shape (n,), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"--data file {path!r}: {xk} has {X.shape[0]} rows but y has {y.shape[0]} labels (must match)"
        )
    if X.shape[0] == 0 or X[0].size == 0:
        raise ValueError(f"--data file {path!r}: {xk} is empty (shape {X.shape})")
    X = np.asarray(X, dtype=np.float64).reshape(X.shape[0], -1)
    if not np.isfinite(X).all():
        raise ValueError(f"--data file {path!r}: {xk} must contain only finite values (found NaN or inf)")
    return X, y


def _load_model(path: str, binary: bool, d: int, labels: list) -> tuple[np.ndarray, Any]:
    """``(W, b)`` from ``path``: a file written by ``radbound.train.LinearModel.save`` (its rows are
    reordered to the CLI's class order) or any npz with an array ``W`` (and optionally ``b``)."""
    f = read_npz(path, "--model file")
    if "format" in f:  # a LinearModel file
        from ..train import LinearModel

        model = LinearModel.load(path)
        Wm, b = np.asarray(model.W, dtype=np.float64), np.asarray(model.b, dtype=np.float64)
        if not binary and model.classes is not None and len(model.classes) == len(labels):
            order = [list(np.asarray(model.classes).tolist()).index(c) for c in labels]
            Wm, b = Wm[order], b[order]
    else:
        if "W" not in f:
            raise ValueError(f"--model file {path!r} must hold an array 'W', got {sorted(f)}")
        for key in ("W", "b"):
            if key in f and f[key].dtype.kind not in "biuf":
                raise ValueError(
                    f"--model file {path!r}: {key} must hold real numbers, got dtype {f[key].dtype}"
                )
        Wm = np.asarray(f["W"], dtype=np.float64)
        b = np.asarray(f["b"], dtype=np.float64) if "b" in f else np.zeros(1 if binary else len(labels))
        if not (np.isfinite(Wm).all() and np.isfinite(b).all()):
            raise ValueError(f"--model file {path!r}: W and b must contain only finite values")
    K = len(labels)
    if binary:
        Wm = Wm.reshape(-1)
        if Wm.shape != (d,):
            raise ValueError(f"--model W must have shape ({d},) for binary data, got {Wm.shape}")
        if b.size != 1:
            raise ValueError(f"--model b must be a scalar for binary data, got shape {b.shape}")
        return Wm, float(b.reshape(-1)[0])
    if Wm.shape == (d, K):
        Wm = Wm.T
    if Wm.shape != (K, d):
        raise ValueError(f"--model W must have shape ({K}, {d}) (K, d), got {Wm.shape}")
    b = np.broadcast_to(b.reshape(-1) if b.size > 1 else b.reshape(()), (K,)).astype(np.float64)
    return Wm, b


# --------------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------------
def _finite(x: Any) -> Any:
    """A non-finite float as the string "inf", "-inf" or "nan" (strict JSON has no such numbers)."""
    if isinstance(x, (float, np.floating)) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def strict_json(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by a string (:func:`_finite`), numpy scalars and
    arrays turned into Python numbers and lists, so that ``json.dumps(..., allow_nan=False)`` holds."""
    if isinstance(obj, dict):
        return {str(k): strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return strict_json(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _finite(float(obj))
    return obj


def _estimate_json(name: str, est: Estimate, **extra: Any) -> dict:
    out = {
        "name": name,
        "value": est.value,
        "stderr": est.stderr,
        "method": est.method,
        "n_draws": est.n_draws,
        "interval": None if est.interval is None else list(est.interval),
        "delta": est.delta,
    }
    out.update(extra)
    return out


def _bound_json(b: Bound, est: Estimate | None = None) -> dict:
    return {
        "name": b.name,
        "kind": b.kind,
        "value": b.value,
        "combine": b.combine,
        "terms": dict(b.terms),
        "constants": {k: _finite(float(v)) for k, v in b.constants.items()},
        "status": b.status,
        "reference": b.reference,
        "stderr": None if est is None else est.stderr,
        "estimate_method": None if est is None else est.method,
        "notes": b.notes,
        "posthoc": None
        if b.posthoc is None
        else {
            "log_price": b.posthoc.log_price,
            "points": [
                {"name": pt.name, "value": pt.value, "grid_value": pt.grid_value, "log_price": pt.log_price}
                for pt in b.posthoc.points
            ],
        },
    }


def _print_table(header: dict, rows: list[dict], out: Any) -> None:
    for k, v in header.items():
        print(f"{k:>12}: {v}", file=out)
    print("", file=out)
    for r in rows:
        if "terms" in r:  # a bound
            label = f"{r['name']} ({r['kind']}, {r['status']})"
            print(f"{label:<52} {r['value']:>12.6g}", file=out)
            joiner = "max of" if r["combine"] == "max" else "sum of"
            print(f"    {joiner}:", file=out)
            for t, v in r["terms"].items():
                print(f"      {t:<44} {v:>12.6g}", file=out)
            if r.get("stderr"):
                print(f"    (Monte-Carlo stderr of the estimate used: {r['stderr']:.3g})", file=out)
            print(f"    source: {r['reference']}", file=out)
        else:
            se = f" ± {r['stderr']:.2g} s.e." if r["stderr"] else " (exact)"
            print(f"{r['name']:<52} {r['value']:>12.6g}{se}", file=out)
            if r.get("interval"):
                lo, hi = r["interval"]
                print(f"    {100 * (1 - r['delta']):.4g}% interval [{lo:.6g}, {hi:.6g}]", file=out)
            for k, v in r.get("extra", {}).items():
                print(f"    {k}: {v}", file=out)


def _emit(args: argparse.Namespace, header: dict, rows: list[dict]) -> int:
    out = sys.stdout
    if args.json:
        doc = strict_json({"command": args.command, **header, "results": rows})
        json.dump(doc, out, indent=2, allow_nan=False, default=str)
        print("", file=out)
    else:
        _print_table(header, rows, out)
    return 0


# --------------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------------
def _header(args, X, binary, labels) -> dict:
    return {
        "data": "mnist (bundled)" if args.mnist else args.data,
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "classes": [_finite(c) for c in labels],
        "problem": "binary" if binary else f"multi-class (K={len(labels)})",
        "p": _finite(args.p),
        "radius": args.radius,
        "eps": args.eps,
        "attack_norm": _finite(args.attack_norm),
    }


def _seeds(seed: int) -> tuple[np.random.Generator, np.random.SeedSequence]:
    """Split ``--seed`` (SeedSequence.spawn): a Generator for the subsample, a seed for the sign draws.

    Every estimator of one command gets ``default_rng`` of the same draw seed, so they average over
    the same sign vectors, independent of the subsample.
    """
    sample_ss, draws_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(sample_ss), draws_ss


def _resolve_radius(args: argparse.Namespace, *, model_bound: bool) -> None:
    """``--radius`` default: ``auto`` for a generalization bound of a given model, else 1; ``auto`` and
    ``--margin auto`` exist only there (they read the model's own values)."""
    if args.radius is None:
        args.radius = "auto" if model_bound else 1.0
    if not model_bound:
        if args.radius == "auto":
            raise ValueError("--radius auto is the model's own norm: it needs `bound generalization --model`")
        if getattr(args, "margin", None) == "auto":
            raise ValueError("--margin auto needs `bound generalization --model FILE --radius auto`")


def _run_complexity(args: argparse.Namespace) -> int:
    _resolve_radius(args, model_bound=False)
    sample_rng, draws = _seeds(args.seed)
    X, y, binary, labels = load_sample(args.data, args.mnist, args.classes, args.n, sample_rng)
    common = {"p": args.p, "radius": args.radius, "method": args.method, "n_draws": args.n_draws}
    rows = []
    if binary:
        nat = linear_rademacher(X, seed=np.random.default_rng(draws), **common)
        rows.append(_estimate_json("natural R_S(F)", nat))
        adv = adversarial_linear_rademacher(
            X, y, eps=args.eps, attack_norm=args.attack_norm, seed=np.random.default_rng(draws), **common
        )
        rows.append(
            _estimate_json(
                "adversarial R_S(F~)",
                adv,
                extra={"natural on the same draws": adv.natural},
            )
        )
    else:
        est = multiclass_rademacher(X, y, seed=np.random.default_rng(draws), **common)
        per = [round(v, 6) for v in est.per_class]
        rows.append(
            _estimate_json(
                "multi-class (W/n) sum_k E||sum_{y_i=k} sigma_i x_i||_q",
                est,
                extra={"per-class E_k": per, "full-sample E||sum_i sigma_i x_i||_q": est.full},
            )
        )
    return _emit(args, _header(args, X, binary, labels), rows)


def _run_bound(args: argparse.Namespace) -> int:
    _resolve_radius(args, model_bound=args.kind == "generalization" and args.model is not None)
    sample_rng, draws = _seeds(args.seed)
    X, y, binary, labels = load_sample(args.data, args.mnist, args.classes, args.n, sample_rng)
    est_kw = {"method": args.method, "n_draws": args.n_draws, "seed": draws}
    kind = args.kind
    rows: list[dict] = []
    pw = {"p": args.p, "radius": args.radius}
    if kind in ("linear-adversarial", "linear-natural") and not binary:
        raise ValueError(f"bound {kind} needs a binary problem (two classes), got K={len(labels)}")
    if kind.startswith("multiclass") and binary:
        y = (y < 0).astype(np.int64)  # +1 -> class 0, -1 -> class 1
    if kind == "linear-natural":
        for form in ("massart", "frobenius", "max-row") if args.p == 1.0 else ("frobenius", "max-row"):
            rows.append(_bound_json(bounds.linear_rademacher_bound(X, form=form, **pw)))
        rows.append(_bound_json(bounds.linear_rademacher_lower_bound(X, **pw)))
    elif kind == "linear-adversarial":
        kw = {"eps": args.eps, "attack_norm": args.attack_norm, **pw}
        est: Estimate | None = None
        if args.complexity == "closed-form":
            comp: Any = "closed-form"
        else:
            comp = est = adversarial_linear_rademacher(
                X, y, eps=args.eps, attack_norm=args.attack_norm, **pw, **_est(est_kw, args)
            )
            rows.append(_estimate_json("adversarial R_S(F~)", est))
        lower_form = "sharp" if args.form == "sharp-sqrt" else args.form
        rows.append(
            _bound_json(
                bounds.adversarial_linear_lower_bound(X, form=lower_form, c=args.c, complexity=comp, **kw),
                est,
            )
        )
        rows.append(
            _bound_json(bounds.adversarial_linear_upper_bound(X, form=args.form, complexity=comp, **kw), est)
        )
    elif kind in ("multiclass-natural", "multiclass-adversarial"):
        b, est = _multiclass_bound(args, X, y, kind == "multiclass-adversarial", est_kw)
        rows.append(_bound_json(b, est))
    else:
        rows.extend(_generalization_rows(args, X, y, binary, est_kw, labels))
    return _emit(args, _header(args, X, binary, labels), rows)


def _m(args: argparse.Namespace) -> str:
    return args.method if args.complexity in ("auto", "closed-form") else args.complexity


def _est(est_kw: dict, args: argparse.Namespace) -> dict:
    """Estimator keywords: the method of ``--complexity`` and a fresh Generator of the draw seed."""
    return est_kw | {"method": _m(args), "seed": np.random.default_rng(est_kw["seed"])}


def _multiclass_bound(args, X, y, adversarial: bool, est_kw: dict) -> tuple[Bound, Estimate]:
    if args.margin is None:
        raise ValueError("margin is required for the multi-class bounds (--margin GAMMA > 0)")
    est = multiclass_rademacher(X, y, p=args.p, radius=args.radius, **_est(est_kw, args))
    kw = {
        "margin": args.margin,
        "p": args.p,
        "radius": args.radius,
        "leading_constant": args.leading_constant,
    }
    if adversarial:
        b = bounds.multiclass_adversarial_bound(
            X, y, eps=args.eps, attack_norm=args.attack_norm, complexity=est, **kw
        )
    else:
        b = bounds.multiclass_natural_bound(X, y, complexity=est, **kw)
    return b, est


def _generalization_rows(args, X, y, binary: bool, est_kw: dict, labels: list) -> list[dict]:
    adversarial = args.risk == "adversarial"
    eps = args.eps if adversarial else 0.0
    if args.margin is None:
        raise ValueError("margin is required for the generalization bound (--margin GAMMA > 0, ramp loss)")
    if (args.empirical_risk is None) == (args.model is None):
        raise ValueError("give exactly one of --empirical-risk R and --model FILE.npz")
    if args.model is None and ("auto" in (args.radius, args.margin)):
        raise ValueError("--radius auto and --margin auto read the model's own values: they need --model")
    if args.margin == "auto" and args.radius != "auto":
        raise ValueError(
            "--margin auto needs --radius auto (both are then paid for by the post-hoc union bound)"
        )
    if args.model is not None:
        Wm, b = _load_model(args.model, binary, X.shape[1], labels)
        if args.radius == "auto":
            # the model's own radius and margin, paid for by a union bound over a grid (post-hoc)
            comp = "closed-form" if args.complexity == "closed-form" else _m(args)
            seed = np.random.default_rng(est_kw["seed"])
            g = bounds.model_generalization(
                (Wm, b),
                X,
                y,
                margin=args.margin,
                eps=eps,
                attack_norm=args.attack_norm,
                p=args.p,
                delta=args.delta,
                complexity=comp,
                n_draws=args.n_draws,
                seed=seed,
                posthoc=args.posthoc,
            )
            return [_bound_json(g)]
        if np.any(np.asarray(b) != 0):  # a fixed radius with a bias: fold it into a constant feature
            X = np.hstack([X, np.ones((X.shape[0], 1))])
            Wm = np.append(Wm, b) if binary else np.hstack([Wm, np.asarray(b)[:, None]])
        wnorm = float(np.max(norm(np.atleast_2d(Wm), args.p)))
        if wnorm > args.radius * (1 + 1e-12):
            raise ValueError(
                f"radius={args.radius!r} is below the model's norm max_k ||w_k||_p = {wnorm:.6g}; "
                "pass --radius >= that value, or --radius auto"
            )
        risk = ramp_risk(Wm, None, X, y, margin=args.margin, eps=eps, attack_norm=args.attack_norm)
    else:
        risk = args.empirical_risk
    gkw = {"delta": args.delta, "risk": args.risk, "posthoc": args.posthoc}
    rows = []
    if binary and args.complexity == "closed-form":
        upper = bounds.adversarial_linear_upper_bound(
            X,
            eps=eps,
            p=args.p,
            radius=args.radius,
            attack_norm=args.attack_norm,
            form="sharp",
            complexity="closed-form",
        )
        rows.append(_bound_json(upper))
        g = bounds.generalization(risk, upper, X.shape[0], margin=args.margin, **gkw)
        est: Estimate | None = None
    elif binary:  # the exact (or Monte-Carlo) adversarial complexity itself, the tightest input
        est = adversarial_linear_rademacher(
            X,
            y,
            eps=eps,
            attack_norm=args.attack_norm,
            p=args.p,
            radius=args.radius,
            **_est(est_kw, args),
        )
        rows.append(_estimate_json("adversarial R_S(F~)" if adversarial else "natural R_S(F)", est))
        g = bounds.generalization(risk, est, X.shape[0], margin=args.margin, **gkw)
    else:
        # the multi-class bound holds the margin: with posthoc it is rounded down to the grid and its
        # grid point is paid here (the ramp risk at the given margin bounds the one at the grid margin)
        grid = bounds.DEFAULT_GRID
        point = grid.down("gamma", args.margin) if args.posthoc else None
        margin = point.grid_value if point is not None else args.margin
        args_eps = argparse.Namespace(**{**vars(args), "eps": eps, "margin": margin})
        b_, est = _multiclass_bound(args_eps, X, y, adversarial, est_kw)
        rows.append(_bound_json(b_, est))
        g = _multiclass_generalization(risk, b_, X.shape[0], grid.price([point]) if point else None, args)
        if not args.posthoc:
            bounds._posthoc.warn_fixed_class("the margin")
    rows.append(_bound_json(g, est))
    return rows


def _multiclass_generalization(risk: float, b: Bound, n: int, price: Any, args: argparse.Namespace) -> Bound:
    """generalization() for a multi-class bound that already holds the margin (rounded down to the grid
    when ``price`` is given)."""
    from ..bounds.generalization import _generalization

    return _generalization(
        risk,
        b,
        n,
        loss_range=1.0,
        delta=args.delta,
        margin=None,
        risk=args.risk,
        mc_range=None,
        posthoc=args.posthoc,
        grid=None,
        extra_price=price,
    )


# --------------------------------------------------------------------------------------------------
# registration
# --------------------------------------------------------------------------------------------------
def _float_or_auto(text: str) -> float | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None


def _float_or_inf(text: str) -> float:
    try:
        return check_exponent(text if text.lower() in ("inf", "infinity") else float(text), "value")
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_common(sp: argparse.ArgumentParser) -> None:
    src = sp.add_argument_group("data")
    src.add_argument("--data", metavar="FILE.npz", help="npz file with arrays x (n, d) and y (n,)")
    src.add_argument("--mnist", action="store_true", help="the bundled 10,000 MNIST digits")
    src.add_argument("--classes", type=int, nargs="+", metavar="LABEL", help="classes to keep (2 -> binary)")
    src.add_argument("--n", type=int, help="number of samples drawn (seeded) from the data")
    cls = sp.add_argument_group("class")
    cls.add_argument("--p", type=_float_or_inf, default=2.0, help="weight norm p in [1, inf] (default 2)")
    cls.add_argument(
        "--radius",
        type=_float_or_auto,
        default=None,
        help="W, bound on ||w||_p (default 1; with --model: auto, the model's own norm, paid for by the "
        "post-hoc union bound)",
    )
    cls.add_argument("--eps", type=float, default=0.0, help="attack radius (default 0)")
    cls.add_argument(
        "--attack-norm", type=_float_or_inf, default=math.inf, help="r of the l_r attack (default inf)"
    )
    est = sp.add_argument_group("estimation")
    est.add_argument(
        "--method",
        choices=("auto", "exact", "monte-carlo"),
        default="auto",
        help="exact: all 2^n sign vectors (n <= 30; progress on stderr when long); monte-carlo: "
        "--n-draws random ones; auto (default): exact for n <= 20",
    )
    est.add_argument("--n-draws", type=int, default=None, help="Monte-Carlo sign vectors (default 2000)")
    est.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed, split into one stream for the subsample and one for the sign draws (default 0)",
    )
    sp.add_argument("--json", action="store_true", help="print JSON instead of a table")


def register(subparsers: Any) -> None:
    """Add the ``complexity`` and ``bound`` sub-commands to an argparse ``subparsers`` object."""
    sp = subparsers.add_parser(
        "complexity",
        help="empirical Rademacher complexities of linear classes (exact or Monte Carlo)",
        description="Natural and adversarial Rademacher complexities of l_p-ball linear classes "
        "(binary), or the per-class expectations of the multi-class class.",
    )
    _add_common(sp)
    sp.set_defaults(func=_run_complexity)

    bp = subparsers.add_parser(
        "bound",
        help="bounds with their terms, constants and sources",
        description="Compute a bound (radbound.bounds) and print its value, named terms and source.",
    )
    bp.add_argument("kind", choices=_BOUND_KINDS, help="which bound")
    _add_common(bp)
    bp.add_argument(
        "--margin",
        type=_float_or_auto,
        default=None,
        help="margin gamma of the ramp loss (with --model --radius auto: 'auto' picks the best grid margin)",
    )
    bp.add_argument(
        "--posthoc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pay for data-dependent quantities (the model's radius, the margin) with a union bound over a "
        "grid (default); --no-posthoc gives the fixed-class bound, not valid for a trained model",
    )
    bp.add_argument(
        "--form", choices=("paper", "sharp", "sharp-sqrt"), default="paper", help="linear bound form"
    )
    bp.add_argument(
        "--c", type=float, default=1 / (2 * math.sqrt(2)), help="constant of the paper's lower bound"
    )
    bp.add_argument(
        "--leading-constant", type=float, default=2.0, help="C of the multi-class bounds (default 2)"
    )
    bp.add_argument(
        "--complexity",
        choices=("auto", "exact", "monte-carlo", "closed-form"),
        default="auto",
        help="how R_S(F) enters the linear bounds",
    )
    bp.add_argument("--empirical-risk", type=float, default=None, help="empirical (ramp) risk R_n")
    bp.add_argument(
        "--model", default=None, metavar="FILE.npz", help="linear model (array W, no bias) for R_n"
    )
    bp.add_argument(
        "--risk",
        choices=("natural", "adversarial"),
        default="natural",
        help="generalization: the risk bounded, natural or adversarial at --eps (default natural)",
    )
    bp.add_argument(
        "--delta",
        type=float,
        default=0.05,
        help="failure probability: the bound holds with probability >= 1 - delta (default 0.05)",
    )
    bp.set_defaults(func=_run_bound)
