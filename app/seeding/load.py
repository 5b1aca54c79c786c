"""Load the extracted library into the database; loading twice changes nothing."""

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.models import Category, Park, ProgressEntry, Project, ProjectStatus

CATEGORIES = (
    ("infrastructure", "公共基础设施", "INF"),
    ("service_platform", "公共服务平台", "SVC"),
    ("innovation", "创业创新能力", "INN"),
)

# The plan prints no date of its own; its newest progress notes read "截止 2019年 9月末"
# (as at the end of September 2019), so the printed notes are dated then.
BASELINE_AS_OF = date(2019, 9, 30)
BASELINE_REPORTER = "附件3 重点项目库"
BASELINE_ROLE = "seed"

# The printed notes carry no status; their wording does. A note that reports finished works
# is completed, one that reports works on site is under construction, one that speaks only of
# preparation is pre-construction; checked in that order, so "主体完成，正在办理验收手续"
# counts as under construction, not as preparation.
_COMPLETED = re.compile(r"已投产|已竣工|竣工验收|已建成|建成投产|已完工|全部完工")
_ON_SITE = re.compile(r"在建|施工|主体|封顶|装修|安装|调试|基础|开工|试生产|投产|完成投资")


def baseline_status(note: str) -> ProjectStatus:
    """Read a status from a printed progress note."""
    if _COMPLETED.search(note):
        return ProjectStatus.completed
    if _ON_SITE.search(note):
        return ProjectStatus.under_construction
    return ProjectStatus.pre_construction


@dataclass(frozen=True)
class SeedResult:
    """What a seed run added."""

    parks: int
    categories: int
    projects: int


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_seed(session: Session, *, seed_dir: Path) -> SeedResult:
    """Insert the parks, categories and projects not yet stored, in one transaction."""
    parks: list[dict[str, Any]] = _read(seed_dir / "parks.json")
    projects: list[dict[str, Any]] = _read(seed_dir / "projects.json")
    park_of = {spelling: p["id"] for p in parks for spelling in [p["name"], *p["aliases"]]}

    known_parks = set(session.exec(select(Park.id)).all())
    new_parks = [
        Park(
            id=p["id"],
            name=p["name"],
            aliases=p["aliases"],
            table4_name=p["table4_name"],
            tier=p["tier"],
            position=position,
        )
        for position, p in enumerate(parks, start=1)
        if p["id"] not in known_parks
    ]
    session.add_all(new_parks)

    known_categories = set(session.exec(select(Category.id)).all())
    new_categories = [
        Category(id=cid, name=name, code_prefix=prefix, position=position)
        for position, (cid, name, prefix) in enumerate(CATEGORIES, start=1)
        if cid not in known_categories
    ]
    session.add_all(new_categories)
    session.flush()

    known_codes = set(session.exec(select(Project.code)).all())
    new_projects = [_project(row, park_of) for row in projects if row["code"] not in known_codes]
    session.add_all(new_projects)
    session.commit()
    return SeedResult(
        parks=len(new_parks), categories=len(new_categories), projects=len(new_projects)
    )


def _project(row: dict[str, Any], park_of: dict[str, str]) -> Project:
    status = baseline_status(row["progress_note"])
    project = Project(
        code=row["code"],
        category_id=row["category"],
        seq=row["seq"],
        name=row["name"],
        park_id=park_of[row["park_name"]],
        printed_park_name=row["park_name"],
        content=row["content"],
        start_year=row["start_year"],
        end_year=row["end_year"],
        total_investment_wan=row["total_investment_wan"],
        status=status,
    )
    project.progress_entries.append(
        ProgressEntry(
            as_of=BASELINE_AS_OF,
            status=status,
            note=row["progress_note"],
            is_baseline=True,
            reporter_name=BASELINE_REPORTER,
            reporter_role=BASELINE_ROLE,
        )
    )
    return project
