"""Stored prudential work of an organization: portfolios, versions, calculations, scenarios, import
mappings, the four-eyes approval and the calculation report. The engine itself is pure and lives in
the parent package; this package keeps what it computes, under RLS (migrations 0085–0088)."""
