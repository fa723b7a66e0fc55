"""The README and docs/ document the project from inside the repository: every link resolves to a file
of the repository, and every `fintrack` subcommand is in the README's command table."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.infra.test_cli_help import _subcommands

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_docs_exist_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("simulation", "marketplace", "exports"):
        assert (ROOT / "docs" / f"{page}.md").is_file()
        assert f"](docs/{page}.md" in readme


def test_every_link_stays_inside_the_repository() -> None:
    outside = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        if "shared/domain/" in text:
            outside.append(f"{page.name}: names the handbook outside the repository")
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                outside.append(f"{page.name}: external link {target}")
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                outside.append(f"{page.name}: {target} is not a file of the repository")
    assert outside == []


def test_every_cli_subcommand_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in _subcommands() if f"`fintrack {name}" not in readme]
    assert missing == []
