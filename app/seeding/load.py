"""Load the extracted library into the database; loading twice changes nothing."""

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.blockers import service as blockers
from app.editions import service as editions
from app.models import Category, Park, ProgressEntry, Project, ProjectStatus, ReviewState, utcnow
from app.progress import years
from app.progress.service import FIGURE_PREFIX, figures_of
from app.seeding.extract import CATEGORIES

# The plan prints no date of its own; its newest progress notes read "截止 2019年 9月末"
# (as at the end of September 2019), so the printed notes are dated then.
BASELINE_AS_OF = date(2019, 9, 30)
BASELINE_REPORTER = "附件3 重点项目库"
BASELINE_ROLE = "seed"

# The printed notes carry no status; their wording does. Plans ("计划…开工") and permits for
# future works ("办理施工许可证") say nothing about the site today, so they are set aside first.
# Then: a halt is `suspended`; finished works with nothing left open are `completed`; any
# works on site make it `under_construction`; anything else (site selection, land, approvals,
# negotiation, or no note at all) is `pre_construction`.
_PLANS = re.compile(r"(计划|拟|预计|下步)[^，。；]*")
_PERMITS = re.compile(
    r"施工(手续|许可证?(手续)?|图纸?(设计|审查|批复)?|招标)|开工(前|许可证?)|建设手续"
)
_SUSPENDED = re.compile(r"暂停|暂缓|停工")
_COMPLETED = re.compile(r"全部建成|已建成|已投产|正式投产|已产出|竣工投产|投入使用|投入运营")
_STILL_OPEN = re.compile(r"正在|剩余|尚有|待|中试|二期")
_ON_SITE = re.compile(
    r"在建|施工|主体|封顶|装修|装饰|安装|调试|基础|地基|基坑|投产|砌筑|幕墙|浇筑|绑扎|铺设|"
    r"挖泥|土建|场地平整|预制|厂房|厂棚|工程量|设备|翻新|改造|完成总?投资|累计|形象进度|完工|竣工|"
    r"建设阶段|推进|工程建设|完成\d+%"
)


def baseline_status(note: str) -> ProjectStatus:
    """Read a status from a printed progress note."""
    if _SUSPENDED.search(note):
        return ProjectStatus.suspended
    present = _PERMITS.sub("", _PLANS.sub("", note))
    if _COMPLETED.search(present) and not _STILL_OPEN.search(present):
        return ProjectStatus.completed
    if _ON_SITE.search(present):
        return ProjectStatus.under_construction
    return ProjectStatus.pre_construction


# The figures a note states, taken only where the wording leaves no doubt what they measure
# (app/seed/baseline_figures.md lists every note with an amount or a percentage, taken or
# not). Investment to date is the cumulative 完成投资 of the project: a part (其中…), a year's or
# a phase's amount, or a plan is not it, nor a financing, an output or a payment figure.
# Percent complete is the project's works as a whole (工程, 在建工程, 总工程量); a share of one
# item (土建, 设备安装, 挖泥…) or of the investment (投资进度) is not it.
_CLAUSES = re.compile(r"[，。；,;]")
_INVESTED = re.compile(r"(?:累计|已)*完成(?:总)?投资约?(\d+(?:\.\d+)?)(万|亿)元")
_NOT_CUMULATIVE = re.compile(r"^其中|年度|本年|今年|当年|全年|本月|当月|[一二三四]期")
_OVERALL_PERCENT = (
    re.compile(r"占(?:总工程量|工程总量)的?约?(\d{1,3})[%％]"),
    re.compile(r"完成总工程量的?约?(\d{1,3})[%％]"),
    re.compile(
        r"^(?:项目|本项目)?(?:整体|总体)?工程(?:整体|总体|总)?进度(?:已)?(?:完成)?约?(\d{1,3})[%％]"
    ),
    re.compile(r"^(?:项目|本项目)?(?:在建)?工程(?:已|累计)*完成约?(\d{1,3})[%％]"),
)
_UNIT_WAN = {"万": Decimal(1), "亿": Decimal(10000)}


@dataclass(frozen=True)
class BaselineFigures:
    """The percent complete and investment to date (万元) a printed note states, if any."""

    percent_complete: int | None = None
    invested_to_date_wan: int | None = None


def baseline_figures(note: str) -> BaselineFigures:
    """Read the project's overall percent complete and investment to date from a printed note."""
    clauses = [c for c in _CLAUSES.split(_PLANS.sub("", note)) if c]
    amounts = {
        _wan(match)
        for clause in clauses
        if not _NOT_CUMULATIVE.search(clause)
        for match in _INVESTED.finditer(clause)
    }
    percents = {
        int(match.group(1))
        for clause in clauses
        for pattern in _OVERALL_PERCENT
        for match in pattern.finditer(clause)
    }
    # Two different figures for the same measure leave it in doubt: take neither.
    invested = amounts.pop() if len(amounts) == 1 else None
    percent = percents.pop() if len(percents) == 1 else None
    if percent is not None and not _consistent(baseline_status(note), percent):
        percent = None
    return BaselineFigures(percent_complete=percent, invested_to_date_wan=invested)


def _wan(match: re.Match[str]) -> int | None:
    # The column holds whole 万元; an amount that is not one (2190.68万元) is not rounded.
    amount = Decimal(match.group(1)) * _UNIT_WAN[match.group(2)]
    return int(amount) if amount == amount.to_integral_value() else None


def _consistent(status: ProjectStatus, percent: int) -> bool:
    # The rules every report obeys (app.progress.service._check_consistency), and a range.
    if percent > 100 or (status is ProjectStatus.pre_construction and percent > 0):
        return False
    return status is not ProjectStatus.completed or percent == 100


@dataclass(frozen=True)
class SeedResult:
    """What a seed run added."""

    parks: int
    categories: int
    projects: int
    editions: int = 0
    # Projects stored before editions existed, now given theirs.
    assigned: int = 0


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_seed(session: Session, *, seed_dir: Path) -> SeedResult:
    """Insert the parks, categories, editions and projects not yet stored, in one transaction.

    The appendix's projects belong to the plan's edition. A database seeded before editions
    existed has its projects without one: the appendix's rows get the plan's, any other the
    standing batch of additions.
    """
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
        for position, (name, cid, prefix) in enumerate(CATEGORIES, start=1)
        if cid not in known_categories
    ]
    session.add_all(new_categories)
    new_editions = editions.add_standing(session)
    session.flush()

    known_codes = set(session.exec(select(Project.code)).all())
    new_projects = [_project(row, park_of) for row in projects if row["code"] not in known_codes]
    session.add_all(new_projects)
    session.flush()
    assigned = _assign_editions(session, appendix_codes=[row["code"] for row in projects])
    for statement in years.refresh_statements():
        session.execute(statement)
    blockers.load_seed_blockers(session, seed_dir=seed_dir, raised_on=BASELINE_AS_OF)
    session.commit()
    return SeedResult(
        parks=len(new_parks),
        categories=len(new_categories),
        projects=len(new_projects),
        editions=new_editions,
        assigned=assigned,
    )


def _assign_editions(session: Session, *, appendix_codes: list[str]) -> int:
    """Give each project without an edition its own: the appendix's rows the plan's, the rest
    the standing batch of additions; how many were given one."""
    unassigned = col(Project.edition_id).is_(None)
    assigned = 0
    for edition_id, condition in (
        (editions.PLAN, col(Project.code).in_(appendix_codes)),
        (editions.ADDITIONS, sa.true()),
    ):
        result = session.execute(
            sa.update(Project)
            .where(unassigned, condition)
            .values(
                edition_id=edition_id,
                version=col(Project.version) + 1,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        assigned += result.rowcount  # type: ignore[attr-defined]
    return assigned


def _project(row: dict[str, Any], park_of: dict[str, str]) -> Project:
    status = baseline_status(row["progress_note"])
    figures = baseline_figures(row["progress_note"])
    baseline = ProgressEntry(
        as_of=BASELINE_AS_OF,
        period=BASELINE_AS_OF.strftime("%Y-%m"),
        status=status,
        percent_complete=figures.percent_complete,
        invested_to_date_wan=figures.invested_to_date_wan,
        note=row["progress_note"],
        is_baseline=True,
        reporter_name=BASELINE_REPORTER,
        reporter_role=BASELINE_ROLE,
        # Published in the plan itself, so the baseline counts among the official figures.
        review_state=ReviewState.approved,
    )
    # The baseline is both the latest and the official entry, so the row carries its figures
    # twice, as a report's would be copied (app.progress.service.refresh_figures).
    row_figures = {
        f"{prefix}{name}": value
        for name, value in figures_of(baseline).items()
        for prefix in FIGURE_PREFIX.values()
    }
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
        edition_id=editions.PLAN,
        **row_figures,
    )
    project.progress_entries.append(baseline)
    return project
