"""Settings hide secrets; the OpenAPI document describes every route."""

from __future__ import annotations

from functions import routers
from shared.platform import openapi
from shared.platform.settings import load_settings


def test_secrets_never_show_in_repr() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://u:hunter2@db/x", "SUPABASE_JWT_SECRET": "s3cr3t"})
    assert "hunter2" not in repr(settings) and "s3cr3t" not in repr(settings)
    assert settings.database_url.value.endswith("@db/x")


def test_issuer_and_jwks_derive_from_supabase_url() -> None:
    settings = load_settings({"SUPABASE_URL": "https://abc.supabase.co/"})
    assert settings.issuer == "https://abc.supabase.co/auth/v1"
    assert settings.jwks_endpoint == "https://abc.supabase.co/auth/v1/.well-known/jwks.json"
    assert load_settings({"CORS_ALLOWED_ORIGINS": "https://a.test, https://b.test"}).cors_allowed_origins == (
        "https://a.test",
        "https://b.test",
    )


def test_openapi_lists_every_route_with_its_models() -> None:
    document = openapi.build(routers())
    assert document["openapi"] == "3.1.0"
    me = document["paths"]["/me"]["get"]
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MeOut"}
    assert "MembershipOut" in document["components"]["schemas"]
    for name, router in routers().items():
        for route in router.routes:
            path = f"/{name}{route.path.rstrip('/')}"
            assert route.method.lower() in document["paths"][path]
