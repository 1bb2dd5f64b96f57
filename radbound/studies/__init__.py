"""The figure definitions: one module per figure, run by :mod:`radbound.study`.

Every module directly in this package whose name does not start with ``_`` is one figure and
defines ``STUDY = Study(...)`` (see :class:`radbound.study.Study`) under its own file name:

- ``linear_l1``: the adversarial gap of l1-regularised linear classifiers against eps (paper);
- ``linear_dimension``: the same gap against the input dimension d (paper);
- ``complexity_dimension``: exact adversarial Rademacher complexities against d, inside the paper's
  bounds;
- ``bound_vs_gap``: measured adversarial gaps of trained models against the generalisation bound;
- ``network_l1``: the paper's network experiment (needs torch).

``radbound study list`` lists them; ``radbound study NAME`` runs one. The framework finds them
with :mod:`importlib.resources` and imports a figure only when it is asked for, so importing this
package (or :mod:`radbound.study`) imports no figure. Pieces that several figures share (the MNIST
split of the studies, linear training and scoring, the three-panel gap figure) live in the
public subpackage :mod:`radbound.studies.common`.
"""
