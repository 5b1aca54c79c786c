"""Report schemas: reconciliation with the published tables, tracking reports."""

from pydantic import BaseModel, Field


class Figure(BaseModel):
    """A count of projects and their planned investment."""

    count: int | None = Field(description="Projects; null where the table prints ——.")
    amount_wan: int | None = Field(description="Planned investment, 万元; null for ——.")


class Cell(BaseModel):
    """One cell of a published table next to the same cell computed from the library."""

    published: Figure
    computed: Figure
    difference: Figure = Field(description="computed − published (—— counts as 0).")
    matches: bool


class ReconciledRow(BaseModel):
    """A row of table 4 or 5 with each cell reconciled."""

    label: str = Field(description="The row label as the table prints it.")
    kind: str = Field(description="`total`, `tier`, `park` (table 4) or `category` (table 5).")
    park_id: str | None = None
    tier: str | None = None
    category: str | None = None
    cells: dict[str, Cell]


class ReconciledTable(BaseModel):
    """A published table, cell by cell."""

    title: str
    columns: list[str]
    rows: list[ReconciledRow]
    differing_cells: int = Field(description="Cells where computed and published differ.")


class Headline(BaseModel):
    """The totals the plan's body, the appendix header and the library state."""

    published: Figure = Field(description="The plan's body (section 五, tables 4 and 5).")
    appendix_header: Figure = Field(description="What the appendix header prints (总计).")
    computed: Figure = Field(description="Summed from the projects in the library now.")
    difference: Figure = Field(description="computed − published.")


class Reconciliation(BaseModel):
    """Tables 4 and 5 of the plan next to the same cells computed from the library."""

    headline: Headline
    table4: ReconciledTable
    table5: ReconciledTable
