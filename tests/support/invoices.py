"""Invoice factories: a seller identity, invoiceable companies and dossiers waiting for their refund."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

from tests.support import db as tdb

_serial = itertools.count(100_000 + uuid.uuid4().int % 800_000)


def siren() -> str:
    """A fresh SIREN with a valid Luhn key (unique within a test run)."""
    body = f"{next(_serial):08d}"[-8:]
    for key in range(10):
        candidate = body + str(key)
        total = 0
        for index, char in enumerate(candidate):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one key always completes a Luhn number")


def set_seller(conn: tdb.Conn, org: uuid.UUID, *, time_zone: str = "Europe/Paris") -> None:
    """Give an organization everything an invoice names about its seller."""
    number = siren()
    tdb.as_owner(conn)
    conn.execute(
        "update public.organizations set legal_name = 'Profitum SAS', siren = %s, siret = %s, vat_number = %s,"
        " address = '10 rue de la Paix', postal_code = '75002', city = 'Paris', iban = 'FR7630006000011234567890189',"
        " bic = 'AGRIFRPP', time_zone = %s where id = %s",
        (number, number + "00017", f"FR{(12 + 3 * (int(number) % 97)) % 97:02d}{number}", time_zone, org),
    )


def make_buyer(
    conn: tdb.Conn,
    org: uuid.UUID,
    *,
    name: str = "Transports Martin",
    departement: str = "69",
    users: tuple[uuid.UUID, ...] = (),
    partner: uuid.UUID | None = None,
) -> uuid.UUID:
    """A client company complete enough to be invoiced."""
    tdb.as_owner(conn)
    company = tdb.make_company(conn, org, name=name, partner=partner, users=users)
    conn.execute(
        "update public.client_companies set siren = %s, address = '5 quai Rambaud', postal_code = '69002',"
        " city = 'Lyon', departement = %s where id = %s",
        (siren(), departement, company),
    )
    return company


def make_refundable_dossier(
    conn: tdb.Conn,
    org: uuid.UUID,
    company: uuid.UUID,
    expert: uuid.UUID | None,
    *,
    product: str = "ticpe",
    status: str = "result_recorded",
    client_fee_rate: Decimal | None = Decimal("0.30"),
    platform_fee_rate: Decimal | None = Decimal("0.30"),
    partner_share_rate: Decimal | None = None,
    **over: Any,
) -> uuid.UUID:
    """A dossier whose administration granted the refund, rates frozen as accept_audit leaves them."""
    tdb.as_owner(conn)
    columns: dict[str, Any] = {
        "organization_id": org,
        "client_company_id": company,
        "product_code": product,
        "status": status,
        "expert_id": expert,
        "audit_amount": Decimal("10000.00"),
        "audited_amount": Decimal("10000.00"),
        "client_fee_rate": client_fee_rate,
        "platform_fee_rate": platform_fee_rate,
        "partner_share_rate": partner_share_rate,
        "rates_frozen_at": "2026-06-01T10:00:00Z",
        "claimed_amount": Decimal("10000.00"),
        "granted_amount": Decimal("10000.00"),
        "decision": "accepte",
        "decided_on": "2026-09-01",
        **over,
    }
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    row = conn.execute(
        f"insert into public.dossiers ({names}) values ({marks}) returning id",  # noqa: S608 (fixed names)
        tuple(columns.values()),
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


CONFIRM = {"refund_amount": "10000.00", "refund_date": "2026-10-01", "payment_reference": "DGDDI-2026-0042"}
