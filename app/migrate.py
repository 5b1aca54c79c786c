"""Running Alembic migrations from code: the CLI and the tests use these."""

from alembic import command
from alembic.config import Config

from app.config import ROOT_DIR


def alembic_config(database_url: str) -> Config:
    """Return the project's Alembic config aimed at `database_url`."""
    config = Config(str(ROOT_DIR / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Revert migrations down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)
