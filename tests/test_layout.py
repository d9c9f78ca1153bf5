"""The layout holds (issue 15): shared mechanisms never import a process, no process imports
another, and no two modules import each other, directly or round a circle.

Read from the source with ``ast``: every import counts, at the top of a module or inside a
function, except those under ``if TYPE_CHECKING:`` (type hints only, never run)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bench", "cli", "flows", "inbox", "models", "notifications", "policy", "runtime", "tasks")
PROCESSES = ("complaint", "new_customer", "tier", "callback", "archives", "survey", "credit", "visit")
# Where the processes meet on purpose: the whole policy's schema and loader, the command's
# entry point, the flows' entry points and the runtime that starts them.
COMPOSERS = ("policy.schema", "policy.load", "cli.main")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from tasks import audit`` → ``tasks.audit``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skip.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in modules else node.module)
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def _process_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] in ("tasks", "policy", "cli") \
        and parts[1] in PROCESSES else None


def _shared(module: str) -> bool:
    """A mechanism every process uses: a module at the top of tasks/, policy/ or cli/."""
    parts = module.split(".")
    return (parts[0] in ("tasks", "policy", "cli") and _process_of(module) is None
            and module not in COMPOSERS)


def test_no_shared_mechanism_imports_a_process():
    graph = _graph()
    wrong = {m: sorted(i for i in imported if _process_of(i))
             for m, imported in graph.items() if _shared(m)}
    assert {m: i for m, i in wrong.items() if i} == {}


def test_no_process_imports_another_process():
    graph = _graph()
    wrong = {m: sorted(i for i in imported if _process_of(i) not in (None, _process_of(m)))
             for m, imported in graph.items() if _process_of(m)}
    assert {m: i for m, i in wrong.items() if i} == {}


def test_no_import_circles():
    graph = _graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == 1:
                circles.append(stack[stack.index(other):] + [other])
            elif other not in state:
                visit(other)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def test_the_rules_see_a_violation(tmp_path):
    """The checks read real imports: a circle and a cross-process import are found."""
    (tmp_path / "a.py").write_text("from tasks.tier import rules\nimport b\n")
    found = _imports(tmp_path / "a.py", {"tasks.tier.rules", "tasks.tier", "b"})
    assert found == {"tasks.tier.rules", "b"}
    assert _process_of("tasks.tier.rules") == "tier" and _shared("tasks.approvals")
