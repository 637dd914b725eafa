"""Verdicts: every sentence of the book that says how a result came out, computed from numbers.

Each function takes plain numbers (accuracies in percent, steps, ratios), decides the
outcome, and returns a `Verdict` whose text states the numbers it decided on. Chapters glue
`verdict.text`; the conclusion groups verdicts by `outcome`:

    agrees        the result is what the paper (or the report, where named) found
    differs       it is not: the sentence says how, with both numbers
    inconclusive  the runs cannot decide it (a run did not fit, a metric was not reached)
    missing       the runs are not in the results store yet

Noise: an accuracy measured on n test images has standard error sqrt(p(1-p)/n); a
difference combines both (`stats.se_diff`). An effect counts as real only beyond Z standard
errors; a difference from a published number only beyond both THRESHOLD points and that.
Every comparison says when it is not like-for-like (`caveat`), and comparisons of two runs
name what else differs between them (`confounds`).
"""
from __future__ import annotations

# The package's one namespace (`from rethink_lib.report import verdicts as V`; `V.fitted`),
# each name defined once, in the module of its kind.
from .accuracy import (above_baseline, chance, chances, difference, early_stopping, effect, linear_baseline,  # noqa: F401
                       monotone, ordering)
from .confounds import CONFOUND_FIELDS, confounds, mixed_precision, run_precision  # noqa: F401
from .core import (CLOSE, FACTOR_BOUND, KINDS, NOTHING_STORED, OUTCOMES, RATIO_TOLERANCE,  # noqa: F401
                   THRESHOLD, Z, _PARENTHETICAL, Verdict, _also, _sentence, combine)
from .fitting import (LR_FLOOR, PUBLISHED_FIT_TOLERANCE, also_missed, cut_short, fitted,  # noqa: F401
                      fitted_as_published, lr_at_fit, lr_fit_phrase, pace_note)
from .timing import bounded_growth, earlier, levelled, ratio, steadier  # noqa: F401
