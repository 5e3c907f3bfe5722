"""The "Report a correction" link of every page (settings.CORRECTIONS_ADDRESS)."""

from urllib.parse import quote, urlencode

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from .diary import canonical_url

register = template.Library()


@register.simple_tag(takes_context=True)
def correction_href(context):
    """
    The correction address pre-filled with this page's own address (its canonical URL, in
    the language being read): a mailto: gets a subject and a body naming the page, a web
    form gets ?page=<address>. A page rendered without a request (500, 503) or for an address
    that matches no route (404) names no page: only addresses of the site's own are repeated.
    The page cache keys pages on host, path and language, so each cached copy carries its own.
    """
    address = settings.CORRECTIONS_ADDRESS
    request = context.get("request")
    page = canonical_url(context) if request and request.resolver_match else ""
    separator = "&" if "?" in address else "?"
    if address.startswith("mailto:"):
        subject = _("Correction: %(page)s") % {"page": page} if page else _("Correction")
        body = (
            _("Page: %(page)s\n\nWhat is wrong, and how do you know?\n") % {"page": page}
            if page
            else _("What is wrong, and how do you know?\n")
        )
        query = urlencode({"subject": subject, "body": body}, quote_via=quote)
        return f"{address}{separator}{query}"
    if not page:
        return address
    return f"{address}{separator}{urlencode({'page': page})}"
