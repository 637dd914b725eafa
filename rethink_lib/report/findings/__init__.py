"""What each chapter finds: its stored runs turned into the inputs of the verdict functions.

`capacity`, `explicit` and `implicit` take a chapter's `glue.ChapterRuns` and return
{glue key: Verdict}; the chapters glue them and the conclusion calls the same functions on
the same store (`chapter_findings`), so the two can never disagree. One module per chapter
(`capacity`, `explicit`, `implicit`), what they share (`common`), the comparison with the
published tables (`differences`), the central claim in numbers (`central`) and the whole
book's lists (`book`); this namespace is the package's public face (`from rethink_lib.report
import findings`; `findings.capacity`).
"""
from __future__ import annotations

from ...chapters import CHAPTER_TITLES, EXPERIMENT_OF, TOPICS  # noqa: F401
from ...ops import probes as probe_records  # noqa: F401  (tests replace its loader)
from .book import (JUDGES, book_central, book_differences, book_paper_scale, chapter_findings, outcome_counts,  # noqa: F401
                   outcome_list)
from .central import central_claim, central_numbers, central_of  # noqa: F401
from .capacity import _report_bn_probe_note, _slower_decay_note, baseline_sizes, capacity  # noqa: F401
from .common import (CHAPTERS, LEVEL_WINDOW, PACE_WINDOW, REACH, SIGNAL,  # noqa: F401
                     _published_fit_context, data_caveat, factor_spread, fits_either,
                     linear_baselines, lr_fit_point, not_stored_phrase, report_bn_pairs,
                     schedule_caveat, seeds_phrase, target_phrase)
from .differences import difference_cells, difference_frame, difference_table, differences  # noqa: F401
from .explicit import PAPER_SCALE, explicit, paper_scale_phrase  # noqa: F401
from .implicit import implicit  # noqa: F401
