"""The `portfolio` command: migrations, seeding, tokens and the HTTP server."""

import asyncio
import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlmodel import Session

from app import migrate
from app.audit import log
from app.auth.scopes import ROLE_DESCRIPTIONS
from app.auth.tokens import LiveToken, create_token, list_tokens, revoke_token, verify
from app.config import get_settings
from app.db import EngineStatements, get_engine
from app.logs import configure_logging
from app.models import Role, utcnow
from app.parks.schemas import ParkPublic
from app.parks.service import list_parks
from app.problems import AppError
from app.seeding.load import load_seed
from app.seeding.synth import SynthError, synthesize
from app.seeding.transfer import Progress as TransferProgress
from app.seeding.transfer import TransferError, export_database, import_database, open_file

cli = typer.Typer(help="Dalian key-project portfolio service.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
token_cli = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(token_cli, name="token")


def _live(secret: str) -> LiveToken | None:
    """The live token for `secret`, by the service's one token check."""
    live, _ = asyncio.run(verify(EngineStatements(get_engine()), secret))
    return live


def _session() -> Session:
    return Session(get_engine())


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations to DATABASE_URL (default: all)."""
    migrate.upgrade(get_settings().database_url, revision)


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    migrate.downgrade(get_settings().database_url, revision)


@cli.command()
def seed() -> None:
    """Load the key-project library; running it again adds nothing."""
    with _session() as session:
        result = load_seed(session, seed_dir=get_settings().seed_dir)
    typer.echo(
        f"seeded: {result.parks} parks, {result.categories} categories, "
        f"{result.projects} projects added"
    )


@cli.command()
def synth(
    projects: Annotated[int, typer.Option(min=1, help="Projects to add.")] = 1000,
    months: Annotated[int, typer.Option(min=1, max=240, help="Months of reports each.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 1,
) -> None:
    """Add a synthetic portfolio drawn like the real library (for load and scale tests)."""
    with (
        _session() as session,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ) as bar,
    ):
        task = bar.add_task("synthesising", total=projects)
        try:
            result = synthesize(
                session,
                projects=projects,
                months=months,
                seed=seed,
                seed_dir=get_settings().seed_dir,
                progress=lambda _stage, done: bar.advance(task, done),
            )
        except SynthError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(
        f"synthesised: {result.parks} parks, {result.projects} projects, "
        f"{result.entries} progress entries, {result.plans} annual plans, "
        f"{result.milestones} milestones"
    )


@contextmanager
def _rows_bar(description: str) -> Iterator[TransferProgress]:
    """A progress bar on standard error for an export or import, as `synth` shows one."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=None)

        def advance(table: str, rows: int, total: int | None) -> None:
            bar.update(task, advance=rows, total=total, description=f"{description} {table}")

        yield advance


@cli.command("export")
def export_db(
    path: Annotated[Path, typer.Argument(help="File to write (JSON Lines; .gz compresses).")],
) -> None:
    """Write the whole database (token digests, never secrets) to a portable file."""
    try:
        with open_file(path, "w") as out, _rows_bar("exporting") as progress:
            result = export_database(get_engine(), out, progress=progress)
    except TransferError as exc:
        path.unlink(missing_ok=True)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"exported {result.total} rows to {path}: {_counts(result.counts)}")


@cli.command("import")
def import_db(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An export file.")],
) -> None:
    """Load an export into an empty, migrated database (all of it, or nothing)."""
    try:
        with open_file(path, "r") as source, _rows_bar("importing") as progress:
            result = import_database(get_engine(), source, progress=progress)
    except TransferError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"imported {result.total} rows from {path}: {_counts(result.counts)}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in counts.items())


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [PORT].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [WORKERS].")] = None,
) -> None:
    """Run the HTTP service."""
    settings = get_settings()
    configure_logging(level=settings.log_level, console=settings.console_logs)
    worker_count = workers or settings.workers
    if worker_count > 1:
        _prepare_multiprocess_metrics(settings.prometheus_multiproc_dir)
    # Uvicorn finishes the requests in flight on SIGTERM, then raises the signal again to the
    # handler it found; this one makes that planned stop exit with status 0.
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=worker_count,
        log_level=settings.log_level,
        # Logging is configured by the app (app.logs), in this process and in each worker.
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def _stopped(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _prepare_multiprocess_metrics(configured: Path | None) -> None:
    # Workers are separate processes; prometheus_client sums their samples through files in
    # one folder, named before any worker starts. Files of an earlier run would be counted
    # again, so the folder is emptied first.
    folder = configured or Path(tempfile.mkdtemp(prefix="portfolio-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


@token_cli.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="admin, planner or officer.")],
    name: Annotated[str, typer.Option(help="Who or what holds the token.")],
    park: Annotated[str | None, typer.Option(help="Park id; officers only.")] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until the token expires; default never.")
    ] = None,
) -> None:
    """Issue a token; the token alone is the last line printed."""
    expires_at = None if expires_in_days is None else utcnow() + timedelta(days=expires_in_days)
    with _session() as session:
        try:
            token, secret = create_token(
                session,
                name=name,
                role=role,
                park_id=park,
                expires_at=expires_at,
                actor=log.CLI,
            )
        except AppError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"created token {token.id} ({token.role}, {token.name}); it is shown only once:")
    typer.echo(secret)


@token_cli.command("list")
def token_list(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
) -> None:
    """List tokens (never their secrets)."""
    with _session() as session:
        tokens = list_tokens(session, include_revoked=all_)
    typer.echo(f"{'id':>4}  {'role':<8} {'park':<12} {'prefix':<10} {'name':<28} state")
    for t in tokens:
        if t.revoked_at:
            state = f"revoked {t.revoked_at:%Y-%m-%d}"
        elif t.expires_at and t.expires_at <= utcnow():
            state = f"expired {t.expires_at:%Y-%m-%d}"
        elif t.expires_at:
            state = f"active, expires {t.expires_at:%Y-%m-%d %H:%M}Z"
        else:
            state = "active"
        typer.echo(
            f"{t.id:>4}  {t.role:<8} {t.park_id or '-':<12} {t.prefix:<10} {t.name:<28} {state}"
        )


@token_cli.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="Token id from `list`.")]) -> None:
    """Revoke a token; requests with it then get 401."""
    with _session() as session:
        try:
            token = revoke_token(session, token_id=token_id, actor=log.CLI)
        except AppError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"revoked token {token.id} ({token.name})")


@cli.command()
def demo() -> None:
    """Ensure demo tokens exist (one admin, one planner, one officer per park) and print them."""
    settings = get_settings()
    path = settings.demo_tokens_file
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted: list[tuple[str, Role, ParkPublic | None]] = [
        ("demo-admin", Role.admin, None),
        ("demo-planner", Role.planner, None),
    ]
    with _session() as session:
        wanted += [(f"demo-officer-{p.id}", Role.officer, p) for p in list_parks(session)]
    secrets: dict[str, str] = {}
    for name, role, park in wanted:
        secret = stored.get(name)
        if secret is None or _live(secret) is None:
            with _session() as session:
                _, secret = create_token(
                    session,
                    name=name,
                    role=role,
                    park_id=park.id if park else None,
                    actor=log.CLI,
                )
        secrets[name] = secret
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(secrets, indent=2))
    path.chmod(0o600)
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(f"Demo tokens (kept in {path}):")
    for name, role, park in wanted:
        where = f"{park.id:<12} {park.name}" if park else "-"
        typer.echo(f"  {role:<8} {secrets[name]}  {where}")
    typer.echo("What each role may do:")
    for role, description in ROLE_DESCRIPTIONS.items():
        typer.echo(f"  {role:<8} {description}")
    typer.echo(f"API docs: {base}/docs  (ReDoc: {base}/redoc, OpenAPI: {base}/openapi.json)")
    typer.echo(f"Web pages: {base}/web/  (sign in with any token above)")
    typer.echo(
        f'Try: curl -H "Authorization: Bearer {secrets["demo-planner"]}" '
        f'"{base}/api/v1/projects?park=gaoxin&limit=2"'
    )


def main() -> None:
    """Entry point of the console script."""
    cli()
