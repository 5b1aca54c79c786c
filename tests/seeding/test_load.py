"""Loading the seed files, and the status read from each printed note."""

import json
from collections import Counter

import pytest
from sqlmodel import func, select

from app.models import ProgressEntry, Project
from app.seeding.load import BASELINE_AS_OF, baseline_status, load_seed
from tests.conftest import SEED_DIR

NOTES = {
    row["code"]: row["progress_note"]
    for row in json.loads((SEED_DIR / "projects.json").read_text(encoding="utf-8"))
}


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("INF-001", "pre_construction"),  # 正在开展前期论证
        ("INF-004", "under_construction"),  # 在建
        ("INF-007", "pre_construction"),  # 办理施工手续: a permit, not works
        ("INF-028", "suspended"),  # 暂停施工
        ("INF-033", "under_construction"),  # works done, acceptance pending
        ("INF-052", "under_construction"),  # "计划…投入使用" is a plan, not a fact
        ("SVC-010", "completed"),  # 现已全部建成
        ("INN-003", "under_construction"),  # 已完成总投资1800万元
        ("INN-014", "pre_construction"),  # 计划2019年9月正式开工建设
        ("INN-031", "completed"),  # 已产出汽油、柴油…
        ("INN-032", "under_construction"),  # 在建，计划…建成投产
        ("INN-046", "under_construction"),  # 沉箱预制 while drawings await approval
        ("INN-068", "under_construction"),  # 土建施工已完成18%
        ("INN-076", "under_construction"),  # 一期已投产，二期正在施工
        ("INN-101", "suspended"),  # 项目暂缓
        ("INN-102", "pre_construction"),  # 已取得施工许可证，正在动迁
        ("INN-103", "pre_construction"),  # no note printed
    ],
)
def test_status_read_from_printed_note(code, status):
    assert baseline_status(NOTES[code]) == status


def test_status_spread_over_the_library():
    counts = Counter(baseline_status(note) for note in NOTES.values())
    assert counts == {
        "under_construction": 93,
        "pre_construction": 76,
        "suspended": 7,
        "completed": 2,
    }


def test_seed_loads_every_row_once_with_its_baseline(session):
    assert load_seed(session, seed_dir=SEED_DIR).projects == 0  # already loaded by the fixture
    assert session.exec(select(func.count()).select_from(Project)).one() == 178
    entries = session.exec(select(ProgressEntry)).all()
    assert len(entries) == 178
    assert all(e.is_baseline and e.as_of == BASELINE_AS_OF for e in entries)
    assert {e.note for e in entries} == set(NOTES.values())
