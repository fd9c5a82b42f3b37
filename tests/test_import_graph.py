"""The package's import graph: no cycles, and every import points down the layers.

Every import counts, the lazy ones inside functions too: a lazy import keeps start-up fast,
it does not make a dependency go away. Only imports under `if TYPE_CHECKING:` are left out
(they name a type for mypy and never run). The layers, lowest first, are listed in LAYERS
and in the README's architecture section; a module may import its own package and any
layer below its own, never one above.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.builders import REPO

PACKAGE = REPO / "iastm_coach"

# Lowest first. "base" is every module directly in iastm_coach/ except the composition root.
LAYERS: tuple[str, ...] = (
    "base",  # clock, errors, paths, vocabulary, safe_text, ...: the standard library only
    "protocols",  # protocol files: model, loading, signing, the library
    "journal",  # the journal's format, store, check and repair
    "history",  # read-back queries over the journal: sessions, outcomes, answers, spans
    "safety",  # the clinical rules: checklist, red flags, holds, rest, gates, dose
    "session",  # one sitting: screening, timer, aftercare, check-ins, logging
    "plans",  # looking ahead and back: today, schedule, trend, deviations
    "report",  # the physio's report and its renderers
    "views",  # everything drawn on a screen (the only users of Rich)
    "context",  # context.py: the AppContext every command is handed (clock, journal, consoles)
    "commands",  # one Typer module per command
)
# The composition root builds the app; it may import anything, and nothing imports it.
ROOT = {"cli", "cli_style", "__main__"}


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted name → file of every module in the package (a package is its __init__)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Import nodes that sit under `if TYPE_CHECKING:` (they never run)."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            for inner in node.body:
                skipped.update(ast.walk(inner))
    return skipped


def imports_of(
    path: Path, name: str, known: Mapping[str, Path], *, types: bool = False
) -> set[str]:
    """The package's modules that *path* (module *name*) imports, anywhere in the file;
    with *types*, the `if TYPE_CHECKING:` imports too."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = set() if types else type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{node.module}" if node.module else anchor
            else:
                base = node.module or ""
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known.keys()
            # `from package import module` depends on the module; its __init__ is only a door.
            found.update(submodules or {base})
    return {module for module in found if module in known and module != name}


def import_graph(package: Path = PACKAGE, *, types: bool = False) -> dict[str, set[str]]:
    known = module_names(package)
    return {name: imports_of(path, name, known, types=types) for name, path in known.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def layer_of(module: str) -> str | None:
    """The layer a dotted module belongs to; None for the composition root."""
    parts = module.split(".")
    if len(parts) == 1:
        return "base"  # iastm_coach/__init__.py
    if len(parts) == 2:
        if parts[1] == "context":
            return "context"
        return None if parts[1] in ROOT else "base"
    return parts[1]


def layer_violations(graph: Mapping[str, set[str]]) -> Iterator[str]:
    for module, targets in sorted(graph.items()):
        here = layer_of(module)
        if here is None:
            continue
        for target in sorted(targets):
            there = layer_of(target)
            if there is None:
                yield f"{module} → {target} (the composition root is imported by nothing)"
            elif there != here and LAYERS.index(there) > LAYERS.index(here):
                yield f"{module} ({here}) → {target} ({there}), a layer above"


def test_every_package_has_a_layer() -> None:
    """A new sub-package is placed in LAYERS (and the README's table) when it is made."""
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert packages - {"data"} == set(LAYERS) - {"base", "context"}


def test_no_import_cycles_lazy_imports_included() -> None:
    assert cycles(import_graph()) == []


def test_imports_point_down_the_layers() -> None:
    """Type-only imports too: a type from a layer above is a dependency on it."""
    assert list(layer_violations(import_graph(types=True))) == []


def test_the_graph_sees_every_spelling(tmp_path: Path) -> None:
    """Absolute, relative, lazy and `from package import module` imports are edges;
    TYPE_CHECKING imports are not; a cycle or an upward import is caught."""
    package = tmp_path / "iastm_coach"
    for folder in ("journal", "safety", "views"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "journal" / "store.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from ..errors import *\n"
        "if TYPE_CHECKING:\n"
        "    from iastm_coach.safety.holds import Hold\n"
        "def later() -> None:\n"
        "    from iastm_coach.views import screen\n"
    )
    (package / "safety" / "holds.py").write_text("from iastm_coach.journal import store\n")
    (package / "views" / "screen.py").write_text("import iastm_coach.journal.store\n")
    graph = import_graph(package)
    assert graph["iastm_coach.journal.store"] == {"iastm_coach.errors", "iastm_coach.views.screen"}
    assert graph["iastm_coach.safety.holds"] == {"iastm_coach.journal.store"}
    assert cycles(graph) == [["iastm_coach.journal.store", "iastm_coach.views.screen"]]
    assert list(layer_violations(graph)) == [
        "iastm_coach.journal.store (journal) → iastm_coach.views.screen (views), a layer above"
    ]


def test_the_readme_lists_the_layers_in_order() -> None:
    """The README's architecture table names each layer once, lowest first, as LAYERS does."""
    readme = (REPO / "README.md").read_text()
    table = readme.split("| layer | what it holds |\n| --- | --- |\n", 1)[1].split("\n\n", 1)[0]
    listed = [
        row.split("|")[1].strip().strip("`").rstrip("/").removesuffix(".py")
        for row in table.splitlines()
    ]
    assert listed == list(LAYERS)
