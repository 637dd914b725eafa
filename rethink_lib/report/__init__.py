"""The display layer every chapter imports: names, glue helpers, verdicts, tables, figures,
widgets.

    from rethink_lib import report as rp
    runs = rp.ChapterRuns.from_plan(plan)              # the chapter's runs, as its plan cell planned
    found = rp.findings.capacity(runs, baselines)     # {key: Verdict}, computed from the runs
    rp.say("fig1a_order", found["fig1a_order"]); rp.figure("fig1a", rp.figures.fig1a(runs["fig1a"]))

names      printed names of models (from the model registry), corruptions, data sets; formats
stats      seeds pooled into mean and range; standard errors of test accuracies
verdicts   Verdict and the functions that decide how a result came out
findings   a chapter's runs -> its verdicts (shared by the chapters and the conclusion)
synthesis  verdicts sorted into findings, context and checks; counts; the claims table
second     the second data set on a chapter's page: its claims beside, its runs in place
tables     DataFrames and display forms (recipe, linear baseline, Fig. 1b/c, Table I/II, Fig. 3)
figures    Fig. 1a-c, report Fig. 2 and 3, slider views
structure  the appendix's parameter table and per-block model summaries
widgets    the offline slider over precomputed views
glue       glue helpers and ChapterRuns (a chapter's runs from a possibly partial store)
(machine time, the execution report, the precision check and recipe probes: rethink_lib.ops)
"""
from . import (figures, findings, glue, names, second, stats, structure, synthesis,  # noqa: F401
               tables, verdicts, widgets)
from .glue import ChapterRuns, figure, say, say_verdicts, table, text  # noqa: F401
from .names import model_name  # noqa: F401
