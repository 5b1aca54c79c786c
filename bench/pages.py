"""Server time of every web page on the seeded library, measured on a live `portfolio serve`.

Usage: python bench/pages.py [--database-url URL] [--rounds N] [--out FILE]

Without --database-url it builds a fresh SQLite database; with a PostgreSQL server URL
(postgresql+psycopg://…/postgres) it creates a fresh database there and drops it after.
Latency is measured from the client over loopback, so it bounds the server time from above.
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
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.auth.tokens import create_token  # noqa: E402
from app.db import build_engine  # noqa: E402
from app.models import Role  # noqa: E402
from app.seeding.extract import SEED_DIR  # noqa: E402
from app.seeding.load import load_seed  # noqa: E402

TARGET_MS = 200
PAGES = {
    "overview": "/web/",
    "overview, filtered, as of": "/web/?category=innovation&start_year=2019&as_of=2026-06-30",
    "project list": "/web/projects",
    "project list, search + sort": "/web/projects?q=大连&sort=-total_investment_wan",
    "project page": "/web/projects/INF-005",
    "report form": "/web/projects/INF-005/report",
    "officer page": "/web/my",
    "spreadsheet page": "/web/spreadsheet",
    "reconciliation": "/web/reconciliation",
}


@contextmanager
def database(server_url: str | None) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if server_url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/pages.db"
        return
    name = f"portfolio_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(url: str) -> Iterator[str]:
    """`portfolio serve` on the database, one worker, until the block ends."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "portfolio"), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the service did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def signed_in(base: str, secret: str) -> httpx.Client:
    """A client holding the sign-in cookie, as a browser would."""
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/web/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "no CSRF field on the sign-in page"
    answer = client.post("/web/login", data={"token": secret, "csrf": csrf.group(1)})
    assert answer.status_code == 303, answer.status_code
    return client


def measure(client: httpx.Client, path: str, rounds: int) -> dict[str, float]:
    for _ in range(3):
        client.get(path).raise_for_status()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
        "bytes": len(response.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL; default: SQLite")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    with database(args.database_url) as url:
        migrate.upgrade(url)
        engine = build_engine(url)
        with Session(engine) as session:
            load_seed(session, seed_dir=SEED_DIR)
            _, officer = create_token(session, name="bench", role=Role.officer, park_id="gaoxin")
        engine.dispose()
        with server(url) as base:
            client = signed_in(base, officer)
            try:
                results = {name: measure(client, p, args.rounds) for name, p in PAGES.items()}
            finally:
                client.close()

    engine_name = make_url(url).get_backend_name()
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "engine": engine_name,
        "rounds": args.rounds,
        "target_ms": TARGET_MS,
        "command": " ".join(["python", "bench/pages.py", *sys.argv[1:]]),
        "pages": {name: {"path": PAGES[name], **figures} for name, figures in results.items()},
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"| page ({engine_name}) | p50 ms | p95 ms | max ms | under {TARGET_MS} ms (p95) |")
    print("|---|---:|---:|---:|---|")
    for name, figures in results.items():
        met = "yes" if figures["p95_ms"] < TARGET_MS else "**no**"
        print(
            f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} | {figures['max_ms']} | {met} |"
        )


if __name__ == "__main__":
    main()
