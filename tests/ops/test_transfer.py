"""`portfolio export` / `portfolio import`: a lossless round trip across engines."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from app import migrate
from app.auth.tokens import revoke_token
from app.cli import cli
from app.config import get_settings
from app.db import build_engine, get_engine
from app.main import create_app
from app.models import Role
from app.seeding.load import load_seed
from app.seeding.transfer import TransferError, export_database, import_database, open_file, tables
from tests import factories
from tests.conftest import SEED_DIR, serving
from tests.ops.conftest import issue_token, seeded

SECRETS: list[str] = []
NOTE = "主体结构封顶，进入设备安装阶段。"
ISSUES = "部分进口设备到货延迟；“引号”与 emoji 🏗️ 也要保留。"


@contextmanager
def _api(engine: sa.Engine) -> Iterator[TestClient]:
    with (
        serving(engine.url.render_as_string(hide_password=False)),
        TestClient(create_app()) as client,
    ):
        yield client


def _migrated(url: str) -> sa.Engine:
    migrate.upgrade(url)
    return build_engine(url)


def _snapshot(engine: sa.Engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {
            t.name: [
                dict(row._mapping)
                for row in conn.execute(sa.select(t).order_by(*t.primary_key.columns))
            ]
            for t in tables()
        }


@pytest.fixture
def library(tmp_path) -> Iterator[sa.Engine]:
    """The seeded library in SQLite."""
    engine = _migrated(f"sqlite:///{tmp_path / 'source.db'}")
    with Session(engine) as session:
        load_seed(session, seed_dir=SEED_DIR)
    yield engine
    engine.dispose()


@pytest.fixture
def code(library) -> str:
    """A project of park gaoxin made for the test, beside the seeded library's own."""
    with Session(library) as session:
        return factories.project(session, total_investment_wan=10_000).code


@pytest.fixture
def source(library, code) -> sa.Engine:
    """A SQLite library with reports, a review, idempotency records and tokens."""
    engine = library
    url = engine.url.render_as_string(hide_password=False)
    _, officer = issue_token(url, Role.officer, "gaoxin")
    _, planner = issue_token(url, Role.planner)
    revoked, admin = issue_token(url, Role.admin)
    SECRETS[:] = [officer, planner, admin]
    with Session(engine) as session:
        revoke_token(session, token_id=revoked)
    with _api(engine) as client:
        for n, (as_of, percent) in enumerate([("2024-01-31", 20), ("2024-02-29", 35)]):
            response = client.post(
                f"/api/v1/projects/{code}/progress",
                json={
                    "as_of": as_of,
                    "status": "under_construction",
                    "percent_complete": percent,
                    "invested_to_date_wan": 1000 * (n + 1),
                    "note": NOTE,
                    "issues": ISSUES,
                },
                headers={"Authorization": f"Bearer {officer}", "Idempotency-Key": f"k-{n}"},
            )
            assert response.status_code == 201, response.text
        approved = client.post(
            f"/api/v1/projects/{code}/progress/{response.json()['id']}/approve",
            json={"comment": "已核实。"},
            headers={"Authorization": f"Bearer {planner}"},
        )
        assert approved.status_code == 200, approved.text
    return engine


def test_round_trip_sqlite_to_target_and_back_is_lossless(source, code, make_database, tmp_path):
    first = tmp_path / "first.jsonl"
    with open_file(first, "w") as out:
        exported = export_database(source, out)
    # The seeded library's 178 projects and the one made for the test.
    assert exported.counts["project"] == 179
    assert exported.counts["progress_entry"] == 180
    assert exported.counts["api_token"] == 3
    assert exported.counts["idempotency_record"] == 2
    text = first.read_text(encoding="utf-8")
    assert SECRETS
    assert not any(secret in text for secret in SECRETS)
    assert NOTE in text

    # Through the engine under test (PostgreSQL when TEST_DATABASE_URL is set) ...
    middle = _migrated(make_database())
    with open_file(first, "r") as source_file:
        imported = import_database(middle, source_file)
    assert imported.counts == exported.counts
    original = _snapshot(source)
    assert _snapshot(middle) == original
    second = tmp_path / "second.jsonl.gz"
    with open_file(second, "w") as out:
        export_database(middle, out)

    # ... and back into SQLite: every row of every table as it was, ids included.
    last = _migrated(f"sqlite:///{tmp_path / 'last.db'}")
    with open_file(second, "r") as source_file:
        import_database(last, source_file)
    assert _snapshot(last) == original
    with open_file(second, "r") as a, open_file(first, "r") as b:
        assert a.readlines()[1:] == b.readlines()[1:]
    project = next(p for p in original["project"] if p["code"] == "INF-009")
    assert project["name"] == "大连软件园腾飞园区7号楼项目"

    # New rows continue after the imported ids (PostgreSQL sequences were moved on).
    newest = max(e["id"] for e in original["progress_entry"])
    url = middle.url.render_as_string(hide_password=False)
    token_id, officer = issue_token(url, Role.officer, "gaoxin")
    assert token_id == max(t["id"] for t in original["api_token"]) + 1
    with _api(middle) as client:
        response = client.post(
            f"/api/v1/projects/{code}/progress",
            json={"as_of": "2024-03-31", "status": "under_construction"},
            headers={"Authorization": f"Bearer {officer}"},
        )
    assert response.status_code == 201, response.text
    assert response.json()["id"] == newest + 1
    middle.dispose()
    last.dispose()


def test_import_refuses_a_database_that_holds_rows(source, tmp_path):
    dump = tmp_path / "dump.jsonl"
    with open_file(dump, "w") as out:
        export_database(source, out)
    before = _snapshot(source)
    with open_file(dump, "r") as source_file, pytest.raises(TransferError, match="empty database"):
        import_database(source, source_file)
    assert _snapshot(source) == before


@pytest.fixture
def seeded_dump(tmp_path) -> tuple[str, list[str]]:
    """The seeded library exported to JSON Lines: the file's lines, and an empty target."""
    source = build_engine(seeded(f"sqlite:///{tmp_path / 'source.db'}"))
    dump = tmp_path / "dump.jsonl"
    with open_file(dump, "w") as out:
        export_database(source, out)
    source.dispose()
    target = f"sqlite:///{tmp_path / 'target.db'}"
    migrate.upgrade(target)
    return target, dump.read_text(encoding="utf-8").splitlines(keepends=True)


def test_import_refuses_truncated_and_foreign_files(seeded_dump, tmp_path):
    target_url, lines = seeded_dump
    target = build_engine(target_url)
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("".join(lines[:-1]), encoding="utf-8")
    with open_file(truncated, "r") as handle, pytest.raises(TransferError, match="truncated"):
        import_database(target, handle)
    assert all(rows == [] for rows in _snapshot(target).values())

    newer = tmp_path / "newer.jsonl"
    header = json.loads(lines[0]) | {"version": 99}
    newer.write_text(json.dumps(header) + "\n" + "".join(lines[1:]), encoding="utf-8")
    with open_file(newer, "r") as handle, pytest.raises(TransferError, match="version 99"):
        import_database(target, handle)
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"hello": 1}\n', encoding="utf-8")
    with open_file(foreign, "r") as handle, pytest.raises(TransferError, match="not a portfolio"):
        import_database(target, handle)
    target.dispose()


def test_cli_export_then_import(source, tmp_path, monkeypatch):
    dump = tmp_path / "cli.jsonl.gz"

    def run(url: str, *args: str):
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args))
        finally:
            get_engine().dispose()
            get_settings.cache_clear()
            get_engine.cache_clear()

    source_url = source.url.render_as_string(hide_password=False)
    exported = run(source_url, "export", str(dump))
    assert exported.exit_code == 0, exported.output
    assert "project 179" in exported.output  # the seeded 178 and the test's own
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    migrate.upgrade(target_url)
    imported = run(target_url, "import", str(dump))
    assert imported.exit_code == 0, imported.output
    assert "progress_entry 180" in imported.output
    again = run(target_url, "import", str(dump))
    assert again.exit_code == 2
    assert "Import needs an empty database" in again.output
    unmigrated = run(f"sqlite:///{tmp_path / 'blank.db'}", "export", str(tmp_path / "x.jsonl"))
    assert unmigrated.exit_code == 2
    assert "portfolio db upgrade" in unmigrated.output


def _cli_import(url: str, path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        return CliRunner().invoke(cli, ["import", str(path)])
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


def _cut(lines: list[str], at: int) -> str:
    text = "".join(lines)
    return text[: len("".join(lines[:at])) + len(lines[at]) // 2]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            "cut mid-line",
            r"^error: line 101: not a JSON line \(the line is cut off: the file is truncated\)",
        ),
        (
            "gz cut short",
            r"^error: line \d+: the file cannot be read further, it is cut short or damaged",
        ),
        (
            "gz damaged",
            r"^error: line 1: the file cannot be read further, it is cut short or damaged",
        ),
        ("not utf-8", r"^error: line 1: the file is not UTF-8 text"),
        ("unknown column", r"^error: line 3: table \w+ has no column 'colour'\."),
        ("bad date", r"^error: line \d+: a value of \w+ cannot be read: "),
        ("duplicate row", r"^error: line \d+: the rows of \w+ up to this line cannot be stored: "),
    ],
)
def test_a_bad_file_gets_one_clear_line_and_stores_nothing(
    seeded_dump, tmp_path, monkeypatch, damage, expected
):
    target, lines = seeded_dump
    path = tmp_path / "bad.jsonl"
    if damage == "cut mid-line":
        path.write_text(_cut(lines, 100), encoding="utf-8")
    elif damage.startswith("gz"):
        path = tmp_path / "bad.jsonl.gz"
        with open_file(path, "w") as out:
            out.writelines(lines)
        data = path.read_bytes()
        path.write_bytes(
            data[: len(data) // 2] if damage == "gz cut short" else data[:10] + b"\xff" * 64
        )
    elif damage == "not utf-8":
        path.write_bytes(b"\xff\xfe\x00garbage\n")
    elif damage == "unknown column":
        record = json.loads(lines[2])
        record["row"]["colour"] = "red"
        path.write_text(
            "".join([*lines[:2], json.dumps(record) + "\n", *lines[3:]]), encoding="utf-8"
        )
    elif damage == "bad date":
        number, record = next(
            (n, json.loads(line))
            for n, line in enumerate(lines)
            if json.loads(line).get("table") == "project"
        )
        stamp = next(key for key in record["row"] if key.endswith("_at"))
        record["row"][stamp] = "yesterday"
        lines[number] = json.dumps(record, ensure_ascii=False) + "\n"
        path.write_text("".join(lines), encoding="utf-8")
    else:
        path.write_text("".join([*lines[:3], lines[2], *lines[3:]]), encoding="utf-8")

    result = _cli_import(target, path, monkeypatch)

    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert re.match(expected, errors[0]), errors[0]
    assert "Traceback" not in result.output
    engine = build_engine(target)
    assert all(rows == [] for rows in _snapshot(engine).values())
    engine.dispose()


def test_export_and_import_show_their_progress(seeded_dump, tmp_path, monkeypatch):
    target, lines = seeded_dump
    path = tmp_path / "good.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    assert json.loads(lines[0])["rows"] == len(lines) - 2
    result = _cli_import(target, path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr
    assert f"{len(lines) - 2}/{len(lines) - 2}" in result.stderr
