"""Park schemas."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models import Tier

PARK_EXAMPLE: dict[str, Any] = {
    "id": "gaoxin",
    "name": "大连高新技术产业园区",
    "aliases": ["大连高新区"],
    "table4_name": "大连高新区",
    "tier": "demonstration",
    "tier_name": "示范园区",
    "project_count": 21,
    "total_investment_wan": 1186100,
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


class ParkList(BaseModel):
    """All parks, in table 4 order."""

    items: list[ParkPublic]
