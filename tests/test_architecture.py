"""The import graph of our apps: no cycles (function-local imports count), and the layers
import one way only (transport → chat.actions → policy and selectors → models)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = tuple(
    sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "scripts", "docs"}
    )
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """module → the project modules it imports anywhere in its file (not only at the top)."""
    files = {
        _module_name(path): path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(p for p in [*parts, base] if p)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    sys.setrecursionlimit(10_000)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_among_our_modules():
    assert cycles(import_graph()) == []


def test_routing_models_and_selectors_never_import_chat_actions():
    """Policy, reads and models sit below the actions: they never reach up into them."""
    below = [
        name
        for name in import_graph()
        if name.startswith("routing")
        or name.endswith(".models")
        or name.endswith(".selectors")
        or name in {"chat.queue", "chat.payloads", "chat.frames", "chat.protocol"}
    ]
    graph = import_graph()
    offenders = {
        name: sorted(t for t in graph[name] if t == "chat.actions" or t.startswith("chat.actions."))
        for name in below
    }
    assert {name: hits for name, hits in offenders.items() if hits} == {}


def test_conversation_writes_live_in_chat_actions_only():
    """The old homes of conversation writes are gone for good."""
    graph = import_graph()
    for gone in ("chat.services", "routing.presence", "routing.sweeps", "routing.transfers"):
        assert gone not in graph
