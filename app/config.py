"""Service settings, read from the environment and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """One place for every setting; each field is documented in `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="Deployment environment."
    )
    database_url: str = Field(
        default=f"sqlite:///{ROOT_DIR / 'var' / 'portfolio.db'}",
        description="SQLAlchemy URL; postgresql+psycopg://... selects PostgreSQL.",
    )
    host: str = Field(default="127.0.0.1", description="Address `portfolio serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `portfolio serve` binds.")
    workers: int = Field(default=1, ge=1, description="Uvicorn worker processes.")
    seed_dir: Path = Field(default=ROOT_DIR / "seed", description="Folder of the seed data files.")
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
    report_due_day: int = Field(
        default=5,
        ge=1,
        le=28,
        description="Monthly reports are late after this day of the following month.",
    )
    demo_tokens_file: Path = Field(
        default=ROOT_DIR / "var" / "demo-tokens.json",
        description="Where `portfolio demo` keeps the demo tokens it printed.",
    )

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
