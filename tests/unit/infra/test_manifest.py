"""serverless.yml, main.py, infra/aws.py and functions/ agree with each other (no network, no npm)."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

import functions
import main
from infra import aws, scheduler

ROOT = Path(__file__).resolve().parents[3]


def _manifest() -> dict[str, dict[str, object]]:
    return yaml.safe_load((ROOT / "serverless.yml").read_text())["functions"]  # type: ignore[no-any-return]


def test_every_declared_function_has_its_entry_points() -> None:
    declared = _manifest()
    assert set(declared) == set(functions.FUNCTION_NAMES)
    for name, spec in declared.items():
        module_path, _, attribute = str(spec["handler"]).rpartition(".")
        handler_module = importlib.import_module(module_path.replace("/", "."))
        assert callable(getattr(handler_module, attribute)), name
        entry = getattr(main, name.replace("-", "_"))
        assert entry.__name__ == name.replace("-", "_")
        module = importlib.import_module(f"functions.{name.replace('-', '_')}")
        assert module.router.name == name
        events = spec["events"]
        assert isinstance(events, list) and events, f"{name} has no trigger"


def test_http_routes_point_at_their_own_function() -> None:
    for name, spec in _manifest().items():
        for event in spec["events"]:  # type: ignore[attr-defined]
            if "httpApi" in event:
                assert str(event["httpApi"]["path"]).startswith(f"/{name}")


def test_lambda_handlers_are_named_after_their_function() -> None:
    assert aws.me.__name__ == "me" and aws.healthz.__name__ == "healthz"


def test_schedules_parse() -> None:
    assert scheduler.parse_rate("rate(5 minutes)") == 300
    assert scheduler.parse_rate("rate(1 hour)") == 3600
    assert scheduler.parse_rate("rate(2 days)") == 172800
    for job in scheduler.jobs_from_manifest(ROOT / "serverless.yml"):
        assert job.every_seconds > 0


def test_bad_schedules_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="unsupported schedule"):
        scheduler.parse_rate("cron(0 * * * ? *)")
