"""The house rules of the code, checked on every module so that they cannot come back:

- imports go one way: bot → handlers → views/delivery → services → models, and
  scheduler → views/delivery/services; sandbox/ (the development kit) sits on top;
- nothing imports bot.factory but bot/ itself (and the sandbox and tests, which build a bot);
- services never import aiogram; views build screens without a Router or a database session;
- no import circles in the application;
- files and functions a reader can hold in their head.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "views", "delivery", "services", "models", "scheduler", "sandbox")

# What each package may import from the application (itself included).
ALLOWED: dict[str, frozenset[str]] = {
    "models": frozenset({"models"}),
    "services": frozenset({"services", "models"}),
    "views": frozenset({"views", "services", "models"}),
    "delivery": frozenset({"delivery", "views", "services", "models"}),
    "handlers": frozenset({"handlers", "delivery", "views", "services", "models"}),
    "scheduler": frozenset({"scheduler", "delivery", "views", "services", "models"}),
    "bot": frozenset({"bot", "handlers", "scheduler", "delivery", "views", "services", "models"}),
    "sandbox": frozenset(PACKAGES),
}
# The command line starts the development kit (`tukulokal sandbox`, `tukulokal try`).
EXTRA: dict[str, frozenset[str]] = {"bot.cli": frozenset({"sandbox"})}
# Third-party modules a package must not use.
FORBIDDEN_LIBRARIES: dict[str, tuple[str, ...]] = {
    "services": ("aiogram",),
    "models": ("aiogram",),
}
# The fake Bot API's client and server know each other (a test double, read as one).
ALLOWED_CYCLES = ({"sandbox.fakegram.client", "sandbox.fakegram.server"},)

HANDLER_MODULE_LINES = 400
FUNCTION_LINES = 80


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (as written, absolute)
    line: int
    names: tuple[str, ...] = ()  # `from target import names`
    typing_only: bool = False  # under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield module_name(path), path


def imports_of(module: str, source: str, *, package: bool = False) -> list[Import]:
    """Every import in `source` (`package`: it is a package's __init__)."""
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for inner in child.body:
                    visit_statement(inner, True)
                for inner in child.orelse:
                    visit_statement(inner, typing_only)
                continue
            visit_statement(child, typing_only)

    def visit_statement(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, node.lineno, (), typing_only))
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".") + ([""] if package else [])
                target = ".".join(base[: len(base) - node.level] + ([target] if target else []))
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, target, node.lineno, names, typing_only))
        else:
            visit(node, typing_only)

    visit(ast.parse(source), False)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def violations(module: str, source: str, *, package: bool = False) -> list[str]:
    """What is wrong with the imports of `module` (whose source is `source`)."""
    problems = []
    package = top(module)
    allowed = ALLOWED[package] | EXTRA.get(module, frozenset())
    for imp in imports_of(module, source, package=package):
        target = imp.target
        where = f"{module}:{imp.line} imports {target}"
        if top(target) in PACKAGES and top(target) not in allowed:
            problems.append(f"{where}: {package}/ may not import {top(target)}/")
        if (
            target == "bot.factory" or (target == "bot" and "factory" in imp.names)
        ) and package not in ("bot", "sandbox"):
            problems.append(f"{where}: only bot/ builds the bot")
        for library in FORBIDDEN_LIBRARIES.get(package, ()):
            if top(target) == library:
                problems.append(f"{where}: {package}/ may not use {library}")
        if package == "views" and (
            target == "sqlmodel.ext.asyncio.session"
            or (target == "aiogram" and "Router" in imp.names)
        ):
            problems.append(f"{where}: views/ build screens, without a Router or a session")
    return problems


def test_imports_go_one_way() -> None:
    problems = []
    for module, path in app_modules():
        source = path.read_text(encoding="utf-8")
        problems += violations(module, source, package=path.name == "__init__.py")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("scheduler.jobs", "from handlers.orders import order_action\n"),
        ("scheduler.jobs", "def job():\n    from handlers import orders\n"),
        ("delivery.notify", "import handlers.ui\n"),
        ("views.cart", "from sqlmodel.ext.asyncio.session import AsyncSession\n"),
        ("services.orders", "from aiogram.types import Message\n"),
        ("handlers.start", "from bot.factory import create_bot\n"),
        ("handlers.start", "from bot.settings import Settings\n"),
        ("services.cart", "from views.cart import cart_screen\n"),
    ],
)
def test_a_wrong_import_is_caught(module: str, source: str) -> None:
    """The rule bites: a job importing a router module (or any of these) is reported."""
    assert violations(module, source)


def test_typing_only_imports_count_too() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from handlers import ui\n"
    assert violations("views.orders", source)


def _graph() -> dict[str, set[str]]:
    modules = dict(app_modules())
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        for imp in imports_of(module, source, package=path.name == "__init__.py"):
            if imp.typing_only:
                continue
            candidates = [imp.target] + [f"{imp.target}.{name}" for name in imp.names]
            for candidate in candidates:
                if candidate in modules and candidate != module:
                    graph[module].add(candidate)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_circles() -> None:
    cycles = [c for c in _cycles(_graph()) if set(c) not in ALLOWED_CYCLES]
    assert not cycles, "import circles:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_a_circle_is_caught() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_handler_modules_fit_in_a_head() -> None:
    long = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > HANDLER_MODULE_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, "\n".join(long)


def test_long_functions_say_why() -> None:
    """A function over FUNCTION_LINES lines states in its docstring why it is one piece
    ("one piece because ...")."""
    long = []
    for module, path in app_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            docstring = ast.get_docstring(node) or ""
            if length > FUNCTION_LINES and "one piece because" not in docstring.lower():
                long.append(f"{module}.{node.name}: {length} lines")
    assert not long, "\n".join(long)


def test_conversation_states_have_unique_names():
    """aiogram names a state "<group class>:<state>": two groups of the same class name in
    different modules would share their states, and one module's handlers would take the
    other's answers."""
    names: dict[str, Path] = {}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", None) == "StatesGroup" for base in node.bases
            ):
                assert node.name not in names, f"{node.name} in {path} and {names[node.name]}"
                names[node.name] = path
