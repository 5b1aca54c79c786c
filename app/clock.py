"""Today in China: the one date every answer that depends on the day reads."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Reporting dates are calendar dates in China: a report "as of" a day covers that day there.
REPORTING_TZ = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in China, where reporting dates are calendar dates."""
    return datetime.now(REPORTING_TZ).date()
