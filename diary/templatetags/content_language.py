"""
The diary's content in the reader's language, and English, marked as such, where it has none.

Content fields translated with django-modeltranslation (diary/translation.py) keep one column
per language: `title_en`, `title_fr`, `title_ja`. Where the reader's language has no text,
`{% translated record "title" %}` shows the English text inside `<span lang="en">`, so a
screen reader pronounces it as English, and notes on the page that it did: base.html's
`{% content_language %}` block then shows one notice, "Some of this page is only available
in English", where it put `{% fallback_notice %}`. The notice is decided after the whole
page is rendered (breadcrumbs and content come before and after the slot), and it is part of
the page the cache stores: the language is in the address, so the cached page is the one
this language's readers get. English pages show English text, with no spans and no notice.

`{% translated record "body" as body %}` gives the text and its language separately, for an
element that should carry the lang attribute itself (`<div{{ body.lang_attribute }}>`) or a
filter that must see plain text (`{{ body.text|linebreaks }}`).

Lists of names are joined in the reader's typography: `{{ forloop|list_separator }}` after
each item is ", " in English and French and "、" in Japanese.
"""

import secrets

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..translated import Translated, translate_field
from ..translated import list_separator as separator

register = template.Library()

CONTEXT_KEY = "content_fallbacks"


class Fallbacks:
    """What one rendering of a page showed in English for want of the reader's language."""

    def __init__(self):
        self.count = 0
        # Where the notice goes; unguessable, so no content (escaped anyway) can place it.
        self.slot = f"<!-- fallback-notice {secrets.token_hex(8)} -->"


@register.simple_tag(takes_context=True)
def translated(context, record, field):
    """{% translated visit "title" %}: the field in the reader's language, or English marked."""
    value = translate_field(record, field)
    fallbacks = context.get(CONTEXT_KEY)
    if value.lang and fallbacks is not None:
        fallbacks.count += 1
    return value


@register.simple_tag(takes_context=True)
def marked(context, value):
    """
    {% marked label %}: a value Python code made with translate_field() (or plain text),
    shown as {% translated %} shows it and counted towards the notice.
    """
    fallbacks = context.get(CONTEXT_KEY)
    if isinstance(value, Translated) and value.lang and fallbacks is not None:
        fallbacks.count += 1
    return value


class ContentLanguageNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        fallbacks = Fallbacks()
        with context.push({CONTEXT_KEY: fallbacks}):
            html = self.nodelist.render(context)
        notice = ""
        if fallbacks.count:
            notice = format_html(
                '<p class="fallback-notice" role="note">{}</p>',
                _("Some of this page is only available in English"),
            )
        return mark_safe(html.replace(fallbacks.slot, notice, 1))


@register.tag
def content_language(parser, token):
    """
    {% content_language %}…{% endcontent_language %}: around the whole page (base.html), so
    that every {% translated %} inside it counts towards the notice.
    """
    nodelist = parser.parse(("endcontent_language",))
    parser.delete_first_token()
    return ContentLanguageNode(nodelist)


@register.simple_tag(takes_context=True)
def fallback_notice(context):
    """Where the notice goes, inside {% content_language %}: filled in once the page is done."""
    fallbacks = context.get(CONTEXT_KEY)
    return mark_safe(fallbacks.slot) if fallbacks is not None else ""


@register.filter
def list_separator(forloop, kind=","):
    """{{ forloop|list_separator }} (or :";"): what follows an item of a list of names."""
    return "" if forloop["last"] else separator(kind)
