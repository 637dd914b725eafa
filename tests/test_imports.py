"""The library's imports form no circle (module-level and function-level imports alike)."""
import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "rethink_lib"


def _modules() -> dict[str, Path]:
    out = {}
    for path in LIB.rglob("*.py"):
        parts = path.relative_to(LIB.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _target(name: str, modules) -> str | None:
    """The library module an import of `name` runs: the longest known prefix."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """{module: the library modules it imports}, each import as written: `from .a import b`
    is an edge to a.b where b is a module, else to a (a package's __init__ is its own node)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found = [_target(a.name, modules) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found = [_target(f"{base}.{a.name}", modules) for a in node.names]
            else:
                continue
            edges |= {t for t in found if t and t != name and t.startswith("rethink_lib")}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_the_graph_reads_relative_and_function_level_imports():
    g = import_graph()
    assert "rethink_lib.registry" in g["rethink_lib.chapters.capacity"]
    assert "rethink_lib.ops.probes" in g["rethink_lib.report.findings"]  # `from ..ops import probes`
    assert "rethink_lib.costs" in g["rethink_lib.planner"]  # imported inside a function


def test_find_cycle_finds_one_and_only_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_library_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_store_imports_nothing_from_training():
    g = import_graph()
    seen, todo = set(), ["rethink_lib.results"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += g.get(m, ())
    assert not seen & {"rethink_lib.train", "rethink_lib.runner", "rethink_lib.make_runs"}
