"""`invitations` through its WSGI app: owners and admins invite, the invited person accepts once; expired,
reused, revoked and foreign invitations are refused; the production adapter goes through the `supabase` SDK
to a local stand-in of Supabase Auth's admin invite endpoint."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.adapters.auth_admin import SupabaseInviter
from shared.platform.settings import Secret, Settings
from tests.support import db as tdb
from tests.support.gotrue_server import SERVICE_KEY, GoTrueStandIn, gotrue_stand_in
from tests.support.tokens import KeyPair


@pytest.fixture
def mail_dir(tmp_path: Path, use: Callable[..., Settings]) -> Path:
    use(
        mail_dir=str(tmp_path / "mail"),
        public_base_url="https://api.example.test",
        app_base_url="https://app.example.test",
    )
    return tmp_path / "mail"


@pytest.fixture
def api(client_for: Callable[[str], FlaskClient]) -> FlaskClient:
    return client_for("invitations")


def _auth(keys: KeyPair, user: uuid.UUID, email_: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.token(user, email=email_)}"}


def _invite(api: FlaskClient, keys: KeyPair, by: uuid.UUID, **body: Any) -> Any:
    return api.post("/invitations", json=body, headers=_auth(keys, by))


def _token_from(mail_dir: Path, invitation_id: str) -> tuple[str, email.message.EmailMessage]:
    raw = (mail_dir / f"invitation-{invitation_id}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    text = message.get_body(("plain",))
    assert text is not None
    # the link leads to the front end (APP_BASE_URL), which signs the person in and posts the token
    found = re.search(r"https://app\.example\.test/invitations/accept\?token=([A-Za-z0-9_\-]+)", text.get_content())
    assert found is not None
    return found.group(1), message


def _user_id(conn: tdb.Conn, address: str) -> uuid.UUID:
    row = conn.execute("select id from auth.users where email = %s", (address,)).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def test_a_client_user_is_invited_locally_and_joins_their_company(
    committed: tdb.Conn, tenant: dict[str, uuid.UUID], keys: KeyPair, api: FlaskClient, mail_dir: Path
) -> None:
    address = f"new-{uuid.uuid4().hex[:8]}@example.test"
    response = _invite(
        api, keys, tenant["owner"], organization_id=str(tenant["org"]), email=address.upper(), role="client",
        company_id=str(tenant["company"]),
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == address and body["status"] == "pending" and body["delivery"] == "email"
    token, message = _token_from(mail_dir, body["id"])
    assert message["To"] == address and message["Subject"] == "Invitation à rejoindre Cabinet Test"
    assert "Transports Test" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # the local shim created the account; the database keeps only the token's hash
    user = _user_id(committed, address)
    stored = committed.execute("select token_sha256 from public.invitations where id = %s", (body["id"],)).fetchone()
    assert stored is not None and token not in stored["token_sha256"]

    accepted = api.post("/invitations/accept", json={"token": token}, headers=_auth(keys, user, address))
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["role"] == "client"
    assert committed.execute(
        "select count(*) as n from public.client_company_users where company_id = %s and user_id = %s",
        (tenant["company"], user),
    ).fetchone() == {"n": 1}
    again = api.post("/invitations/accept", json={"token": token}, headers=_auth(keys, user, address))
    assert again.status_code == 409 and again.get_json()["code"] == "invitation_used"


def test_expired_foreign_unknown_and_revoked_invitations_are_refused(
    committed: tdb.Conn, tenant: dict[str, uuid.UUID], keys: KeyPair, api: FlaskClient, mail_dir: Path
) -> None:
    address = f"exp-{uuid.uuid4().hex[:8]}@example.test"
    body = _invite(
        api, keys, tenant["owner"], organization_id=str(tenant["org"]), email=address, role="expert", locale="en"
    ).get_json()
    token, message = _token_from(mail_dir, body["id"])
    assert message["Subject"] == "Invitation to join Cabinet Test"
    user = _user_id(committed, address)
    stranger = tdb.make_user(committed)
    foreign = api.post("/invitations/accept", json={"token": token}, headers=_auth(keys, stranger))
    assert foreign.status_code == 403 and foreign.get_json()["code"] == "invitation_foreign"
    unknown = api.post("/invitations/accept", json={"token": "x" * 43}, headers=_auth(keys, user, address))
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "invitation_not_found"
    committed.execute("update public.invitations set expires_at = now() - interval '1 second' where id = %s",
                      (body["id"],))  # fmt: skip
    expired = api.post("/invitations/accept", json={"token": token}, headers=_auth(keys, user, address))
    assert expired.status_code == 409 and expired.get_json()["code"] == "invitation_expired"
    assert "expired" in expired.get_json()["detail"]
    # re-inviting renews: the old token is revoked, the new one works
    renewed = _invite(api, keys, tenant["owner"], organization_id=str(tenant["org"]), email=address, role="expert")
    new_token, _ = _token_from(mail_dir, renewed.get_json()["id"])
    old = api.post("/invitations/accept", json={"token": token}, headers=_auth(keys, user, address))
    assert old.status_code == 409 and old.get_json()["code"] == "invitation_revoked"
    revoked = api.post(f"/invitations/{renewed.get_json()['id']}/revoke", headers=_auth(keys, tenant["owner"]))
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    late = api.post("/invitations/accept", json={"token": new_token}, headers=_auth(keys, user, address))
    assert late.status_code == 409 and late.get_json()["code"] == "invitation_revoked"


def test_only_owners_and_admins_invite_and_bad_input_names_the_field(
    tenant: dict[str, uuid.UUID], keys: KeyPair, api: FlaskClient, mail_dir: Path
) -> None:
    org = str(tenant["org"])
    by_client = _invite(api, keys, tenant["client"], organization_id=org, email="a@example.test", role="expert")
    assert by_client.status_code == 403
    by_other_org = _invite(
        api, keys, tenant["owner"], organization_id=str(tenant["other"]), email="a@example.test", role="partner"
    )
    assert by_other_org.status_code == 403
    cases = [
        ({"email": "not-an-address", "role": "expert"}, "email"),
        ({"email": "a@example.test", "role": "owner"}, "role"),
        ({"email": "a@example.test", "role": "client"}, "company_id"),
        ({"email": "a@example.test", "role": "expert", "company_id": str(tenant["company"])}, "company_id"),
    ]
    for body, field in cases:
        response = _invite(api, keys, tenant["owner"], organization_id=org, **body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in str(response.get_json()), (body, response.get_json())
    anonymous = api.post("/invitations/accept", json={"token": "x" * 43})
    assert anonymous.status_code == 401


@pytest.mark.race
def test_two_accepts_at_once_join_once(
    committed: tdb.Conn, tenant: dict[str, uuid.UUID], keys: KeyPair, api: FlaskClient, mail_dir: Path
) -> None:
    address = f"race-{uuid.uuid4().hex[:8]}@example.test"
    body = _invite(
        api, keys, tenant["owner"], organization_id=str(tenant["org"]), email=address, role="partner"
    ).get_json()
    token, _ = _token_from(mail_dir, body["id"])
    user = _user_id(committed, address)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def accept() -> None:
        barrier.wait()
        answer = api.post("/invitations/accept", json={"token": token}, headers=_auth(keys, user, address))
        results.append(answer.status_code)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    assert committed.execute(
        "select role from public.memberships where organization_id = %s and user_id = %s", (tenant["org"], user)
    ).fetchall() == [{"role": "partner"}]


@pytest.fixture
def gotrue() -> Iterator[GoTrueStandIn]:
    with gotrue_stand_in() as server:
        yield server


def test_production_adapter_invites_through_the_supabase_sdk(gotrue: GoTrueStandIn) -> None:
    inviter = SupabaseInviter(gotrue.url, SERVICE_KEY)
    outcome = inviter.invite(
        "Someone@Example.test".lower(), redirect_to="https://app.example.test/invitations/accept?token=abc",
        data={"invitation_id": "i-1"},
    )  # fmt: skip
    assert outcome == "invited"
    assert gotrue.invites == [
        {
            "email": "someone@example.test",
            "data": {"invitation_id": "i-1"},
            "redirect_to": "https://app.example.test/invitations/accept?token=abc",
        }
    ]
    # a registered address is not invited again by Supabase: our own email goes instead
    assert inviter.invite("someone@example.test", redirect_to="https://x.test/", data={}) == "existing"
    # a wrong key is a clear 503, not a crash
    with pytest.raises(Exception) as refused:
        SupabaseInviter(gotrue.url, "wrong-key").invite("other@example.test", redirect_to="https://x.test/", data={})
    assert getattr(refused.value, "status", None) == 503


def test_invite_in_production_mode_uses_supabase_auth_and_keeps_the_key_server_side(
    committed: tdb.Conn,
    tenant: dict[str, uuid.UUID],
    keys: KeyPair,
    api: FlaskClient,
    gotrue: GoTrueStandIn,
    use: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    use(
        supabase_url=gotrue.url,
        supabase_service_role_key=Secret(SERVICE_KEY),
        mail_dir=str(tmp_path / "mail"),
    )
    address = f"prod-{uuid.uuid4().hex[:8]}@example.test"
    response = api.post(
        "/invitations",
        json={"organization_id": str(tenant["org"]), "email": address, "role": "expert"},
        headers={"Authorization": f"Bearer {keys.token(tenant['owner'])}"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["delivery"] == "supabase_invite"
    assert SERVICE_KEY not in response.get_data(as_text=True)
    assert gotrue.invites[-1]["email"] == address
    assert gotrue.invites[-1]["redirect_to"].startswith("http")
    assert "token=" in gotrue.invites[-1]["redirect_to"]
    assert not (tmp_path / "mail").exists()


def test_an_existing_account_gets_our_invitation_email_through_the_outbox(
    committed: tdb.Conn,
    tenant: dict[str, uuid.UUID],
    keys: KeyPair,
    api: FlaskClient,
    gotrue: GoTrueStandIn,
    use: Callable[..., Settings],
) -> None:
    use(supabase_url=gotrue.url, supabase_service_role_key=Secret(SERVICE_KEY), resend_api_key=Secret("re_x"))
    address = f"known-{uuid.uuid4().hex[:8]}@example.test"
    gotrue.registered.add(address)
    response = api.post(
        "/invitations",
        json={"organization_id": str(tenant["org"]), "email": address, "role": "partner"},
        headers={"Authorization": f"Bearer {keys.token(tenant['owner'])}"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["delivery"] == "email"
    queued = committed.execute(
        "select status, essential, subject, text_body from public.email_outbox where idempotency_key = %s",
        (f"invitation:{response.get_json()['id']}",),
    ).fetchone()
    assert queued is not None and queued["essential"] and queued["status"] == "queued"
    assert queued["subject"] == "Invitation à rejoindre Cabinet Test" and "token=" in queued["text_body"]


def test_a_deployed_project_without_the_service_key_is_refused_not_written_directly(
    tenant: dict[str, uuid.UUID], keys: KeyPair, api: FlaskClient, use: Callable[..., Settings]
) -> None:
    use(supabase_url="https://project.supabase.test")
    response = api.post(
        "/invitations",
        json={"organization_id": str(tenant["org"]), "email": "nobody@example.test", "role": "expert"},
        headers={"Authorization": f"Bearer {keys.token(tenant['owner'])}"},
    )
    assert response.status_code == 503 and response.get_json()["code"] == "auth_admin_not_configured"
