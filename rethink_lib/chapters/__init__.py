"""The book's training chapters and their experiments, one module per chapter.

Importing this package registers every chapter and experiment (rethink_lib.registry); the
lists that name figures are views of it:

    from rethink_lib.chapters import EXPERIMENTS, CHAPTERS, chapter_experiments, TOPICS

capacity   02_capacity: Fig. 1a-c, report Fig. 2, BatchNorm variants, the report's extensions
explicit   03_explicit: Tables I and II (and Table I at the paper's scale)
implicit   04_implicit: Fig. 3a-c
"""
from .. import registry
from . import capacity, explicit, implicit  # noqa: F401  (registers, in book order)
from ..registry import CHAPTERS, EXPERIMENTS, get_chapter, get_experiment  # noqa: F401

# {chapter: [experiment names]}, {chapter: {verdict key: topic text}}, the experiments whose
# runs a verdict judges (its own and its topic's `also`: their gaps make it hold "so far"), and
# those whose missing runs it names after its text (where it names them)
CHAPTER_EXPERIMENTS = {c: [e.name for e in registry.of_chapter(c)] for c in CHAPTERS}
TOPICS = {c: {k: t.text for k, t in registry.topics(c).items()} for c in CHAPTERS}
JUDGED = {k: (e.name, *t.also) for e in EXPERIMENTS.values() for k, t in e.topics.items()}
EXPERIMENT_OF = {k: v for k, v in JUDGED.items() if EXPERIMENTS[v[0]].topics[k].names_missing}
CHAPTER_TITLES = {c.name: c.title for c in CHAPTERS.values()}


def chapter_experiments(chapter: str) -> list[str]:
    """The chapter's experiment names; an unknown chapter is an error listing the valid ones."""
    get_chapter(chapter)
    return CHAPTER_EXPERIMENTS[chapter]
