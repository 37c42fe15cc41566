"""Dependencies point inward, and no import goes round in a circle.

- `core` imports no edge, no channel SDK, no web framework, no RQ;
- `bots` and `webhooks` reach the database only through the core's named functions (no `core.db`);
- `bots` do not import the composition root (`slotline`): it builds them and hands them what they use;
- no import cycle among Slotline's own modules (`core`, `bots`, `webhooks`, `slotline`, `config`,
  `worker.py`), counting imports inside functions and under TYPE_CHECKING: a cycle hidden in a
  function is still a cycle. The one kind allowed is a package whose `__init__` re-exports its
  own submodules while they import the package back.

The import graph is read from the source (AST), not from what happens to be imported at run time.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "bots", "webhooks", "slotline", "config")
FORBIDDEN_IN_CORE = {"bots", "webhooks", "worker", "slotline", "fastapi", "starlette", "uvicorn",
                     "telegram", "slack_bolt", "slack_sdk", "twilio", "rq", "smtplib", "aiosmtplib"}


def imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


# -- the import graph -------------------------------------------------------------------------

def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py of Slotline's own packages and worker.py."""
    files = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    if (root / "worker.py").exists():
        files["worker"] = root / "worker.py"
    return files


def _imported_names(name: str, path: Path) -> set[str]:
    """Every dotted name `name` imports, anywhere in the file; `from a import b` gives `a.b`."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package, one level up per extra dot
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _target(name: str, known: set[str]) -> str | None:
    """The module a dotted name lands in: itself, or the package or module that defines it."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules it imports. Importing `a.b.c` runs `a` and `a.b` first, so those count too."""
    files = module_files(root)
    graph = {}
    for name, path in files.items():
        targets = {_target(imported, set(files)) for imported in _imported_names(name, path)} - {None, name}
        graph[name] = (targets | {parent for t in targets for parent in _parents(t)}) - {name}
    return graph


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    break
                if succ in stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import one another in a circle, but for a package re-exporting its own submodules.

    A module's imports of a package that holds it are left out: that is the package importing its
    submodules and them importing it back. Any other way back into a package goes through its
    `__init__` (importing `a.b` runs `a`), so a circle that leaves the package is still found."""
    return _components({m: {t for t in targets if not _inside(m, t)} for m, targets in graph.items()})


def _describe(graph: dict[str, set[str]], group: list[str]) -> str:
    return "\n".join(f"  {m} -> {', '.join(sorted(graph[m] & set(group)))}" for m in group)


# -- the rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_nothing_outward(path):
    assert imported_top_levels(path) & FORBIDDEN_IN_CORE == set()


def test_the_checker_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import telegram\nfrom webhooks.app import create_app\nfrom .x import y\n")
    assert imported_top_levels(sample) & FORBIDDEN_IN_CORE == {"telegram", "webhooks"}


def _importers(layers: tuple[str, ...], forbidden: str, root: Path = ROOT) -> set[str]:
    """The files of `layers` that import `forbidden` (a module or package), relative to the repository."""
    files, graph = module_files(root), import_graph(root)
    return {str(files[m].relative_to(root)) for m, targets in graph.items()
            if m.split(".")[0] in layers and any(_inside(t, forbidden) for t in targets)}


def test_bots_and_webhooks_leave_the_database_to_the_core():
    assert _importers(("bots", "webhooks"), "core.db") == set(), "ask the core (core.booking...) instead"


def test_bots_do_not_import_the_composition_root():
    assert _importers(("bots",), "slotline") == set()


def test_no_import_cycles():
    graph = import_graph(ROOT)
    found = cycles(graph)
    assert found == [], "import cycles:\n" + "\n".join(_describe(graph, group) for group in found)


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_finds_a_cycle_hidden_in_a_function_or_under_type_checking(tmp_path):
    root = _plant(tmp_path, {
        "core/__init__.py": "", "core/a.py": "def f():\n    from core import b\n",
        "core/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import thing\n",
        "core/c.py": "import core.a\n"})
    assert cycles(import_graph(root)) == [["core.a", "core.b"]]


def test_the_checker_finds_a_cycle_through_a_package_that_re_exports(tmp_path):
    # The composition root importing one bot module runs the package's __init__, which imports a
    # module that imports the composition root back: a cycle, though no two files name each other.
    root = _plant(tmp_path, {
        "bots/__init__.py": "", "bots/slack/__init__.py": "from bots.slack.app import make\n",
        "bots/slack/app.py": "from slotline.bootstrap import Container\n", "bots/slack/sender.py": "",
        "slotline/__init__.py": "", "slotline/bootstrap.py": "from bots.slack.sender import Sender\n"})
    assert cycles(import_graph(root)) == [["bots.slack", "bots.slack.app", "slotline.bootstrap"]]


def test_a_package_re_exporting_its_own_submodules_is_no_cycle(tmp_path):
    root = _plant(tmp_path, {
        "bots/__init__.py": "", "bots/sms/__init__.py": "from bots.sms.inbox import Inbox\nfrom .render import r\n",
        "bots/sms/inbox.py": "from bots.sms import render\nfrom bots.sms import CHANNEL\n",
        "bots/sms/render.py": "from . import CHANNEL\n", "worker.py": "import bots.sms\n"})
    graph = import_graph(root)
    assert graph["bots.sms.inbox"] == {"bots", "bots.sms", "bots.sms.render"}
    assert cycles(graph) == []


def test_a_package_that_leaves_itself_and_comes_back_is_a_cycle(tmp_path):
    root = _plant(tmp_path, {
        "core/__init__.py": "import config.x\n", "core/a.py": "from core import THING\n",
        "config/__init__.py": "", "config/x.py": "import core.a\n"})
    assert cycles(import_graph(root)) == [["config.x", "core"]]  # config.x imports core.a: runs core


def test_the_checker_sees_the_database_and_the_root_imported_from_an_edge(tmp_path):
    root = _plant(tmp_path, {
        "core/__init__.py": "", "core/db/__init__.py": "", "core/db/models.py": "", "slotline/__init__.py": "",
        "bots/__init__.py": "", "bots/a.py": "def f():\n    from core.db import models\n",
        "bots/b.py": "if False:\n    import slotline\n", "webhooks/__init__.py": "", "webhooks/c.py": "import core\n"})
    assert _importers(("bots", "webhooks"), "core.db", root) == {"bots/a.py"}
    assert _importers(("bots",), "slotline", root) == {"bots/b.py"}
