"""
Search results with the words searched for marked: `{% highlighted record "title" %}` (a
content field in the reader's language, as `{% translated %}` gives it) and
`{{ text|highlight:search_words }}` for any other text.

The text is escaped first and only the marks are markup: a record or a query holding HTML
shows it as text. Matching ignores case, as the search does; it is done on the text shown,
so it works the same on every database (PostgreSQL's ts_headline would need a second text
for SQLite).
"""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .content_language import translated

register = template.Library()


def marked(text, words):
    """`text` escaped, each occurrence of any of `words` (any case) in <mark>."""
    text = str(text or "")
    words = sorted({word for word in words if word}, key=len, reverse=True)
    if not words or not text:
        return escape(text)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    html, end = [], 0
    for match in pattern.finditer(text):
        html.append(escape(text[end : match.start()]))
        html.append(format_html("<mark>{}</mark>", match.group()))
        end = match.end()
    html.append(escape(text[end:]))
    return mark_safe("".join(html))


@register.filter
def highlight(text, words):
    """{{ visit.location|highlight:search_words }}"""
    return marked(text, words or ())


@register.simple_tag(takes_context=True)
def highlighted(context, record, field):
    """{% highlighted visit "title" %}: the field as {% translated %} shows it, words marked."""
    value = translated(context, record, field)
    html = marked(value.text, context.get("search_words") or ())
    if value.lang:
        return format_html('<span lang="{}">{}</span>', value.lang, html)
    return html
