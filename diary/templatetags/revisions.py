"""Presentation of publications: their moments in the mission's zone, a moved visit's times."""

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import override

from ..publishing import site_path
from .diary import _long_date_format, long_date

register = template.Library()


@register.simple_tag
def published_moment(value, mission, with_time=True):
    """
    A publication's moment in the mission's own zone, in long form inside <time>:
    '10 June 2024, 18:05 JST', or the date alone without `with_time`.
    """
    local = timezone.localtime(value, mission.zone)
    label = date_format(local.date(), _long_date_format(weekday=False))
    if with_time:
        label = f"{label}, {local.strftime('%H:%M')} {local.tzname()}"
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), label)


@register.filter(name="visit_when_html")
def visit_when(when):
    """A moved visit's place in time: 'Tuesday 11 June 2024, 09:30–11:00' or 'date not stated'."""
    if when.date is None:
        return format_html('<span class="not-recorded">{}</span>', _("date not stated"))
    day = long_date(when.date)
    if when.starts_at is None:
        return day
    times = when.starts_at.strftime("%H:%M")
    if when.ends_at is not None:
        times += "–" + when.ends_at.strftime("%H:%M")
    return format_html("{}, {}", day, times)


@register.filter
def published_on(value, mission):
    """A publication's date in the mission's zone, in long form: for "Published <date>"."""
    return published_moment(value, mission, with_time=False)


@register.filter(name="site_path")
def site_path_filter(value):
    """A frozen copy's "site:/…" address (English) as a link on this site, in the page's language."""
    path = site_path(value)
    if not path:
        return path
    # translate_url() resolves in the active language, whose prefix an English path lacks.
    with override(settings.LANGUAGE_CODE):
        try:
            match = resolve(path)
        except Resolver404:
            return path
    try:
        return reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except NoReverseMatch:
        return path
