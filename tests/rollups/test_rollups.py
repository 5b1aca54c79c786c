"""Rollups against sums computed independently from the seed file, as-of views, drill-down."""

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import REPORTING_TZ
from app.models import ProgressEntry, Project
from app.progress.current import months_before
from app.seeding.load import baseline_status
from tests import factories
from tests.conftest import SEED_DIR

SEED = json.loads((SEED_DIR / "projects.json").read_text(encoding="utf-8"))
PARKS = json.loads((SEED_DIR / "parks.json").read_text(encoding="utf-8"))
PARK_OF = {s: p["id"] for p in PARKS for s in [p["name"], *p["aliases"]]}
TIER_OF = {p["id"]: p["tier"] for p in PARKS}
# The investment to date the printed notes state, on their baselines (app/seed/baseline_figures.md);
# none of them is a gaoxin project.
BASELINE_INVESTED_WAN = 106_358
# The seeded park gaoxin: its projects and their total investment.
GAOXIN_PROJECTS = 21
GAOXIN_WAN = 1_186_100
# The project a test adds to gaoxin: it runs 2018–2022, so by now all its time has elapsed.
PROJECT = {"start_year": 2018, "end_year": 2022, "total_investment_wan": 220_000}


def _bucket(year):
    return "before_2019" if year < 2019 else str(year)


def _kind(year, reporting_year):
    if year < reporting_year:
        return "continuing"
    return "new" if year == reporting_year else "planned"


KEYS = {
    "park": ("park_id", lambda r: PARK_OF[r["park_name"]]),
    "category": ("category", lambda r: r["category"]),
    "start_year": ("start_year", lambda r: r["start_year"]),
    "start_bucket": ("start_bucket", lambda r: _bucket(r["start_year"])),
    "status": ("status", lambda r: baseline_status(r["progress_note"]).value),
    "tier": ("tier", lambda r: TIER_OF[PARK_OF[r["park_name"]]]),
    "construction_type": ("construction_type", lambda r: _kind(r["start_year"], 2020)),
}


def _expected(*dims):
    sums = defaultdict(lambda: [0, 0])
    for row in SEED:
        key = tuple(KEYS[d][1](row) for d in dims)
        sums[key][0] += 1
        sums[key][1] += row["total_investment_wan"]
    return {k: tuple(v) for k, v in sums.items()}


def _got(rows, *dims):
    return {
        tuple(r[KEYS[d][0]] for d in dims): (r["project_count"], r["total_investment_wan"])
        for r in rows
    }


@pytest.fixture
def project(session) -> Project:
    """A project of park gaoxin (`PROJECT`) made for the test, with no report."""
    return factories.project(session, **PROJECT)


def _rollup(client, headers, **params):
    params.setdefault("reporting_year", 2020)
    response = client.get("/api/v1/rollups", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("dim", list(KEYS))
def test_each_dimension_matches_the_seed_file(client, auth, dim):
    body = _rollup(client, auth(), by=dim)
    assert body["by"] == [dim]
    assert _got(body["rows"], dim) == _expected(dim)
    assert body["totals"]["project_count"] == 178
    assert body["totals"]["total_investment_wan"] == 21_124_119
    assert sum(r["project_count"] for r in body["rows"]) == 178


@pytest.mark.parametrize(("first", "second"), [("park", "category"), ("category", "start_bucket")])
def test_crosstabs_match_the_seed_file(client, auth, first, second):
    body = _rollup(client, auth(), by=f"{first},{second}")
    assert _got(body["rows"], first, second) == _expected(first, second)
    assert _got(body["row_totals"], first) == _expected(first)
    assert _got(body["column_totals"], second) == _expected(second)
    assert body["totals"]["total_investment_wan"] == 21_124_119


def test_groups_print_in_table_order(client, auth):
    parks = _rollup(client, auth(), by="park")["rows"]
    assert [r["park_id"] for r in parks] == [p["id"] for p in PARKS]
    assert parks[1]["park_name"] == "大连高新技术产业园区"
    buckets = _rollup(client, auth(), by="start_bucket")["rows"]
    assert buckets[0]["start_bucket"] == "before_2019"
    assert buckets[0]["start_bucket_name"] == "2019年以前"
    tiers = _rollup(client, auth(), by="tier")["rows"]
    assert [(t["tier"], t["tier_name"]) for t in tiers] == [
        ("demonstration", "示范园区"),
        ("key", "重点园区"),
    ]


def test_status_counts_and_measures(client, auth):
    totals = _rollup(client, auth(), by="category")["totals"]
    assert totals["status_counts"] == {
        "pre_construction": 76,
        "under_construction": 93,
        "completed": 2,
        "suspended": 7,
        "cancelled": 0,
    }
    assert totals["invested_to_date_wan"] == BASELINE_INVESTED_WAN
    assert totals["completion_rate"] == round(BASELINE_INVESTED_WAN / 21_124_119, 4)
    assert totals["open_blockers"] == 0
    # The ten baselines with a figure, all of projects due to end by 2021, so wholly elapsed:
    # the plan-weighted share of their work not yet reported done.
    assert totals["schedule_gap_pct"] == 62.5


def test_filters_apply(client, auth):
    body = _rollup(client, auth(), by="category", park="gaoxin")
    assert body["totals"]["project_count"] == GAOXIN_PROJECTS
    assert body["totals"]["total_investment_wan"] == GAOXIN_WAN


def test_drill_down_lists_match_their_cells(client, auth):
    headers = auth()
    body = _rollup(client, headers, by="park,construction_type", category="innovation")
    for row in body["rows"]:
        listed = client.get(row["projects"] + "&limit=500", headers=headers).json()
        assert listed["total"] == row["project_count"], row["projects"]
        assert (
            sum(p["total_investment_wan"] for p in listed["items"]) == row["total_investment_wan"]
        )


def test_report_measures_and_as_of(client, auth, project):
    headers = auth()
    officer = auth("officer", "gaoxin")
    report = {
        "as_of": "2021-06-30",
        "status": "under_construction",
        "percent_complete": 50,
        "invested_to_date_wan": 110000,
        "issues": "资金未到位",
    }
    created = client.post(f"/api/v1/projects/{project.code}/progress", json=report, headers=officer)
    assert created.status_code == 201
    now = _rollup(client, headers, by="park", park="gaoxin")
    gaoxin = now["rows"][0]
    assert gaoxin["invested_to_date_wan"] == 110000
    assert gaoxin["open_blockers"] == 1
    assert gaoxin["completion_rate"] == round(
        110000 / (GAOXIN_WAN + PROJECT["total_investment_wan"]), 4
    )
    # The project runs 2018–2022, so today all its time has elapsed against 50 % reported; the
    # other gaoxin projects report no progress and carry no weight.
    assert gaoxin["schedule_gap_pct"] == 50.0

    before = _rollup(client, headers, by="park", park="gaoxin", as_of="2021-06-29")["rows"][0]
    assert before["invested_to_date_wan"] == 0
    assert before["open_blockers"] == 0
    on_the_day = _rollup(client, headers, by="park", park="gaoxin", as_of="2021-06-30")
    assert on_the_day["as_of"] == "2021-06-30"
    # Dated 2021-06-30 but received today: not yet known at the end of 2021-06-30.
    assert on_the_day["rows"][0]["invested_to_date_wan"] == 0


def test_revision_invisible_before_it_was_received(client, auth, session, project):
    received = datetime(2021, 7, 5, 2, 0, tzinfo=UTC)  # 10:00 in China
    for revision, invested, at in [(1, 100000, received), (2, 90000, received + timedelta(10))]:
        session.add(
            ProgressEntry(
                project_id=project.id,
                as_of=datetime(2021, 6, 30).date(),
                period="2021-06",
                revision=revision,
                status="under_construction",
                invested_to_date_wan=invested,
                reporter_name="x",
                reporter_role="officer",
                received_at=at,
            )
        )
    session.commit()
    headers = auth()

    def invested(as_of):
        body = _rollup(client, headers, by="park", park="gaoxin", as_of=as_of)
        return body["rows"][0]["invested_to_date_wan"]

    assert invested("2021-07-04") == 0
    assert invested("2021-07-05") == 100000
    assert invested("2021-07-14") == 100000
    assert invested("2021-07-15") == 90000


@pytest.mark.parametrize(
    ("as_of", "invested"),
    [
        ("2021-01-31", 0),  # the January report is not received yet
        ("2021-02-10", 100),  # within the months read by range
        ("2021-04-30", 100),  # none of them reported: found by the project's own walk
        ("2021-07-10", 500),  # June's report is late, May's counts
        ("2021-07-25", 600),
        ("2021-12-31", 600),  # long after the last report
    ],
)
def test_as_of_finds_the_current_entry_however_old(client, auth, session, project, as_of, invested):
    for period, amount, received in [
        ("2021-01", 100, datetime(2021, 2, 3, 2, tzinfo=UTC)),
        ("2021-05", 500, datetime(2021, 6, 2, 2, tzinfo=UTC)),
        ("2021-06", 600, datetime(2021, 7, 20, 2, tzinfo=UTC)),
    ]:
        session.add(
            ProgressEntry(
                project_id=project.id,
                as_of=datetime.strptime(period, "%Y-%m").date().replace(day=28),
                period=period,
                revision=1,
                status="under_construction",
                invested_to_date_wan=amount,
                reporter_name="x",
                reporter_role="officer",
                received_at=received,
            )
        )
    session.commit()
    # The whole portfolio reads recent months by range; a filtered part walks each project.
    whole = _rollup(client, auth(), by="park", as_of=as_of)
    assert {r["park_id"]: r["invested_to_date_wan"] for r in whole["rows"]}["gaoxin"] == invested
    assert whole["totals"]["invested_to_date_wan"] == invested + BASELINE_INVESTED_WAN
    part = _rollup(client, auth(), by="park", park="gaoxin", as_of=as_of)
    assert part["rows"][0]["invested_to_date_wan"] == invested
    listed = client.get(
        "/api/v1/projects", params={"q": project.code, "as_of": as_of}, headers=auth()
    ).json()
    [item] = listed["items"]
    if invested:
        assert item["latest_progress"]["invested_to_date_wan"] == invested
    else:
        # The project has no baseline: before its first report is received, no progress.
        assert item["latest_progress"] is None


def test_official_figures(client, auth, project):
    officer = auth("officer", "gaoxin")
    entry = client.post(
        f"/api/v1/projects/{project.code}/progress",
        json={"as_of": "2021-06-30", "status": "suspended"},
        headers=officer,
    ).json()
    planner = auth("planner")

    def suspended(figures):
        body = _rollup(client, planner, by="status", park="gaoxin", figures=figures)
        return {r["status"]: r["project_count"] for r in body["rows"]}.get("suspended", 0)

    assert suspended("latest") == 1
    assert suspended("official") == 0
    client.post(f"/api/v1/projects/{project.code}/progress/{entry['id']}/approve", headers=planner)
    assert suspended("official") == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "by"),
        ({"by": "colour"}, "by"),
        ({"by": "park,park"}, "by"),
        ({"by": "park,category,status"}, "by"),
        ({"by": "park", "as_of": "yesterday"}, "as_of"),
        ({"by": "park", "start_bucket": "1999s"}, "start_bucket"),
    ],
)
def test_bad_rollup_query_is_422(client, auth, params, field):
    response = client.get("/api/v1/rollups", params=params, headers=auth())
    assert response.status_code == 422
    assert any(field in e["loc"] for e in response.json()["errors"])


def test_rollup_needs_a_token(client):
    assert client.get("/api/v1/rollups?by=park").status_code == 401


def test_schedule_gap_is_measured_at_as_of(client, auth, session, project):
    assert (project.start_year, project.end_year) == (2018, 2022)
    session.add(
        ProgressEntry(
            project_id=project.id,
            as_of=datetime(2021, 6, 30).date(),
            period="2021-06",
            status="under_construction",
            percent_complete=50,
            reporter_name="x",
            reporter_role="officer",
            received_at=datetime(2021, 7, 1, tzinfo=UTC),
        )
    )
    session.commit()
    body = _rollup(client, auth(), by="park", park="gaoxin", as_of="2021-07-31")
    elapsed = (2021 + 212 / 365 - 2018) / 5
    assert body["rows"][0]["schedule_gap_pct"] == round(100 * (elapsed - 0.5), 1)


def test_archived_projects_leave_rollups_and_their_links(client, auth, project):
    admin = auth("admin")
    before = _rollup(client, admin, by="park", park="gaoxin")
    assert before["totals"]["project_count"] == GAOXIN_PROJECTS + 1
    assert before["totals"]["total_investment_wan"] == GAOXIN_WAN + PROJECT["total_investment_wan"]
    etag = client.get(f"/api/v1/projects/{project.code}", headers=admin).headers["etag"]
    archived = client.post(
        f"/api/v1/projects/{project.code}/archive", headers={**admin, "If-Match": etag}
    )
    assert archived.status_code == 200, archived.text
    body = _rollup(client, admin, by="park", park="gaoxin")
    assert body["totals"]["project_count"] == GAOXIN_PROJECTS
    assert body["totals"]["total_investment_wan"] == GAOXIN_WAN
    listed = client.get(body["rows"][0]["projects"] + "&limit=500", headers=admin).json()
    assert listed["total"] == GAOXIN_PROJECTS


def test_present_figures_kept_on_the_rows_agree_with_ranked_history(client, auth, project):
    officer, admin = auth("officer", "gaoxin"), auth("admin")
    reports = [
        (
            project.code,
            {
                "as_of": "2026-09-30",
                "status": "under_construction",
                "percent_complete": 40,
                "invested_to_date_wan": 90000,
                "issues": "征地未完成",
            },
        ),
        (
            project.code,
            {
                "as_of": "2026-10-31",
                "status": "under_construction",
                "percent_complete": 55,
                "invested_to_date_wan": 120000,
            },
        ),
        (
            project.code,
            {
                "as_of": "2026-10-15",
                "status": "suspended",
                "invested_to_date_wan": 110000,
                "issues": "资金未到位",
            },
        ),
        (
            "INF-002",
            {
                "as_of": "2026-08-31",
                "status": "completed",
                "percent_complete": 100,
                "milestones": {"completion": "2026-08-20"},
            },
        ),
        ("INF-015", {"as_of": "2026-10-31", "status": "under_construction", "issues": "设备延迟"}),
    ]
    ids = []
    for code, body in reports:
        headers = admin if code == "INF-015" else officer
        response = client.post(f"/api/v1/projects/{code}/progress", json=body, headers=headers)
        assert response.status_code == 201, response.text
        ids.append((code, response.json()["id"]))
    # Official figures move with approvals: approve two, return one.
    for code, entry in (ids[0], ids[3]):
        approved = client.post(f"/api/v1/projects/{code}/progress/{entry}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
    code, entry = ids[4]
    client.post(
        f"/api/v1/projects/{code}/progress/{entry}/return",
        json={"comment": "请核实"},
        headers=admin,
    )
    # The present read from project rows, and the same present ranked from history.
    end_of_today = datetime.now(REPORTING_TZ).date().isoformat()
    for figures in ("latest", "official"):
        for dim in KEYS:
            present = _rollup(client, admin, by=dim, figures=figures)
            ranked = _rollup(client, admin, by=dim, figures=figures, as_of=end_of_today)
            for body in (present, ranked):
                for row in body["rows"]:
                    row.pop("projects")
            assert present["rows"] == ranked["rows"], (figures, dim)
            assert present["totals"] == ranked["totals"], (figures, dim)
    official = _rollup(client, admin, by="status", figures="official", park="gaoxin")
    assert {r["status"]: r["project_count"] for r in official["rows"]}.get("completed") == 1


@pytest.mark.parametrize(
    ("period", "months", "expected"),
    [
        ("2021-06", 2, "2021-04"),
        ("2021-02", 2, "2020-12"),
        ("2021-01", 0, "2021-01"),
        ("2020-12", 12, "2019-12"),
    ],
)
def test_months_before_crosses_years(period, months, expected):
    assert months_before(period, months) == expected
