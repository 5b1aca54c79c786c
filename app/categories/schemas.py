"""Category schemas."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CATEGORY_EXAMPLE: dict[str, Any] = {
    "id": "infrastructure",
    "name": "公共基础设施",
    "code_prefix": "INF",
    "project_count": 53,
    "total_investment_wan": 2495932,
}


class CategoryPublic(BaseModel):
    """A category of the library with the size of its part."""

    model_config = ConfigDict(json_schema_extra={"examples": [CATEGORY_EXAMPLE]})

    id: str = Field(description="`infrastructure`, `service_platform` or `innovation`.")
    name: str = Field(description="The Chinese name Appendix 3 prints.")
    code_prefix: str = Field(description="Prefix of the project codes in this category.")
    project_count: int = Field(description="Projects in this category.")
    total_investment_wan: int = Field(description="Planned total investment, 万元 (CNY 10,000).")


class CategoryList(BaseModel):
    """All categories in appendix order."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [CATEGORY_EXAMPLE]}]})

    items: list[CategoryPublic]
