"""The experiment registry: one entry per figure or table of the book, holding its facts.

An entry is made where its run builder is defined (rethink_lib/chapters/<chapter>.py):

    @experiment("fig2", chapter=CAPACITY, label="report Fig. 2", models="capacity_models",
                params=[Param("fig2_level", "report Fig. 2: its corruption level")],
                topics={"fig2": Topic("Report Fig. 2: clean labels are learned first")},
                figure="fig2")
    def fig2(s): ...   # settings -> {key: RunConfig}

Everything that lists figures is a view of the registry (rethink_lib.chapters): the run queue
and the plans (experiments.EXPERIMENTS), the chapters' papermill parameters
(chapter_params.CHAPTER_PARAMETERS), the plan's figure labels and model notes, and the
verdict keys each chapter glues (report.findings.TOPICS / EXPERIMENT_OF).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping


@dataclass(frozen=True)
class Param:
    """A chapter's papermill parameter."""
    name: str               # name in the notebook (papermill -p NAME VALUE)
    help: str               # one line, for the cell and `papermill --help-notebook`
    key: str | None = None  # the profile setting it overrides (None: its own name; "": none)

    @property
    def setting(self) -> str | None:
        return self.name if self.key is None else (self.key or None)

    @property
    def names_models(self) -> bool:
        return self.name.endswith("_models")


@dataclass(frozen=True)
class Topic:
    """One verdict a chapter glues (computed in report/findings/)."""
    text: str                   # what it is about, as the book's lists of findings say it
    names_missing: bool = True  # the verdict names its experiment's runs not stored yet
    also: tuple[str, ...] = ()  # other experiments whose runs it judges too (their gaps count)


@dataclass(frozen=True)
class Chapter:
    """A training chapter (book/<name>.ipynb)."""
    name: str                   # notebook stem, e.g. "02_capacity"
    title: str                  # as the conclusion names it
    findings: str               # a findings.JUDGES name: (runs[, baselines]) -> verdicts
    baselines: bool = False     # that function also takes the linear baselines
    params: tuple[Param, ...] = ()  # its papermill parameters before its experiments' own
    topics: dict[str, Topic] = field(default_factory=dict)  # verdicts of no single experiment


@dataclass(frozen=True)
class Experiment:
    """A figure or table of the book: its chapter, label, settings, runs, findings, display."""
    name: str                   # registry key (queue, plans, ChapterRuns["name"])
    chapter: str                # the Chapter.name that shows it
    label: str                  # what the reader calls it, e.g. "Fig. 1b/1c"
    build: Callable[[Mapping], dict]  # settings -> {key: RunConfig} (keys: builders.*Key)
    models: str | None = None   # the setting naming its models (None: fixed by the builder)
    params: tuple[Param, ...] = ()  # chapter parameters it adds (models, levels, data)
    topics: dict[str, Topic] = field(default_factory=dict)  # verdict keys that judge it
    figure: str | None = None   # function of report/figures.py that draws it
    table: str | None = None    # function of report/tables/ (its namespace) that tabulates it

    def __call__(self, settings: Mapping) -> dict:
        return self.build(settings)


CHAPTERS: dict[str, Chapter] = {}
EXPERIMENTS: dict[str, Experiment] = {}  # in registration order (chapter by chapter)


def chapter(name: str, title: str, findings: str, **kw) -> Chapter:
    """Register a chapter; a name registered twice is an error."""
    if name in CHAPTERS:
        raise ValueError(f"chapter {name!r} is registered twice")
    CHAPTERS[name] = Chapter(name, title, findings, params=tuple(kw.pop("params", ())), **kw)
    return CHAPTERS[name]


def experiment(name: str, *, chapter: Chapter, label: str, models: str | None = None,
               params=(), topics: dict | None = None, figure: str | None = None,
               table: str | None = None) -> Callable[[Callable], Experiment]:
    """Decorator: register the run builder it wraps as experiment `name`."""
    def register(build: Callable[[Mapping], dict]) -> Experiment:
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} is registered twice")
        EXPERIMENTS[name] = Experiment(name, chapter.name, label, build, models, tuple(params),
                                       dict(topics or {}), figure, table)
        return EXPERIMENTS[name]
    return register


def get_experiment(name: str) -> Experiment:
    """The registered experiment; an unknown name is an error listing the valid ones."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; valid names: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def get_chapter(name: str) -> Chapter:
    if name not in CHAPTERS:
        raise ValueError(f"unknown chapter {name!r}; valid: {', '.join(CHAPTERS)}")
    return CHAPTERS[name]


def of_chapter(name: str) -> list[Experiment]:
    """The chapter's experiments, in the order its module registers them."""
    get_chapter(name)
    return [e for e in EXPERIMENTS.values() if e.chapter == name]


def topics(name: str) -> dict[str, Topic]:
    """Every verdict key of a chapter with its topic: the chapter's own first, then its
    experiments' in order."""
    out = dict(get_chapter(name).topics)
    for e in of_chapter(name):
        out.update(e.topics)
    return out
