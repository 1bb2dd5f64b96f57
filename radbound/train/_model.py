"""The linear model object returned by every linear trainer, and its file format."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._validation import check_path
from ._certificate import DualityGap
from ._constants import BINARY_LOSSES, LOSSES, OBJECTIVE_KINDS

__all__ = ["LinearModel", "FORMAT_VERSION"]

#: Version of the ``LinearModel.save`` file format (an npz archive without pickled objects).
FORMAT_VERSION = 1
_FORMAT_NAME = "radbound.LinearModel"
_CERT_FIELDS = ("primal", "dual", "gap", "rel_gap", "theta", "bias_residual", "informative")


def _json_safe(value: Any) -> Any:
    """Diagnostics as JSON values (numbers, strings, bools, lists, dicts); anything else as its str."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_json_safe(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass(frozen=True, eq=False)
class LinearModel:
    r"""A trained linear classifier :math:`x \mapsto W x + b`.

    Attributes
    ----------
    W : ndarray
        Weights: shape ``(d,)`` for a binary model (labels in {-1, +1}, score
        :math:`\langle w, x\rangle + b`), shape ``(K, d)`` for a K-class model (row k scores the
        class ``classes[k]``).
    b : float or ndarray
        Bias: a float (binary) or shape ``(K,)``.
    loss : str
        The training loss (``"logistic"``, ``"hinge"``, ``"multiclass-hinge"``, ``"softmax"``).
    eps : float
        Training attack radius.
    lam : float
        l1 penalty weight on W.
    attack_norm : float
        Norm r of the training attack.
    objective : float
        The training objective recomputed from ``(W, b)``: the objective named by
        ``objective_kind``.
    solver : str
        ``"cvxpy"``, ``"fast"`` or ``"sgd-attack"``.
    diagnostics : Mapping
        Solver details: status, certified, iterations, time, KKT residual, ...
    objective_kind : str
        Which objective ``objective`` holds (see :data:`radbound.train.OBJECTIVE_KINDS`):
        ``"convex"`` for :func:`radbound.train.fit_linear` (equal to
        :func:`radbound.train.objective` on the same data), ``"single-target-paper"`` or
        ``"single-target-exact"`` for the paper's protocol :func:`radbound.train.fit_sgd_attack`
        with a softmax model (the cross-entropy at the single-target worst case of its rule;
        ``radbound.train.objective(..., kind=model.objective_kind)`` reproduces it).
    classes : ndarray
        The class label of each row of ``W`` (default ``0..K-1``); ``[-1, 1]`` for binary models.
    certificate : DualityGap or None
        The duality gap of the solution (convex solvers), None for the SGD protocol.
    """

    W: np.ndarray
    b: Any
    loss: str
    eps: float
    lam: float
    attack_norm: float
    objective: float
    solver: str
    diagnostics: Mapping[str, Any] = field(default_factory=dict, repr=False)
    objective_kind: str = "convex"
    classes: Any = None
    certificate: DualityGap | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "diagnostics", MappingProxyType(dict(self.diagnostics)))
        if self.objective_kind not in OBJECTIVE_KINDS:
            raise ValueError(
                f"objective_kind must be one of {list(OBJECTIVE_KINDS)}, got {self.objective_kind!r}"
            )
        if self.classes is None:
            classes = np.array([-1, 1]) if self.is_binary else np.arange(np.shape(self.W)[0])
        else:
            classes = np.asarray(self.classes)
            expected = 2 if self.is_binary else np.shape(self.W)[0]
            if classes.ndim != 1 or classes.size != expected:
                raise ValueError(
                    f"classes must be a 1-D array of length {expected}, got shape {classes.shape}"
                )
            if np.unique(classes).size != classes.size:
                raise ValueError(f"classes must be distinct, got {classes.tolist()}")
        classes = np.array(classes, dtype=np.int64)
        classes.setflags(write=False)
        object.__setattr__(self, "classes", classes)

    @property
    def is_binary(self) -> bool:
        """True for a binary model (``W`` of shape ``(d,)``)."""
        return np.ndim(self.W) == 1

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores ``X @ W.T + b``: shape ``(n,)`` (binary) or ``(n, K)``."""
        return np.asarray(X) @ np.asarray(self.W).T + self.b

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels: {-1, +1} (binary) or ``classes[argmax_k score_k]``."""
        s = self.decision_function(X)
        if self.is_binary:
            return np.where(s >= 0, 1.0, -1.0)
        return self.classes[np.argmax(s, axis=1)]

    def class_index(self, y: Any) -> np.ndarray:
        """Row indices of ``W`` for the labels ``y`` (the label vector the attacks and bounds take).

        Binary models return ``y`` as {-1, +1} floats. Raises ValueError for a label that is not
        one of ``classes``.

        Examples
        --------
        >>> import numpy as np
        >>> m = LinearModel(np.zeros((3, 2)), np.zeros(3), "softmax", 0.0, 0.0, np.inf, 0.0, "fast",
        ...                 classes=[2, 5, 9])
        >>> m.class_index([9, 2, 5]).tolist()
        [2, 0, 1]
        """
        arr = np.asarray(y)
        if arr.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {arr.shape}")
        if self.is_binary:
            if not np.isin(arr, (-1, 1)).all():
                raise ValueError("y must have entries in {-1, +1} for a binary model")
            return arr.astype(np.float64)
        pos = np.searchsorted(self.classes, arr) if np.all(np.diff(self.classes) > 0) else None
        if pos is None:
            lookup = {int(c): k for k, c in enumerate(self.classes)}
            try:
                return np.array([lookup[int(v)] for v in arr], dtype=np.int64)
            except (KeyError, ValueError, TypeError) as exc:
                raise ValueError(
                    f"y has a label outside the model's classes {self.classes.tolist()}"
                ) from exc
        pos = np.clip(pos, 0, self.classes.size - 1)
        if not np.array_equal(self.classes[pos], arr):
            bad = arr[self.classes[pos] != arr][0]
            raise ValueError(
                f"y has the label {bad!r}, not one of the model's classes {self.classes.tolist()}"
            )
        return pos.astype(np.int64)

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` as an npz archive (no pickled objects).

        The archive holds ``W``, ``b``, ``classes``, the training parameters (``loss``,
        ``objective_kind``, ``objective``, ``eps``, ``lam``, ``attack_norm``, ``solver``), the
        certificate and the diagnostics (as JSON), and the format name and version. The file is
        written under a temporary name and renamed, so a crash never leaves half a model; the
        path is used as given (no ``.npz`` is appended).

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> m = LinearModel(np.array([1.0, -2.0]), 0.5, "logistic", 0.1, 0.01, np.inf, 0.3, "fast")
        >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
        >>> m.save(path)
        >>> m2 = LinearModel.load(path)
        >>> bool(np.array_equal(m2.W, m.W)), m2.b, m2.loss, m2.eps
        (True, 0.5, 'logistic', 0.1)
        """
        path = os.fspath(path)
        cert = self.certificate
        arrays: dict[str, Any] = {
            "format": np.array(_FORMAT_NAME),
            "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
            "W": np.asarray(self.W, dtype=np.float64),
            "b": np.asarray(self.b, dtype=np.float64),
            "classes": np.asarray(self.classes, dtype=np.int64),
            "loss": np.array(self.loss),
            "objective_kind": np.array(self.objective_kind),
            "solver": np.array(self.solver),
            "params": np.array([self.eps, self.lam, self.attack_norm, self.objective], dtype=np.float64),
            "certificate": np.array(
                [] if cert is None else [float(getattr(cert, f)) for f in _CERT_FIELDS], dtype=np.float64
            ),
            "diagnostics": np.array(json.dumps(_json_safe(self.diagnostics))),
        }
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LinearModel:
        """Read a model written by :meth:`save`; a damaged or foreign file gives a ValueError naming it.

        Nothing is unpickled (``allow_pickle=False``); every member is checked (format name and
        version, shapes, finiteness, the loss and objective names) before the model is built.
        """
        path = check_path(path, "path")
        if os.path.isdir(path):
            raise ValueError(f"{path!r} is a directory, not a model file")
        if not os.path.exists(path):
            raise FileNotFoundError(f"no model file at {path!r}")
        try:
            with open(path, "rb") as fh:  # closed on every path, also when numpy gives up half-way
                npz = np.load(fh, allow_pickle=False)
                if not isinstance(npz, np.lib.npyio.NpzFile):
                    raise ValueError("an .npy array, not an npz archive")
                with npz:
                    data = {k: npz[k] for k in npz.files}
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError) as exc:
            raise ValueError(f"{path!r} is not a readable radbound model file: {exc}") from exc
        return cls._from_arrays(data, path)

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray], path: str) -> LinearModel:
        def bad(what: str) -> ValueError:
            return ValueError(f"{path!r} is not a valid radbound model file: {what}")

        required = (
            "format",
            "format_version",
            "W",
            "b",
            "classes",
            "loss",
            "objective_kind",
            "solver",
            "params",
        )
        missing = [k for k in required if k not in data]
        if missing:
            raise bad(f"missing member(s) {missing}")
        if data["format"].shape != () or str(data["format"]) != _FORMAT_NAME:
            raise bad(f"format is {data['format']!r}, expected {_FORMAT_NAME!r}")
        version = data["format_version"]
        if version.shape != () or not np.issubdtype(version.dtype, np.integer):
            raise bad("format_version must be an integer")
        if int(version) > FORMAT_VERSION or int(version) < 1:
            raise bad(
                f"format_version {int(version)} is not supported (this radbound reads 1..{FORMAT_VERSION})"
            )
        strings = {}
        for key in ("loss", "objective_kind", "solver"):
            if data[key].shape != () or data[key].dtype.kind != "U":
                raise bad(f"{key} must be a string")
            strings[key] = str(data[key])
        if strings["loss"] not in LOSSES:
            raise bad(f"loss {strings['loss']!r} is not one of {list(LOSSES)}")
        if strings["objective_kind"] not in OBJECTIVE_KINDS:
            raise bad(f"objective_kind {strings['objective_kind']!r} is not one of {list(OBJECTIVE_KINDS)}")
        W, b, classes, params = data["W"], data["b"], data["classes"], data["params"]
        for key, arr in (("W", W), ("b", b), ("params", params)):
            if arr.dtype.kind != "f":
                raise bad(f"{key} must be a float array, got dtype {arr.dtype}")
        binary = strings["loss"] in BINARY_LOSSES
        if binary and (W.ndim != 1 or b.shape != ()):
            raise bad(f"a binary model needs W of shape (d,) and a scalar b, got {W.shape} and {b.shape}")
        if not binary and (W.ndim != 2 or b.shape != (W.shape[0],)):
            raise bad(
                f"a multi-class model needs W of shape (K, d) and b of shape (K,), "
                f"got {W.shape} and {b.shape}"
            )
        if W.size == 0 or not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise bad("W and b must be non-empty and finite")
        if classes.ndim != 1 or not np.issubdtype(classes.dtype, np.integer):
            raise bad("classes must be a 1-D integer array")
        if params.shape != (4,):
            raise bad(f"params must hold (eps, lam, attack_norm, objective), got shape {params.shape}")
        eps, lam, attack_norm, objective = (float(v) for v in params)
        if not (math.isfinite(eps) and eps >= 0 and math.isfinite(lam) and lam >= 0 and attack_norm >= 1):
            raise bad(
                f"eps, lam must be finite and >= 0 and attack_norm >= 1, got {eps}, {lam}, {attack_norm}"
            )
        cert = None
        if "certificate" in data and data["certificate"].size:
            c = data["certificate"]
            if c.shape != (len(_CERT_FIELDS),) or c.dtype.kind != "f":
                raise bad(f"certificate must hold {len(_CERT_FIELDS)} numbers, got shape {c.shape}")
            primal, dual, gap, rel_gap, theta, bias_residual, informative = (float(v) for v in c)
            cert = DualityGap(
                primal=primal,
                dual=dual,
                gap=gap,
                rel_gap=rel_gap,
                theta=theta,
                bias_residual=bias_residual,
                informative=bool(informative),
            )
        diagnostics: dict[str, Any] = {}
        if "diagnostics" in data:
            if data["diagnostics"].shape != () or data["diagnostics"].dtype.kind != "U":
                raise bad("diagnostics must be a JSON string")
            try:
                diagnostics = json.loads(str(data["diagnostics"]))
            except json.JSONDecodeError as exc:
                raise bad(f"diagnostics are not valid JSON ({exc})") from exc
            if not isinstance(diagnostics, dict):
                raise bad("diagnostics must be a JSON object")
        try:
            return cls(
                W=np.array(W, dtype=np.float64),
                b=float(b) if binary else np.array(b, dtype=np.float64),
                loss=strings["loss"],
                eps=eps,
                lam=lam,
                attack_norm=attack_norm,
                objective=objective,
                solver=strings["solver"],
                diagnostics=diagnostics,
                objective_kind=strings["objective_kind"],
                classes=classes,
                certificate=cert,
            )
        except ValueError as exc:
            raise bad(str(exc)) from exc
