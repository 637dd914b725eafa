"""No number that describes a result is typed into the prose of the book's chapters: every
number in a Markdown cell of a chapter notebook (or a chapter .md page) is glued, or is one of
the names and definitions listed in ALLOWED (figure and table names, model names such as
MLP 1x512, years of the cited papers, the definition p = 0 / p = 1 of the corruption level)."""
import re
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
PAGES = ["02_capacity.ipynb", "03_explicit.ipynb", "04_implicit.ipynb", "05_theory.ipynb",
         "06_conclusion.ipynb", "intro.md"]

REMOVED = [  # syntax whose content is not prose: glue roles, code, roles, directive lines, math
    r"\{glue:[a-z]+\}`[^`]*`", r"\{(?:cite|doc|ref|numref)\}`[^`]*`", r"``[^`]*``", r"`[^`]*`",
    r"^```.*$", r"^:[a-z]+:.*$", r"\$[^$]*\$", r"\[[^\]]*\]\([^)]*\)",
]
ALLOWED = [  # names and definitions that contain digits but state no result
    r"\b(?:Figure|Table)\s+(?:\d+|[A-Z])\.\d+\b",              # the book's own numbering
    r"\b(?:Figs?\.|Figures?)\s*\d+[a-c]?(?:\s*(?:,|and|-|/)\s*\d*[a-c]?)*",  # Fig. 1b, Figs. 3b and 3c
    r"\bTables?\s+(?:\d+|[IVX]+)\b", r"\bSecs?\.\s*(?:[IVX]+|\d+)(?:-[A-Z]\d*)?",
    r"\bSections?\s+\d+(?:\s+and\s+\d+)?", r"\bobservations?\s+\d\b",
    r"\bTheorem\s+\d+", r"\b\d+x\d+(?:x\d+)?\b",            # MLP 1x512, 3x28x28 inputs
    r"\b(?:19|20)\d\d\b",                                    # years of the cited papers
    r"\bCIFAR-\d+", r"\bInception\s+V\d\b", r"\b2n\s*\+\s*d\b",
    r"\bp\s*=\s*[01](?![.\d])",                              # the level's definition
    r"^\s*\d+\.\s",                                           # numbered-list markers
]


def prose(page: Path) -> list[str]:
    if page.suffix == ".md":
        return [page.read_text()]
    return [c.source for c in nbformat.read(page, as_version=4).cells if c.cell_type == "markdown"]


def typed_numbers(text: str) -> list[str]:
    text = text.replace("*", "")
    for pattern in REMOVED:
        text = re.sub(pattern, " ", text, flags=re.M)
    for pattern in ALLOWED:
        text = re.sub(pattern, " ", text, flags=re.M)
    return [m.group(0) for m in re.finditer(r"[^\s]*\d[^\s]*", text)]


def test_checker_catches_typed_results_and_passes_glued_ones():
    assert typed_numbers("ours took 5.7k steps, against 17.7k") == ["5.7k", "17.7k"]
    assert typed_numbers("every run reached 100% on 5,000 images") == ["100%", "5,000"]
    assert typed_numbers("{glue:text}`n_train` images, {glue:md}`fig1a_order`") == []
    assert typed_numbers("Fig. 1a, Figs. 3b and 3c, Table I, Sec. II-B, MLP 1x512, ICLR 2017") == []
    assert typed_numbers("*p* = 0 gives the true labels, *p* = 1 random labels") == []
    assert typed_numbers("at *p* = 0.5 the clean half") == ["0.5"]
    assert typed_numbers("1. *Regularizers help* (observation 1), Sec. 2") == []
    assert typed_numbers("the report's 99.85% (Table II)") == ["99.85%"]


@pytest.mark.parametrize("page", PAGES)
def test_no_typed_numbers_in_chapter_prose(page):
    found = [n for text in prose(BOOK / page) for n in typed_numbers(text)]
    assert not found, f"{page}: numbers typed into the prose (glue them): {found}"


@pytest.mark.parametrize("page", sorted(p.name for p in BOOK.glob("*.ipynb")) + ["intro.md"])
def test_cross_document_glue_text_has_a_format(page):
    """myst-nb splits {glue:text}`doc::key` at its last ':' (key:format), so a cross-document
    reference without a format looks up the key 'doc:' and fails the -W build."""
    bad = [m for text in prose(BOOK / page)
           for m in re.findall(r"\{glue:text\}`([^`]*::[^`:]*)`", text)]
    assert not bad, f"add a format (e.g. :s) to {bad}"


def test_cross_document_glue_check_catches_a_bare_key():
    assert re.findall(r"\{glue:text\}`([^`]*::[^`:]*)`", "{glue:text}`a.ipynb::n`") == ["a.ipynb::n"]
    assert not re.findall(r"\{glue:text\}`([^`]*::[^`:]*)`", "{glue:text}`a.ipynb::n:s`")
