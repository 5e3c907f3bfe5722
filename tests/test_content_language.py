"""
How a page shows a translated content field (diary/templatetags/content_language.py): the
reader's language where the record has it; else the English text marked lang="en", with one
notice per page, wherever on the page the fallback happens; English pages untouched. Records
here are stand-ins with one attribute per language, as django-modeltranslation gives them.
"""

from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

NOTICE = {
    "en": "Some of this page is only available in English",
    "fr": "Une partie de cette page n’est disponible qu’en anglais",
    "ja": "このページの一部は英語でのみ提供しています",
}
# The shape of base.html: something before the notice's place, then the content.
PAGE = Template(
    "{% load content_language %}{% content_language %}"
    "<nav>{% translated first 'title' %}</nav><main>{% fallback_notice %}"
    "<h1>{% translated second 'title' %}</h1>"
    "{% translated second 'body' as body %}"
    "{% if body %}<div{{ body.lang_attribute }}>{{ body.text|linebreaks }}</div>{% endif %}"
    "</main>{% endcontent_language %}"
)


def record(**texts):
    """A record whose fields have one attribute per language (title_en, title_fr, …)."""
    fields = {}
    for name in ("title", "body"):
        for language in ("en", "fr", "ja"):
            fields[f"{name}_{language}"] = texts.get(f"{name}_{language}", "")
        fields[name] = fields[f"{name}_en"]  # what modeltranslation's descriptor gives in English
    return SimpleNamespace(**fields)


def render(language, **records):
    with translation.override(language):
        return PAGE.render(Context(records))


TRANSLATED = record(title_en="Visit", title_fr="Visite", title_ja="訪問")


def test_translated_text_is_shown_as_the_page_language_with_no_notice():
    html = render("fr", first=TRANSLATED, second=TRANSLATED)
    assert html.count("Visite") == 2
    assert "lang=" not in html
    assert NOTICE["fr"] not in html


def test_missing_translation_shows_the_english_marked_and_one_notice_at_the_top():
    untranslated = record(title_en="Visit <b>", body_en="One.\n\nTwo & more.")
    html = render("ja", first=untranslated, second=untranslated)
    assert html.count(NOTICE["ja"]) == 1
    assert html.index(NOTICE["ja"]) < html.index("<h1>")  # before the content it is about
    assert '<nav><span lang="en">Visit &lt;b&gt;</span></nav>' in html  # escaped, marked
    assert '<h1><span lang="en">Visit &lt;b&gt;</span></h1>' in html
    # A multi-paragraph text is marked on its element, not with a span across paragraphs.
    assert '<div lang="en"><p>One.</p>\n\n<p>Two &amp; more.</p></div>' in html


def test_a_fallback_before_the_notices_place_still_counts():
    html = render("fr", first=record(title_en="Only English"), second=TRANSLATED)
    assert html.count(NOTICE["fr"]) == 1


def test_english_pages_never_mark_or_notice():
    html = render("en", first=record(title_en="Visit"), second=record(title_en="Visit"))
    assert "lang=" not in html
    assert NOTICE["en"] not in html and "fallback" not in html


def test_nothing_in_any_language_shows_nothing_and_no_notice():
    html = render("fr", first=record(), second=record())
    assert "<h1></h1>" in html and "<div" not in html
    assert NOTICE["fr"] not in html


def test_each_rendering_counts_its_own_fallbacks():
    """A template renders many pages: one page's fallback must not put a notice on the next."""
    render("fr", first=record(title_en="Only English"), second=TRANSLATED)
    html = render("fr", first=TRANSLATED, second=TRANSLATED)
    assert NOTICE["fr"] not in html


@pytest.mark.parametrize(
    ("language", "joined"),
    [
        ("en", "JAXA, NICT, ispace / Tanaka; Sato"),
        ("fr", "JAXA, NICT, ispace / Tanaka\u202f; Sato"),
        ("ja", "JAXA、NICT、ispace / Tanaka、Sato"),
    ],
)
def test_lists_of_names_are_joined_as_the_language_joins_them(language, joined):
    page = Template(
        "{% load content_language %}"
        "{% for name in organisations %}{{ name }}{{ forloop|list_separator }}{% endfor %} / "
        "{% for name in people %}{{ name }}{{ forloop|list_separator:';' }}{% endfor %}"
    )
    with translation.override(language):
        html = page.render(
            Context({"organisations": ["JAXA", "NICT", "ispace"], "people": ["Tanaka", "Sato"]})
        )
    assert html == joined


def test_a_label_made_in_python_is_marked_and_counted_like_a_field():
    from diary.translated import translate_field

    page = Template(
        "{% load content_language %}{% content_language %}<main>{% fallback_notice %}"
        "{% for label in labels %}<a>{% marked label %}</a>{% endfor %}</main>"
        "{% endcontent_language %}"
    )
    with translation.override("fr"):
        labels = [translate_field(record(title_en="Space"), "title"), "plain <text>"]
        html = page.render(Context({"labels": labels}))
    assert '<a><span lang="en">Space</span></a><a>plain &lt;text&gt;</a>' in html
    assert html.count(NOTICE["fr"]) == 1
