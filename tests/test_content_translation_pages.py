"""
The diary's content in the reader's language (issue 11): the demo mission read in Japanese and
French; English standing in for a missing translation, marked lang="en", with one notice per
page; English pages untouched; the same number of queries however much is shown.
"""

import datetime
from urllib.parse import urldefrag, urlsplit

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from modeltranslation.translator import translator

from diary.models import Mission, Organisation, Person, Place, Source
from diary.synthetic import Sizes, generate

from . import factories
from .support import by_class, translate_where_missing

pytestmark = [
    pytest.mark.django_db,
]

NOTICE = {
    "fr": "Une partie de cette page n’est disponible qu’en anglais",
    "ja": "このページの一部は英語でのみ提供しています",
}
# Links a crawl of the public pages does not follow: documents, not pages.
NOT_PAGES = (".json", ".ics", ".csv", ".xml", ".geojson", "/feed/", ".atom")


def url_in(language, record):
    """The record's page in `language` (its address carries the language: /fr/…, /ja/…)."""
    with translation.override(language):
        return record.get_absolute_url()


def get_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.fromstring(response.content.decode())


def language_of(element):
    """The language an element's text is in: its own lang attribute, or its nearest ancestor's."""
    for node in (element, *element.iterancestors()):
        if node.get("lang"):
            return node.get("lang")
    return ""


def texts(root):
    """(text, element whose language it is in) of every text in the page's <body>."""
    body = root.find("body")
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        if element.text and element.text.strip():
            yield element.text.strip(), element
        if element is not body and element.tail and element.tail.strip():
            yield element.tail.strip(), element.getparent()


def notices(root):
    return by_class(root, "fallback-notice")


def proper_names():
    """Names the diary never translates (organisations, people, places): the same text in
    every language, so a fallback title that happens to equal one is not told by its text."""
    names = set()
    for organisation in Organisation.objects.all():
        names.update({organisation.name, organisation.short_name, organisation.display_name})
    for person in Person.objects.all():
        names.update({person.name, person.full_name})
    for place in Place.objects.all():
        names.update({place.name, place.city})
    return names


def fallback_lines(language):
    """Each line of English text that the demo has in no `language`, by the text."""
    lines = set()
    # Every model with translated content fields, and those fields (diary/translation.py).
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        for record in model.objects.all():
            for field in fields:
                english = getattr(record, f"{field}_en") or ""
                if english and not getattr(record, f"{field}_{language}"):
                    lines.update(line.strip() for line in english.splitlines() if line.strip())
    return lines - proper_names()


def public_pages(client, start):
    """Every page a reader can reach from `start` by following the site's links, once each."""
    prefix = urlsplit(start).path.split("/")[1]
    seen, queue = set(), [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        root = get_page(client, url)
        yield url, root
        for href in root.xpath("//a/@href"):
            href = urldefrag(href).url
            if (
                href.startswith(f"/{prefix}/")
                and "?" not in href
                and not href.endswith(NOT_PAGES)
                and href not in seen
            ):
                queue.append(href)


def test_japanese_itinerary_shows_the_mission_in_japanese(client, demo):
    root = get_page(client, "/ja/missions/japan-2024/")
    assert root.find(".//h1").text_content() == demo.title_ja
    assert by_class(root, "lead")[0].text_content() == demo.summary_ja
    days = [p.text_content() for p in by_class(root, "day-title")]
    assert days == [day.title_ja for day in demo.days.order_by("date") if day.title_en]
    cards = {a.text_content() for a in root.xpath("//*[@class='visit-card']//h3/a")}
    assert cards == {visit.title_ja for visit in demo.visits.all()}
    assert all(day.title_ja and day.title_ja != day.title_en for day in demo.days.all())


def test_french_itinerary_shows_the_mission_in_french(client, demo):
    root = get_page(client, "/fr/missions/japan-2024/")
    assert root.find(".//h1").text_content() == demo.title_fr != demo.title_en
    assert by_class(root, "lead")[0].text_content() == demo.summary_fr
    cards = {a.text_content() for a in root.xpath("//*[@class='visit-card']//h3/a")}
    assert cards == {visit.title_fr for visit in demo.visits.all()}


@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "Japan"), ("fr", "Japon"), ("ja", "日本")],
)
def test_the_host_country_is_named_in_the_readers_language(client, demo, language, name):
    root = get_page(client, url_in(language, demo))
    assert by_class(root, "mission-meta")[0].xpath("./span")[0].text_content() == name


def test_a_title_nobody_translated_is_the_english_one_marked_with_one_notice(client, demo):
    demo = translate_where_missing(demo)
    visit = demo.visits.filter(day__isnull=False).first()
    visit.title_fr = ""
    visit.save()
    day = get_page(client, url_in("fr", visit.day))
    [link] = day.xpath(f"//a[@href='{url_in('fr', visit)}' and ancestor::h3]")
    assert link.text_content() == visit.title_en
    assert language_of(link[0]) == "en"
    [notice] = notices(day)
    assert notice.text_content() == NOTICE["fr"]
    assert notice.getparent().tag == "main"  # the first thing read, not after the content
    # The other languages are untouched: Japanese has its title, English needs no mark.
    japanese = get_page(client, url_in("ja", visit.day))
    assert visit.title_ja in {a.text_content() for a in japanese.xpath("//h3/a")}
    english = get_page(client, url_in("en", visit.day))
    assert notices(english) == []
    assert english.xpath("//main//*[@lang='en']") == []


def test_a_multi_paragraph_account_falls_back_as_one_english_block(client, demo):
    demo = translate_where_missing(demo)
    visit = demo.visits.first()
    visit.body_en, visit.body_ja = "First paragraph.\n\nSecond paragraph.", ""
    visit.save()
    root = get_page(client, url_in("ja", visit))
    paragraphs = root.xpath("//p[normalize-space()='Second paragraph.']")
    assert [language_of(p) for p in paragraphs] == ["en"]
    assert len(notices(root)) == 1


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_every_english_fallback_on_every_public_page_is_marked_english(client, demo, language):
    demo = translate_where_missing(demo)
    fallbacks = fallback_lines(language)
    assert fallbacks, "the demo translates everything: this test would check nothing"
    unmarked, marked, pages = [], 0, 0
    for url, root in public_pages(client, f"/{language}/"):
        pages += 1
        found = 0
        for text, element in texts(root):
            if text in fallbacks:
                found += 1
                if language_of(element) != "en":
                    unmarked.append((url, text[:60]))
        marked += found
        assert len(notices(root)) == (1 if found else 0), url
    assert unmarked == []
    assert marked > 0
    assert pages > 20  # the crawl reached the days, visits, agreements and the rest


def test_a_cached_page_keeps_its_marks_and_notice_and_follows_an_edit(client, demo):
    demo = translate_where_missing(demo)
    visit = demo.visits.filter(day__isnull=False).first()
    visit.title_fr = ""
    visit.save()
    url = url_in("fr", visit)
    first = client.get(url).content
    assert client.get(url).content == first  # from the page cache
    assert first.decode().count(NOTICE["fr"]) == 1
    visit.title_fr = "Visite traduite"
    visit.summary_fr = visit.summary_fr or "Résumé."
    visit.save()
    root = get_page(client, url)
    assert root.find(".//h1").text_content() == "Visite traduite"


def test_japanese_lists_names_with_the_ideographic_comma(client, demo):
    visit = max(demo.visits.all(), key=lambda v: v.organisations.count())
    assert visit.organisations.count() > 1
    root = get_page(client, url_in("ja", visit))
    [names] = root.xpath("//dt[.='組織']/following-sibling::dd[1]")
    assert "、" in names.text_content() and ", " not in names.text_content().replace(" / ", "")


# --- Queries -----------------------------------------------------------------------------


def pages_in(language, mission):
    visit = mission.visits.filter(day__isnull=False).order_by("pk").first()
    agreement = mission.agreements.order_by("pk").first()
    organisation = Organisation.objects.filter(visits=visit).order_by("pk").first()
    with translation.override(language):
        return {
            "home": reverse("diary:home"),
            "itinerary": mission.get_absolute_url(),
            "day": visit.day.get_absolute_url(),
            "visit": visit.get_absolute_url(),
            "agreement list": reverse("diary:agreements"),
            "agreement": agreement.get_absolute_url(),
            "organisation": organisation.get_absolute_url(),
        }


def query_counts(client, pages):
    counts = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        counts[name] = len(queries)
    return counts


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_translated_pages_run_as_many_queries_for_one_item_as_for_many(client, language):
    """Nothing is translated here: every title falls back, the most work the marks can do."""
    small = factories.make_mission(title="Small", slug="small")
    organisation = factories.make_organisation()
    day = factories.make_day(small)
    visit = factories.make_visit(small, day=day, organisations=[organisation])
    factories.make_visit(small, organisations=[organisation])  # undated
    agreement = factories.make_agreement(
        small, parties=[organisation], signed_day=day, signed_at_visit=visit
    )
    agreement.areas.create(name="Area", slug="area")
    source = Source.objects.create(title="Article")
    for record in (small, visit, agreement):
        record.sources.add(source)
    few = query_counts(client, pages_in(language, small))

    sizes = Sizes(
        missions=0, max_days=3, visits_per_day=10, organisations=20, people=30, agreements=6
    )
    generate(sizes, seed=11, prefix="large", sized_missions=[("large-a", 30)])
    large = Mission.objects.get(slug="large-a")
    # Every list the small pages show, the large ones show too (an empty list costs no query).
    visit = large.visits.filter(day__isnull=False).order_by("pk").first()
    factories.make_agreement(
        large,
        parties=[Organisation.objects.filter(visits=visit).order_by("pk").first()],
        signed_day=visit.day,
        signed_at_visit=visit,
    )
    many = query_counts(client, pages_in(language, large))
    assert many == few


def test_the_notice_and_marks_cost_no_query_on_the_demo(client, demo):
    visit = demo.visits.filter(day__isnull=False).first()
    counts = {}
    for language in ("en", "fr", "ja"):
        with translation.override(language):
            counts[language] = query_counts(client, {"visit": visit.get_absolute_url()})
    assert counts["fr"] == counts["ja"] == counts["en"]


def test_the_demo_mission_dates_are_as_today_in_japanese(client, demo):
    root = get_page(client, "/ja/missions/japan-2024/")
    first = root.xpath("//time[@datetime='2024-06-10']")[0].text_content()
    assert first.startswith("2024年6月10日")
    assert datetime.date(2024, 6, 10) == demo.start_date
