"""Edition schemas: the plan's edition of the library and the batches added after it."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.fields import NonBlankText, Text
from app.models import EditionKind
from app.progress.schemas import InputDate

EDITION_ID_PATTERN = r"^[a-z][a-z0-9_-]{1,31}$"
EditionId = Annotated[str, StringConstraints(pattern=EDITION_ID_PATTERN)]
MAX_NOTE = 4000

EDITION_EXAMPLE: dict[str, Any] = {
    "id": "plan",
    "name": "示范区建设方案附件3（2019）",
    "kind": "plan",
    "kind_name": "方案附件",
    "document": "",
    "document_date": None,
    "note": "大连沿海产业转型升级示范区建设方案 附件3 产业转型升级示范区重点项目库。",
    "project_count": 178,
    "archived_count": 0,
    "total_investment_wan": 21124119,
    "created_by": "portfolio seed",
    "created_at": "2026-12-05T08:00:00Z",
    "links": {"self": "/api/v1/editions/plan", "projects": "/api/v1/projects?edition=plan"},
}

EDITION_KIND_NAMES = {EditionKind.plan: "方案附件", EditionKind.batch: "批次"}


class EditionPublic(BaseModel):
    """An edition of the library with the size of its part of it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EDITION_EXAMPLE]})

    id: str = Field(description="Stable identifier, used as the `edition` filter.")
    name: str = Field(description="Its name, e.g. the batch as its document names it.")
    kind: EditionKind = Field(
        description="`plan` (the plan's own appendix, which tables 4 and 5 describe and the "
        "reconciliation compares) or `batch` (入库批次: projects added after it)."
    )
    kind_name: str = Field(description="The kind in Chinese.")
    document: str = Field(description="文号 of the document that added the batch; may be empty.")
    document_date: date | None = Field(description="The document's date.")
    note: str
    project_count: int = Field(description="Its projects in the library now (not archived).")
    archived_count: int = Field(description="Its projects that left the library (出库).")
    total_investment_wan: int = Field(
        description="Planned total investment of its projects in the library now, 万元."
    )
    created_by: str = Field(description="Who added it: a token's name, or `portfolio seed`.")
    created_at: datetime
    links: dict[str, str]


class EditionList(BaseModel):
    """Every edition: the plan's first, then the batches in the order of their documents."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EDITION_EXAMPLE]}]})

    items: list[EditionPublic]


class EditionCreate(BaseModel):
    """A new batch of the library (入库批次), with the document that adds it."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "batch-2026-1",
                    "name": "2026年第一批新增重点项目",
                    "kind": "batch",
                    "document": "大发改投资〔2026〕15号",
                    "document_date": "2026-03-20",
                    "note": "经市重点项目建设领导小组审定入库。",
                }
            ]
        },
    )

    id: str = Field(
        pattern=EDITION_ID_PATTERN,
        description="Lowercase slug: a letter, then letters, digits, `-` or `_` (2–32).",
    )
    name: NonBlankText = Field(min_length=1, max_length=100)
    kind: Literal["batch"] = Field(
        default="batch",
        description="Only `batch`: the plan's edition is loaded by `portfolio seed` alone.",
    )
    document: Text = Field(
        default="", max_length=100, description="文号, e.g. 大发改投资〔2026〕15号."
    )
    document_date: InputDate | None = Field(default=None, description="The document's date.")
    note: Text = Field(default="", max_length=MAX_NOTE)
