"""A throwaway PostgreSQL cluster and `portfolio serve` as a real subprocess."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app import migrate
from app.auth.tokens import create_token
from app.db import build_engine
from app.models import Role
from app.seeding.load import load_seed
from tests.conftest import SEED_DIR

PORTFOLIO = Path(sys.executable).parent / "portfolio"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_binaries() -> bool:
    return all(shutil.which(tool) for tool in ("initdb", "pg_ctl", "postgres"))


@dataclass
class Cluster:
    """A PostgreSQL server of our own, which the tests may stop and start at will."""

    base: Path
    port: int

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _run(self, *args: str) -> None:
        command = list(args)
        # initdb and pg_ctl refuse to run as root.
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                  "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self) -> str:
        """A new database, migrated and seeded; returns its URL."""
        name = f"portfolio_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"))
        admin.dispose()
        return seeded(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster in a temporary folder; skipped where no server binaries exist."""
    if not _server_binaries():
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")
    base = Path(tempfile.mkdtemp(prefix="portfolio-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    cluster = Cluster(base=base, port=free_port())
    cluster.init()
    cluster.start()
    yield cluster
    if cluster.running():
        cluster.stop("immediate")
    shutil.rmtree(base, ignore_errors=True)


def seeded(url: str) -> str:
    """Migrate the database at `url` and load the library into it, committed; returns `url`."""
    migrate.upgrade(url)
    engine = build_engine(url)
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
    engine.dispose()
    return url


def issue_token(url: str, role: Role = Role.admin, park_id: str | None = None) -> tuple[int, str]:
    engine = build_engine(url)
    with Session(engine) as session:
        token, secret = create_token(session, name=f"ops-{role}", role=role, park_id=park_id)
    engine.dispose()
    assert token.id is not None
    return token.id, secret


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(database_url: str, workdir: Path, **settings: str) -> Iterator[Server]:
    """Run `portfolio serve` against `database_url` until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "WORKERS": "1",
        **settings,
    }
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(PORTFOLIO), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"server exited:\n{server.log_text()}"
            try:
                if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server did not start:\n{server.log_text()}"
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
