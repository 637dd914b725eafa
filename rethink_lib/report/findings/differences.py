"""Our Table I/II numbers against the paper's and the report's: each cell, the ones that
differ beyond 2 points and the noise, and one verdict over them all."""
from __future__ import annotations

import pandas as pd

from ...reference import PAPER_RECIPE
from .. import verdicts as V
from ..names import key_name
from ..stats import se_diff


def difference_cells(frame, against: str, topic: str = "", threshold: float = V.THRESHOLD) -> list[dict]:
    """Every cell of a Table I/II frame that `against` also has, as {row, metric, ours,
    theirs, difference, bar, verdict}: bar is the larger of `threshold` points and Z standard
    errors (test accuracies: ours on its test set, theirs on the paper's 10,000 images)."""
    cells = []
    for key, row in frame.iterrows():
        for metric in ("train", "test"):
            col = (against, metric)
            if col not in frame.columns or row.isna().get(col, True) or row.isna()[("ours", metric)]:
                continue
            n_ours = row.get(("ours", "n_test")) if metric == "test" else None
            n_ours = int(n_ours) if n_ours == n_ours and n_ours else None
            n_theirs = PAPER_RECIPE["n_test"] if n_ours else None
            ours, theirs = row[("ours", metric)], row[col]
            se = 100 * se_diff(ours / 100, n_ours, theirs / 100, n_theirs) if n_ours else 0.0
            cells.append({"row": key_name(key), "metric": metric, "ours": ours, "theirs": theirs,
                          "difference": ours - theirs, "bar": max(threshold, V.Z * se),
                          "verdict": V.difference(f"{key_name(key)}, {metric}", ours, theirs,
                                                  f"the {against}", topic, n_ours, n_theirs,
                                                  threshold)})
    return cells


def difference_frame(frame, against: str, threshold: float = V.THRESHOLD):
    """The cells where ours and `against` differ by more than the bar (2 points or the noise),
    largest first: row, metric, ours, theirs, difference, bar (points)."""
    cells = [c for c in difference_cells(frame, against, threshold=threshold)
             if c["verdict"].outcome == "differs"]
    out = pd.DataFrame([{k: v for k, v in c.items() if k != "verdict"} for c in cells],
                       columns=["row", "metric", "ours", "theirs", "difference", "bar"])
    out = out.rename(columns={"theirs": against})
    return out.reindex(out["difference"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def difference_table(frame, threshold: float = V.THRESHOLD):
    """`difference_frame` against the paper and against the report in one table, with a
    `source` column (Table 3.2)."""
    parts = [difference_frame(frame, a, threshold).rename(columns={a: "theirs"}).assign(source=a)
             for a in ("paper", "report")]
    out = pd.concat(parts, ignore_index=True)
    return out[["source", "row", "metric", "ours", "theirs", "difference", "bar"]]


def differences(frame, against: str, topic: str, caveat: str = "",
                threshold: float = V.THRESHOLD) -> V.Verdict:
    """One verdict on every cell of a Table I/II frame that `against` also has: how many differ
    by more than `threshold` points and the noise, naming the largest."""
    cells = difference_cells(frame, against, topic, threshold)
    if not cells:
        return V.Verdict(topic, "missing", V._sentence(f"None of our runs has a number the {against} also has yet"))
    off = [c for c in cells if c["verdict"].outcome == "differs"]
    if not off:
        return V.Verdict(topic, "agrees", V._also(V._sentence(
            f"All {len(cells)} of our numbers that the {against} also has lie within {threshold:g} "
            f"points (or the noise) of its numbers"), caveat))
    largest = max(off, key=lambda c: abs(c["difference"]))
    return V.Verdict(topic, "differs", V._also(V._sentence(
        f"{len(off)} of the {len(cells)} numbers that the {against} also has "
        f"{'differs' if len(off) == 1 else 'differ'} from its numbers by more than {threshold:g} "
        f"points and the noise (each is listed in the table of differences); the largest: "
        f"{largest['verdict'].text.rstrip('.')}"), caveat))
