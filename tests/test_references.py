"""Citations and offline assets, checked in the sources (no build): references.bib parses and
holds every cited key, every chapter cites the paper, the bibliography page is in the table of
contents, and the vendored MathJax that _config.yml names exists."""
import re
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml

from rethink_lib.ops.execution import toc_documents

REPO = Path(__file__).resolve().parents[1]
PAPER = {"zhang2017understanding", "zhang2021understanding"}
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
NOT_CHAPTERS = {"book/bibliography"}  # the list of references itself


def page_text(doc: str) -> str:
    md, ipynb = REPO / f"{doc}.md", REPO / f"{doc}.ipynb"
    if md.exists():
        return md.read_text()
    nb = nbformat.read(ipynb, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def cited(text: str) -> set[str]:
    return {key.strip() for keys in CITE.findall(text) for key in keys.split(",")}


@pytest.fixture(scope="module")
def bib_keys():
    from pybtex.database import parse_file
    return set(parse_file(str(REPO / "references.bib")).entries)


def test_bib_has_the_paper_both_versions_and_the_report(bib_keys):
    assert PAPER | {"wang_report"} <= bib_keys


@pytest.mark.parametrize("doc", [d for d in toc_documents(REPO) if d not in NOT_CHAPTERS])
def test_every_chapter_cites_the_paper(doc, bib_keys):
    keys = cited(page_text(doc))
    assert keys & PAPER, f"{doc} does not cite the paper"
    assert keys <= bib_keys, f"{doc} cites keys missing from references.bib: {keys - bib_keys}"


def test_bibliography_page_in_toc():
    assert "book/bibliography" in toc_documents(REPO)
    assert "```{bibliography}" in (REPO / "book/bibliography.md").read_text()
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["bibtex_bibfiles"] == ["references.bib"]


def test_sphinxcontrib_bibtex_pinned_at_installed_version():
    pins = dict(line.split("==") for line in (REPO / "requirements.txt").read_text().split()
                if "==" in line)
    assert pins["sphinxcontrib-bibtex"] == metadata.version("sphinxcontrib-bibtex")


def test_mathjax_is_vendored_and_numbering_off():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    sphinx = config["sphinx"]["config"]
    assert not sphinx["mathjax_path"].startswith(("http:", "https:", "//"))
    assert any((REPO / static / sphinx["mathjax_path"]).is_file()
               for static in sphinx["html_static_path"])
    assert any((REPO / static / css).is_file() for css in sphinx["html_css_files"]
               for static in sphinx["html_static_path"])
    # sphinx-jupyterbook-latex turns numfig on for HTML too ("Fig. 1 Fig. 1a.")
    assert sphinx["numfig"] is False and config["latex"]["use_jupyterbook_latex"] is False
