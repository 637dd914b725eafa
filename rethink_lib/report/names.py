"""Printed names and number formats: the one place the book's wording of a model, a data set,
a corruption or a regularizer comes from.

Model names come from the model registry (`rethink_lib.models.model_spec(name).display`);
everything else the book prints by name is here.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from ..corruptions import CORRUPTION_NAMES, CORRUPTIONS, LABEL_CORRUPTIONS
from ..data import DATASETS
from ..models import list_models, model_spec

# Printed names of the data sets. The grayscale ones are replicated to 3 equal channels, so
# colour jitter's saturation and hue change nothing on them.
DATASET_NAMES = {name: spec.title or name for name, spec in DATASETS.items()}
GRAYSCALE = ("fashion_mnist", "mnist", "digits")
# Class names come with each data set's spec (rethink_lib.data); labels under the slider's
# small images use these short forms where a name is long.
SHORT_CLASS = {"airplane": "plane", "automobile": "car", "T-shirt/top": "T-shirt",
               "ankle boot": "boot"}
CLASS_NAMES = {name: [SHORT_CLASS.get(c, c) for c in spec.classes]
               for name, spec in DATASETS.items() if spec.classes}
PIXEL_CORRUPTIONS = {c: CORRUPTION_NAMES.get(c, c) for c in CORRUPTIONS if c not in LABEL_CORRUPTIONS}
# Table 1 columns (experiments.REGULARIZERS keys) as the prose says them.
REGULARIZER_NAMES = {"crop+wd": "random crop and weight decay", "crop": "random crop",
                     "wd": "weight decay", "neither": "no regularizer",
                     "random labels": "random labels, no regularizer"}
METRIC_NAMES = {"steps_to_loss": "steps until the training loss stays at most {loss:g}",
                "steps_to_99": "steps until 99% running training accuracy holds",
                "steps_to_fit": "steps until 100% running training accuracy holds"}


def model_name(model: str) -> str:
    """'MLP 1x512' for 'mlp_1x512'; an unregistered name is returned as given."""
    return model_spec(model).display if model in list_models() else str(model)


def dataset_name(dataset: str) -> str:
    return DATASET_NAMES.get(dataset, dataset)


def corruption_name(corruption: str, level: float | None = None) -> str:
    """'true labels' (labels at level 0), 'random labels' (1), 'labels corrupted at p = 0.4',

    'shuffled pixels', 'random pixels', 'Gaussian noise'. Also takes the experiments' keys
    'labels0', 'labels0.4', 'labels1'."""
    if corruption.startswith("labels") and corruption != "labels":
        corruption, level = "labels", float(corruption[len("labels"):])
    if corruption == "labels":
        if level is None:
            raise ValueError("corruption 'labels' needs a level p in [0, 1]")
        if level == 0:
            return "true labels"
        if level == 1:
            return "random labels"
        return f"labels corrupted at p = {level:g}"
    return PIXEL_CORRUPTIONS.get(corruption, corruption)


def key_name(key) -> str:
    """An experiment key for prose: ('mlp_1x512', 'wd', 0) -> 'MLP 1x512, weight decay'.

    Model names are printed by display name, label keys ('labels1') by corruption name,
    levels as 'p = 0.4', seeds (trailing ints of a tuple key) dropped."""
    parts = list(key) if isinstance(key, tuple) else [key]
    if len(parts) > 1 and isinstance(parts[-1], int) and not isinstance(parts[-1], bool):
        parts = parts[:-1]
    out = []
    for p in parts:
        if isinstance(p, str) and p in list_models():
            out.append(model_name(p))
        elif isinstance(p, str) and (p.startswith("labels") or p in PIXEL_CORRUPTIONS):
            out.append(corruption_name(p))
        elif isinstance(p, str) and p in REGULARIZER_NAMES:
            out.append(REGULARIZER_NAMES[p])
        elif isinstance(p, float):
            out.append(f"p = {p:g}")
        else:
            out.append(str(p))
    return ", ".join(out)


def listing(items: Iterable[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x: float | None, digits: int = 2) -> str:
    """A percentage given in percent: 85.1234 -> '85.12%'; None -> 'n/a'. Short of 100 it
    never reads as 100: 99.996 -> '99.996%' (one more digit at a time, up to 6)."""
    if missing(x):
        return "n/a"
    while x < 100 and f"{x:.{digits}f}" == f"{100:.{digits}f}" and digits < 6:
        digits += 1
    if x < 100 and f"{x:.{digits}f}" == f"{100:.{digits}f}":  # closer still: cut, not round
        x = math.floor(x * 10 ** digits) / 10 ** digits
    return f"{x:.{digits}f}%"


def points(x: float | None, digits: int = 2) -> str:
    """A signed difference in percentage points: '+1.23 points'."""
    return "n/a" if missing(x) else f"{x:+.{digits}f} points"


def by_count(n: int, one: str, many: str) -> str:
    """The word agreeing with a count: by_count(1, "reproduces", "reproduce")."""
    return one if n == 1 else many


def count(n: int | float | None) -> str:
    """'1,234'; None -> 'n/a'."""
    return "n/a" if missing(n) else f"{int(round(n)):,}"


def times(x: float | None) -> str:
    """A ratio: 3.14 -> '3.1x'."""
    return "n/a" if missing(x) else f"{x:.1f}x"


def crop_phrase(dataset: str) -> str:
    """What the 'random crop' of Table I does on this data set."""
    from ..data import CROP_SIZE, STORED_SIZE
    text = f"a random {CROP_SIZE}x{CROP_SIZE} window of the stored {STORED_SIZE}x{STORED_SIZE} image"
    if dataset in GRAYSCALE:
        text += (f" ({dataset_name(dataset)} images are stored with a zero border, so this is a "
                 f"shift of up to {(STORED_SIZE - CROP_SIZE) // 2} pixels either way)")
    return text


def jitter_phrase(dataset: str) -> str:
    """What the report's colour jitter leaves of itself on this data set."""
    if dataset in GRAYSCALE:
        return ("saturation and hue leave grayscale images unchanged, and the per-image "
                "standardization that follows undoes brightness and contrast changes up to "
                "clipping, so on these data the augmentation is essentially the random shift")
    return ("the per-image standardization that follows undoes brightness and contrast changes up "
            "to clipping, so only the crop, saturation and hue survive it")
