"""The shape of the code: apps depend one way, domain code never imports the API layer.

Read from the source (every import, at module or function level): no import
circle between the project's modules; no model, service, selector, task, event
or reaction module importing an ``api`` package; ``core`` importing no domain
app; and the apps, and their migrations, following the order
core <- notifications <- assets <- inventory <- maintenance <- (sla, iot, cmms_sync)
<- analytics.
"""

import ast
from pathlib import Path

from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = {"config", "tenants", "core"}
# An app may import the apps at lower levels, never one at its own level or above
# (apps side by side at one level never import each other).
LEVEL = {
    "core": 0,
    "tenants": 0,
    "notifications": 0.5,
    "assets": 1,
    "inventory": 2,
    "maintenance": 3,
    "sla": 4,
    "iot": 4,
    "cmms_sync": 4,
    "analytics": 5,
}
TOP_LEVEL = 6  # an app not placed above sits above everything, alone
APPS = {"core", "tenants", "assets", "inventory", "maintenance", "sla", "iot", "cmms_sync"}
APPS |= {"analytics", "notifications"}
# Modules that serve people (HTTP, admin, WebSocket, import files) may use API pieces.
INTERFACE_PARTS = {"api", "admin", "admin_tools", "consumers", "public", "urls", "auth"}
INTERFACE_PARTS |= {"importing", "importers", "import_command", "views", "management"}
SKIP = {"migrations", "tests", "bench", ".venv"}


def _level(app: str) -> float:
    return LEVEL.get(app, TOP_LEVEL)


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in APPS or SKIP & set(relative.parts):
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_no_import_circles():
    assert _circles(_imports(_modules())) == []


def test_domain_code_never_imports_the_api_layer():
    edges = _imports(_modules())
    offenders = [
        f"{name} -> {target}"
        for name, targets in edges.items()
        if not INTERFACE_PARTS & set(name.split("."))
        for target in targets
        if "api" in target.split(".")
    ]
    assert offenders == []


def test_apps_depend_one_way():
    edges = _imports(_modules())
    offenders = []
    for name, targets in edges.items():
        app = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other == app or other in {"config"}:
                continue
            upward = _level(other) > _level(app) or (_level(other) == _level(app) == TOP_LEVEL)
            core_reaching_out = app in PLATFORM and other not in PLATFORM
            if (upward or core_reaching_out) and app != "config":
                offenders.append(f"{name} -> {target}")
    assert offenders == []


def test_migrations_follow_the_app_order(db):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = [
        f"{app}.{name} -> {dep_app}.{dep_name}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in APPS
        for dep_app, dep_name in migration.dependencies
        if dep_app in APPS
        and dep_app != app
        and _level(dep_app) >= _level(app)
        and not (app in PLATFORM and dep_app in PLATFORM)
    ]
    assert offenders == []


def test_the_checks_can_see_a_problem():
    # Given a made-up tangle, when it is checked, then each rule reports it.
    edges = {"a.x": {"a.y"}, "a.y": {"a.x"}, "b.z": set()}
    assert _circles(edges) == [["a.x", "a.y"]]
    assert _level("maintenance") > _level("inventory") > _level("assets") > _level("core")
