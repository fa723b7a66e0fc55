"""`fintrack`: the command line of the local stack and of the acceptance contracts."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from infra import local
from shared.platform.migrate import SQL_DIR, MigrationError, apply_migrations
from shared.platform.settings import use_settings

Command = Callable[[argparse.Namespace], int]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


# --- database -------------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> int:
    action = args.action
    external = bool(local.get_settings().database_url.value)
    if action == "url":
        _out(local.database_url(start=False))
    elif action == "up":
        if external:
            _out("DATABASE_URL is set: nothing to start")
        else:
            _out(local.cluster().start())
    elif action == "down":
        if external:
            _out("DATABASE_URL is set: nothing to stop")
        else:
            local.cluster().stop()
            _out("stopped")
    elif action == "migrate":
        return _migrate(local.database_url())
    elif action == "reset":
        if external:
            _err("refusing to reset an external database (DATABASE_URL is set)")
            return 2
        _reset()
        return _migrate(local.database_url())
    elif action == "psql":
        os.execvp("psql", ["psql", local.database_url()])  # noqa: S606 (replaces this process by design)
    return 0


def _migrate(url: str) -> int:
    try:
        applied = apply_migrations(url)
    except MigrationError as exc:
        _err(f"migration refused: {exc}")
        return 1
    _out("\n".join(f"applied {name}" for name in applied) if applied else "database is up to date")
    return 0


def _reset() -> None:
    import psycopg

    from infra.embedded import DATABASE

    cluster = local.cluster()
    cluster.start()
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{DATABASE}" with (force)')
    cluster.start()


# --- demo data and tokens -------------------------------------------------------------------------
def seed_demo(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute((SQL_DIR / "seed" / "demo.sql").read_text(encoding="utf-8").encode())
        conn.execute((SQL_DIR / "seed" / "demo_marketplace.sql").read_text(encoding="utf-8").encode())
        conn.execute((SQL_DIR / "seed" / "demo_dossiers.sql").read_text(encoding="utf-8").encode())
        conn.execute((SQL_DIR / "seed" / "demo_documents.sql").read_text(encoding="utf-8").encode())
        conn.execute((SQL_DIR / "seed" / "demo_invoices.sql").read_text(encoding="utf-8").encode())
        conn.execute((SQL_DIR / "seed" / "demo_prudential.sql").read_text(encoding="utf-8").encode())
        conn.execute((SQL_DIR / "seed" / "demo_journey.sql").read_text(encoding="utf-8").encode())
    _store_demo_documents(url)


def _store_demo_documents(url: str) -> None:
    """The demo documents' files, in the documents storage the local settings choose."""
    from shared.documents.demo import store_demo_files
    from shared.documents.service import documents_storage

    store_demo_files(url, documents_storage(local.local_settings(start_db=False)))


def cmd_seed(args: argparse.Namespace) -> int:
    url = local.database_url()
    if _migrate(url) != 0:
        return 1
    seed_demo(url)
    _out("demo data loaded")
    return 0


_DEMO_USERS = """
select u.id::text as user_id, u.email, o.name as organization, o.slug, m.role
from auth.users u
join public.memberships m on m.user_id = u.id
join public.organizations o on o.id = m.organization_id
where u.email like '%%.demo'
order by o.slug,
  array_position(array['owner','admin','expert','client','partner','viewer','analyst','approver'], m.role), u.email
"""


def demo_users(url: str) -> list[dict[str, str]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return [dict(row) for row in conn.execute(_DEMO_USERS).fetchall()]


def _user_line(user: dict[str, str]) -> str:
    return f"{user['email']:<28} {user['organization']:<20} {user['slug']:<12} {user['role']}"


def cmd_demo_users(args: argparse.Namespace) -> int:
    users = demo_users(local.database_url())
    if args.json:
        _out(
            json.dumps(
                [{k: u[k] for k in ("email", "organization", "slug", "role")} for u in users],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _out(f"{'e-mail':<28} {'organization':<20} {'slug':<12} role")
        for user in users:
            _out(_user_line(user))
    return 0


def _positive_seconds(text: str) -> int:
    """A --ttl value: a whole number of seconds above zero (a token already expired is no use)."""
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {seconds}")
    return seconds


def cmd_ratelimit(args: argparse.Namespace) -> int:
    from shared.platform import db, ratelimit

    use_settings(local.local_settings(start_db=True))
    try:
        with db.service_transaction() as conn:
            forgotten = ratelimit.reset(conn, prefix=args.prefix)
    finally:
        db.close_pool()
    _out(f"rate limits reset ({forgotten} counter{'s' if forgotten != 1 else ''} forgotten)")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    import psycopg

    with psycopg.connect(local.database_url()) as conn:
        row = conn.execute("select id::text from auth.users where lower(email) = lower(%s)", (args.email,)).fetchone()
    if row is None:
        _err(f"no user with e-mail {args.email} (see `fintrack demo-users`)")
        return 2
    _out(local.issuer().mint(user_id=row[0], email=args.email.lower(), ttl=args.ttl))
    return 0


# --- local stack ----------------------------------------------------------------------------------
def cmd_dev(args: argparse.Namespace) -> int:
    from infra import devserver, scheduler

    url = local.database_url()
    if _migrate(url) != 0:
        return 1
    seed_demo(url)
    settings = local.local_settings(port=args.port)
    use_settings(settings)
    base = f"http://127.0.0.1:{args.port}"
    users = demo_users(url)
    _out(f"\nFinancialTracker local stack on {base}  (database: {url})")
    _out(f"  functions: {base}/<name>    OpenAPI: {base}/openapi.json")
    _out("  demo users (get a token with `fintrack token EMAIL`):")
    for user in users:
        _out(f"    {_user_line(user)}")
    _out(f'  try: curl -H "Authorization: Bearer $(.venv/bin/fintrack token owner@profitum.demo)" {base}/me\n')
    jobs = scheduler.jobs_from_manifest(local.PROJECT_ROOT / "serverless.yml")
    child = None
    if jobs:
        child = subprocess.Popen([sys.executable, "-m", "infra.cli", "scheduler", "--port", str(args.port)])
    try:
        devserver.serve(devserver.build_app(), port=args.port, workers=args.workers, threads=args.threads)
    finally:
        if child is not None:
            child.terminate()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from infra import scheduler

    settings = local.local_settings(port=args.port, start_db=False)
    jobs = scheduler.jobs_from_manifest(local.PROJECT_ROOT / "serverless.yml")
    scheduler.run(jobs, base_url=f"http://127.0.0.1:{args.port}", cron_secret=settings.cron_secret.value)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from shared.simulation import cli as simulation_cli

    code, output = simulation_cli.run(args.rule_set, sys.stdin.read())
    (_out if code == 0 else _err)(output)
    return code


def cmd_prudential(args: argparse.Namespace) -> int:
    from shared.prudential import cli as prudential_cli

    code, output = prudential_cli.run(args.rule_set, sys.stdin.read())
    (_out if code == 0 else _err)(output)
    return code


def cmd_prudential_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from shared.reporting import cli as reporting_cli

    options = reporting_cli.Options(
        format=args.format, module=args.module, lei=args.lei, country=args.country, basis=args.basis,
        out=Path(args.out), timestamp=args.timestamp, rule_set=args.rule_set,
    )  # fmt: skip
    code, output = reporting_cli.run(options, sys.stdin.read())
    (_out if code == 0 else _err)(output)
    return code


def cmd_match_score(args: argparse.Namespace) -> int:
    from shared.marketplace import cli as marketplace_cli

    code, output = marketplace_cli.run(sys.stdin.read())
    (_out if code == 0 else _err)(output)
    return code


def cmd_sla(args: argparse.Namespace) -> int:
    from shared.followup import cli as followup_cli

    code, output = followup_cli.run(args.action, sys.stdin.read())
    (_out if code == 0 else _err)(output)
    return code


def cmd_commission(args: argparse.Namespace) -> int:
    from shared.invoices import cli as invoices_cli

    code, output = invoices_cli.run(sys.stdin.read())
    (_out if code == 0 else _err)(output)
    return code


def cmd_render(args: argparse.Namespace) -> int:
    from shared.exports import cli as export_cli

    if not args.format or not args.out:
        _err("error: --format and --out are required (e.g. --format pdf --out report.pdf)")
        return export_cli.USAGE_ERROR
    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        _err(f"error: --date {args.date!r} is not a date like 2026-11-21")
        return export_cli.USAGE_ERROR
    text = sys.stdin.read()
    code, output = export_cli.run(args.document, args.format, args.lang, text, company=args.company, day=day)
    if isinstance(output, str):
        _err(output)
        return code
    try:
        _write(args.out, output)
    except OSError as exc:
        _err(f"error: cannot write {args.out}: {exc.strerror or exc}")
        return 1
    return code


def _write(target: str, data: bytes) -> None:
    """Write ``data`` to ``target`` (``-``: standard output) atomically: the whole file or nothing."""
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    path = Path(target)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def cmd_openapi(args: argparse.Namespace) -> int:
    from functions import routers
    from shared.platform import openapi

    _out(json.dumps(openapi.build(routers()), indent=2))
    return 0


# --- audit ----------------------------------------------------------------------------------------
def cmd_audit(args: argparse.Namespace) -> int:
    from shared.platform.audit import verify_database

    status, message = verify_database(local.database_url(), args.organization)
    (_out if status == 0 else _err)(message)
    return status


# --- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fintrack", description="FinancialTracker backend tools")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser(
        "dev",
        help="start the local stack: database, migrations, demo data, functions",
        description="Start the embedded database (or use DATABASE_URL), apply migrations, load the demo data, "
        "serve every function on one port and run the scheduled ones (see `fintrack scheduler`). "
        "Stop it with Ctrl-C.",
    )
    dev.add_argument("--port", type=int, default=8080, help="port to serve on (default 8080)")
    dev.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    dev.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
    dev.set_defaults(run=cmd_dev)

    db = sub.add_parser(
        "db",
        help="the database: url, up, down, migrate, reset, psql",
        description="The local database: the embedded cluster under .local/postgres, or DATABASE_URL when set.",
    )
    db.add_argument(
        "action",
        choices=["url", "up", "down", "migrate", "reset", "psql"],
        help="url: print its URL; up/down: start/stop the embedded cluster; migrate: apply new migrations; "
        "reset: drop and re-create the embedded database; psql: open a psql shell",
    )
    db.set_defaults(run=cmd_db)

    seed = sub.add_parser(
        "seed", help="load data", description="Apply migrations, then load the demo data (idempotent)."
    )
    seed.add_argument("what", choices=["demo"], help="demo: two organizations with a user in every role")
    seed.set_defaults(run=cmd_seed)

    users = sub.add_parser(
        "demo-users",
        help="list the demo users",
        description="List the demo users: e-mail, organization, its slug (what the questionnaire and anonymous "
        "starts name it by) and role. Get a token for one with `fintrack token EMAIL`.",
    )
    users.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    users.set_defaults(run=cmd_demo_users)

    token = sub.add_parser(
        "token",
        help="mint an access token the local stack accepts",
        description="Print a signed access token (JWT) for a user of the local database, accepted by the local "
        "stack as `Authorization: Bearer <token>`.",
    )
    token.add_argument("email", help="the user's e-mail (see `fintrack demo-users`)")
    token.add_argument("--ttl", type=_positive_seconds, default=3600, help="lifetime in seconds, > 0 (default 3600)")
    token.set_defaults(run=cmd_token)

    sched = sub.add_parser(
        "scheduler",
        help="run the local scheduler against a dev server",
        description="Call each scheduled function (serverless.yml schedules) on a running dev server, with the "
        "cron secret, on its schedule; `fintrack dev` starts one for you.",
    )
    sched.add_argument("--port", type=int, default=8080, help="the dev server's port (default 8080)")
    sched.set_defaults(run=cmd_scheduler)

    simulate = sub.add_parser(
        "simulate",
        help="compute simulations: answers JSON (object or array) on stdin",
        description="Read answers (a JSON object of question code to answer, or an array of them) on standard "
        "input and print each result (eligibility, amounts, explanations) as JSON. No database needed.",
    )
    simulate.add_argument("--rule-set", default="FR-2025.1", help="bundled rule set version (default FR-2025.1)")
    simulate.set_defaults(run=cmd_simulate)

    prudential = sub.add_parser(
        "prudential",
        help="CRR3 prudential figures: calculation JSON (object or array) on stdin",
        description="Read a calculation input (a JSON object, or an array of them) on standard input and print "
        "each result as canonical JSON; bad input exits with code 2 and one `<path>: <problem>` line.",
    )
    prudential.add_argument("--rule-set", default="CRR3-2025.1", help="bundled rule set (default CRR3-2025.1)")
    prudential.set_defaults(run=cmd_prudential)
    prudential_sub = prudential.add_subparsers(
        dest="prudential_command", required=False, help="optional: `report` writes a COREP workbook or package"
    )
    report = prudential_sub.add_parser(
        "report",
        help="COREP report: one calculation input on stdin, the XLSX workbook or xBRL-CSV package in --out",
        description="Read one calculation input on standard input, fill the module's COREP templates, run the "
        "validation rules and write the workbook (xlsx) or the EBA report package (xbrl-csv) into --out under "
        "its EBA name; print its path. A failing ERROR rule exits with code 2 listing the rule ids.",
    )
    report.add_argument("--format", required=True, choices=["xlsx", "xbrl-csv"])
    report.add_argument("--module", required=True, choices=["corep_of", "corep_lr", "corep_lcr_da", "corep_nsfr"])
    report.add_argument("--lei", required=True, help="the reporting entity's LEI (20 characters)")
    report.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 country code, upper case")
    report.add_argument("--basis", required=True, choices=["CON", "IND"])
    report.add_argument("--timestamp", help="creation timestamp YYYYMMDDhhmmssfff (default: reference date 00:00)")
    report.add_argument("--out", required=True, help="directory the file is written into")
    report.add_argument(
        "--rule-set", default=argparse.SUPPRESS, help="bundled rule set (default CRR3-2025.1, also before `report`)"
    )
    report.set_defaults(run=cmd_prudential_report)

    score = sub.add_parser(
        "match-score",
        help="match scores: {expert, client} JSON (object or array) on stdin",
        description='Read {"expert": {...}, "client": {...}} (or an array of them) on standard input and print '
        "each match score with its parts.",
    )
    score.set_defaults(run=cmd_match_score)

    sla = sub.add_parser(
        "sla",
        help="business time on a calendar: `elapsed` (minutes between) or `due` (instant after N minutes)",
        description="Read {calendar, start, end, pauses} (elapsed) or {calendar, start, business_minutes} (due), or an "
        "array of them, on standard input and print the business minutes or the due instant for each.",
    )
    sla.add_argument(
        "action",
        choices=["elapsed", "due"],
        help="elapsed: {calendar, start, end, pauses}; due: "
        "{calendar, start, business_minutes}; JSON object or array on stdin",
    )
    sla.set_defaults(run=cmd_sla)

    commission = sub.add_parser(
        "commission",
        help="commission waterfalls: {refund_amount, rates} JSON (object or array) on stdin",
        description="Read {refund_amount, client_fee_rate, platform_fee_rate, partner_share_rate, vat_rate} (or an "
        "array of them) on standard input and print each waterfall with amounts as 2-decimal strings.",
    )
    commission.set_defaults(run=cmd_commission)

    render = sub.add_parser(
        "render",
        help="a document from answers JSON on stdin, e.g. render simulation-report",
        description="Compute answers read on standard input with rule set FR-2025.1 and render the simulation "
        "report with the demo organization's branding.",
    )
    render.add_argument("document", help="simulation-report")
    render.add_argument("--format", help="xlsx, docx or pdf")
    render.add_argument("--lang", default="fr", help="fr (default) or en")
    render.add_argument("--out", help="the file to write (- for standard output)")
    render.add_argument("--company", help="the company named in the report")
    render.add_argument("--date", help="the simulation date, YYYY-MM-DD (default: today in Paris)")
    render.set_defaults(run=cmd_render)

    limits = sub.add_parser(
        "ratelimit",
        help="reset the anonymous rate limits",
        description="Forget the rate-limit counters (anonymous simulation starts and calls per address), so that "
        "a visitor who hit the limit may start again at once.",
    )
    limits.add_argument("action", choices=["reset"], help="reset: forget the counters")
    limits.add_argument("--prefix", default="", help="only the buckets starting with this, e.g. simulate-starts")
    limits.set_defaults(run=cmd_ratelimit)

    api = sub.add_parser(
        "openapi", help="print the OpenAPI document", description="Print the OpenAPI 3.1 document of every function."
    )
    api.set_defaults(run=cmd_openapi)

    audit = sub.add_parser(
        "audit",
        help="the audit log: verify its hash chains",
        description="Check the audit log: recompute each organization's hash chain and name the first row that "
        "does not match.",
    )
    audit.add_argument("action", choices=["verify"], help="verify: recompute every chain, name the first bad row")
    audit.add_argument("--organization", metavar="SLUG", help="only this organization's chain")
    audit.set_defaults(run=cmd_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
