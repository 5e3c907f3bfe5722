"""Presentation helpers: times in the mission's own zone, dates in long form, page languages."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language, override, pgettext
from django.utils.translation import gettext as _

register = template.Library()

# The query parameters that choose a page of a paginated list (see diary/views.py).
PAGE_PARAMETERS = {"page", "agreements_page"}

# OpenGraph wants territory-qualified locales; the interface speaks these three.
OPENGRAPH_LOCALES = {"en": "en_GB", "fr": "fr_FR", "ja": "ja_JP"}


def _clock(moment):
    """'09:30 JST': the local time with the zone's label, never a bare number."""
    return f"{moment.strftime('%H:%M')} {moment.tzname()}"


@register.simple_tag
def visit_time(visit):
    """'09:30 JST – 11:00 JST', each in a <time> carrying the full ISO value, or 'time not recorded'."""
    start, end = visit.start, visit.end
    if start is None:
        return format_html('<span class="not-recorded">{}</span>', _("time not recorded"))
    start_html = format_html('<time datetime="{}">{}</time>', start.isoformat(), _clock(start))
    if end is None:
        return start_html
    return format_html(
        '{} – <time datetime="{}">{}</time>', start_html, end.isoformat(), _clock(end)
    )


def _long_date_format(weekday):
    # Translators give a Django date format: French keeps "l j F Y", Japanese writes "Y年n月j日".
    if weekday:
        return pgettext("Django date format: long date with weekday", "l j F Y")
    return pgettext("Django date format: long date", "j F Y")


@register.simple_tag
def long_date(value, weekday=True):
    """A date in long form inside <time>, e.g. 'Monday 10 June 2024', in the page's language."""
    if value is None:
        return format_html('<span class="not-recorded">{}</span>', _("date not stated"))
    return format_html(
        '<time datetime="{}">{}</time>',
        value.isoformat(),
        date_format(value, _long_date_format(weekday)),
    )


@dataclass(frozen=True)
class LanguageVersion:
    code: str
    name: str
    path: str  # this page in that language, query string kept (for the switcher)
    url: str  # absolute, without query string (for hreflang alternates)
    opengraph_locale: str
    is_current: bool


@register.simple_tag(takes_context=True)
def language_versions(context, home=False):
    """
    This page in each interface language, or each language's home page when asked (a 404
    page offers no address it could not find) or when the address matches no route.
    """
    request = context.get("request")
    if request is None:  # error pages rendered without a request have no address to translate
        return []
    current = get_language()
    versions = []
    for code, name in settings.LANGUAGES:
        if home or request.resolver_match is None:
            with override(code):
                path = full_path = reverse("diary:home")
        else:
            path = translate_url(request.path, code)
            full_path = translate_url(request.get_full_path(), code)
        versions.append(
            LanguageVersion(
                code=code,
                name=name,
                path=full_path,
                url=request.build_absolute_uri(path),
                opengraph_locale=OPENGRAPH_LOCALES.get(code, code),
                is_current=code == current,
            )
        )
    return versions


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """
    The page's own absolute address in the language being read: without query string but
    for the page numbers of a paginated list (page 2 is its own page; page 1 is the bare one).
    """
    request = context.get("request")
    if not request:
        return ""
    pages = {
        name: value
        for name, value in sorted(request.GET.items())
        if name in PAGE_PARAMETERS and value != "1"
    }
    query = f"?{urlencode(pages)}" if pages else ""
    return request.build_absolute_uri(request.path + query)


@register.simple_tag
def trail(*parts):
    """
    The breadcrumbs after "Missions", for includes/breadcrumbs.html: (label, url) pairs,
    then the current page's label. A pair with an empty label is left out (a visit with no
    recorded day has no day to go back to).
    """
    *pairs, current = parts
    links = [(label, url) for label, url in zip(pairs[::2], pairs[1::2], strict=True) if label]
    return {"links": links, "current": current}


@register.simple_tag
def route_map_svg(route_map, title):
    """The map of diary/maps.py as inline SVG, with its title and a description of it."""
    from ..maps import map_description

    return route_map.svg(title, map_description(route_map))
