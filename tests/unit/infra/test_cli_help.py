"""`fintrack`: every subcommand explains itself, and refuses nonsense before doing anything."""

from __future__ import annotations

import argparse

import pytest

from infra import cli


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_subcommand_and_every_argument_has_help_text() -> None:
    missing = []
    for name, parser in _subcommands().items():
        if not (parser.description or "").strip():
            missing.append(f"{name}: no description")
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip():
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}: no help")
    assert missing == []
    assert {"dev", "token", "demo-users", "scheduler", "ratelimit"} <= set(_subcommands())


@pytest.mark.parametrize("ttl", ["-5", "0", "soon"])
def test_a_token_lifetime_must_be_positive_seconds(ttl: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["token", "owner@profitum.demo", "--ttl", ttl])
    assert exited.value.code == 2 and "--ttl" in capsys.readouterr().err
    assert cli.build_parser().parse_args(["token", "a@b.demo", "--ttl", "60"]).ttl == 60


def test_demo_users_show_the_organization_slug() -> None:
    line = cli._user_line(
        {"email": "owner@profitum.demo", "organization": "Profitum", "slug": "profitum", "role": "owner"}
    )
    assert line.split() == ["owner@profitum.demo", "Profitum", "profitum", "owner"]
