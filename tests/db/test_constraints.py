"""The database itself refuses bad rows, not only the Python code."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.models import ApiToken, ProgressEntry, Project


def _project(**overrides):
    values = {
        "code": "TST-001",
        "category_id": "innovation",
        "seq": 999,
        "name": "测试项目",
        "park_id": "gaoxin",
        "printed_park_name": "大连高新技术产业园区",
        "content": "测试",
        "start_year": 2020,
        "end_year": 2021,
        "total_investment_wan": 100,
        "status": "pre_construction",
    }
    return Project(**{**values, **overrides})


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(lambda: _project(code="INF-001"), id="duplicate code"),
        pytest.param(lambda: _project(category_id="innovation", seq=1), id="duplicate seq"),
        pytest.param(lambda: _project(start_year=2022, end_year=2020), id="years reversed"),
        pytest.param(lambda: _project(total_investment_wan=-1), id="negative investment"),
        pytest.param(lambda: _project(park_id="atlantis"), id="unknown park"),
        pytest.param(lambda: _project(category_id="roads"), id="unknown category"),
        pytest.param(lambda: _project(status="finished"), id="unknown status"),
        pytest.param(
            lambda: ProgressEntry(
                project_id=1,
                as_of=date(2020, 1, 1),
                status="completed",
                percent_complete=101,
                reporter_name="x",
                reporter_role="officer",
            ),
            id="percent above 100",
        ),
        pytest.param(
            lambda: ProgressEntry(
                project_id=1,
                as_of=date(2020, 1, 1),
                status="completed",
                invested_to_date_wan=-5,
                reporter_name="x",
                reporter_role="officer",
            ),
            id="negative invested",
        ),
        pytest.param(
            lambda: ProgressEntry(
                project_id=10**9,
                as_of=date(2020, 1, 1),
                status="completed",
                reporter_name="x",
                reporter_role="officer",
            ),
            id="entry for unknown project",
        ),
        pytest.param(
            lambda: ApiToken(name="x", role="officer", token_hash="a" * 64, prefix="kp_"),
            id="officer without park",
        ),
        pytest.param(
            lambda: ApiToken(
                name="x", role="planner", park_id="gaoxin", token_hash="b" * 64, prefix="kp_"
            ),
            id="planner with park",
        ),
    ],
)
def test_database_refuses(session, row):
    before = session.execute(sa.text("SELECT count(*) FROM project")).scalar_one()
    session.add(row())
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.execute(sa.text("SELECT count(*) FROM project")).scalar_one() == before


def test_money_is_exact_beyond_32_bits(session):
    session.add(_project(total_investment_wan=9_007_199_254_740_993))
    session.flush()
    stored = session.execute(
        sa.text("SELECT total_investment_wan FROM project WHERE code = 'TST-001'")
    ).scalar_one()
    assert stored == 9_007_199_254_740_993
