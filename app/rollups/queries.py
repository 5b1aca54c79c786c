"""Every GROUP BY of the service: aggregates computed by the database."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from app.models import Project


def project_totals_by(column: Any) -> sa.Subquery:
    """Project count and planned investment per value of a `project` column."""
    return (
        sa.select(
            column.label("key"),
            sa.func.count().label("project_count"),
            sa.func.sum(col(Project.total_investment_wan)).label("total_investment_wan"),
        )
        .group_by(column)
        .subquery()
    )


# Table 5 of the plan groups start years as "2019年以前", 2019, 2020, 2021.
FIRST_BUCKET_YEAR = 2019
BEFORE_FIRST_BUCKET = f"before_{FIRST_BUCKET_YEAR}"


def start_bucket_expr() -> sa.ColumnElement[str]:
    """A project's start-year bucket as table 5 prints them: `before_2019`, `2019`, …"""
    return sa.case(
        (col(Project.start_year) < FIRST_BUCKET_YEAR, sa.literal(BEFORE_FIRST_BUCKET)),
        else_=sa.cast(col(Project.start_year), sa.String),
    )


def construction_type_expr(reporting_year: int) -> sa.ColumnElement[str]:
    """新建 (`new`) if a project starts in the reporting year, 续建 (`continuing`) if before."""
    return sa.case(
        (col(Project.start_year) < reporting_year, sa.literal("continuing")),
        (col(Project.start_year) == reporting_year, sa.literal("new")),
        else_=sa.literal("planned"),
    )
