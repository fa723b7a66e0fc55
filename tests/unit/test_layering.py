"""Structural rules of the code base that review found broken (issue 9, item 9): capabilities meet
through services, only system jobs use the service role in an entry point, and every declared runtime
dependency is used."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = [ROOT / "shared", ROOT / "functions", ROOT / "infra", ROOT / "main.py"]
CAPABILITIES = sorted(p.name for p in (ROOT / "shared").iterdir() if (p / "service.py").exists())
# Declared but not imported yet, with the reason (anything else unused must be removed).
NOT_YET_IMPORTED: dict[str, str] = {}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _python_files(*roots: Path) -> list[Path]:
    return [f for root in roots for f in ([root] if root.is_file() else sorted(root.rglob("*.py")))]


def test_a_capability_never_imports_another_capabilitys_repository() -> None:
    offences = []
    for capability in CAPABILITIES:
        for path in _python_files(ROOT / "shared" / capability):
            for name in _imports(path):
                match = re.fullmatch(r"shared\.(\w+)\.repository", name)
                if match and match.group(1) != capability:
                    offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_only_scheduled_functions_open_service_role_transactions() -> None:
    from functions import routers

    by_module = {name.replace("-", "_"): router for name, router in routers().items()}
    offences = []
    for path in _python_files(ROOT / "functions"):
        if "service_transaction" in path.read_text(encoding="utf-8") and path.stem in by_module:
            open_routes = [f"{r.method} {r.path}" for r in by_module[path.stem].routes if r.auth != "cron"]
            if open_routes:
                offences.append(f"{path.name}: {open_routes}")
    assert offences == []


def test_every_declared_runtime_dependency_is_imported_by_runtime_code() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {re.split(r"[\[=<>~! ]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in declared}
    imported_tops = {name.split(".")[0] for path in _python_files(*RUNTIME) for name in _imports(path)}
    providers = importlib.metadata.packages_distributions()
    used = {dist.lower().replace("_", "-") for top in imported_tops for dist in providers.get(top, [])}
    unused = sorted(names - used - set(NOT_YET_IMPORTED))
    assert unused == [], f"declared but never imported: {unused} (remove them, or import them)"
    # The supabase SDK serves Auth's admin API (invitations) only; data goes through psycopg, never PostgREST.
    assert not {"postgrest"} & names


def test_ptxxx_translation_and_my_organizations_have_one_home_each() -> None:
    homes: dict[str, list[str]] = {"PT409": [], "def my_organization_ids": []}
    for path in _python_files(ROOT / "shared", ROOT / "functions"):
        text = path.read_text(encoding="utf-8")
        for needle, found in homes.items():
            if needle in text:
                found.append(str(path.relative_to(ROOT)))
    assert homes["PT409"] == ["shared/platform/dberrors.py"]
    assert homes["def my_organization_ids"] == ["shared/identity/repository.py", "shared/identity/service.py"]
