"""The second data set on a chapter's page: its verdicts beside the first's, and its runs in
place of an experiment none of whose runs on the first data set is stored yet.

The book's evidence stands on CIFAR-10 (the `cifar` profile); Fashion-MNIST (the `cpu`
profile) is its second data set. Each chapter reads the second profile's stored runs (it
trains nothing for them) and shows

- its claims on both data sets side by side (`Second.claims`, a slice of the conclusion's
  claims table), with a closing paragraph for the second data set (`Second.summary`);
- for an experiment with no stored run on the first data set, the second's runs, table and
  verdicts in its place (`Second.shown`, `Second.verdicts`), each labelled with its data set
  (`Second.notes`), so that a page is not left empty while its runs wait for a machine. The
  first data set's summary and the conclusion's counts are left as they are: a stand-in is
  never counted as a result on the first data set.

    second = rp.second.Second.load(plan, runs, found)   # plan.second_profile: "" for none
    shown = second.shown()                              # {experiment: runs drawn}
    rp.say_verdicts(second.verdicts())                  # the stand-ins' labelled
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from . import verdicts as V
from .names import by_count, dataset_name, listing


def _dataset_of(results: dict) -> str | None:
    """The data set key of a {key: RunResult} (its first run's), None when empty."""
    return next((r.config.dataset for r in results.values()), None)


@dataclass
class Second:
    """A chapter's runs and verdicts on the first data set, with the second's beside them.

    runs / found: the first data set's ChapterRuns and classified verdicts {key: Verdict};
    other_runs / other_found: the second's (None / {} when no second profile is shown);
    data / other_data: the data set keys the page's experiments run on."""
    runs: object
    found: dict
    data: str
    other_runs: object = None
    other_found: dict = field(default_factory=dict)
    other_data: str | None = None

    @classmethod
    def load(cls, plan, runs, found: dict) -> "Second":
        """The second profile (`plan.second_profile`) of the plan's chapter, read from the
        plan's stores (nothing trains); none when it is "" or the page's own profile."""
        from ..chapters import CHAPTER_EXPERIMENTS
        from ..experiments import resolve
        from . import synthesis
        from .findings.book import chapter_verdicts
        from .glue import ChapterRuns
        s = plan.settings
        data = s.get("dataset")
        profile = getattr(plan, "second_profile", "") or ""
        if not profile or profile == s.get("profile"):
            return cls(runs, found, data)
        other = resolve(profile, seed=s["seed"])
        other_runs = ChapterRuns(other, CHAPTER_EXPERIMENTS[plan.chapter], plan.stores)
        other_found = {} if not other_runs.stored() else synthesis.classify(
            {plan.chapter: chapter_verdicts(plan.chapter, other, plan.stores, other_runs)},
            other)[plan.chapter]  # none stored: nothing to judge (and no baseline to compute)
        return cls(runs, found, data, other_runs, other_found, other.get("dataset"))

    # ------------------------------------------------------------ stand-ins
    def stand_ins(self) -> list[str]:
        """The experiments drawn from the second data set: none of their runs on the first is
        stored, some on the second are."""
        if self.other_runs is None:
            return []
        return [e for e in self.runs.results
                if not self.runs[e] and self.other_runs.results.get(e)]

    def shown(self) -> dict:
        """{experiment: {key: RunResult}} the page draws: the first data set's, or the
        second's for a stand-in."""
        subs = set(self.stand_ins())
        return {e: (self.other_runs[e] if e in subs else r) for e, r in self.runs.results.items()}

    def dataset(self, experiment: str) -> str:
        """The data set key of what the page draws for `experiment`."""
        if experiment in self.stand_ins():
            return _dataset_of(self.other_runs[experiment]) or self.other_data
        return _dataset_of(self.runs[experiment]) or self.planned_data(experiment)

    def _planned_names(self, experiments) -> str:
        """The first data sets' printed names of `experiments`, each once: 'CIFAR-10'."""
        return listing(dict.fromkeys(dataset_name(self.planned_data(e)) for e in experiments))

    def planned_data(self, experiment: str) -> str:
        """The data set key the first data set's planned runs of `experiment` train on (a
        chapter's experiments may use other data than its main one: Fig. 3a at the paper's
        scale is CIFAR-100)."""
        return next((c.dataset for c in self.runs.configs.get(experiment, {}).values()),
                    self.data)

    def notes(self) -> dict[str, str]:
        """{experiment: a sentence for the top of its section}: for a stand-in, that what is
        drawn is the second data set's and why; "" for the others."""
        out = {}
        subs = self.stand_ins()
        for e in self.runs.results:
            if e not in subs:
                out[e] = ""
                continue
            first, second = dataset_name(self.planned_data(e)), dataset_name(self.dataset(e))
            n = self.other_runs.n_train([e])
            size = f" ({n:,} training images)" if n else ""
            out[e] = (f"**Shown on {second}{size}, in place of {first}.** None of the "
                      f"{len(self.runs.configs[e])} {first} runs of this section is stored yet "
                      "(listed at the end of the page), so the figure, the table and the "
                      f"sentences below are those of the same experiment on {second}, our "
                      f"second data set; they are not counted as results on {first}.")
        return out

    def verdicts(self) -> dict:
        """The page's verdicts to glue: the first data set's, except that a verdict of a
        stand-in experiment with none of its runs stored is the second's, prefixed with its
        data set."""
        from ..chapters import JUDGED
        subs = set(self.stand_ins())
        out = {}
        for key, v in self.found.items():
            other = self.other_found.get(key)
            if (JUDGED.get(key, (None,))[0] in subs and v.outcome == "missing"
                    and other is not None):
                name = dataset_name(self.dataset(JUDGED[key][0]))
                v = replace(other, text=f"*On {name}:* {other.text}")
            out[key] = v
        return out

    def missing_sentence(self) -> str:
        """`ChapterRuns.missing_sentence`, saying where stand-ins fill the sections whose runs
        are missing (so a page that is not empty does not say it is)."""
        from ..registry import EXPERIMENTS
        subs = self.stand_ins()
        if not subs:
            return self.runs.missing_sentence()
        n, total = len(self.runs.missing_ids), self.runs.total
        first, name = self._planned_names(subs), dataset_name(self.dataset(subs[0]))
        labels = listing(EXPERIMENTS[e].label for e in subs)
        shows = (f"{by_count(len(subs), 'shows', 'show')} the same "
                 f"{by_count(len(subs), 'experiment', 'experiments')} on {name}")
        if n == total:
            return (f"**None of the {total} runs this page needs is in the results store yet** "
                    f"(listed below): until they are, {labels} {shows} in their place, and the "
                    f"page's verdicts on {first} wait for them.")
        return f"{self.runs.missing_sentence()} Meanwhile {labels} {shows} in place of {first}."

    # ------------------------------------------------------------ beside
    def beside(self, experiment: str) -> dict:
        """The second data set's runs of `experiment` to draw beside the first's, where the
        first lacks some of its planned runs (it is not a stand-in) and the second has more
        stored; {} otherwise."""
        if self.other_runs is None or experiment in self.stand_ins():
            return {}
        mine, planned = len(self.runs[experiment]), len(self.runs.configs[experiment])
        theirs = self.other_runs.results.get(experiment, {})
        return theirs if mine < planned and len(theirs) > mine else {}

    def beside_note(self, experiment: str, panel: str = "right-hand panel") -> str:
        """Markdown under a figure drawn with `beside`: what its `panel` (the second data
        set's part of the figure) is, and the second data set's findings on that experiment
        (the claims it tests; the checks of our own set-up stay with that data set's pages),
        one bullet each; "" without one."""
        from ..chapters import JUDGED
        other = self.beside(experiment)
        if not other:
            return ""
        first = dataset_name(self.planned_data(experiment))
        name = dataset_name(_dataset_of(other) or self.other_data)
        planned = len(self.other_runs.configs[experiment])
        n = self.other_runs.n_train([experiment])
        mine = len(self.runs[experiment])
        head = (f"**Beside it, on {name}.** Only {mine} of the "
                f"{len(self.runs.configs[experiment])} {first} runs of this figure "
                f"{by_count(mine, 'is', 'are')} stored yet, so its {panel} draws the same "
                f"experiment on {name}" + (f" ({n:,} training images)" if n else "")
                + f", our second data set, where {len(other)} of its {planned} runs are stored")
        items = [f"- *{v.topic}* on {name}: {v.text}" for k, v in self.other_found.items()
                 if JUDGED.get(k, (None,))[0] == experiment and v.kind != "check"]
        return V._sentence(head) + (" Its findings there:\n\n" + "\n".join(items)
                                    if items else "")

    def stand_in_runs(self) -> list:
        """The stored RunResults the stand-ins draw (each run once), for the recipe table."""
        subs = self.stand_ins()
        return self.other_runs.stored(subs) if subs else []

    def recipe(self, experiments) -> pd.DataFrame:
        """`tables.recipe_frame` of the experiments' planned runs and of the stand-ins' runs
        drawn in their place (a row per model and data set where both appear)."""
        from .tables import recipe_frame
        stand = self.stand_in_runs()
        return recipe_frame(self.runs.all_configs(experiments) + [r.config for r in stand],
                            self.runs.stored(experiments) + stand)

    def setup_note(self) -> str:
        """A sentence for the set-up section: what the stand-in sections' runs are (sizes,
        precision, device, from their stored summaries); "" without stand-ins."""
        from ..registry import EXPERIMENTS
        subs = self.stand_ins()
        if not subs:
            return ""
        f = self.other_runs.facts(subs)
        labels = listing(EXPERIMENTS[e].label for e in subs)
        name = dataset_name(self.dataset(subs[0]))
        return V._sentence(
            f"The {by_count(len(subs), 'section', 'sections')} shown on {name} in place of "
            f"{self._planned_names(subs)} ({labels}) "
            f"{by_count(len(subs), 'draws', 'draw')} the stored "
            "runs of the "
            f"{self.other_runs.settings.get('profile')} profile: {f['n_train']} training images "
            f"per run, final accuracies on {f['n_test']} test images and per-epoch curves on "
            f"{f['n_curve_test']}, in {f['precision']} arithmetic on {f['device']}; the recipe "
            f"table lists them under {name}")

    # ------------------------------------------------------------ side by side
    def claims(self) -> pd.DataFrame:
        """The conclusion's claims table for this chapter's claims only: claim | paper |
        report | ours on each data set | kind (one column for the first when no second)."""
        from .synthesis import claims_frame
        by_data = {self.data: {"page": self.found}}
        if self.other_data is not None:
            by_data[self.other_data] = {"page": self.other_found}
        return claims_frame(by_data, only=set(self.found) | set(self.other_found))

    def central(self) -> str:
        """The paper's central claim in numbers on the second data set (`findings.central`),
        from its Fig. 1b/1c runs and linear baselines; "" without a second data set or where
        none of those runs is stored there."""
        from .findings.central import central_of
        if self.other_runs is None or not self.other_runs.stored(["fig1bc"]):
            return ""
        return str(central_of(self.other_runs))

    def summary(self) -> str:
        """A closing paragraph for the second data set (`synthesis.chapter_summary`), and how
        many of the chapter's findings decided on both came out the same way; "" without a
        second data set."""
        from .synthesis import agreement_sentence, chapter_summary
        if self.other_data is None:
            return ""
        if not self.other_found:
            return V._sentence(f"None of this chapter's runs on {dataset_name(self.other_data)} "
                               "is stored, so it is not shown beside")
        text = chapter_summary(self.other_found, self.other_data)
        agreement = agreement_sentence(self.claims())
        return " ".join(t for t in (text, agreement) if t) or V._sentence(
            f"None of this chapter's findings is tested on {dataset_name(self.other_data)}")
