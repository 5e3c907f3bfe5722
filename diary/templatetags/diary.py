"""Presentation helpers: times in the mission's own zone, dates in long form."""

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def visit_time(visit):
    """'09:30–11:00 JST' in a <time> carrying the full ISO value, or 'time not recorded'."""
    start, end = visit.start, visit.end
    if start is None:
        return format_html('<span class="not-recorded">{}</span>', _("time not recorded"))
    zone = start.tzname()
    if end is None:
        return format_html(
            '<time datetime="{}">{} {}</time>', start.isoformat(), start.strftime("%H:%M"), zone
        )
    return format_html(
        '<time datetime="{}">{}</time>–<time datetime="{}">{}</time> {}',
        start.isoformat(),
        start.strftime("%H:%M"),
        end.isoformat(),
        end.strftime("%H:%M"),
        zone,
    )


@register.simple_tag
def long_date(value):
    """A date in long form inside <time>, e.g. 'Monday 10 June 2024'."""
    if value is None:
        return format_html('<span class="not-recorded">{}</span>', _("date not stated"))
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "l j F Y")
    )
