"""PostgreSQL's form of the rollups, with the signature of its portable form.

`app.db.ByDialect` chooses it on PostgreSQL instead of `app.rollups.queries.aggregate_groupings`.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.progress.current import ProjectState
from app.rollups.queries import NULLABLE_MEASURES, Dimension, Frame, measure_names, measures


def aggregate_groupings(
    session: Session,
    *,
    state: ProjectState,
    groupings: Sequence[Sequence[Dimension]],
    conditions: Sequence[Any],
    frame: Frame,
) -> list[list[dict[str, Any]]]:
    """Aggregate the filtered projects once per grouping, as `queries.aggregate` would, in one pass.

    Each grouping's rows name their own dimensions `key_0`, `label_0`, … Every grouping
    comes from one scan with GROUPING SETS, so the projects and, with `as_of`, their current
    entries are read once per request instead of once per grouping.
    """
    dims: list[Dimension] = []
    for group in groupings:
        dims += [d for d in group if d not in dims]
    # First the finest groups, by hashing (every dimension of the request together); then the
    # groupings of the request from those, with GROUPING SETS, which over the projects
    # themselves would sort all of them. Every measure is a count or a sum, so summing the
    # groups' sums gives the same figures.
    finest = frame.join(
        state.select_from(
            sa.select(
                *(d.key.label(f"key_{i}") for i, d in enumerate(dims)),
                # A label follows from its key: grouped by the keys alone, the
                # planner's estimate of the groups stays the product of the keys' own.
                *(
                    sa.func.min(d.label).label(f"label_{i}")
                    for i, d in enumerate(dims)
                    if d.label is not None
                ),
                *(d.order.label(f"order_{i}") for i, d in enumerate(dims)),
                *measures(state, frame),
            )
        )
    ).where(*conditions)
    finest = finest.group_by(*(d.key for d in dims)).subquery("finest")
    g = finest.c
    keys = [g[f"key_{i}"] for i in range(len(dims))]
    labels = [g[f"label_{i}"] for i, d in enumerate(dims) if d.label is not None]
    # GROUPING(k0, k1, …): bit set for each dimension a row is not grouped by.
    grouped = sa.func.grouping(*keys).label("grouping")
    # Within a grouping, groups come in the order of its dimensions' own order.
    orders = [
        sa.case((sa.func.grouping(key) == 0, sa.func.min(g[f"order_{i}"])), else_=None).label(
            f"order_{i}"
        )
        for i, key in enumerate(keys)
    ]
    totals = [
        sa.func.sum(g[name]).label(name)
        if name in NULLABLE_MEASURES
        else sa.cast(sa.func.coalesce(sa.func.sum(g[name]), 0), sa.BigInteger).label(name)
        for name in measure_names()
    ]

    def columns(dim: Dimension) -> list[Any]:
        i = dims.index(dim)
        return [g[f"key_{i}"], *([g[f"label_{i}"]] if dim.label is not None else [])]

    sets = [
        sa.tuple_(*(c for d in group for c in columns(d))) if group else sa.text("()")
        for group in groupings
    ]
    query = (
        sa.select(*keys, *labels, grouped, *orders, *totals)
        .select_from(finest)
        .group_by(sa.func.grouping_sets(*sets))
        .order_by(sa.literal_column("grouping"), *(sa.literal_column(o.name) for o in orders))
    )
    by_mask: dict[int, list[dict[str, Any]]] = {}
    for row in session.execute(query):
        by_mask.setdefault(row.grouping, []).append(dict(row._mapping))
    results = []
    for group in groupings:
        positions = [dims.index(d) for d in group]
        mask = sum(1 << (len(dims) - 1 - i) for i in range(len(dims)) if i not in positions)
        results.append(
            [
                {
                    **values,
                    **{f"key_{j}": values[f"key_{i}"] for j, i in enumerate(positions)},
                    **{f"label_{j}": values.get(f"label_{i}") for j, i in enumerate(positions)},
                }
                for values in by_mask.get(mask, [])
            ]
        )
    return results
