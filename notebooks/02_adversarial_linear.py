# %% [markdown]
# # 02 · What an adversary costs a linear classifier
#
# An adversary may move every test input $x$ anywhere in a small box around it,
# $\|x' - x\|_\infty \le \epsilon$ (every pixel changes by at most $\epsilon$), and we count an error
# whenever **some** point of the box is misclassified. Training against this adversary means
# learning from the *worst-case* loss. Does the worst case need more data to generalize?
#
# Yin, Ramchandran & Bartlett (ICML 2019) answer this for linear classifiers
# $x \mapsto \langle w, x\rangle$ with $\|w\|_p \le W$. The worst-case margin has a closed form,
#
# $$
# \min_{\|x'-x\|_\infty\le\epsilon} y\langle w, x'\rangle = y\langle w, x\rangle - \epsilon\|w\|_1 ,
# $$
#
# so the *adversarial class* is
# $\tilde{\mathcal F} = \{(x, y) \mapsto y\langle w, x\rangle - \epsilon\|w\|_1\}$,
# and its Rademacher complexity (same convention as notebook 01: $1/n$, no absolute value) obeys
# their theorem on binary linear classifiers, with $1/p + 1/q = 1$:
#
# $$
# \max\Big\{\hat{\mathfrak R}_S(\mathcal F),\ c\,\frac{\epsilon W d^{1/q}}{\sqrt n}\Big\}
# \;\le\; \hat{\mathfrak R}_S(\tilde{\mathcal F}) \;\le\;
# \hat{\mathfrak R}_S(\mathcal F) + \frac{\epsilon W d^{1/q}}{\sqrt n}.
# $$
#
# Read it as: **robustness adds a term proportional to $\epsilon\, d^{1/q}$**. For the usual
# $\ell_2$ constraint ($q = 2$) that term grows like $\sqrt d$ with the dimension; for an $\ell_1$
# constraint ($p = 1$, $q = \infty$) it does not depend on $d$ at all. This notebook makes the
# theorem visible with radbound, which computes $\hat{\mathfrak R}_S(\tilde{\mathcal F})$ **exactly**
# (the supremum over $w$ has a closed form, `rb.adversarial_linear_rademacher`).

# %%
# One BLAS thread: these notebooks multiply small matrices, where several threads only compete
# (on a busy 2-core machine notebook 04 ran in 58 s with the default threads, 10 s with one).
from threadpoolctl import threadpool_limits

_ = threadpool_limits(1)  # kept in effect until the kernel stops

# %%
# Raise SCALE (e.g. to 5) for more Monte-Carlo draws and a larger MNIST sample: slower, smoother curves.
SCALE = 1

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import radbound as rb
from radbound.bounds import (
    adversarial_linear_lower_bound,
    adversarial_linear_sandwich,
    adversarial_linear_upper_bound,
    dimension_factor,
)
from radbound.data import load_mnist, rescale_images

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The bounds as objects
#
# Every bound in radbound is a `Bound`: a number, its named terms, its constants, its source and
# its status — `"paper"` (as the paper states it) or `"derived"` (proved for this project and checked
# numerically). The paper leaves the constant $c$ of the lower bound unspecified; radbound uses
# $c = 1/(2\sqrt2)$, which is proved valid (status `derived`). The formulas below are rendered
# from the objects.

# %%
n, d = 14, 6
X = rng.normal(size=(n, d))
y = np.where(rng.random(n) < 0.5, 1.0, -1.0)

up = adversarial_linear_upper_bound(X, eps=0.2, p=2, form="paper", complexity="exact")
lo = adversarial_linear_lower_bound(X, eps=0.2, p=2, form="paper", complexity="exact")
sharp = adversarial_linear_upper_bound(X, eps=0.2, p=2, form="sharp", complexity="exact")
for b in (lo, up, sharp):
    sign = r"\ge" if b.kind == "lower" else r"\le"
    display(
        Markdown(
            rf"**{b.name}** ({b.status}): $\hat{{\mathfrak R}}_S(\tilde{{\mathcal F}}) {sign} {b.latex()}$"
        )
    )
    print("   ", b)

# %% [markdown]
# In the *sharp* form (derived here) the $1/\sqrt n$ of the paper becomes $\mathbb E|s|/(2n)$,
# where $s = \sum_i\sigma_i$ and $\sqrt{n/2} \le \mathbb E|s| \le \sqrt n$: the upper bound's extra
# term is halved, and the lower bound holds with the same term.
#
# ## 2. The exact value between its bounds, as the attack grows
#
# `adversarial_linear_sandwich` computes the exact complexity (all $2^{14}$ sign vectors here) and
# the lower and upper bounds from the same sign vectors. We sweep $\epsilon$ for the $\ell_2$ ball
# and the $\ell_1$ ball ($W = 1$).

# %%
eps_grid = np.linspace(0, 5.0, 26)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=False)
for ax, p in zip(axes, [2, 1]):
    sharp_s = [adversarial_linear_sandwich(X, y, eps=e, p=p, method="exact") for e in eps_grid]
    paper_s = [adversarial_linear_sandwich(X, y, eps=e, p=p, method="exact", form="paper") for e in eps_grid]
    exact = [s.estimate.value for s in sharp_s]
    ax.fill_between(
        eps_grid,
        [s.lower.value for s in sharp_s],
        [s.upper.value for s in sharp_s],
        color="tab:blue",
        alpha=0.2,
        label="sharp bounds (derived)",
    )
    ax.plot(eps_grid, [s.upper.value for s in paper_s], "--", color="tab:red", label="paper upper bound")
    ax.plot(
        eps_grid,
        [s.lower.value for s in paper_s],
        ":",
        color="tab:red",
        label="paper lower bound, c = 1/(2√2)",
    )
    ax.plot(eps_grid, exact, "k-", lw=2, label=r"exact $\hat{\mathfrak{R}}_S(\tilde{\mathcal{F}})$")
    ax.axhline(
        sharp_s[0].estimate.value, color="gray", lw=1, label=r"natural $\hat{\mathfrak{R}}_S(\mathcal{F})$"
    )
    assert all(s.holds for s in sharp_s)  # lower <= exact <= upper, for every eps
    ax.set_xlabel(r"attack radius $\epsilon$ ($\ell_\infty$)")
    ax.set_ylabel("Rademacher complexity")
    ax.set_title(f"$\\ell_{p}$ ball, $W = 1$  (D = $d^{{1/q}}$ = {dimension_factor(d, p=p):.3g})")
axes[0].legend(fontsize=8, loc="upper left")
fig.suptitle(f"The exact adversarial complexity lies between its bounds (n = {n}, d = {d}, Gaussian data)")
fig.tight_layout()
plt.show()

# %% [markdown]
# For small $\epsilon$ the adversarial complexity hardly exceeds the natural one (the lower bound is
# the natural value); for large $\epsilon$ it grows linearly in $\epsilon$ with the slope the
# theorem predicts, $W d^{1/q}\,\mathbb E|s|/(2n)$. With an $\ell_1$ ball the slope has no
# $d^{1/q}$ factor ($d^{1/\infty} = 1$).
#
# With Monte Carlo the same inequalities hold *exactly* for the estimates, not only in expectation,
# when the sign vectors come in antithetic pairs $(\sigma, -\sigma)$ (the default): a deterministic
# check you can run on any data.

# %%
Xl = rng.normal(size=(300, 20))
yl = np.where(rng.random(300) < 0.5, 1.0, -1.0)
checks = [
    adversarial_linear_sandwich(Xl, yl, eps=e, p=p, n_draws=200, seed=s).holds
    for e in (0.05, 0.5)
    for p in (1, 2, np.inf)
    for s in range(3)
]
print(f"sandwich holds on {sum(checks)} of {len(checks)} Monte-Carlo runs (n = 300)")

# %% [markdown]
# ## 3. The dimension: $\ell_2$ against $\ell_1$ on MNIST
#
# The paper's dimension experiment rescales MNIST images to $14\times14$, $28\times28$ and
# $56\times56$ pixels **keeping each image's $\ell_2$ norm** (`rescale_images`), so that only $d$
# changes: $d = 196, 784, 3136$. The natural complexity of the $\ell_2$ ball depends on the data
# only through $\|X\|_F$, so it stays the same; the adversarial complexity pays
# $\epsilon\sqrt d$.
#
# We take digits 1 against 7 from the bundled MNIST sample, estimate both complexities by Monte
# Carlo (on the same sign vectors) and plot the **price of robustness**, adversarial minus natural
# complexity. The theorem bounds it by $\epsilon W d^{1/q}\,\mathbb E|s|/(2n)$ (dashed).

# %%
n_img = 200 * SCALE
digits = load_mnist().binary((1, 7))
idx = np.random.default_rng(1).choice(len(digits), size=n_img, replace=False)
X28, y_img = digits.X[idx], digits.y[idx]
sides = [14, 28, 56]
eps_list = [0.05, 0.1]
n_draws = 200 * SCALE

rows = []
for side in sides:
    Xs = rescale_images(X28, side)
    for p in (2, 1):
        for eps in eps_list:
            est = rb.adversarial_linear_rademacher(Xs, y_img, eps=eps, p=p, n_draws=n_draws, seed=side)
            term = eps * dimension_factor(side * side, p=p) * est.mean_abs_s / (2 * n_img)
            rows.append(dict(d=side * side, p=p, eps=eps, adv=est.value, nat=est.natural, term=term))

for p in (2, 1):
    sel = [r for r in rows if r["p"] == p and r["eps"] == eps_list[0]]
    print(f"l{p} ball, natural complexity: " + ", ".join(f"d={r['d']}: {r['nat']:.4f}" for r in sel))

fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
colors = {eps_list[0]: "tab:blue", eps_list[1]: "tab:orange"}
dims = [s * s for s in sides]
for ax, p in zip(axes, (2, 1)):
    for eps in eps_list:
        sel = [r for r in rows if r["p"] == p and r["eps"] == eps]
        ax.plot(
            dims,
            [r["adv"] - r["nat"] for r in sel],
            "o-",
            color=colors[eps],
            lw=2,
            label=f"measured, $\\epsilon$ = {eps}",
        )
        ax.plot(
            dims,
            [r["term"] for r in sel],
            "--",
            color=colors[eps],
            alpha=0.7,
            label=f"theorem's term $\\epsilon W d^{{1/q}}\\,\\mathbb{{E}}|s|/(2n)$, $\\epsilon$ = {eps}",
        )
    ax.set_xscale("log")
    ax.set_xticks(dims, [f"{s * s}\n({s}×{s})" for s in sides])
    ax.minorticks_off()
    ax.set_xlabel("input dimension d (images rescaled, $\\ell_2$ norms kept)")
    ax.legend(fontsize=8, loc="upper left")
axes[0].set_ylabel("adversarial − natural complexity")
axes[0].set_title("$\\ell_2$ ball ($q$ = 2): the price grows with $d$")
axes[1].set_title("$\\ell_1$ ball ($q = \\infty$): no dimension penalty")
fig.suptitle(f"The price of robustness on MNIST 1 vs 7 (n = {n_img}, W = 1, {n_draws} sign vectors)")
fig.tight_layout()
plt.show()

# %% [markdown]
# With the $\ell_1$ ball the adversarial and natural complexities coincide here: its supremum is
# $W(\|u\|_\infty - \epsilon s)_+$, and as long as $\|u\|_\infty > \epsilon|s|$ the $\epsilon s$ part
# averages to zero over $\sigma$ and $-\sigma$. With the $\ell_2$ ball the gap opens as $d$ grows.

# %% [markdown]
# **What to take away**
#
# * For linear classifiers radbound computes the adversarial Rademacher complexity exactly; the
#   paper's lower and upper bounds (and sharper derived ones) sandwich it.
# * The price of robustness is an extra term $\propto \epsilon\, W d^{1/q}/\sqrt n$. With the $\ell_2$
#   ball it grows like $\sqrt d$ — robust generalization in high dimension needs more data.
# * With the $\ell_1$ ball the term has no dimension factor: this is the paper's argument for
#   $\ell_1$ regularisation in adversarial training, tested on real training runs in notebook 03.

# %% [markdown]
# ## Exercise
#
# For an $\ell_1$ ball ($p = 1$, $q = \infty$) the adversarial term carries no dimension factor.
# Draw Gaussian samples with $n = 12$ rows and $d = 2, 8, 32$ columns (labels $\pm1$ at random) and
# compute the exact natural and adversarial complexities at $\epsilon = 0.1$. How large is the
# increment $\hat{\mathfrak R}_S(\tilde{\mathcal F}) - \hat{\mathfrak R}_S(\mathcal F)$? Why?
# (Hint: pair each sign vector $\sigma$ with $-\sigma$.)

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true}
# Solution
rng_ex = np.random.default_rng(1)
for d_ex in (2, 8, 32):
    X_ex = rng_ex.normal(size=(12, d_ex))
    y_ex = rng_ex.choice([-1.0, 1.0], size=12)
    nat = rb.linear_rademacher(X_ex, p=1, method="exact").value
    adv = rb.adversarial_linear_rademacher(X_ex, y_ex, eps=0.1, p=1, method="exact").value
    print(f"d = {d_ex:2d}: natural {nat:.4f}, adversarial {adv:.4f}, increment {adv - nat:.2e}")

# %% [markdown] tags=["solution"]
# *Why (almost) nothing.* For $p = 1$ the supremum is $W\max(\max_j |u_j| - \epsilon s, 0)$. The
# pair $\sigma, -\sigma$ shares $|u|$ and flips $s$, so whenever $\max_j|u_j| \ge \epsilon|s|$ the
# pair averages to $W\max_j|u_j|$, the natural value: the adversary's penalty cancels. It can fail
# only for sign vectors where every coordinate of $u$ is small while $|s|$ is large; with $d = 2$ a
# few such vectors leave an increment of order $10^{-4}$, with more columns $\max_j|u_j|$ is larger
# and the increment is exactly 0. Nothing grows with $d$ (for the $\ell_2$ ball it would grow like
# $\sqrt d$).
