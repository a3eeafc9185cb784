"""Times as people read them: in the installation's time zone (``FAQ_BOT_TIMEZONE``), not UTC ISO strings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Tokyo"
FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_time(value: str) -> dt.datetime | None:
    """An ISO time as this project writes it (``Z`` or an offset; naive = UTC), or None for any other text."""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def local_time(value: float | str | dt.datetime | None, zone: str = DEFAULT_ZONE, with_zone: bool = True) -> str:
    """An epoch, ISO string or datetime as ``2025-04-01 09:30:00 JST`` in ``zone`` ('' for none; naive = UTC)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        moment = dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, str):
        parsed = parse_time(value)
        if parsed is None:
            return value  # not a time we wrote: show it as it is
        moment = parsed
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime(FORMAT + (" %Z" if with_zone else ""))
