"""The book's execution report: how each chapter of this build was executed, which runs the
results store holds, and the software versions. Read at build time, never typed:

- chapters: the notebooks listed in `_toc.yml`; for each, the executed copy that produced its
  page (jupyter-cache's record, matched on the notebook's code as Jupyter Book matches it,
  or papermill's metadata when the notebook file itself was executed by papermill), giving
  when it ran and how long it took, and the profile and device it used (the values the
  chapter glued, else its parameters: the `parameters` cell and papermill's overrides);
- runs: every folder of results/, each verified as the chapters verify it (the store may be
  partial or empty); an incomplete or damaged run is listed with its problem ("damaged:
  <reason>"), never counted as complete;
- versions: the installed torch, torchvision, jupyter-book, papermill and a few more.

    from rethink_lib.ops import execution as ex
    report = ex.execution_report()          # finds the book root from the working directory
    ex.chapters_frame(report), ex.runs_frame(report), ex.versions_frame(report)
"""
from __future__ import annotations

import ast
import os
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import nbformat
import yaml

# summary.json keys shown for each stored run (rethink_lib.results writes them)
RUN_FIELDS = ("device", "device_name", "precision", "threads", "wall_seconds", "eval_seconds",
              "rethink_version", "torch_version")
# distributions whose versions the report lists, first the four the issue asks for
PACKAGES = ("torch", "torchvision", "jupyter-book", "papermill", "myst-nb", "jupyter-cache",
            "sphinx", "numpy", "rethink-lib")


@dataclass(frozen=True)
class ChapterExecution:
    file: str                   # e.g. "book/02_capacity.ipynb", relative to the book root
    title: str                  # the notebook's first heading
    source: str                 # "jupyter-cache", "papermill" or "not executed"
    executed_at: str | None     # when the execution ended (UTC, ISO 8601, minutes)
    seconds: float | None       # how long it took
    profile: str | None
    device: str | None


@dataclass(frozen=True)
class StoredRun:
    run_id: str
    summary: dict | None        # the RUN_FIELDS of a verified summary.json; else None
    problem: str | None = None  # why not: "no summary.json yet" or "damaged: <reason>"


@dataclass(frozen=True)
class ExecutionReport:
    root: Path
    results_dir: Path
    chapters: list[ChapterExecution]
    runs: list[StoredRun]
    versions: dict[str, str | None]
    machine: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------ the book
def find_root(start: Path | None = None) -> Path:
    """The book root: the first folder at or above `start` (default: cwd) with a _toc.yml."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    raise FileNotFoundError(f"no _toc.yml at or above {here}: not inside the book")


def toc_documents(root: Path) -> list[str]:
    """Every document of _toc.yml (jb-book: root, chapters, parts, sections), in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    docs = [toc["root"]] if "root" in toc else []

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("chapters"))
            walk(entry.get("sections"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return docs


def chapter_notebooks(root: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    """The .ipynb documents of the table of contents (Markdown pages do not execute)."""
    paths = [root / f"{doc}.ipynb" for doc in toc_documents(root)]
    return [p for p in paths if p.is_file() and p.stem not in skip]


def cache_dir(root: Path) -> Path:
    """jupyter-cache's folder: _config.yml's execute.cache, else Jupyter Book's default."""
    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    path = (config.get("execute") or {}).get("cache") or "_build/.jupyter_cache"
    return (root / path).resolve()


def default_results_dir(root: Path) -> Path:
    """The store the book reads: $RETHINK_RESULTS_DIR, else <root>/results (the rule of
    rethink_lib.results.BOOK_RESULTS_DIR, restated so this page needs no torch import)."""
    return Path(os.environ.get("RETHINK_RESULTS_DIR", root / "results")).resolve()


# ------------------------------------------------------------------------ one chapter
def _title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _parameters(nb) -> dict:
    """Literal values assigned in the `parameters` cell, overridden by papermill's."""
    params = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    try:
                        params[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        pass
    params.update(nb.metadata.get("papermill", {}).get("parameters", {}))
    return params


def _glued(nb) -> dict:
    """Values the notebook glued (myst_nb.glue), from their text/plain form."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            scrap = out.get("metadata", {}).get("scrapbook", {})
            name = scrap.get("name")  # stored under "<mime_prefix>text/plain"
            text = out.get("data", {}).get(scrap.get("mime_prefix", "") + "text/plain")
            if name and text is not None:
                try:
                    values[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[name] = text
    return values


def _minutes(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:  # jupyter-cache stores naive UTC
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _cached_execution(nb, cache: Path):
    """(executed notebook, seconds, end time) from jupyter-cache, or None if not cached."""
    if not (cache / "global.db").is_file():
        return None
    from jupyter_cache import get_cache
    jc = get_cache(str(cache))
    try:
        record = jc.match_cache_notebook(nb)
    except KeyError:
        return None
    executed = jc.get_cache_bundle(record.pk).nb
    # When it was stored, just after it ran: the stored notebook's mtime (the record's
    # `created` column is not usable: jupyter-cache 1.0 fills it with its import time).
    stored = cache / "executed" / record.hashkey / "base.ipynb"
    ended = (datetime.fromtimestamp(stored.stat().st_mtime, timezone.utc) if stored.is_file()
             else None)
    return executed, (record.data or {}).get("execution_seconds"), ended


def chapter_execution(path: Path, root: Path, cache: Path | None = None) -> ChapterExecution:
    """How the page of notebook `path` was produced (see the module docstring)."""
    nb = nbformat.read(path, as_version=4)
    params = _parameters(nb)
    pm = nb.metadata.get("papermill", {})
    found = _cached_execution(nb, cache if cache is not None else cache_dir(root))
    if found is not None:
        executed, seconds, ended = found
        source = "jupyter-cache"
    elif pm.get("duration") is not None:  # the file itself was executed by papermill
        executed, seconds, source = nb, pm["duration"], "papermill"
        ended = datetime.fromisoformat(pm["end_time"]) if pm.get("end_time") else None
    else:
        executed, seconds, ended, source = None, None, None, "not executed"
    glued = _glued(executed) if executed is not None else {}
    device_keys = [k for k in glued if k == "device" or k.endswith("_device")]
    device = glued[device_keys[0]] if device_keys else params.get("device")
    profile = glued.get("profile", params.get("profile"))
    return ChapterExecution(
        file=path.relative_to(root).as_posix(), title=_title(nb), source=source,
        executed_at=_minutes(ended), seconds=None if seconds is None else float(seconds),
        profile=None if profile is None else str(profile),
        device=None if device is None else str(device))


# ------------------------------------------------------------------------ the store
def stored_runs(results_dir: Path) -> list[StoredRun]:
    """Every run folder of the store, sorted by id, each verified by the store's one loader
    (rethink_lib.store_scan.scan_store: checksums, config, every summary number, hostile
    files): a complete run has its RUN_FIELDS, any other run None and its problem ("no
    summary.json yet", or "damaged: <reason>"), so it is never counted. An absent store has
    no runs."""
    from ..store_scan import scan_store
    return [StoredRun(e.run_id, {k: e.result.summary.get(k) for k in RUN_FIELDS}
                      if e.result is not None else None, e.problem)
            for e in scan_store(Path(results_dir))]


# ------------------------------------------------------------------------ software, machine
def versions(packages=PACKAGES) -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict[str, str]:
    """The machine building the book: CPU model, cores, GPU if torch sees one."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from ..metrics import cpu_isa
    isa = cpu_isa()  # one model name covers CPUs with and without native bf16
    info = {"cpu": f"{cpu} ({isa})" if isa else cpu, "cores": str(os.cpu_count()),
            "os": platform.platform(terse=True)}
    try:
        import torch
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except ImportError:
        info["gpu"] = "unknown (torch not installed)"
    return info


# ------------------------------------------------------------------------ the report
def execution_report(root: Path | None = None, results_dir: Path | None = None,
                     cache: Path | None = None, skip: tuple[str, ...] = ("execution_report",)
                     ) -> ExecutionReport:
    """Everything the page shows. skip: notebooks left out (this page itself)."""
    root = find_root(root)
    results_dir = Path(results_dir).resolve() if results_dir else default_results_dir(root)
    cache = cache if cache is not None else cache_dir(root)
    chapters = [chapter_execution(p, root, cache) for p in chapter_notebooks(root, skip)]
    return ExecutionReport(root, results_dir, chapters, stored_runs(results_dir), versions(),
                           machine())


def chapters_frame(report: ExecutionReport):
    import pandas as pd
    return pd.DataFrame([{
        "chapter": c.title or c.file, "notebook": c.file, "profile": c.profile,
        "device": c.device, "executed by": c.source, "finished": c.executed_at,
        "seconds": c.seconds} for c in report.chapters])


def devices_display(report: ExecutionReport):
    """`runs_by_device` for the page, its machine time in hours and minutes."""
    from .status import hm
    frame = runs_by_device(report)
    return (frame.assign(time=frame.hours.map(hm)).drop(columns="hours")
            .style.hide(axis="index"))


def chapters_display(report: ExecutionReport):
    """`chapters_frame` for the page: its time in hours and minutes, '-' where a chapter has
    no value (no device when it trained nothing, no time when it was not executed)."""
    from .status import hm
    frame = chapters_frame(report)
    frame["time"] = [hm(s / 3600) if s is not None and s == s else None for s in frame.seconds]
    frame = frame.drop(columns="seconds").astype(object)
    frame = frame.where(frame.notna() & ~frame.isin(["n/a", "nan", "None"]), "-")
    return frame.style.hide(axis="index")


def runs_frame(report: ExecutionReport):
    """One row per run folder: its summary fields, or why it has none."""
    import pandas as pd
    rows = [{"run": r.run_id, **(r.summary or dict.fromkeys(RUN_FIELDS)),
             "status": r.problem or "complete"} for r in report.runs]
    return pd.DataFrame(rows, columns=["run", *RUN_FIELDS, "status"])


def runs_by_device(report: ExecutionReport):
    """Complete runs per (device_name, precision): how many, and their wall time in hours."""
    import pandas as pd
    frame = runs_frame(report)
    frame = frame[frame.status == "complete"]
    if frame.empty:
        return pd.DataFrame(columns=["device_name", "precision", "runs", "hours"])
    frame = frame.assign(hours=pd.to_numeric(frame.wall_seconds, errors="coerce") / 3600)
    return (frame.fillna({"device_name": "?", "precision": "?"})
            .groupby(["device_name", "precision"], as_index=False)
            .agg(runs=("run", "size"), hours=("hours", "sum")))


def versions_frame(report: ExecutionReport):
    import pandas as pd
    return pd.DataFrame([{"package": k, "version": v or "not installed"}
                         for k, v in report.versions.items()])


def store_sentence(report: ExecutionReport) -> str:
    """What the results store held at build time, in one sentence (glued as `store_runs`)."""
    root, store = report.root, report.results_dir
    where = store.relative_to(root) if store.is_relative_to(root) else store
    runs = runs_frame(report)
    if runs.empty:
        return f"The results store `{where}` holds no runs at build time."
    from ..report.names import by_count, listing
    complete = int((runs.status == "complete").sum())
    devices = sorted(runs_by_device(report).device_name.unique())
    return (f"The results store `{where}` holds {len(runs)} run folders, {complete} of them "
            f"complete, made on {len(devices)} {by_count(len(devices), 'kind', 'kinds')} of "
            f"device ({listing(devices)}).")


def show(frame, **formats) -> None:
    """Display a frame as a table with no index; formats: column -> format string."""
    from IPython.display import display
    display(frame.style.format(formats, na_rep="–").hide(axis="index"))


def machine_sentence(report: ExecutionReport) -> str:
    """The machine that built the page, in one sentence (glued as `built_on`)."""
    return "Built on: " + "; ".join(f"{k} {v}" for k, v in report.machine.items()) + "."
