"""Tables the chapters show, as DataFrames (numbers) plus their display forms (Stylers).

Inputs are experiment dicts with each RunConfig replaced by its stored RunResult (anything
with `.config`, `.summary` and `.metrics` will do); keys end with the seed where the
experiment has seeds, and seeds are pooled into mean and range. Accuracies are in percent,
differences in percentage points, ours minus theirs.

One module per kind of table: `runs` (recipes, the linear baseline, parameters, per-run
listings), `levels` (Fig. 1b/1c), `paper` (Tables I and II against the published numbers),
`curves` (Fig. 3), `display` (the formats all of them share). Experiment entries name their
table function by its name in this namespace (`registry.Experiment.table`).
"""
from __future__ import annotations

from .curves import curve_table, curves, format_curves, late_rise  # noqa: F401
from .display import COUNT_WORDS, _pct, compact, format_frame, plain_number  # noqa: F401
from .levels import FIT_COLUMNS, fit_factor, fit_ratios, format_levels, level_frame  # noqa: F401
from .paper import (LINEAR, METRICS, REGULARIZED, _ours, effects_frame, format_table,  # noqa: F401
                    regularizer_effect, table1_frame, table2_frame)
from .runs import (linear_frame, parameters_frame, per_image, per_image_sentence,  # noqa: F401
                   recipe_frame, runs_frame, runs_table, steps_per_epoch)
