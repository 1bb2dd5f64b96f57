# %% [markdown]
# # 06 · Certified vs attacked: lower bounds on robustness that no attack can break
#
# An attack searches the ball $B_\infty(x, \epsilon)$ for a misclassified point. If it finds one,
# the point is not robust; if it does not, we know nothing: the attack may have missed. Its
# accuracy is an **upper** bound on the robust accuracy. A **certificate** is a proof: a lower bound
# $m \le \min_{x' \in B(x,\epsilon)} \big(f_y(x') - \max_{k\ne y} f_k(x')\big)$ on the adversarial
# margin, so $m > 0$ guarantees that no perturbation of size $\epsilon$ changes the prediction. Its
# accuracy is a **lower** bound:
#
# $$
# \text{certified accuracy} \le \text{robust accuracy} \le \text{accuracy under an attack}.
# $$
#
# `radbound.certify.certified_margins` computes certificates by interval bound propagation (IBP)
# and by backward linear relaxation (CROWN), one lower bound per image; `radbound.certify.certify`
# returns the same margins with what was certified and how. On linear models they are exact. This
# notebook runs on numpy only.

# %%
# One BLAS thread: these notebooks multiply small matrices, where several threads only compete.
from threadpoolctl import threadpool_limits

threadpool_limits(1)

# %%
# Raise SCALE (e.g. to 3) for a larger training set and longer training.
SCALE = 1

import matplotlib.pyplot as plt
import numpy as np

from radbound.attacks import adversarial_margins, pgd_linear
from radbound.certify import certified_margins, certify, certify_smoothed, local_linearity
from radbound.data import load_mnist
from radbound.networks import Network
from radbound.train import fit_linear

mnist = load_mnist()
pool, test = mnist.split(2000, seed=0)
train = pool.subset(np.arange(1000 * SCALE))
Xtr, Xte = train.X, test.X[:500]
ytr, yte = train.y, test.y[:500]

# %% [markdown]
# ## 1. Linear models: the certificate is the exact worst case
#
# For $f(x) = Wx + b$ the worst case over the $\ell_\infty$ ball has a closed form,
# $\min_k (w_y - w_k)^\top x + b_y - b_k - \epsilon\|w_y - w_k\|_1$. Both certificates fold the margin
# into the linear layer and return exactly this number; PGD can only find larger margins.

# %%
model = fit_linear(Xtr, ytr, eps=0.01, lam=0.001, loss="softmax")
exact = adversarial_margins(model.W, model.b, Xte, yte, eps=0.05)
pgd = pgd_linear(model.W, model.b, Xte, yte, eps=0.05, seed=0).margins
for method in ("ibp", "crown"):
    cm = certify(model, Xte, yte, eps=0.05, method=method)
    agree = bool(np.allclose(cm.margins, exact, rtol=0, atol=1e-12))  # float64 round-off, margins of size ~1
    print(f"{method}: exact = {cm.exact}, equal to the exact margins up to 1e-12: {agree}")
print(f"PGD margin >= exact margin on every image: {bool(np.all(pgd >= exact - 1e-12))}")
print(f"robust accuracy at eps = 0.05: exact {np.mean(exact > 0):.3f}, under PGD {np.mean(pgd > 0):.3f}")

# %% [markdown]
# ## 2. A ReLU network: certified, attacked, and the gap between them
#
# A 784–64–10 network trained by a few lines of numpy SGD. For it the worst case is out of reach;
# we compare the certificates with a PGD attack on the margin (signed-gradient steps, the gradient
# written by hand for this two-layer network).


# %%
def train_mlp(X, y, hidden, steps, *, lr=0.2, batch=100, seed=0):
    """Minibatch SGD on the cross-entropy of x -> A2 relu(A1 x + b1) + b2."""
    rng = np.random.default_rng(seed)
    d, K = X.shape[1], int(y.max()) + 1
    A1, b1 = rng.normal(size=(hidden, d)) * np.sqrt(2.0 / d), np.zeros(hidden)
    A2, b2 = rng.normal(size=(K, hidden)) * np.sqrt(1.0 / hidden), np.zeros(K)
    for _ in range(steps):
        idx = rng.choice(len(X), size=batch, replace=False)
        xb, yb = X[idx], y[idx]
        h = np.maximum(xb @ A1.T + b1, 0.0)
        z = h @ A2.T + b2
        g = np.exp(z - z.max(axis=1, keepdims=True))
        g /= g.sum(axis=1, keepdims=True)
        g[np.arange(batch), yb] -= 1.0
        g /= batch
        gh = (g @ A2) * (h > 0)
        A2 -= lr * g.T @ h
        b2 -= lr * g.sum(axis=0)
        A1 -= lr * gh.T @ xb
        b1 -= lr * gh.sum(axis=0)
    return A1, b1, A2, b2


A1, b1, A2, b2 = train_mlp(Xtr, ytr, hidden=64, steps=3000 * SCALE)
net = Network.from_arrays([A1, A2], biases=[b1, b2])


def margins(X, y):
    z = net.forward(X)
    other = np.where(np.eye(10, dtype=bool)[y], -np.inf, z)
    return z[np.arange(len(y)), y] - other.max(axis=1)


def pgd_margins(X, y, eps, steps=40):
    """Best margin found by signed-gradient descent from a random start in the box."""
    rng = np.random.default_rng(0)
    x = X + rng.uniform(-eps, eps, size=X.shape)
    best = margins(x, y)
    for _ in range(steps):
        z = net.forward(x)
        k = np.where(np.eye(10, dtype=bool)[y], -np.inf, z).argmax(axis=1)
        active = (x @ A1.T + b1) > 0
        grad = ((A2[y] - A2[k]) * active) @ A1  # gradient of z_y - z_k
        x = np.clip(x - eps / 10 * np.sign(grad), X - eps, X + eps)
        best = np.minimum(best, margins(x, y))
    return best


print(f"natural test accuracy {np.mean(margins(Xte, yte) > 0):.3f}")
eps_grid = [0.0, 0.005, 0.01, 0.02, 0.03, 0.05]
rows = []
for eps in eps_grid:
    ibp = certified_margins(net, Xte, yte, eps=eps, method="ibp")  # one lower bound per image
    crown = certified_margins(net, Xte, yte, eps=eps, method="crown")
    attacked = pgd_margins(Xte, yte, eps)
    assert np.all(crown >= ibp) and np.all(crown <= attacked + 1e-9)
    rows.append((eps, float(np.mean(ibp > 0)), float(np.mean(crown > 0)), float(np.mean(attacked > 0))))
    print(
        f"eps {eps:5.3f}: certified IBP {rows[-1][1]:.3f}  CROWN {rows[-1][2]:.3f}  "
        f"under PGD {rows[-1][3]:.3f}"
    )

# %%
r = np.array(rows)
fig, ax = plt.subplots(figsize=(6.5, 4.2))
ax.plot(r[:, 0], r[:, 3], "ko-", label="accuracy under PGD (upper bound)")
ax.plot(r[:, 0], r[:, 2], "bs-", label="certified by CROWN (lower bound)")
ax.plot(r[:, 0], r[:, 1], "r^-", label="certified by IBP (lower bound)")
ax.fill_between(r[:, 0], r[:, 2], r[:, 3], color="gray", alpha=0.2, label="the true robust accuracy is here")
ax.set_xlabel(r"attack radius $\epsilon$ ($\ell_\infty$)")
ax.set_ylabel("test accuracy (500 digits)")
ax.set_title("Certified vs attacked: a 784-64-10 ReLU network")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The true robust accuracy lies in the grey band. CROWN keeps the correlations between units that
# IBP throws away (IBP bounds each layer by a box), so its band edge is higher. The band is wide for
# a network trained without robustness in mind; certified training (IBP or CROWN bounds in the
# loss) narrows it.
#
# **When is the attack trustworthy?** Qin et al. (2019) measure how far the loss is from its tangent
# plane on the ball, $\gamma(\epsilon, x) = \max_{\|\delta\|\le\epsilon} |\ell(x+\delta) - \ell(x) -
# \delta^\top\nabla\ell(x)|$. When $\gamma$ is small, gradient steps see the loss as it is.

# %%
for eps in (0.01, 0.05):
    ll = local_linearity(net, Xte[:100], yte[:100], eps=eps, steps=10, seed=0)
    print(f"eps {eps}: mean local linearity of the cross-entropy {ll.mean:.4f} ({ll.steps} ascent steps)")

# %% [markdown]
# ## 3. Randomized smoothing: a certified $\ell_2$ radius for any classifier
#
# Cohen, Rosenfeld & Kolter (2019) classify by the majority vote of $f(x + \delta)$ with Gaussian
# noise $\delta \sim N(0, \sigma^2 I)$ and certify the $\ell_2$ radius $\sigma\,\Phi^{-1}(\underline{p_A})$,
# $\underline{p_A}$ a lower confidence bound on the top class's probability. For a binary linear
# classifier the smoothed classifier is the classifier itself and the exact radius is the distance
# to the hyperplane, $|w^\top x + b|/\|w\|_2$: the certified radius must stay below it (up to the
# failure probability $\alpha$).

# %%
mask = np.isin(ytr, (3, 8))
Xb, yb = Xtr[mask], np.where(ytr[mask] == 3, 1.0, -1.0)
binary = fit_linear(Xb, yb, eps=0.0, lam=0.001, loss="logistic")
cert = certify_smoothed(binary, Xb[:80], yb[:80], sigma=0.25, n0=50, n=1000, alpha=0.001, seed=0)
prediction, radius = cert  # the smoothed class (0: abstained, for labels -1/+1) and certified radius
distance = np.abs(Xb[:80] @ binary.W + binary.b) / np.linalg.norm(binary.W)
kept = ~cert.abstain
print(
    f"abstained on {cert.abstain.sum()} of 80; certified radius <= exact distance: "
    f"{bool(np.all(radius[kept] <= distance[kept]))}"
)

fig, ax = plt.subplots(figsize=(5, 4.2))
ax.plot(distance[kept], cert.radius[kept], "o", ms=4)
top = distance.max()
ax.plot([0, top], [0, top], "k:", label="certified = exact")
ax.set_xlabel(r"exact $\ell_2$ distance to the decision boundary")
ax.set_ylabel("certified radius (n = 1000 noise draws)")
ax.set_title("Randomized smoothing on a linear classifier")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# **What to take away**
#
# * A certificate is a lower bound on the adversarial margin; an attack an upper bound. Together they
#   bracket the robust accuracy, and a certificate above an attack is a bug.
# * On linear models both certificates are exact; on networks CROWN is never looser than IBP.
# * The certified error, unlike an attack's, can enter a generalization bound on the adversarial risk
#   (`radbound.certify.certified_risk`).

# %% [markdown]
# ## Exercise
#
# Pixels live in $[0, 1]$. Certify the network of section 2 at $\epsilon = 0.02$ with the threat set
# intersected with the pixel box (`clip=(0, 1)`) and compare with the unclipped certificate. Which
# one is larger, and why must it be?

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true}
# Solution: the clipped set is a subset of the ball, so its worst case is no worse and the
# certificate can only rise.
free = certified_margins(net, Xte, yte, eps=0.02, method="crown")
boxed = certified_margins(net, Xte, yte, eps=0.02, method="crown", clip=(0, 1))
print(f"certified accuracy: ball {np.mean(free > 0):.3f}, ball and pixel box {np.mean(boxed > 0):.3f}")
print("clipped margins >= unclipped on every image:", bool(np.all(boxed >= free - 1e-12)))
