"""Soundness of the certified margins: never above the worst case, exact on linear models.

Three checks, each printed as the largest excess of a certified margin over its reference
(relative to 1 + |reference|), against a tolerance:

* linear models (K = 2, 3, 10 classes and a one-output model; l_1, l_2, l_inf attacks; l_inf with
  the pixel box): every method must equal the closed-form worst case
  (``radbound.attacks.adversarial_margins`` / ``linear_worst_case``) to 1e-9;
* tiny networks (the architectures of the tests: MLPs, a CNN with circular padding and
  max-pooling): certified <= the exact worst case, by enumeration of activation patterns with one
  linear / cone program each (``tests/_exact_margins.py``, scipy HiGHS and cvxpy, independent of
  ``radbound.certify``), to the solvers' 1e-7;
* MNIST-sized networks (an MLP 784-128-64-10 and a CNN conv-ReLU-maxpool-conv-ReLU-dense, torch
  initialisation, trained for 200 Adam steps so that margins are not all negative): certified <=
  the margin found by PGD (``radbound.attacks.pgd``, margin loss, 3 restarts), which is an upper
  bound on the worst case, to 1e-6 (float64 PGD, float64 certificates).

The baseline in the same run is the reference computation (closed form, enumeration, PGD); its
time is printed beside the certificate's. Exits 1 when any check fails.

Run: ``python benchmarks/bench_certify_soundness.py`` (needs torch for the third check).
"""

from __future__ import annotations

import math
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from _exact_margins import exact_margins  # noqa: E402

from radbound.attacks import adversarial_margins, linear_worst_case  # noqa: E402
from radbound.certify import certified_margins  # noqa: E402
from radbound.networks import Conv2d, Dense, Flatten, MaxPool2d, Network, ReLU  # noqa: E402

INF = math.inf


def excess(cert, ref):
    """Largest (certified - reference) / (1 + |reference|); <= 0 means sound."""
    cert, ref = np.asarray(cert, float), np.asarray(ref, float)
    return float(np.max((cert - ref) / (1.0 + np.abs(ref))))


def check_linear() -> float:
    rng = np.random.default_rng(0)
    worst = 0.0
    t_cert = t_ref = 0.0
    settings = 0
    for K in (1, 2, 3, 10):
        W = rng.normal(size=(K, 20)) if K > 1 else rng.normal(size=20)
        b = rng.normal(size=K) if K > 1 else 0.3
        X = rng.uniform(0, 1, size=(50, 20))
        y = rng.integers(0, K, 50) if K > 1 else rng.choice([-1.0, 1.0], 50)
        for p, clip in ((1.0, None), (2.0, None), (INF, None), (INF, (0.0, 1.0))):
            t = time.perf_counter()
            if clip is None:
                ref = adversarial_margins(W, b, X, y, eps=0.1, attack_norm=p)
            else:
                ref = linear_worst_case(W, b, X, y, eps=0.1, clip=clip).margins
            t_ref += time.perf_counter() - t
            for method in ("ibp", "crown", "sdp"):
                if clip is not None and method == "sdp":
                    continue
                t = time.perf_counter()
                m = certified_margins((W, b), X, y, eps=0.1, attack_norm=p, method=method, clip=clip)
                t_cert += time.perf_counter() - t
                worst = max(worst, float(np.max(np.abs(m - ref) / (1.0 + np.abs(ref)))))
                settings += 1
    print(
        f"linear models, {settings} (model, norm, box, method) settings x 50 samples: "
        f"max |certified - exact| / (1 + |exact|) = {worst:.2e}  "
        f"(certificates {t_cert:.2f} s, closed form {t_ref:.2f} s)"
    )
    return worst


def tiny_networks() -> list[tuple[str, Network, float]]:
    rng = np.random.default_rng(1)

    def mlp(d, widths, K):
        layers, prev = [], d
        for w in widths:
            layers += [Dense(rng.normal(size=(w, prev)), rng.normal(size=w)), ReLU()]
            prev = w
        return Network([*layers, Dense(rng.normal(size=(K, prev)), rng.normal(size=K))], (d,))

    conv = Conv2d(
        rng.normal(size=(2, 1, 2, 2)), rng.normal(size=2), padding=1, stride=2, padding_mode="circular"
    )
    head = Network([conv, ReLU(), MaxPool2d(2, 1)], (1, 3, 3))
    out = int(np.prod(head.shapes[-1]))
    cnn = Network([*head.layers, Flatten(), Dense(rng.normal(size=(3, out)), rng.normal(size=3))], (1, 3, 3))
    return [
        ("MLP 2-4-3", mlp(2, [4], 3), 0.4),
        ("MLP 3-4-3-3", mlp(3, [4, 3], 3), 0.3),
        ("CNN 3x3 circular + maxpool", cnn, 0.2),
    ]


def check_tiny() -> float:
    rng = np.random.default_rng(2)
    worst = -INF
    t_cert = t_ref = 0.0
    for name, net, eps in tiny_networks():
        X = rng.uniform(0, 1, size=(6, net.input_dim))
        y = rng.integers(0, net.output_dim, 6)
        for p, clip in ((INF, None), (INF, (0.0, 1.0)), (2.0, None)):
            t = time.perf_counter()
            ref = exact_margins(net, X, y, eps, norm=p, clip=clip)
            t_ref += time.perf_counter() - t
            for method in ("ibp", "crown"):
                t = time.perf_counter()
                m = certified_margins(net, X, y, eps=eps, attack_norm=p, method=method, clip=clip)
                t_cert += time.perf_counter() - t
                worst = max(worst, excess(m, ref))
        print(f"  {name}: checked (l_inf, l_inf + box, l_2; IBP and CROWN)")
    print(
        f"tiny networks vs exact enumeration: max (certified - exact) / (1 + |exact|) = {worst:.2e}  "
        f"(certificates {t_cert:.2f} s, enumeration {t_ref:.2f} s)"
    )
    return worst


def check_mnist() -> float | None:
    try:
        import torch
    except ImportError:
        print("torch is not installed: the PGD check on MNIST-sized networks is skipped")
        return None
    from radbound.attacks import pgd
    from radbound.data import load_mnist

    torch.manual_seed(0)
    nn = torch.nn
    mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, stride=2, padding=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )
    ds = load_mnist()
    X, y = ds.X[:2000].astype(np.float64), ds.y[:2000].astype(np.int64)
    worst = -INF
    for name, module, shape in (("MLP 784-128-64-10", mlp, (784,)), ("CNN 8/16 channels", cnn, (1, 28, 28))):
        module = module.double()
        Xt, yt = torch.tensor(X.reshape(-1, *shape)), torch.tensor(y)
        opt = torch.optim.Adam(module.parameters(), lr=1e-3)
        for step in range(200):  # a little training: margins of both signs
            idx = slice((step * 100) % 1900, (step * 100) % 1900 + 100)
            opt.zero_grad()
            nn.functional.cross_entropy(module(Xt[idx]), yt[idx]).backward()
            opt.step()
        module.eval()
        net = Network.from_torch(module, shape)
        Xs, ys = X[1900:2000].reshape(-1, *shape), y[1900:2000]
        natural = certified_margins(net, Xs, ys, eps=0.0, method="ibp")
        print(f"  {name}: natural accuracy on the 100 held-out images {np.mean(natural > 0):.2f}")
        for eps, p in ((0.02, INF), (0.5, 2.0)):
            t = time.perf_counter()
            attack = pgd(
                module,
                torch.tensor(Xs),
                torch.tensor(ys),
                eps=eps,
                attack_norm=p,
                steps=50,
                restarts=3,
                loss="margin",
                clip=(0.0, 1.0),
                seed=0,
            )
            upper = np.asarray(
                attack.margins.detach().numpy() if hasattr(attack.margins, "detach") else attack.margins
            )
            t_ref = time.perf_counter() - t
            for method in ("ibp", "crown"):
                t = time.perf_counter()
                m = certified_margins(net, Xs, ys, eps=eps, attack_norm=p, method=method, clip=(0.0, 1.0))
                t_cert = time.perf_counter() - t
                worst = max(worst, excess(m, upper))
                r = "inf" if math.isinf(p) else f"{p:g}"
                print(
                    f"  {name}, l_{r} eps {eps}: {method:>5} certified {np.mean(m > 0):.2f}, "
                    f"PGD robust {np.mean(upper > 0):.2f}, "
                    f"max (certified - PGD) {float(np.max(m - upper)):.2e}  "
                    f"(certificate {t_cert:.2f} s, PGD {t_ref:.2f} s)"
                )
    print(f"MNIST-sized networks vs PGD: max (certified - PGD) / (1 + |PGD|) = {worst:.2e}")
    return worst


def main() -> int:
    ok = True
    lin = check_linear()
    ok &= lin <= 1e-9
    print(f"goal: linear models exact to 1e-9: {'met' if lin <= 1e-9 else 'MISSED'}")
    tiny = check_tiny()
    ok &= tiny <= 1e-7
    status = "met" if tiny <= 1e-7 else "MISSED"
    print(f"goal: no certified margin above the exact one (tolerance 1e-7): {status}")
    big = check_mnist()
    if big is not None:
        ok &= big <= 1e-6
        print(f"goal: no certified margin above PGD's (tolerance 1e-6): {'met' if big <= 1e-6 else 'MISSED'}")
    print("ALL GOALS MET" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
