import datetime


class IsoDateConverter:
    """YYYY-MM-DD in the URL, a date in the view; 2024-02-30 matches nothing (a 404)."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value):
        return datetime.date.fromisoformat(value)

    def to_url(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
