"""The rule set a stored calculation uses, by code."""

from __future__ import annotations

from shared.platform.db import Connection
from shared.prudential.rules import RuleSet, load_rule_set


def load(conn: Connection, code: str) -> RuleSet:
    """The rule set ``code`` (404 ``unknown_rule_set`` when there is none)."""
    del conn
    return load_rule_set(code)
