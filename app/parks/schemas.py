"""Park schemas."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.fields import NON_BLANK, Text, not_nullable
from app.models import Tier

MAX_REASON = 2000

PARK_EXAMPLE: dict[str, Any] = {
    "id": "gaoxin",
    "name": "大连高新技术产业园区",
    "aliases": ["大连高新区"],
    "table4_name": "大连高新区",
    "tier": "demonstration",
    "tier_name": "示范园区",
    "project_count": 21,
    "total_investment_wan": 1186100,
    "version": 1,
    "archived_at": None,
}


class ParkPublic(BaseModel):
    """A park with the size of its part of the library."""

    model_config = ConfigDict(json_schema_extra={"examples": [PARK_EXAMPLE]})

    id: str = Field(description="Stable identifier, used as the `park` filter.")
    name: str = Field(description="Full name as Appendix 3 prints it.")
    aliases: list[str] = Field(description="Other spellings printed for the same park.")
    table4_name: str = Field(description="The label table 4 of the plan uses.")
    tier: Tier = Field(description="`demonstration` (示范园区) or `key` (重点园区).")
    tier_name: str = Field(description="The tier's Chinese name.")
    project_count: int = Field(description="Projects in this park.")
    total_investment_wan: int = Field(description="Planned total investment, 万元 (CNY 10,000).")
    version: int = Field(description="Bumped on every change; the ETag names it.")
    archived_at: datetime | None = Field(
        default=None, description="Set when an admin archived it: hidden from the park list."
    )


class ParkList(BaseModel):
    """All parks, in table 4 order."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [PARK_EXAMPLE]}]})

    items: list[ParkPublic]


Alias = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NON_BLANK
]
Reason = Annotated[
    Text,
    StringConstraints(strip_whitespace=True, max_length=MAX_REASON),
    Field(description="Why, as the audit log keeps it (optional)."),
]


class ParkCreate(BaseModel):
    """A new park."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "zhuanghe",
                    "name": "大连庄河经济开发区",
                    "aliases": ["庄河开发区"],
                    "tier": "key",
                }
            ]
        },
    )

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$", description="Lowercase slug.")
    name: Alias
    aliases: list[Alias] = Field(default_factory=list, max_length=20)
    table4_name: Alias | None = Field(default=None, description="Default: the name.")
    tier: Tier
    reason: Reason = ""


class ParkUpdate(BaseModel):
    """A change to a park; only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=not_nullable([{"aliases": ["大连高新区", "高新园区"]}]),
    )

    name: Alias | None = None
    aliases: list[Alias] | None = Field(default=None, max_length=20)
    table4_name: Alias | None = None
    tier: Tier | None = None
    reason: Reason = ""

    @field_validator("*")
    @classmethod
    def _no_nulls(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class ParkChange(BaseModel):
    """Why a park is archived or restored (the body is optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "园区整合，项目已全部迁出"}]}
    )

    reason: Reason = ""
