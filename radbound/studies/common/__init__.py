"""Pieces that several figures share; each figure module imports them by their public names.

- :mod:`radbound.studies.common.mnist`: the studies' documented split of MNIST into a pool and a
  test set, and the training sample of each repetition;
- :mod:`radbound.studies.common.linear`: grid and protocol checks of the linear figures, training
  and scoring one linear model, the three-panel gap figure.

Nothing here is a figure: discovery (:func:`radbound.study.find_studies`) looks only at the modules
directly in :mod:`radbound.studies`.
"""
