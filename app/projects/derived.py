"""A project's classes derived from its columns, in SQL: what filters select, rollups group by."""

import sqlalchemy as sa
from sqlmodel import col

from app.models import Project

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
