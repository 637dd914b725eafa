"""Display forms shared by every table: number formats, percent, compact type."""
from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from ..names import missing


def _pct(x) -> float:
    """Fraction -> percent; None/NaN -> NaN."""
    return math.nan if missing(x) else 100.0 * x


def compact(styler):
    """Small type and some room between cells, so wide tables fit the book's page."""
    return (styler.set_table_attributes('style="font-size: 0.85em"')
            .set_table_styles([{"selector": sel, "props": "padding: 0.1em 0.45em"}
                               for sel in ("td", "th")]))


# Columns that count things (steps, epochs, images, seeds, parameters): whole numbers, always.
COUNT_WORDS = ("step", "epoch", "images", "seeds", "parameters", "n_", "runs")


def plain_number(v: float) -> str:
    """As short as exact, never in scientific notation: 0.005, 0.9897, 1,030, 5e-05 -> 0.00005."""
    if v != v:
        return "-"
    if float(v).is_integer():
        return f"{v:,.0f}"
    text = f"{v:,.8f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{v:.2g}"


def _column_format(col: pd.Series, digits: int | None):
    """One format per column: counts and whole-number columns with thousands separators and
    no decimals; other floats with `digits` decimals (None: `plain_number`)."""
    name = str(col.name).lower()
    values = col.dropna()
    whole = col.dtype.kind == "i" or (len(values) > 0 and (values == values.round()).all()
                                      and any(w in name for w in COUNT_WORDS))
    if whole or any(w in name for w in COUNT_WORDS) and col.dtype.kind == "i":
        return "{:,.0f}"
    return plain_number if digits is None else f"{{:,.{digits}f}}"


def _yes_no(col: pd.Series) -> pd.Series:
    """A column of truth values (None beside them allowed) reads yes / no, not True / False."""
    values = [v for v in col if not missing(v)]
    if not values or not all(isinstance(v, (bool, np.bool_)) for v in values):
        return col
    return col.map(lambda v: v if missing(v) else ("yes" if v else "no")).astype(object)


def _numeric_if_numbers(col: pd.Series) -> pd.Series:
    """A column of numbers held as objects (ints beside None, from rows built one by one) as
    numbers, so it gets its column's format; a column with any text or truth value is kept."""
    if col.dtype.kind != "O":
        return col
    values = [v for v in col if not missing(v)]
    if not values or not all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                             for v in values):
        return col
    return pd.to_numeric(col.map(lambda v: math.nan if missing(v) else v))


def format_frame(frame: pd.DataFrame, digits: int | None = 2, index: bool = True,
                 empty: str = "no run is stored yet"):
    """Any frame for display: `digits` decimals for floats (None: as short as exact, e.g. a
    learning rate 0.005), thousands separators for integers, '-' for missing."""
    frame = frame.apply(_numeric_if_numbers).apply(_yes_no)
    fmt = {c: _column_format(frame[c], digits) for c in frame.columns
           if frame[c].dtype.kind in "fi"}
    # a column of text and numbers (a recipe's "0.1 / 0.03" above a lone 0.03): the numbers
    # as in a numeric column, the text as it is
    for c in frame.columns:
        if frame[c].dtype.kind == "O" and any(isinstance(v, float) for v in frame[c]):
            num = plain_number if digits is None else f"{{:,.{digits}f}}".format
            fmt[c] = lambda v, num=num: num(v) if isinstance(v, float) else v
    if frame.empty:
        return pd.DataFrame({"": [empty]}).style.hide(axis="index")
    if index and frame.index.nlevels == 1 and frame.index.name and frame.columns.nlevels == 1:
        # the index's name in the header row's first cell, not in a row of its own
        frame = frame.rename_axis(index=None, columns=frame.index.name)
    styler = frame.style.format(fmt, na_rep="-")
    return compact(styler if index else styler.hide(axis="index"))
