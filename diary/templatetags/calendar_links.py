"""Links to a mission's calendar feed for calendar apps: webcal://, which they subscribe to."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def webcal_url(context, path):
    """
    The feed at `path` as a webcal:// address: a calendar app opens it as a subscription to
    the feed (refreshed as it changes), where the https:// address is a one-off download.
    """
    request = context.get("request")
    url = request.build_absolute_uri(path) if request else path
    _scheme, separator, rest = url.partition("://")
    return f"webcal://{rest}" if separator else url
