"""The search (RPC `search_experts`, used by the functions): filters, French full text without
accents, sort by match score or rating, keyset pagination, visibility and private fields."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from shared.marketplace import service
from shared.marketplace.models import ExpertCard, SearchQuery
from shared.platform import errors
from tests.integration.marketplace.conftest import Market
from tests.support import db as tdb

TRANSPORT = "Transport et Logistique"


def _search(market: Market, persona: str | uuid.UUID, **query: Any) -> list[ExpertCard]:
    user = market.world.users[persona] if isinstance(persona, str) else persona
    tdb.as_user(market.conn, user)
    page = service.search(market.conn, query=SearchQuery(**query))
    return page.items


def _names(cards: list[ExpertCard]) -> list[str]:
    return [card.display_name for card in cards]


@pytest.fixture
def cast(market: Market) -> dict[str, uuid.UUID]:
    """Experts of organization A around a ticpe dossier of company A1 (Transport, 69)."""
    e: dict[str, uuid.UUID] = {}
    e["emilie"] = market.expert(
        name="Émilie Fiscalité",
        company="Cabinet Émilie",
        products={"ticpe": "expert"},
        sectors=[TRANSPORT],
        departements=["69"],
        rating=Decimal("4.8"),
        completed=12,
        description="Remboursement de la TICPE pour les transporteurs routiers",
        certifications=["Expert-comptable"],
    )
    e["paul"] = market.expert(name="Paul Énergie", products={"ticpe": "avance"}, departements=["national"])
    e["sophie"] = market.expert(
        name="Sophie Sociale",
        products={"ticpe": "intermediaire", "urssaf": "expert"},
        departements=["13"],
        rating=Decimal("3.0"),
        languages=["fr", "en"],
        sectors=["BTP et Construction"],
    )
    e["pending"] = market.expert(name="Pierre Pending", status="pending", products={"ticpe": "expert"})
    e["urssaf"] = market.expert(name="Ursula Urssaf", products={"urssaf": "expert"}, rating=Decimal("5.0"))
    e["paused"] = market.expert(name="Patrice Pause", activity="paused", products={"ticpe": "expert"})
    e["full"] = market.expert(name="Fanny Full", capacity=0, products={"ticpe": "expert"}, rating=Decimal("4.0"))
    e["away"] = market.expert(name="Alice Absente", products={"ticpe": "expert"})
    market.conn.execute(
        "insert into public.expert_absences (expert_id, starts_at, ends_at) values (%s, now() - interval '1 day',"
        " now() + interval '1 day')",
        (e["away"],),
    )
    e["other_org"] = market.expert(market.world.org_b, name="Bernard Autre", products={"ticpe": "expert"})
    e["dossier"] = market.dossier()
    return e


def test_score_sort_ranks_qualified_approved_experts_with_their_breakdown(
    market: Market, cast: dict[str, uuid.UUID]
) -> None:
    cards = _search(market, "client_a", dossier_id=cast["dossier"])
    twins = sorted((cast["away"], cast["paused"]))  # same score (75.00): the smaller id first
    assert [c.expert_id for c in cards] == [cast["emilie"], *twins, cast["full"], cast["paul"], cast["sophie"]]
    assert [str(c.score) for c in cards] == ["96.20", "75.00", "75.00", "69.00", "59.00", "38.00"]
    emilie = cards[0]
    # expert 30 + sector 15 + area 15 + rating 4.8 → 19.20 + experience 12 → 7 + load 10
    assert emilie.score == Decimal("96.20")
    assert emilie.score_parts == {
        "level": "30.00",
        "sector": "15.00",
        "area": "15.00",
        "rating": "19.20",
        "experience": "7.00",
        "load": "10.00",
    }
    assert [c.score for c in cards] == sorted((c.score for c in cards), reverse=True)


def test_eligible_only_keeps_those_who_may_take_the_dossier_now(market: Market, cast: dict[str, uuid.UUID]) -> None:
    cards = _search(market, "client_a", dossier_id=cast["dossier"], eligible_only=True)
    assert _names(cards) == ["Émilie Fiscalité", "Paul Énergie", "Sophie Sociale"]
    assert all(c.available_now and c.has_capacity for c in cards)


def test_rating_sort_is_the_default_without_a_dossier(market: Market, cast: dict[str, uuid.UUID]) -> None:
    cards = _search(market, "client_a", page_size=100)
    names = _names(cards)
    assert names[:4] == ["Ursula Urssaf", "Émilie Fiscalité", "Fanny Full", "Sophie Sociale"]
    assert "Pierre Pending" not in names and "Bernard Autre" not in names
    assert all(c.score is None and c.score_parts is None for c in cards)
    assert [c.rating for c in cards if c.rating is not None] == sorted(
        (c.rating for c in cards if c.rating is not None), reverse=True
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("emilie fiscalite", ["Émilie Fiscalité"]),
        ("ÉNERGIE", ["Paul Énergie"]),
        ("remboursements transporteur", ["Émilie Fiscalité"]),
        ("expert-comptable", ["Émilie Fiscalité"]),
        ("sociale -urssaf", ["Sophie Sociale"]),
        ("introuvable", []),
    ],
)
def test_french_full_text_ignores_accents_and_case(
    market: Market, cast: dict[str, uuid.UUID], q: str, expected: list[str]
) -> None:
    assert _names(_search(market, "client_a", q=q)) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"product": "urssaf"}, {"Ursula Urssaf", "Sophie Sociale"}),
        (
            {"product": "ticpe", "sector": TRANSPORT},
            {"Émilie Fiscalité", "Paul Énergie", "Patrice Pause", "Fanny Full", "Alice Absente"},
        ),
        ({"product": "ticpe", "departement": "13"}, {"Sophie Sociale", "Paul Énergie"}),
        ({"min_rating": Decimal("4.5")}, {"Émilie Fiscalité", "Ursula Urssaf"}),
        ({"language": "en"}, {"Sophie Sociale"}),
        (
            {"product": "ticpe", "available_now": True},
            {"Émilie Fiscalité", "Paul Énergie", "Sophie Sociale", "Fanny Full"},
        ),
        (
            {"product": "ticpe", "has_capacity": True},
            {"Émilie Fiscalité", "Paul Énergie", "Sophie Sociale", "Patrice Pause", "Alice Absente"},
        ),
    ],
)
def test_filters(market: Market, cast: dict[str, uuid.UUID], filters: dict[str, Any], expected: set[str]) -> None:
    assert set(_names(_search(market, "client_a", **filters))) == expected
    with_dossier = _search(
        market, "client_a", dossier_id=cast["dossier"], **{k: v for k, v in filters.items() if k != "product"}
    )
    if filters.get("product", "ticpe") == "ticpe":
        assert set(_names(with_dossier)) == expected - {"Ursula Urssaf"}


@pytest.mark.parametrize("sort", ["score", "rating"])
def test_keyset_pages_cover_the_list_once_in_order(market: Market, cast: dict[str, uuid.UUID], sort: str) -> None:
    full = _names(_search(market, "admin_a", dossier_id=cast["dossier"], sort=sort, page_size=100))
    seen: list[str] = []
    after = None
    for _ in range(10):
        tdb.as_user(market.conn, market.world.users["admin_a"])
        page = service.search(
            market.conn, query=SearchQuery(dossier_id=cast["dossier"], sort=sort, page_size=2, after=after)
        )
        seen += _names(page.items)
        after = page.next_after
        if after is None:
            break
    assert seen == full and len(full) == 6


def test_ties_follow_recent_assignments_then_longest_wait_then_id(market: Market) -> None:
    ids = [market.expert(name=f"Twin {n}", products={"dfs": "avance"}, departements=["75"]) for n in range(4)]
    recent, waited_long, waited_short, never = ids
    market.conn.execute(
        "update public.expert_terms set last_assigned_at = now() - interval '1 hour',"
        " recent_assignments = array[now() - interval '2 days', now() - interval '1 hour'] where expert_id = %s",
        (recent,),
    )
    market.conn.execute(
        "update public.expert_terms set last_assigned_at = now() - interval '20 days',"
        " recent_assignments = array[now() - interval '20 days'] where expert_id = %s",
        (waited_long,),
    )
    market.conn.execute(
        "update public.expert_terms set last_assigned_at = now() - interval '2 days',"
        " recent_assignments = array[now() - interval '2 days'] where expert_id = %s",
        (waited_short,),
    )
    dossier = market.dossier(product="dfs")
    cards = _search(market, "admin_a", dossier_id=dossier)
    assert len({c.score for c in cards}) == 1
    assert [c.expert_id for c in cards] == [never, waited_long, waited_short, recent]


def test_private_numbers_only_for_staff_and_the_expert_themself(market: Market, cast: dict[str, uuid.UUID]) -> None:
    for persona in ("client_a", "partner_a", "expert_a"):
        cards = _search(market, persona, page_size=100)
        assert len(cards) >= 7
        for card in cards:
            if card.expert_id != market.world.experts.get(persona):
                assert (card.capacity, card.open_dossiers, card.completed_dossiers, card.fee_rate) == (None,) * 4
    staff = {c.display_name: c for c in _search(market, "viewer_a", page_size=100)}
    assert staff["Émilie Fiscalité"].capacity == 10 and staff["Émilie Fiscalité"].fee_rate == Decimal("0.3000")
    own = {c.display_name: c for c in _search(market, market.user_of(cast["paul"]), page_size=100)}
    assert own["Paul Énergie"].capacity == 10
    assert own["Émilie Fiscalité"].capacity is None


def test_only_the_callers_organization(market: Market, cast: dict[str, uuid.UUID]) -> None:
    assert set(_names(_search(market, "client_b"))) == {"Bernard Autre", "Expert"}  # world's expert_b
    assert _search(market, "client_b", organization_id=market.world.org_a) == []
    assert _search(market, "outsider", organization_id=market.world.org_a) == []
    assert _search(market, "outsider") == []


@pytest.mark.parametrize(
    ("persona", "query", "status", "code"),
    [
        ("client_a", {"sort": "score"}, 422, "dossier_required"),
        ("client_b", {"dossier": True}, 404, "dossier_not_found"),
        ("outsider", {"dossier": True}, 404, "dossier_not_found"),
        ("expert_a", {"dossier": True}, 403, "forbidden"),
        ("client_a2", {"dossier": True}, 403, "forbidden"),
        ("client_a", {"after": "random"}, 422, "invalid_cursor"),
        ("client_a", {"dossier": True, "after": "random"}, 422, "invalid_cursor"),
    ],
)
def test_refusals(
    market: Market, cast: dict[str, uuid.UUID], persona: str, query: dict[str, Any], status: int, code: str
) -> None:
    params: dict[str, Any] = {"sort": query.get("sort")}
    if query.get("dossier"):
        params["dossier_id"] = cast["dossier"]
    if query.get("after"):
        params["after"] = uuid.uuid4()
    with pytest.raises(errors.AppError) as caught, market.conn.transaction():
        _search(market, persona, **params)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_a_member_of_several_organizations_must_choose(market: Market, cast: dict[str, uuid.UUID]) -> None:
    both = tdb.make_user(market.conn)
    tdb.add_member(market.conn, market.world.org_a, both, "viewer")
    tdb.add_member(market.conn, market.world.org_b, both, "viewer")
    with pytest.raises(errors.Unprocessable) as caught, market.conn.transaction():
        _search(market, both)
    assert caught.value.code == "organization_required"
    assert set(_names(_search(market, both, organization_id=market.world.org_b))) == {"Bernard Autre", "Expert"}


def test_the_rpc_is_refused_to_anonymous_callers(market: Market, cast: dict[str, uuid.UUID]) -> None:
    import psycopg

    tdb.as_anon(market.conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), market.conn.transaction():
        market.conn.execute("select * from public.search_experts()")


def test_profile_changes_reach_the_search_at_once(market: Market, cast: dict[str, uuid.UUID]) -> None:
    tdb.as_user(market.conn, market.user_of(cast["paul"]))
    market.conn.execute(
        "update public.expert_profiles set description = 'Spécialiste des économies d''énergie' where id = %s",
        (cast["paul"],),
    )
    market.conn.execute("update public.expert_products set level = 'expert' where expert_id = %s", (cast["paul"],))
    cards = _search(market, "client_a", dossier_id=cast["dossier"], q="economies")
    assert _names(cards) == ["Paul Énergie"] and cards[0].score_parts is not None
    assert cards[0].score_parts["level"] == "30.00"


def test_the_ranking_in_cents_equals_the_match_score(market: Market, cast: dict[str, uuid.UUID]) -> None:
    rows = market.rows(
        "select m.base_cents + 100 * private.score_sector(m.sectors, c.sector)"
        " + 100 * private.score_area(m.departements, c.departement) as cents,"
        " private.match_total(m.level, m.sectors, m.departements, m.rating, m.completed_dossiers, m.open_dossiers,"
        " m.capacity, c.sector, c.departement) as total"
        " from private.expert_match m cross join public.client_companies c"
        " where m.organization_id = %s and c.organization_id = %s",
        market.world.org_a,
        market.world.org_a,
    )
    assert len(rows) > 20
    assert all(Decimal(r["cents"]) / 100 == r["total"] for r in rows)
