"""The package's layout: imports run one way, from the floors above to the floors below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent.parent / "comments_app"

# Bottom to top: a module may import from its own floor or below, never above.
FLOORS = [
    ("comments_app.config", "comments_app.cooperative", "comments_app.addresses"),
    ("comments_app.model",),
    ("comments_app.stores",),
    ("comments_app.state",),
    (
        "comments_app.web.errors",
        "comments_app.web.bodies",
        "comments_app.web.codings",
        "comments_app.web.prefer",
        "comments_app.web.headers",
        "comments_app.web.endpoints",
        "comments_app.web.threads",
    ),
    ("comments_app.web.guards", "comments_app.web.api", "comments_app.web.pages"),
    ("comments_app.web",),
    ("comments_app.serving", "comments_app.jobs", "comments_app.notify"),
    ("comments_app.cli",),
    ("comments_app.misconfigured", "comments_app"),
]


def floor(module: str) -> int:
    """Return the floor of a module of the package: its longest prefix in FLOORS."""
    best, best_length = None, -1
    for number, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = number, len(prefix)
    assert best is not None, f"{module} stands on no floor: add it to FLOORS"
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    base = PACKAGE.parent / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported(path: Path) -> list[tuple[int, str]]:
    """Return (line, module) for every module of the package this file imports at run time."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if is_module(candidate) else base))
    return [(line, name) for line, name in found if name.split(".")[0] == "comments_app"]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(path) for path in MODULES])
def test_imports_run_from_higher_floors_to_lower_ones(path):
    source = module_name(path)
    upward = [
        f"line {line}: {target} (floor {floor(target)})"
        for line, target in imported(path)
        if floor(target) > floor(source)
    ]
    assert not upward, f"{source} (floor {floor(source)}) imports from above: {upward}"


def test_every_module_says_its_one_idea():
    silent = [module_name(path) for path in MODULES if ast.get_docstring(ast.parse(path.read_text())) is None]
    assert not silent, f"modules without a docstring: {silent}"
