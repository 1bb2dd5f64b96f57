"""``radbound certify``: certified robust accuracy of a saved network (or linear model) from the shell.

Examples (shell)::

    radbound certify --model net.npz --mnist --n 1000 --eps 0.1 --method ibp crown --clip 0 1
    radbound certify --model W.npz --data sample.npz --eps 0.05 --attack-norm 2 --json

``--model`` reads a :class:`radbound.networks.Network` written by ``Network.save_npz``, a
:class:`radbound.train.LinearModel` written by ``LinearModel.save`` (its class labels are used), or
a linear model stored as arrays ``W`` (``(K, d)``, or ``(d,)`` for binary data) and optionally ``b``.
Data loading follows ``radbound complexity`` (``--data FILE.npz`` with arrays ``x``/``y``, or
``--mnist``; ``--classes``, ``--n``, ``--seed``).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np

from .._validation import read_npz
from ._complexity import _emit, _finite, load_sample

__all__ = ["register", "load_model"]


def load_model(path: str) -> Any:
    """A Network (``Network.save_npz``), a LinearModel (``LinearModel.save``) or ``(W, b)`` from an npz."""
    from ..networks import Network

    f = read_npz(path, "--model file")
    if "format" in f and "spec" not in f:
        from ..train import LinearModel

        return LinearModel.load(path)
    if "spec" not in f:
        if "W" not in f:
            raise ValueError(
                f"--model must be a Network written by Network.save_npz, a LinearModel written by "
                f"LinearModel.save, or hold an array 'W', got arrays {sorted(f)}"
            )
        for key in ("W", "b"):
            if key in f and f[key].dtype.kind not in "biuf":
                raise ValueError(
                    f"--model file {path!r}: {key} must hold real numbers, got dtype {f[key].dtype}"
                )
        W = np.asarray(f["W"], dtype=np.float64)
        b = np.asarray(f["b"], dtype=np.float64) if "b" in f else None
        return W, b
    return Network.from_npz(path)


def _labels_for(model: Any, y: np.ndarray, binary: bool, labels: list) -> np.ndarray:
    """Labels in the model's convention: 0..K-1 for K >= 2 outputs, {-1, +1} for one output, a
    LinearModel's own class labels."""
    if hasattr(model, "classes") and hasattr(model, "class_index"):
        if model.is_binary:
            if not binary:
                raise ValueError(f"the model is binary, but the data have {len(labels)} classes")
            return y
        return np.asarray(labels)[y] if not binary else np.where(y > 0, labels[0], labels[1])
    outputs = (
        model.output_dim if hasattr(model, "output_dim") else (1 if np.ndim(model[0]) == 1 else len(model[0]))
    )
    if outputs == 1:
        if not binary:
            raise ValueError(f"the model has one output (binary), but the data have {len(labels)} classes")
        return y
    if binary:  # the data loader maps the first class to +1: go back to the class values
        y = np.where(y > 0, labels[0], labels[1]).astype(np.int64)
    else:
        y = np.asarray(labels)[y].astype(np.int64)
    if y.min() < 0 or y.max() >= outputs:
        raise ValueError(
            f"class labels must be in 0..{outputs - 1} for a model with {outputs} outputs, "
            f"got {sorted(set(labels))}"
        )
    return y


def _run(args: argparse.Namespace) -> int:
    from ..certify import certify

    model = load_model(args.model)
    X, y, binary, labels = load_sample(args.data, args.mnist, args.classes, args.n, args.seed)
    y = _labels_for(model, y, binary, labels)
    clip = None if args.clip is None else (float(args.clip[0]), float(args.clip[1]))
    rows: list[dict] = []
    natural = certify(model, X, y, eps=0.0, method="ibp")
    rows.append({"method": "natural (eps = 0)", "certified_accuracy": natural.certified_accuracy})
    for method in args.method:
        start = time.perf_counter()
        cm = certify(
            model,
            X,
            y,
            eps=args.eps,
            attack_norm=args.attack_norm,
            method=method,
            clip=clip,
            intermediate=args.intermediate,
        )
        rows.append(
            {
                "method": method,
                "certified_accuracy": cm.certified_accuracy,
                "mean_margin": float(np.mean(cm.margins)),
                "exact": cm.exact,
                "intermediate": list(cm.intermediate),
                "seconds": round(time.perf_counter() - start, 3),
                "statement": cm.statement,
            }
        )
    header = {
        "model": args.model,
        "data": "mnist (bundled)" if args.mnist else args.data,
        "n": int(X.shape[0]),
        "eps": args.eps,
        "attack_norm": _finite(args.attack_norm),
        "clip": None if clip is None else list(clip),
    }
    if args.json:
        return _emit(args, header, rows)
    for k, v in header.items():
        print(f"{k:>12}: {v}")
    print("")
    print(f"{'method':<20} {'certified accuracy':>18} {'mean margin':>12} {'seconds':>8}")
    for r in rows:
        margin = f"{r['mean_margin']:>12.4g}" if "mean_margin" in r else f"{'':>12}"
        secs = f"{r['seconds']:>8.2f}" if "seconds" in r else f"{'':>8}"
        label = r["method"] + (" (exact)" if r.get("exact") else "")
        print(f"{label:<20} {r['certified_accuracy']:>18.4f} {margin} {secs}")
    print("\ncertified accuracy <= robust accuracy <= accuracy under any attack.")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``certify`` sub-command to an argparse ``subparsers`` object."""
    sp = subparsers.add_parser(
        "certify",
        help="certified robust accuracy of a saved network (IBP, CROWN, SDP, Lipschitz)",
        description="Certified lower bounds on the adversarial margins of a saved network or linear "
        "model (radbound.certify.certify): the fraction of certified samples is a lower "
        "bound on the robust accuracy that no attack can beat.",
    )
    sp.add_argument(
        "--model",
        required=True,
        metavar="FILE.npz",
        help="Network.save_npz or LinearModel.save file, or arrays W, b",
    )
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="FILE.npz", help="arrays x (or X) and y")
    src.add_argument("--mnist", action="store_true", help="the bundled 10,000 MNIST digits")
    sp.add_argument("--classes", type=int, nargs="+", default=None, help="keep these classes")
    sp.add_argument("--n", type=int, default=None, help="certify n samples drawn with --seed")
    sp.add_argument("--seed", type=int, default=0, help="seed of the subsample")
    sp.add_argument("--eps", type=float, required=True, help="attack radius")
    sp.add_argument(
        "--attack-norm", type=float, default=math.inf, help="attack norm r in [1, inf] (default inf)"
    )
    sp.add_argument(
        "--method",
        nargs="+",
        choices=("ibp", "crown", "sdp", "lipschitz"),
        default=["ibp", "crown"],
        help="certificates (lipschitz: natural margin minus a global Lipschitz shift, any architecture)",
    )
    sp.add_argument("--clip", type=float, nargs=2, metavar=("LO", "HI"), default=None, help="pixel box")
    sp.add_argument(
        "--intermediate",
        choices=("auto", "crown", "ibp"),
        default="auto",
        help="CROWN's hidden-layer bounds (see certified_margins)",
    )
    sp.add_argument("--json", action="store_true", help="print JSON")
    sp.set_defaults(func=_run)
