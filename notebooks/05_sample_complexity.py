# %% [markdown]
# # 05 · How many samples does robustness cost?
#
# A generalization bound says: with probability at least $1-\delta$, for every classifier $f$ in the
# class,
#
# $$
# \text{(adversarial) test error}(f) \;\le\; \text{(adversarial) training error}(f)
# + \underbrace{\tfrac{2}{\gamma}\hat{\mathfrak R}_S + 3\sqrt{\tfrac{\log(2/\delta)}{2n}}}_{\text{gap term}} ,
# $$
#
# with $\gamma$ the margin of the ramp loss. Turn it around: **how large must $n$ be for the gap
# term to fall below a target** (say 0.1)? That is a sample complexity, and comparing it with and
# without an adversary tells how many samples robustness costs.
#
# 1. We solve the bound for $n$ by hand with sympy, for linear classifiers.
# 2. We let radbound do it for any `Bound` (`radbound.bounds.sample_complexity`) on MNIST data, and
#    plot the price of robustness against $\epsilon$ and the input dimension $d$.

# %%
# One BLAS thread: these notebooks multiply small matrices, where several threads only compete
# (on a busy 2-core machine notebook 04 ran in 58 s with the default threads, 10 s with one).
from threadpoolctl import threadpool_limits

_ = threadpool_limits(1)  # kept in effect until the kernel stops

# %%
# Raise SCALE (e.g. to 4) to estimate the data statistics on more images (the curves barely move).
SCALE = 1

import warnings

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from IPython.display import Markdown, display

from radbound.bounds import (
    PosthocWarning,
    adversarial_linear_upper_bound,
    dimension_factor,
    generalization,
    sample_complexity,
)

# Sections 1 and 2 size a class FIXED before any data (radius W = 1, margin gamma = 1): that is the
# fixed-class bound (posthoc=False), and radbound's warning that it would not hold for a margin or
# norm chosen from the sample does not apply. Section 3 bounds a trained model, post-hoc.
warnings.simplefilter("ignore", PosthocWarning)
from radbound.data import load_mnist, rescale_images

# %% [markdown]
# ## 1. Solving the bound by hand
#
# For linear classifiers with $\|w\|_p \le W$ under an $\ell_\infty$ attack, notebook 02 gave
# $\hat{\mathfrak R}_S(\tilde{\mathcal F}) \le \frac Wn\|X\|_F + \frac{\epsilon W D}{\sqrt n}$ for $p = 2$,
# with $D = d^{1/q}$ ($=\sqrt d$ for $p = 2$). For i.i.d. data $\|X\|_F \approx \rho\sqrt n$, where
# $\rho$ is the root-mean-square norm of an example. Everything then scales like $1/\sqrt n$:

# %%
n, t, W, gamma, rho, eps, D, delta = sp.symbols("n t W gamma rho epsilon D delta", positive=True)
gap = 2 / gamma * (W * rho / sp.sqrt(n) + eps * W * D / sp.sqrt(n)) + 3 * sp.sqrt(sp.log(2 / delta) / (2 * n))
n_star = sp.solve(sp.Eq(gap, t), n)[0]
display(Markdown(rf"gap term: $\displaystyle {sp.latex(gap)}$"))
display(
    Markdown(rf"samples needed for a gap $\le t$: $\displaystyle n^\ast = {sp.latex(sp.simplify(n_star))}$")
)

price = sp.simplify(n_star / n_star.subs(eps, 0))
display(Markdown(rf"price of robustness $n^\ast(\epsilon)/n^\ast(0) = \displaystyle {sp.latex(price)}$"))

# %% [markdown]
# Ignoring the confidence term, the price is $(1 + \epsilon D/\rho)^2$: robustness multiplies the
# number of samples by the square of one plus the attack's size measured against the data's size.
# For the $\ell_2$ ball $D = \sqrt d$, so in high dimension the factor can be large; for the $\ell_1$
# ball $D = 1$ and the dimension drops out (notebook 02, section 3).

# %%
digits = load_mnist().binary((1, 7))
X = digits.X[: 500 * SCALE]
rho_mnist = float(np.sqrt(np.mean(np.sum(X**2, axis=1))))
values = {W: 1, gamma: 1, rho: rho_mnist, delta: 0.05, t: 0.1}
print(f"MNIST 1 vs 7: rho = {rho_mnist:.2f} (root-mean-square l2 norm of an image)")
for e in (0.0, 0.01, 0.05, 0.1):
    row = [
        f"d = {dd}: {float(n_star.subs(values).subs({eps: e, D: np.sqrt(dd)})):>9.0f}"
        for dd in (196, 784, 3136)
    ]
    print(f"eps = {e:<5}  n* for an l2 ball, W = 1, gamma = 1, gap 0.1:  " + ",  ".join(row))

# %% [markdown]
# ## 2. Letting radbound solve any bound
#
# Every radbound `Bound` carries its sympy `formula` and the values of its symbols (`inputs`).
# `sample_complexity(bound, target, part="gap", scaling="sqrt-n")` substitutes them, lets the data
# statistics grow with $n$ as for i.i.d. data (norms of sums $\propto\sqrt n$), drops the training
# error (`part="gap"`) and solves for $n$ — exactly with sympy when the equation is polynomial in
# $\sqrt n$. Here is the generalization bound built from the paper's upper bound on MNIST
# ($d = 784$, $\epsilon = 0.05$):

# %%
ub = adversarial_linear_upper_bound(X, eps=0.05, p=2, complexity="closed-form")
gen = generalization(0.0, ub, len(X), margin=1.0, risk="adversarial", delta=0.05, posthoc=False)
display(Markdown(rf"$\text{{adversarial risk}} \le {gen.latex()}$"))
print(gen)
sc = sample_complexity(gen, 0.1, part="gap", scaling="sqrt-n")
by_hand = float(n_star.subs(values).subs({eps: 0.05, D: np.sqrt(784)}))
print(f"radbound: n* = {sc.n:,.0f} ({sc.method});  by hand (section 1): n* = {by_hand:,.0f}")

# %% [markdown]
# The two agree: radbound extrapolates $\|X\|_F$ as $\rho\sqrt n$ too. Now the price of robustness
# across attack sizes and dimensions, for both balls (images rescaled keeping their $\ell_2$ norms, as in the
# paper). The margin is $\gamma = 1$ for the $\ell_2$ ball ($W = 1$) and $\gamma = 0.1$ for the $\ell_1$
# ball ($W = 1$; its scores are ten times smaller on MNIST). We also solve with the adversarial
# **lower** bound $\hat{\mathfrak R}_S(\tilde{\mathcal F}) \ge \epsilon W D/(2\sqrt2\sqrt n)$: below that
# many samples, no bound built on the Rademacher complexity can certify the gap — and that number
# grows like $d$ for the $\ell_2$ ball (printed after the figure).

# %%
eps_grid = np.linspace(0, 0.1, 11)
sides = [14, 28, 56]
target = 0.1
c_lower = 1 / (2 * np.sqrt(2))
results = {}
for p, margin in [(2, 1.0), (1, 0.1)]:
    for side in sides:
        Xs = rescale_images(X, side)
        ns = []
        for e in eps_grid:
            b = adversarial_linear_upper_bound(Xs, eps=float(e), p=p, complexity="closed-form")
            g = generalization(0.0, b, len(Xs), margin=margin, risk="adversarial", delta=0.05, posthoc=False)
            ns.append(sample_complexity(g, target, part="gap", scaling="sqrt-n").n)
        D_val = dimension_factor(side * side, p=p)
        n_lower = (
            2 / margin * c_lower * eps_grid * D_val / target
        ) ** 2  # (2/gamma) c eps W D / sqrt(n) = target
        results[p, side] = (np.array(ns), n_lower)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
colors = dict(zip(sides, ["tab:blue", "tab:orange", "tab:red"]))
for side in sides:
    ns, n_lower = results[2, side]
    axes[0].plot(eps_grid, ns, "o-", color=colors[side], ms=4, label=f"d = {side * side} ({side}×{side})")
axes[0].set_ylim(bottom=0)
axes[0].set_ylabel(f"samples n needed for a gap term ≤ {target}")
axes[0].set_title("$\\ell_2$ ball: samples needed for a certified gap")
axes[0].legend(title="input dimension")
for p, style in [(2, "o-"), (1, "s--")]:
    for side in sides:
        ns, _ = results[p, side]
        axes[1].plot(
            eps_grid,
            ns / ns[0],
            style,
            color=colors[side],
            ms=4,
            label=f"$\\ell_{p}$ ball, d = {side * side}",
        )
axes[1].set_ylabel(r"price of robustness $n^\ast(\epsilon)\,/\,n^\ast(0)$")
axes[1].set_title("$\\ell_2$: the price grows with $d$; $\\ell_1$: it does not")
axes[1].legend(fontsize=7.5, ncol=2)
for ax in axes:
    ax.set_xlabel(r"attack radius $\epsilon$ ($\ell_\infty$)")
fig.suptitle(
    "Sample complexity of adversarially robust linear classifiers (MNIST 1 vs 7 statistics, δ = 0.05)"
)
fig.tight_layout()
plt.show()

# %%
for side in sides:
    _, n_lower = results[2, side]
    print(
        f"l2 ball, d = {side * side:4d}: at eps = 0.1 no Rademacher bound certifies a gap <= {target} "
        f"with fewer than {n_lower[-1]:,.0f} samples"
    )

# %% [markdown]
# ## 3. A bound for the model you trained: paying for its own norms
#
# Sections 1 and 2 sized a class fixed in advance. A trained model has a radius $\|w\|_2$ and a
# margin chosen by its training sample, and a bound evaluated at them is a theorem only after a
# union bound over a grid of classes (docs: theory, "Post-hoc validity"). The ramp loss and the bound
# depend on them only through the scale $\|w\|_2/\gamma$, which is rounded up to a geometric grid
# fixed in advance (the margin used is lowered accordingly), and the confidence term pays
# $\log(1/w)$ for the grid point. `radbound.bounds.model_generalization` does this for a trained
# model. Tested like a theorem on `radbound.data.GaussianMixture`, whose true adversarial risk is a
# normal CDF: over independent training samples, the true risk must stay below the bound in at least
# $1 - \delta$ of them (`radbound.bounds.coverage`; the full run is
# `benchmarks/bench_bound_coverage.py`).

# %%
from radbound.bounds import coverage, model_generalization
from radbound.data import GaussianMixture
from radbound.train import fit_sgd_attack

gm = GaussianMixture(np.array([1.5, 0.0]))  # x | y ~ N(y (1.5, 0), I)
S = gm.sample(1000, seed=0)
model = fit_sgd_attack(S.X, S.y, eps=0.05, loss="logistic", n_steps=500, seed=0)
valid = model_generalization(model, S.X, S.y, margin="auto", eps=0.05, seed=0)
gamma = valid.inputs["gamma"]  # the margin of the best bound (on the grid)
fixed = model_generalization(model, S.X, S.y, margin=gamma, eps=0.05, seed=0, posthoc=False)
print("post-hoc valid:", valid)
print("fixed class   :", fixed, "(not a theorem for this model)")
print(f"true adversarial risk of the model: {gm.risk(model.W, model.b, eps=0.05):.4f}")


def fit(X, y, rng):
    return fit_sgd_attack(X, y, eps=0.05, loss="logistic", n_steps=200, seed=rng)


print(coverage(gm, fit, 1000, n_samples=10 * SCALE, eps=0.05, n_draws=500, seed=1))

# %% [markdown]
# **What to take away**
#
# * A bound is an equation in $n$: radbound's `Bound` objects keep their formulas, so solving them
#   for the sample size is one call (`sample_complexity`), exact when sympy can do it.
# * For $\ell_2$-bounded linear classifiers, robustness to $\ell_\infty$ attacks multiplies the sample
#   complexity by about $(1 + \epsilon\sqrt d/\rho)^2$: the cost grows with the dimension, and the
#   lower bound shows it is not an artifact of a loose upper bound.
# * With $\ell_1$-bounded weights the factor is $(1 + \epsilon/\rho_\infty)^2$-like and dimension-free —
#   the reason the paper recommends $\ell_1$ regularisation for adversarial training (notebook 03).
# * These are statements about *bounds*: sufficient sample sizes, loose in absolute terms. Their
#   ratios, and how they scale with $\epsilon$ and $d$, are the message.
# * A bound for a trained model must pay for the norms the sample chose: `model_generalization`
#   does; for a linear model it pays one grid point, the scale $\|w\|/\gamma$ (about 0.01 here),
#   much less than the looseness of the bound itself.

# %% [markdown]
# ## Exercise
#
# Halve the target gap, from $t = 0.1$ to $t = 0.05$, in the closed-form $n^\star$ of section 1
# (same $\epsilon = 0.05$ and $d = 784$). By what factor does the number of samples grow, and why?

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true}
# Solution
n_half = float(n_star.subs({**values, t: 0.05}).subs({eps: 0.05, D: np.sqrt(784)}))
print(f"n* for a gap of 0.05: {n_half:,.0f} = {n_half / by_hand:.2f} x n* for 0.1")

# %% [markdown] tags=["solution"]
# Every term of the gap decays like $1/\sqrt n$, so halving the gap multiplies $n^\star$ by exactly 4.
