"""Running Alembic migrations from code: the CLI and the tests use these."""

from alembic import command
from alembic.config import Config

from app.config import PACKAGE_DIR

MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config for the installed migrations, aimed at `database_url`."""
    # Built in code rather than read from alembic.ini, which an installed package has not got.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Revert migrations down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)
