"""The documentation: docstrings of every public function, the docs/ pages and their API tables.

Rules (the docstring conventions of ``docs/index.md``):

* every public function of radbound (a name in the ``__all__`` of a public module, see
  ``PUBLIC_MODULES``) has a numpy-style docstring with an ``Examples`` section holding a doctest
  (``>>>``; the doctests themselves run through ``--doctest-modules``);
* a *maths* function (defined in a module of ``MATHS_MODULES``) also has a ``References`` or
  ``Notes`` section, saying where its formula comes from;
* every public function has a numpydoc ``Parameters`` section that documents each parameter of
  its signature (numpydoc's own validation, codes PR01/PR02), without exceptions;
* its docstring renders as reStructuredText (what ``make docs`` would reject fails here first);
* exceptions to the first two rules are listed explicitly below, each with its reason.

The docs pages: every page exists, their relative links resolve, the notation page names the whole
vocabulary. The API reference itself is generated from the docstrings by Sphinx (``make docs``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: The public modules whose ``__all__`` names are the public API.
PUBLIC_MODULES = (
    "radbound",
    "radbound.complexity",
    "radbound.results",
    "radbound.bounds",
    "radbound.attacks",
    "radbound.train.network",  # before radbound.train, which re-exports some of its names
    "radbound.train",
    "radbound.networks",
    "radbound.certify",
    "radbound.data",
    "radbound.study",
    "radbound.studies.common.mnist",
    "radbound.studies.common.linear",
    "radbound.plot",
    "radbound.pacbayes",
)

#: Functions defined in these modules state mathematics: they need References or Notes.
MATHS_MODULES = (
    "radbound.complexity",
    "radbound.bounds",
    "radbound.attacks",
    "radbound.networks.bounds",
    "radbound.networks.norms",
    "radbound.networks.sdp",
    "radbound.certify",
    "radbound.train",
    "radbound.data._rescale",
    "radbound.data._gaussian",
    "radbound.pacbayes",
)

#: Public functions exempt from the Examples rule, with the reason.
NO_EXAMPLES: dict[str, str] = {
    "radbound.networks.surrogate_adversarial_loss": "2K SDP solves with cvxpy: too slow for a doctest",
    "radbound.bounds.surrogate_margin_bound": "2K SDP solves with cvxpy: too slow for a doctest",
    "radbound.train.network.l1_penalty": "needs torch",
    "radbound.pacbayes.network_certificate": "needs torch; trains a network (the certificates study runs it)",
    "radbound.train.network.fit_network": "needs torch; trains a network",
    "radbound.train.network.network_accuracy": "needs torch",
    "radbound.study.load_study_file": "reads a study file",
    "radbound.studies.common.linear.fit_and_score": "trains a model on a config's protocol",
    "radbound.studies.common.linear.plot_gap_panels": "draws a figure",
    "radbound.study.read_record": "reads a JSON written by a run",
    "radbound.data.download_mnist": "downloads from the internet",
    "radbound.plot.style": "a matplotlib context manager",
    "radbound.plot.subplots": "draws a figure",
    "radbound.plot.errorbar_curves": "draws a figure",
    "radbound.plot.caption": "draws on a figure",
}

#: Known gaps, to be fixed in the owners' modules (listed so that the suite stays green while they
#: are open; the tests are strict xfails, so a fixed docstring makes its entry fail until removed).
MISSING_EXAMPLES: dict[str, str] = {}
MISSING_REFERENCES: dict[str, str] = {}

#: Maths functions exempt from the References/Notes rule, with the reason.
NO_REFERENCES: dict[str, str] = {
    "radbound.train.network.paper_network": "builds the paper's CNN (cited in the network_l1 study)",
    "radbound.train.network.fit_network": "a training loop; the protocol is cited in the network_l1 study",
    "radbound.train.network.l1_penalty": "sum of absolute weights: no formula to source",
    "radbound.train.network.network_accuracy": "an accuracy count: no formula to source",
    "radbound.train.fit_path": "a loop over fit_linear, which carries the references",
    "radbound.train.objective": "the objective of fit_linear, which carries the references",
    "radbound.networks.conv_geometry": "shapes and padding of a convolution: no formula to source",
    "radbound.networks.unrolled_matrix": "materialises a layer's matrix: no formula to source",
    "radbound.networks.sdp_matrix": "its module docstring and sdp_certificate carry the reference",
}


def _public_functions() -> list[tuple[str, object]]:
    seen: dict[int, tuple[str, object]] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            if inspect.isfunction(obj) and id(obj) not in seen:
                seen[id(obj)] = (f"{module_name}.{name}", obj)
    return sorted(seen.values())


FUNCTIONS = _public_functions()


def _sections(doc: str) -> set[str]:
    """Names of the numpy-style sections (a title line followed by a line of dashes)."""
    lines = doc.splitlines()
    return {
        lines[i].strip()
        for i in range(len(lines) - 1)
        if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())
    }


def test_public_api_is_not_empty():
    names = {name for name, _ in FUNCTIONS}
    assert "radbound.linear_rademacher" in names and len(names) > 30


def test_exceptions_name_existing_functions():
    """An exception for a function that no longer exists (or was renamed) is stale."""
    names = {name for name, _ in FUNCTIONS}
    listed = set(NO_EXAMPLES) | set(NO_REFERENCES) | set(MISSING_EXAMPLES) | set(MISSING_REFERENCES)
    assert sorted(listed - names) == []


def _has_examples(doc: str) -> bool:
    return "Examples" in _sections(doc) and ">>>" in doc


def test_exempt_functions_really_lack_examples():
    """An exemption whose function gained a doctest is stale: remove it from NO_EXAMPLES."""
    functions = dict(FUNCTIONS)
    stale = [
        name for name in NO_EXAMPLES if name in functions and _has_examples(inspect.getdoc(functions[name]))
    ]
    assert stale == []


def _marks(name: str, known: dict[str, str]) -> list:
    return [pytest.mark.xfail(reason=known[name], strict=True)] if name in known else []


@pytest.mark.parametrize(
    "name, func",
    [pytest.param(n, f, marks=_marks(n, MISSING_EXAMPLES), id=n) for n, f in FUNCTIONS],
)
def test_docstring_has_examples(name, func):
    doc = inspect.getdoc(func)
    assert doc, f"{name} has no docstring"
    if name in NO_EXAMPLES:
        return
    assert _has_examples(doc), f"{name}: no Examples section with a doctest"


def _is_maths(func) -> bool:
    module = func.__module__
    return any(module == m or module.startswith(m + ".") for m in MATHS_MODULES)


@pytest.mark.parametrize(
    "name, func",
    [pytest.param(n, f, marks=_marks(n, MISSING_REFERENCES), id=n) for n, f in FUNCTIONS],
)
def test_maths_docstring_has_references_or_notes(name, func):
    if not _is_maths(func) or name in NO_REFERENCES:
        return
    doc = inspect.getdoc(func) or ""
    assert _sections(doc) & {"References", "Notes"}, f"{name}: no References or Notes section"


PAGES = [
    "index.md",
    "notation.md",
    "complexity.md",
    "bounds.md",
    "attacks_and_training.md",
    "networks.md",
    "certify.md",
    "data.md",
    "studies.md",
    "pacbayes.md",
    "backends.md",
    "reproduce.md",
    "api.md",
    "notebooks.md",
    "gallery.md",
    "study_notes.md",
]

#: The theory chapter: one page per topic, each with a stable label (docstrings and other pages
#: link to these names; renaming one breaks their links).
THEORY = {
    "index": "theory",
    "conventions": "theory-conventions",
    "binary_linear": "theory-binary-linear",
    "multiclass": "theory-multiclass",
    "networks": "theory-networks",
    "sdp": "theory-sdp",
    "generalization": "theory-generalization",
    "pac_bayes": "theory-pac-bayes",
    "certified": "theory-certified",
    "ground_truth": "theory-ground-truth",
    "experiments": "theory-experiments",
    "oracles": "theory-oracles",
}


def _markdown_pages() -> list[str]:
    skip = {"_build", "generated", "notebooks", "_templates"}  # build outputs and copies made by the build
    return sorted(
        str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if not skip & set(p.relative_to(DOCS).parts[:-1])
    )


def test_every_page_is_listed():
    listed = set(PAGES) | {f"theory/{name}.md" for name in THEORY}
    assert sorted(set(_markdown_pages()) - listed) == []


@pytest.mark.parametrize("page", PAGES + [f"theory/{name}.md" for name in THEORY])
def test_docs_page_exists_and_links_resolve(page):
    path = DOCS / page
    text = path.read_text(encoding="utf-8")
    assert re.match(r"(\([\w-]+\)=\n)?# ", text), f"{page} must open with a title (after its label)"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{page}: broken link {target}"


@pytest.mark.parametrize("name", sorted(THEORY))
def test_theory_page_has_its_label_and_reads_as_documentation(name):
    text = (DOCS / "theory" / f"{name}.md").read_text(encoding="utf-8")
    assert text.startswith(f"({THEORY[name]})=\n# ")
    # words of an internal specification, not of a document for readers
    for phrase in ("Offer it as", "Do not pretend", "slides", "the seed", "to implement"):
        assert phrase not in text, f"theory/{name}.md: {phrase!r}"


_DOC_ROLE = re.compile(r":doc:`(?:[^`<]*<)?/([\w/]+)>?`")
_REF_ROLE = re.compile(r":ref:`(?:[^`<]*<)?([\w-]+)>?`")


def _sources() -> list[Path]:
    return [p for p in (ROOT / "radbound").rglob("*.py")]


def test_docstring_links_to_the_docs_resolve():
    """Every :doc: target in the package exists under docs/; every :ref: label is defined."""
    labels = set()
    for page in _markdown_pages():
        labels |= set(re.findall(r"^\(([\w-]+)\)=$", (DOCS / page).read_text(encoding="utf-8"), flags=re.M))
    broken = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        broken += [f"{path.name}: {t}" for t in _DOC_ROLE.findall(text) if not (DOCS / f"{t}.md").exists()]
        broken += [
            f"{path.name}: {t}" for t in _REF_ROLE.findall(text) if t.startswith("theory") and t not in labels
        ]
    assert broken == []


def test_nothing_cites_the_old_single_theory_page():
    stale = [
        str(p.relative_to(ROOT))
        for p in [*ROOT.glob("*.md"), *DOCS.rglob("*.md"), *_sources(), *(ROOT / "studies").glob("*")]
        if p.is_file() and re.search(r"theory\.md\b", p.read_text(encoding="utf-8"))
    ]
    assert stale == []


def test_notation_page_names_the_vocabulary():
    text = (DOCS / "notation.md").read_text(encoding="utf-8")
    for word in ("p", "radius", "eps", "attack_norm", "margin", "delta", "n_draws", "seed", "method", "lam"):
        assert f"`{word}`" in text, f"notation.md does not define `{word}`"
    assert "no absolute value" in text and "1/n" in text


def test_backends_page_says_the_gpu_path_was_not_run():
    text = (DOCS / "backends.md").read_text(encoding="utf-8")
    assert "NOT been run on a GPU" in text


def test_backends_page_lists_every_torch_module_as_never_run_on_a_gpu():
    """Each module that imports torch is named in the page's list of what never ran on a GPU."""
    text = (DOCS / "backends.md").read_text(encoding="utf-8")
    section = text[text.index("### Never run on a GPU") :]
    package = ROOT / "radbound"
    uses_torch = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if any(part.startswith("_") for part in parts) and path.name != "__init__.py":
            continue  # private helpers: reached through the public modules
        if re.search(r"^\s*(import torch|from torch)|_torch\(\)", path.read_text(encoding="utf-8"), re.M):
            uses_torch.append(".".join(p for p in parts if p != "__init__"))
    assert len(uses_torch) >= 5
    # a module is named by itself or by its package (e.g. radbound.certify for radbound.certify.margins)
    named = [m for m in uses_torch if m in section or m.rsplit(".", 1)[0] + "`" in section]
    assert sorted(set(uses_torch) - set(named)) == []


def test_network_training_without_torch_says_how_to_install(monkeypatch):
    """Without torch, radbound.train.network names the CPU and the GPU way to install it."""
    import radbound.train.network as network

    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # `import torch` now fails
    with pytest.raises(ModuleNotFoundError, match=r"download\.pytorch\.org/whl/cpu.*make setup TORCH=cpu"):
        network.paper_network()


def test_backend_without_torch_says_how_to_install(monkeypatch):
    """backend='torch' without torch names the CPU index and the CUDA build, as the README does."""
    from radbound._backend import TORCH_INSTALL, get_backend

    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    with pytest.raises(ImportError, match=re.escape(TORCH_INSTALL)):
        get_backend(backend="torch")
    assert "download.pytorch.org/whl/cpu" in TORCH_INSTALL and "CUDA" in TORCH_INSTALL


def test_no_text_calls_a_plain_torch_pin_a_cpu_build():
    """On Linux a plain ``torch==VERSION`` from the default index is the CUDA build: a
    sentence that pins torch and speaks of a CPU build must name the CPU wheel index, the CUDA build
    or this machine's disk."""
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml", *DOCS.rglob("*.md")]
    files += sorted((ROOT / "radbound").rglob("*.py"))
    bad = []
    for path in files:
        if "_build" in path.parts:
            continue
        text = " ".join(path.read_text(encoding="utf-8").split())
        for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z`(#])", text):
            if re.search(r"torch==\S+", sentence) and re.search(r"\bCPU\b", sentence, re.I):
                if not re.search(r"whl/cpu|CPU_INDEX|local disk|CPU wheel index|CUDA", sentence):
                    bad.append(f"{path.relative_to(ROOT)}: {sentence[:300]}")
    assert bad == []


def _parameter_problems(name: str, func) -> list[str]:
    """numpydoc's validation of the Parameters section: PR01 (undocumented), PR02 (unknown)."""
    validate = pytest.importorskip("numpydoc.validate").validate
    from numpydoc.docscrape import FunctionDoc

    problems = [
        f"{code}: {msg}" for code, msg in validate(f"{func.__module__}.{func.__qualname__}")["errors"]
    ]
    problems = [p for p in problems if p.startswith(("PR01", "PR02"))]
    if inspect.signature(func).parameters and not FunctionDoc(func)["Parameters"]:
        problems.append("no Parameters section")
    return problems


@pytest.mark.parametrize("name, func", [pytest.param(n, f, id=n) for n, f in FUNCTIONS])
def test_docstring_documents_every_parameter(name, func):
    """No exceptions: a new public function comes with its Parameters section."""
    assert _parameter_problems(name, func) == []


def _rst_problems(doc: str) -> str:
    """docutils' warnings on a numpydoc docstring rendered as reStructuredText (as Sphinx sees it).

    Sphinx's roles and directives are registered as inert stand-ins, so only the markup itself is
    judged: the same class of errors that fails ``make docs`` (warnings are errors there), in a
    fraction of a second per docstring.
    """
    import io

    docutils_core = pytest.importorskip("docutils.core")
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives, roles
    from numpydoc.docscrape_sphinx import SphinxDocString

    class _Inert(Directive):
        has_content = True
        optional_arguments = 10
        final_argument_whitespace = True

        def run(self):
            return []

    for role in ("func", "class", "mod", "meth", "attr", "data", "doc", "ref", "obj", "exc", "py:mod"):
        roles.register_generic_role(role, nodes.literal)
    for directive in ("only", "autosummary", "seealso", "versionadded", "deprecated"):
        directives.register_directive(directive, _Inert)
    err = io.StringIO()
    rst = str(SphinxDocString(doc, config={}))
    docutils_core.publish_doctree(
        rst, settings_overrides={"warning_stream": err, "report_level": 2, "halt_level": 5}
    )
    return err.getvalue()


@pytest.mark.parametrize("name, func", [pytest.param(n, f, id=n) for n, f in FUNCTIONS])
def test_docstring_is_valid_restructuredtext(name, func):
    """A docstring the site cannot render (e.g. ``(n, *shape)`` outside backquotes) fails here."""
    pytest.importorskip("numpydoc")
    assert _rst_problems(inspect.getdoc(func)) == ""


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_module_docstring_is_valid_restructuredtext(module_name):
    pytest.importorskip("numpydoc")
    assert _rst_problems(inspect.getdoc(importlib.import_module(module_name)) or "") == ""
