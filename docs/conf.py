"""Sphinx configuration of radbound's documentation site (``make docs``).

The site is built offline: MyST markdown pages (``docs/*.md``, the theory chapter), the API
reference generated from the numpydoc docstrings (autosummary), and the teaching notebooks
rendered with their STORED outputs (myst-nb never executes them here: ``make notebooks`` does).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import radbound

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "radbound"
author = "The radbound developers"
copyright = "the radbound developers; code BSD-3-Clause, bundled MNIST data CC BY-SA 3.0"
release = version = radbound.__version__

extensions = [
    "myst_nb",  # markdown pages (MyST) and notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# MyST: $...$ and $$...$$ maths, definition lists, GitHub-style heading anchors for #links.
myst_enable_extensions = ["dollarmath", "amsmath", "deflist", "colon_fence"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# Notebooks: rendered with the outputs stored in the .ipynb; never executed by the docs build.
nb_execution_mode = "off"
nb_merge_streams = True

# API reference from the docstrings (numpydoc sections; the public names of each module's __all__).
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"radbound {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []


def _copy_notebooks(app) -> None:
    """Copy the executed notebooks into the source tree (Sphinx reads only files under docs/)."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if not (target / nb.name).exists() or (target / nb.name).read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target / nb.name)


def setup(app):
    app.connect("builder-inited", _copy_notebooks)
