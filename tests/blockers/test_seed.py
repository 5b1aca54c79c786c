"""The plan's own blockers: the suspended projects' notes, loaded once by `portfolio seed`."""

import json

from sqlmodel import Session, col, func, select

from app.blockers.service import SEED_RAISER
from app.models import Blocker, BlockerEvent
from app.seeding.load import BASELINE_AS_OF, baseline_status, load_seed
from tests.blockers.conftest import BLOCKERS


def _items(seed_dir):
    return json.loads((seed_dir / "blockers.json").read_text("utf-8"))


def test_the_file_is_the_suspended_projects_notes(seed_dir):
    projects = {p["code"]: p for p in json.loads((seed_dir / "projects.json").read_text("utf-8"))}
    suspended = {
        code for code, p in projects.items() if baseline_status(p["progress_note"]) == "suspended"
    }
    items = _items(seed_dir)
    assert {item["code"] for item in items} == suspended
    for item in items:
        # Each description is the printed note's own words, and each item says why it is
        # classified so.
        assert item["description"] in projects[item["code"]]["progress_note"], item["code"]
        assert item["justification"], item["code"]


def test_seeded_items_are_present(client, planner, seed_dir):
    listed = client.get(BLOCKERS, params={"limit": 500}, headers=planner).json()["items"]
    seeded = {b["project_code"]: b for b in listed if b["raised_by"] == SEED_RAISER}
    assert set(seeded) == {item["code"] for item in _items(seed_dir)}
    sea = seeded["INF-028"]
    assert sea["description"] == "目前受海域使用手续影响，暂停施工。"
    assert (sea["type"], sea["type_name"], sea["level"], sea["state"]) == (
        "land",
        "用地",
        "city",
        "open",
    )
    assert sea["raised_at"].startswith("2019-09-29T16:00:00")  # 30 September 2019 in China
    assert str(BASELINE_AS_OF) == "2019-09-30"
    assert seeded["INN-101"]["type"] == "market"
    read = client.get(sea["links"]["self"], headers=planner).json()
    assert [(e["from_state"], e["to_state"], e["actor_name"]) for e in read["events"]] == [
        (None, "open", SEED_RAISER)
    ]


def test_seeding_again_adds_nothing(session: Session, seed_dir):
    before = session.exec(select(func.count()).select_from(Blocker)).one()
    events = session.exec(select(func.count()).select_from(BlockerEvent)).one()
    load_seed(session, seed_dir=seed_dir)
    assert session.exec(select(func.count()).select_from(Blocker)).one() == before
    assert session.exec(select(func.count()).select_from(BlockerEvent)).one() == events
    assert before == len(_items(seed_dir))
    seeded = session.exec(
        select(Blocker).where(Blocker.raised_by == SEED_RAISER).order_by(col(Blocker.id))
    ).all()
    assert len(seeded) == before
