"""Service settings, read from the environment and `.env`."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from limits import parse
from limits.errors import ConfigurationError
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Migrations and seed data travel inside the package, so a plain `pip install .` can migrate
# and seed; the working directory holds what an installation writes (`var/`), as it holds `.env`.
PACKAGE_DIR = Path(__file__).resolve().parent
# The API's path prefix, fixed by the interface contract (DESIGN.md).
API_PREFIX = "/api/v1"
VAR_DIR = Path("var")


class Settings(BaseSettings):
    """One place for every setting; each field is documented in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="Deployment environment."
    )
    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'portfolio.db'}",
        description="SQLAlchemy URL; postgresql+psycopg://... selects PostgreSQL.",
    )
    host: str = Field(default="127.0.0.1", description="Address `portfolio serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `portfolio serve` binds.")
    workers: int = Field(default=1, ge=1, description="Uvicorn worker processes.")
    seed_dir: Path = Field(
        default=PACKAGE_DIR / "seed", description="Folder of the seed data files."
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="Log lines as JSON or for a terminal; auto: console in development only.",
    )
    db_pool_size: int = Field(default=5, ge=1, description="PostgreSQL connection pool size.")
    db_pool_timeout: float = Field(
        default=5, gt=0, description="Seconds a request waits for a pooled connection."
    )
    db_connect_timeout: int = Field(
        default=2, ge=1, description="Seconds to wait for a new PostgreSQL connection."
    )
    metrics_token: str | None = Field(
        default=None, description="When set, /metrics needs `Authorization: Bearer <it>`."
    )
    prometheus_multiproc_dir: Path | None = Field(
        default=None, description="Shared folder for the metrics of several workers."
    )
    shutdown_grace_seconds: int = Field(
        default=30, ge=0, description="On SIGTERM, how long in-flight requests may finish."
    )
    max_json_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest JSON request body accepted (413 above)."
    )
    max_upload_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest spreadsheet upload accepted."
    )
    body_timeout_seconds: float = Field(
        default=10,
        gt=0,
        description="Seconds a request body may take to arrive after its headers (408 after).",
    )
    max_header_count: int = Field(
        default=100, ge=16, description="Most header lines a request may send (431 above)."
    )
    max_header_bytes: int = Field(
        default=32 * 1024, ge=4096, description="Most bytes of headers a request may send."
    )
    report_due_day: int = Field(
        default=5,
        ge=1,
        le=28,
        description="Monthly reports are late after this day of the following month.",
    )
    rate_limit_storage_url: str = Field(
        default="memory://",
        description="Where rate-limit counters live: memory:// (one process) or "
        "redis://host:port/db (shared by every worker and host).",
    )
    rate_limit_writes: str = Field(
        default="120/minute", description="Writes (POST, PATCH, PUT, DELETE) allowed per token."
    )
    rate_limit_exports: str = Field(
        default="30/minute",
        description="CSV/XLSX exports, templates and spreadsheet uploads allowed per token.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS); none by default.",
    )
    demo_tokens_file: Path = Field(
        default=VAR_DIR / "demo-tokens.json",
        description="Where `portfolio demo` keeps the demo tokens it printed.",
    )

    @field_validator("rate_limit_writes", "rate_limit_exports")
    @classmethod
    def _is_rate_limit(cls, value: str) -> str:
        try:
            parse(value)
        except (ValueError, ConfigurationError) as exc:
            raise ValueError(f"not a rate limit: {value!r} (expected e.g. '120/minute')") from exc
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # CORS_ORIGINS=https://a.example,https://b.example as well as a JSON list.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _production_needs_postgresql(self) -> "Settings":
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("production needs a PostgreSQL DATABASE_URL, not SQLite")
        return self

    @property
    def console_logs(self) -> bool:
        """Whether log lines are rendered for a terminal instead of as JSON."""
        if self.log_format == "auto":
            return self.environment == "development"
        return self.log_format == "console"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
