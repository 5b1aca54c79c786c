"""The monthly round's measures at synthetic size: the year's rollup measures and the series.

Usage: python bench/round.py [--database-url URL] [--projects N] [--months M] [--out FILE]
       [--keep NAME]

On a fresh PostgreSQL database (dropped after, unless --keep names one to build once and
reuse), it loads the library and a synthetic portfolio with plans and milestones, then
measures:

- in process, not cached (`build_rollup`, `build_series`): the rollup by park and by park
  and category with the year's measures, the same for a past year (read at its last day,
  from history), a filtered rollup, and the series by month and by quarter for the year,
  by park and for the whole portfolio;
- over HTTP, through a live `portfolio serve`: the rollups and the series answered from the
  rollup cache, and the overview page (the first request of each computes it: `first_ms`).

The targets of docs/performance.md: rollups p50 under 50 ms cached and under 150 ms uncached;
a past year, read through the history like an `as_of` rollup, under 500 ms.
"""

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import clock  # noqa: E402
from app.auth.tokens import create_token  # noqa: E402
from app.db import build_engine  # noqa: E402
from app.models import Role  # noqa: E402
from app.rollups.schemas import RollupQuery, SeriesQuery  # noqa: E402
from app.rollups.service import build_rollup, build_series  # noqa: E402

PORTFOLIO = Path(sys.executable).parent / "portfolio"
CACHED_TARGET_MS = 50
UNCACHED_TARGET_MS = 150
# A past year is read at its last day through the history, as an `as_of` rollup is: that
# target (docs/performance.md, "Targets").
HISTORY_TARGET_MS = 500
TARGETS = {"rollup": UNCACHED_TARGET_MS, "history": HISTORY_TARGET_MS}


def _year_queries(year: int, month: str) -> dict[str, tuple[str, Callable[..., Any], Any]]:
    span = {"from": f"{year}-01", "to": month}
    return {
        "rollup by park": ("rollup", build_rollup, RollupQuery.model_validate({"by": "park"})),
        "rollup by park, category": (
            "rollup",
            build_rollup,
            RollupQuery.model_validate({"by": "park,category"}),
        ),
        "rollup by park, filtered (category, q)": (
            "rollup",
            build_rollup,
            RollupQuery.model_validate({"by": "park", "category": "innovation", "q": "合成"}),
        ),
        "rollup by park, last year (history)": (
            "history",
            build_rollup,
            RollupQuery.model_validate({"by": "park", "year": year - 1}),
        ),
        # Scorecards: every rollup now carries the blocker measures, joined per project.
        "rollup by responsible unit": (
            "rollup",
            build_rollup,
            RollupQuery.model_validate({"by": "unit"}),
        ),
        "rollup by leader": ("rollup", build_rollup, RollupQuery.model_validate({"by": "leader"})),
        "series by month": ("series", build_series, SeriesQuery.model_validate(span)),
        "series by month, by park": (
            "series",
            build_series,
            SeriesQuery.model_validate({**span, "by": "park"}),
        ),
        "series by quarter, by park": (
            "series",
            build_series,
            SeriesQuery.model_validate({**span, "by": "park", "interval": "quarter"}),
        ),
    }


HTTP_PATHS = {
    "rollup by park (cached)": "/api/v1/rollups?by=park",
    "rollup by park, category (cached)": "/api/v1/rollups?by=park,category",
    "rollup by responsible unit (cached)": "/api/v1/rollups?by=unit",
    "series by month (cached)": "/api/v1/rollups/series",
    # The page caches its rollups and series like the API: the first view after a change of
    # the data pays for them (`first_ms`), the others do not.
    "overview page": "/web/",
    # The round's worklists, not cached: every request reads the database.
    "review inbox, first page of the portfolio": "/api/v1/reviews",
    "review inbox, one park and period": "/api/v1/reviews?park={park}&period={month}",
    "review log, one project": "/api/v1/reviews/log?project={code}",
    "blockers, overdue, first page": "/api/v1/blockers?overdue=true",
    "blockers, one park": "/api/v1/blockers?park={park}",
    "blockers summary by responsible unit": "/api/v1/blockers/summary?by=unit",
    "audit log, newest page (admin)": "/api/v1/audit",
    "audit log, one plan (admin)": "/api/v1/audit?object_type=plan&object_key={code}/{year}",
    "reconciliation with its worklist": "/api/v1/reports/reconciliation",
    "review inbox page": "/web/reviews",
    "blockers page": "/web/blockers",
}


@contextmanager
def database(server_url: str, keep: str | None) -> Iterator[tuple[str, bool]]:
    """A database to load: fresh (dropped after), or `keep`, built once and reused."""
    name = keep or f"bench_round_{os.getpid()}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, bool(exists)
    finally:
        if keep is None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def load(url: str, projects: int, months: int) -> None:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    for command in (
        ["db", "upgrade"],
        ["seed"],
        ["synth", "--projects", str(projects), "--months", str(months), "--seed", "7"],
    ):
        subprocess.run([str(PORTFOLIO), *command], env=env, check=True, capture_output=True)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "project",
                "progress_entry",
                "project_year",
                "plan_revision",
                "milestone",
                "blocker",
                "blocker_event",
                "review_record",
                "audit_record",
            )
        }
    engine.dispose()
    return found


def timings(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        "max_ms": round(ordered[-1], 1),
    }


def in_process(url: str, rounds: int) -> dict[str, dict[str, Any]]:
    today = clock.today()
    engine = build_engine(url)
    results: dict[str, dict[str, Any]] = {}
    for name, (kind, build, query) in _year_queries(today.year, today.strftime("%Y-%m")).items():
        samples = []
        with Session(engine) as session:
            for _ in range(rounds):
                started = time.perf_counter()
                build(session, query=query)
                samples.append(1000 * (time.perf_counter() - started))
        target = TARGETS.get(kind)
        results[name] = {**timings(samples), "target_p50_ms": target}
    engine.dispose()
    return results


def over_http(url: str, rounds: int) -> dict[str, dict[str, Any]]:
    engine = build_engine(url)
    with Session(engine) as session:
        _, secret = create_token(session, name="bench-round", role=Role.planner)
        _, admin = create_token(session, name="bench-round-admin", role=Role.admin)
        # A synthetic park and project with a full history, for the filtered worklists.
        park, code = session.execute(
            sa.text(
                "SELECT park_id, code FROM project WHERE code LIKE 'INN-%' ORDER BY id DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    today = clock.today()
    values = {"park": park, "code": code, "month": today.strftime("%Y-%m"), "year": today.year}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [str(PORTFOLIO), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        with httpx.Client(base_url=base, timeout=120) as client:
            page = client.get("/web/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            if csrf is None:
                raise RuntimeError("no CSRF field on the sign-in page")
            client.post("/web/login", data={"token": secret, "csrf": csrf.group(1)})
            for name, template in HTTP_PATHS.items():
                path = template.format(**values)
                is_page = path.startswith("/web/")
                token = admin if "(admin)" in name else secret
                headers = None if is_page else {"Authorization": f"Bearer {token}"}
                samples = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    answer = client.get(path, headers=headers)
                    samples.append(1000 * (time.perf_counter() - started))
                    if answer.status_code != 200:
                        raise RuntimeError(f"{path} answered {answer.status_code}")
                target = CACHED_TARGET_MS if "cached" in name else None
                results[name] = {
                    **timings(samples),
                    "first_ms": round(samples[0], 1),
                    "target_p50_ms": target,
                }
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument(
        "--projects", type=int, default=int(os.environ.get("BENCH_PROJECTS", 100000))
    )
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with database(args.database_url, args.keep) as (url, existed):
        if not existed:
            load(url, args.projects, args.months)
        result: dict[str, Any] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "rows": counts(url),
            "in_process_uncached": in_process(url, args.rounds),
            "http": over_http(url, max(args.rounds, 20)),
        }
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print("| measure | p50 ms | p95 ms | target (p50) |")
    print("|---|---|---|---|")
    for section in ("in_process_uncached", "http"):
        measured: dict[str, dict[str, Any]] = result[section]
        for name, figures in measured.items():
            target = figures["target_p50_ms"]
            met = "—" if target is None else ("yes" if figures["p50_ms"] < target else "**no**")
            print(f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} | {met} |")


if __name__ == "__main__":
    main()
