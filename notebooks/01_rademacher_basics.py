# %% [markdown]
# # 01 · Rademacher complexity: how well a class fits noise
#
# A learning algorithm picks a function from a class $\mathcal F$ that fits the training sample.
# If the class is so rich that it can fit *anything* — even random labels — then a good fit on
# the sample says little about new data. The **empirical Rademacher complexity** measures exactly
# that richness: draw random signs $\sigma_i \in \{-1, +1\}$ (fair coin flips, one per example)
# and ask how well the best function of the class correlates with them,
#
# $$
# \hat{\mathfrak R}_S(\mathcal F) = \mathbb E_\sigma \sup_{f \in \mathcal F} \frac1n \sum_i \sigma_i f(z_i).
# $$
#
# It is between 0 (a single function cannot follow the coin flips on average) and the largest
# value of $|f|$ (a class that can match every pattern of signs). Generalization bounds say:
# *test error $\le$ training error $+\ 2\times$ complexity $+$ a confidence term*, so a small
# complexity is what makes a training error trustworthy.
#
# **Convention used everywhere in radbound:** factor $1/n$ and **no absolute value** inside the
# supremum (the convention of Yin, Ramchandran & Bartlett, ICML 2019). See `docs/notation.md`.
#
# This notebook: (1) the definition on classes you can count, (2) the linear class, computed
# exactly, by Monte Carlo and by closed-form bounds, (3) how the complexity shrinks as the sample grows.

# %%
# One BLAS thread: these notebooks multiply small matrices, where several threads only compete
# (on a busy 2-core machine notebook 04 ran in 58 s with the default threads, 10 s with one).
from threadpoolctl import threadpool_limits

_ = threadpool_limits(1)  # kept in effect until the kernel stops

# %%
# Raise SCALE (e.g. to 5 or 20) for more Monte-Carlo draws and larger samples: slower, smoother curves.
SCALE = 1

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import radbound as rb
from radbound.bounds import linear_rademacher_bound, linear_rademacher_lower_bound

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Classes you can count
#
# `rb.empirical_rademacher(sup, n)` is the generic engine: you give it the supremum of your class
# as a function of the signs (`sup(signs)` maps an `(m, n)` array of $\pm1$ to `m` numbers) and it
# averages $\sup(\sigma)/n$ over **all** $2^n$ sign vectors (`method="exact"`) or over random ones
# (`method="monte-carlo"`).
#
# Three classes of $\pm1$-valued functions on $n = 12$ points:
#
# * a **single** function $f$: $\sup = \sum_i \sigma_i f_i$, whose average is 0;
# * **all** $2^n$ labelings: the best one copies the signs, $\sup = n$, complexity 1;
# * a **finite** class of $K$ random labelings: in between. Massart's lemma bounds it by
#   $\sqrt{2 \log K / n}$.

# %%
n = 12
f = rng.choice([-1.0, 1.0], size=n)

single = rb.empirical_rademacher(lambda s: s @ f, n, method="exact")
everything = rb.empirical_rademacher(lambda s: np.full(len(s), float(n)), n, method="exact")
print("one function :", single)
print("all labelings:", everything)

# %% [markdown]
# The "no absolute value" convention matters: with $|\cdot|$ inside, even a single function gets a
# positive complexity $\mathbb E|\sum_i\sigma_i f_i|/n \approx \sqrt{2/(\pi n)}$, which does not
# measure richness at all.

# %%
with_abs = rb.empirical_rademacher(lambda s: np.abs(s @ f), n, method="exact")
print(f"single function, no absolute value: {single.value:.4f}")
print(
    f"single function, with |.| inside  : {with_abs.value:.4f}"
    f"   (sqrt(2/(pi n)) = {np.sqrt(2 / np.pi / n):.4f})"
)

# %%
Ks = [1, 2, 4, 8, 16, 64, 256, 1024]
values = []
for K in Ks:
    F = rng.choice([-1.0, 1.0], size=(K, n))  # K labelings of the n points
    values.append(rb.empirical_rademacher(lambda s, F=F: (s @ F.T).max(axis=1), n, method="exact").value)

fig, ax = plt.subplots(figsize=(6, 3.8))
ax.plot(Ks, values, "o-", label="exact complexity (all $2^{12}$ sign vectors)")
ax.plot(Ks, np.sqrt(2 * np.log(Ks) / n), "--", color="gray", label=r"Massart bound $\sqrt{2\log K / n}$")
ax.axhline(1.0, color="k", lw=0.8, ls=":", label="all $2^n$ labelings (complexity 1)")
ax.set_xscale("log", base=2)
ax.set_xlabel("number of functions K in the class")
ax.set_ylabel("empirical Rademacher complexity")
ax.set_title(f"Richer classes fit random signs better (n = {n} points)")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. The linear class: exact, Monte Carlo, closed form
#
# For $\mathcal F = \{x \mapsto \langle w, x\rangle : \|w\|_p \le W\}$ the supremum is a dual norm
# (Hölder's inequality, with $1/p + 1/q = 1$):
#
# $$
# \hat{\mathfrak R}_S(\mathcal F) = \frac Wn\,\mathbb E_\sigma\Big\|\sum_{i=1}^n \sigma_i x_i\Big\|_q .
# $$
#
# `rb.linear_rademacher(X, p=..., radius=W)` computes it. There are three ways to get the number:
#
# * **exact**: average over all $2^n$ sign vectors (feasible up to $n \approx 25$);
# * **Monte Carlo**: average over random sign vectors, with a standard error;
# * **closed-form bounds** that need no sampling at all, e.g. $\frac Wn\|X\|_F$ above (Jensen)
#   and $\frac{W}{\sqrt2\, n}\big\|(\|X_{:,j}\|_2)_j\big\|_q$ below (Khintchine).

# %%
n, d = 16, 5
X = rng.normal(size=(n, d))

exact = rb.linear_rademacher(X, p=2, method="exact")
upper = linear_rademacher_bound(X, p=2, form="frobenius")
lower = linear_rademacher_lower_bound(X, p=2)
print("exact      :", exact)
print("upper bound:", upper)
print("lower bound:", lower)

# %% [markdown]
# Each bound is a `Bound` object that knows its formula (a sympy expression) and where it comes
# from. Here are the two closed forms, rendered from the objects themselves:

# %%
display(Markdown(rf"upper ({upper.name}, {upper.status}): $\hat{{\mathfrak R}}_S \le {upper.latex()}$"))
display(Markdown(rf"lower ({lower.name}, {lower.status}): $\hat{{\mathfrak R}}_S \ge {lower.latex()}$"))
print("reference of the upper bound:", upper.reference)

# %% [markdown]
# Monte Carlo with more and more sign vectors: the estimate settles on the exact value, and its
# error bar (two standard errors) shrinks like $1/\sqrt{\text{draws}}$.

# %%
draws = np.array([20, 50, 100, 200, 500, 1000, 2000]) * SCALE
mc = [rb.linear_rademacher(X, p=2, method="monte-carlo", n_draws=int(m), seed=i) for i, m in enumerate(draws)]

fig, ax = plt.subplots(figsize=(6, 4.6))
ax.errorbar(
    draws,
    [e.value for e in mc],
    yerr=[2 * e.stderr for e in mc],
    fmt="o",
    capsize=3,
    label="Monte Carlo ± 2 standard errors",
)
ax.axhline(exact.value, color="k", label=f"exact ({2**n:,} sign vectors)")
ax.axhline(upper.value, color="tab:red", ls="--", label=r"upper bound $W\|X\|_F/n$")
ax.axhline(lower.value, color="tab:green", ls="--", label="lower bound (Khintchine)")
ax.set_xscale("log")
ax.set_xlabel("number of random sign vectors")
ax.set_ylabel(r"$\hat{\mathfrak{R}}_S(\mathcal{F})$, $\ell_2$ ball, $W = 1$")
ax.set_title(f"Monte Carlo converges to the exact value (n = {n}, d = {d})")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. More data, smaller complexity
#
# For a fixed class the complexity decays like $1/\sqrt n$: $\frac Wn\,\mathbb E\|\sum_i\sigma_i x_i\|_q$
# is a sum of $n$ random signs, whose size grows only like $\sqrt n$. The constraint on $w$ decides
# the constant: the $\ell_1$ ball ($p = 1$, dual $q = \infty$) is much smaller than the $\ell_2$
# ball when $d$ is large, which is the first hint of the role of $p$ in notebook 02.
#
# Below: $d = 50$ Gaussian features, exact values for $n \le 16$, Monte Carlo beyond, and the
# closed-form upper bound for each ball.

# %%
d = 50
ns = [4, 8, 16, 32, 64, 128, 256, 512, 1024]
Xbig = rng.normal(size=(max(ns) * SCALE, d))

fig, ax = plt.subplots(figsize=(6, 4))
for p, color in [(2, "tab:blue"), (1, "tab:orange")]:
    est = [rb.linear_rademacher(Xbig[: k * SCALE], p=p, n_draws=200 * SCALE, seed=k) for k in ns]
    bnd = [linear_rademacher_bound(Xbig[: k * SCALE], p=p).value for k in ns]
    nn = np.array(ns) * SCALE
    ax.errorbar(
        nn,
        [e.value for e in est],
        yerr=[2 * e.stderr for e in est],
        fmt="o-",
        color=color,
        label=f"$\\ell_{p}$ ball: complexity",
    )
    ax.plot(
        nn,
        bnd,
        "--",
        color="k" if p == 2 else color,
        lw=1.2,
        zorder=3,
        label=f"$\\ell_{p}$ ball: closed-form upper bound",
    )
ax.plot(nn, 1 / np.sqrt(nn), ":", color="gray", label=r"slope $1/\sqrt{n}$")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("sample size n")
ax.set_ylabel(r"$\hat{\mathfrak{R}}_S(\mathcal{F})$, $W = 1$")
ax.set_title(f"The complexity shrinks like $1/\\sqrt{{n}}$ (d = {d} Gaussian features)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# For the $\ell_2$ ball the closed form $W\|X\|_F/n$ (dashed black) is almost on top of the exact
# curve: Jensen's inequality loses little here. For the $\ell_1$ ball the closed form (Massart's
# lemma, $W\max_j\|X_{:,j}\|_2\sqrt{2\log 2d}/n$) is looser but has the right $1/\sqrt n$ slope.
# The $\ell_1$ ball fits noise much less well than the $\ell_2$ ball of the same radius.

# %% [markdown]
# **What to take away**
#
# * The Rademacher complexity is the average best correlation of the class with coin flips.
# * radbound computes it exactly (small $n$), by Monte Carlo (with a standard error, and a
#   McDiarmid interval when the bounded differences are known), or bounds it in closed form; the
#   `Estimate` and `Bound` objects carry how each number was obtained.
# * It decays like $1/\sqrt n$ and depends on the geometry of the weight constraint. Next,
#   notebook 02 adds an adversary and shows the extra term it costs.

# %% [markdown]
# ## Exercise
#
# Check the dual-norm formula by brute force for the $\ell_\infty$ ball ($p = \infty$, so $q = 1$):
# list all $2^{16}$ sign vectors of the $n = 16$ sample `X` of section 2 with `itertools.product`,
# average $\frac1n\|\sum_i \sigma_i x_i\|_1$ yourself, and compare with
# `rb.linear_rademacher(X, p=np.inf, method="exact")`.
#
# The solution is in the next cell (collapsed; click to expand it).

# %% tags=["solution", "hide-input"] jupyter={"source_hidden": true}
# Solution
import itertools

signs = np.array(list(itertools.product([-1.0, 1.0], repeat=X.shape[0])))  # (2**16, 16)
by_hand = np.abs(signs @ X).sum(axis=1).mean() / X.shape[0]  # ||.||_1 is the dual of ||.||_inf
radbound_value = rb.linear_rademacher(X, p=np.inf, method="exact").value
print(f"by hand {by_hand:.6f}, radbound {radbound_value:.6f}")
print("equal:", bool(np.isclose(by_hand, radbound_value)))
