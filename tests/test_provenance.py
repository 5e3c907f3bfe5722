"""
How each fact is known (issue 12): every fact shown is stated by a cited source (a link to the
source's page beside it), inferred by the editors (a note saying from what), or reference data
(a note saying where it comes from); sources that can be checked; "Report a correction" on
every page.
"""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import lxml.html
import pytest
from django.conf import settings
from django.urls import reverse

from diary.models import Day, Mission, Organisation, Place, Source, Visit

from . import factories
from .support import DEMO_SOURCE_UUID, by_class, provenance_of

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(settings.BASE_DIR) / "docs" / "public-json.schema.json").read_text(encoding="utf-8")
)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.fromstring(response.content.decode())


# --- Every fact of the demo says how we know it ----------------------------------------------


def test_every_fact_block_of_the_demo_itinerary_says_how_it_is_known(client, demo):
    tree = page(client, demo.get_absolute_url())
    blocks = {
        "mission": by_class(tree, "page-header", "header"),
        # The recorded days: not the runs of dates with nothing recorded, the undated
        # visits or the agreements, which share the look of a day.
        "day": [
            section for section in by_class(tree, "day", "section") if section.get("class") == "day"
        ],
        "visit": by_class(tree, "visit-card", "article"),
        "agreement": by_class(tree, "agreement-card", "article"),
    }
    assert len(blocks["day"]) == 3 and len(blocks["visit"]) == 6
    assert len(blocks["agreement"]) >= 3
    for kind, elements in blocks.items():
        for element in elements:
            # Each block's own provenance line: a day's is not its visit cards'.
            own = [line for line in provenance_of(element) if line["owner"] is element]
            assert own, (kind, element.text_content()[:80])
            assert any(line["sources"] or line["inferred"] for line in own), kind


def test_the_demo_mission_says_its_year_is_inferred_and_from_what(client, demo):
    header = by_class(page(client, demo.get_absolute_url()), "page-header", "header")[0]
    (line,) = provenance_of(header)
    assert line["sources"] == [reverse("diary:source", args=[DEMO_SOURCE_UUID])]
    assert line["inferred"].startswith("The year, 2024: the article gives none.")
    assert "last year" in line["inferred"]  # from what: the article's own words


def test_the_date_of_day_3_is_inferred_from_the_third_day_of_the_mission(client, demo):
    tree = page(client, "/missions/japan-2024/2024-06-12/")
    header = by_class(tree, "page-header", "header")[0]
    (line,) = provenance_of(header)
    assert line["sources"] == [reverse("diary:source", args=[DEMO_SOURCE_UUID])]
    assert "third day of a mission that began on 10 June" in line["inferred"]
    # The MoC signed that day carries the same inference on its card.
    (card,) = by_class(tree, "agreement-card", "article")
    assert "third day" in provenance_of(card)[0]["inferred"]


def test_the_visit_page_says_how_each_fact_is_known(client, demo):
    tree = page(client, "/missions/japan-2024/visits/tansa-x-sagamihara/")
    facts = by_class(tree, "facts", "dl")[0]
    terms = [dt.text_content() for dt in facts.findall("dt")]
    assert terms[0] == "How we know"
    lines = provenance_of(facts)
    assert lines[0]["sources"] == [reverse("diary:source", args=[DEMO_SOURCE_UUID])]
    # The date (day 2) is inferred, the place's address is reference data: beside each.
    date = facts.findall("dt")[terms.index("Date")].getnext()
    assert "second day of the mission" in provenance_of(date)[0]["inferred"]
    place = facts.findall("dt")[terms.index("Place")].getnext()
    assert "JAXA’s own website" in provenance_of(place)[0]["reference"]


def test_a_visit_whose_place_the_article_does_not_state_says_so(client, demo):
    tree = page(client, "/missions/japan-2024/visits/nict/")
    lines = provenance_of(by_class(tree, "facts", "dl")[0])
    assert "the article does not say" in lines[0]["inferred"]


def test_tansa_x_being_part_of_jaxa_is_reference_data_not_the_articles(client, demo):
    tree = page(client, "/organisations/tansa-x/")
    (line,) = provenance_of(by_class(tree, "page-header", "header")[0])
    assert line["sources"] == [] and line["inferred"] == ""
    assert line["reference"].startswith("Part of JAXA: JAXA’s own website")
    assert "located on the JAXA Sagamihara Campus" in line["reference"]


def test_the_delegations_agency_is_not_called_the_missions_leader(client, demo):
    html = client.get(demo.get_absolute_url()).content.decode()
    assert "Delegation’s agency:" in html
    assert "leading organisation" not in html.lower()
    field = Mission._meta.get_field("lead_organisation")
    assert field.verbose_name == "delegation’s agency"


# --- Sources that can be checked ---------------------------------------------------------------


def test_the_demo_source_gives_no_address_or_date_and_says_its_title_is_descriptive(client, demo):
    source = Source.objects.get(uuid=DEMO_SOURCE_UUID)
    assert source.url == "" and source.published_on is None  # the seed gives none
    assert source.title_is_descriptive
    assert source.publisher == "Luxembourg Space Agency"
    assert "reference data" in source.reference_note
    tree = page(client, source.get_absolute_url())
    text = tree.text_content()
    assert "no address given" in text and "date not given" in text
    assert "this one is the editors’ description of it" in text
    (line,) = provenance_of(by_class(tree, "page-header", "header")[0])
    assert line["reference"] == source.reference_note
    # What it supports: the mission, its days, visits and agreements, each a link.
    links = {a.get("href") for a in tree.xpath("//section//a")}
    assert demo.get_absolute_url() in links
    assert "/missions/japan-2024/2024-06-12/" in links
    assert "/agreements/lsa-jaxa-moc-2024/" in links


def test_the_sources_block_links_each_source_to_its_page(client, demo):
    tree = page(client, demo.get_absolute_url())
    (item,) = by_class(tree, "sources", "section")[0].xpath(".//li")
    assert item.get("id") == f"source-{DEMO_SOURCE_UUID}"
    assert by_class(item, "source-details", "a")[0].get("href") == reverse(
        "diary:source", args=[DEMO_SOURCE_UUID]
    )


def test_a_source_cited_only_by_drafts_is_a_404_and_never_linked(client, demo, draft_world):
    secret = Source.objects.create(title="Secret memo")
    draft_world["visit"].sources.add(secret)
    draft_world["day"].sources.add(secret)
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert client.get(f"/fr{secret.get_absolute_url()}").status_code == 404


def test_a_public_source_page_never_names_the_drafts_that_cite_it(client, demo, draft_world):
    source = Source.objects.get(uuid=DEMO_SOURCE_UUID)
    for record in (draft_world["mission"], draft_world["day"], draft_world["visit"]):
        record.sources.add(source)
    draft_world["agreement"].sources.add(source)
    html = client.get(source.get_absolute_url()).content.decode()
    for secret in ("Secret mission", "Secret day", "Secret visit", "Secret agreement"):
        assert secret not in html


def test_staff_preview_a_source_cited_only_by_a_draft(staff_client, draft_world):
    secret = Source.objects.create(title="Secret memo")
    draft_world["day"].sources.add(secret)
    response = staff_client.get(secret.get_absolute_url())
    assert response.status_code == 200
    assert "Secret mission" in response.content.decode()


def test_an_unknown_source_address_is_a_404(client, db):
    assert client.get("/sources/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/sources/not-a-uuid/").status_code == 404


def test_a_day_cites_its_own_sources(client, db):
    mission = factories.make_mission(slug="cited")
    day = factories.make_day(mission)
    article = Source.objects.create(title="Day article", url="https://example.org/a")
    day.sources.add(article)
    tree = page(client, day.get_absolute_url())
    (line,) = provenance_of(by_class(tree, "page-header", "header")[0])
    assert line["sources"] == [article.get_absolute_url()]
    assert Source.objects.published().filter(pk=article.pk).exists()


def test_the_itinerary_reads_every_cited_source_in_one_query(
    client, db, django_assert_max_num_queries
):
    """Sources beside each day, visit and agreement: as many queries for one as for many."""

    def count(mission):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(mission.get_absolute_url()).status_code == 200
        return len(queries)

    def build(slug, n):
        mission = factories.make_mission(slug=slug)
        day = factories.make_day(mission)
        for i in range(n):
            visit = factories.make_visit(mission, day=day, slug=f"v{i}", title=f"Visit {i}")
            visit.sources.add(Source.objects.create(title=f"{slug} visit source {i}"))
            agreement = factories.make_agreement(mission, slug=f"{slug}-a{i}", title=f"A {i}")
            agreement.sources.add(Source.objects.create(title=f"{slug} agreement source {i}"))
        day.sources.add(Source.objects.create(title=f"{slug} day source"))
        mission.sources.add(Source.objects.create(title=f"{slug} mission source"))
        return mission

    one, many = build("one", 1), build("many", 8)
    assert count(one) == count(many)
    html = client.get(many.get_absolute_url()).content.decode()
    assert "many visit source 7" in html and "many agreement source 7" in html


def test_day_and_visit_pages_read_cited_sources_in_constant_queries(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def build(slug, n):
        mission = factories.make_mission(slug=slug)
        day = factories.make_day(mission)
        day.sources.add(Source.objects.create(title=f"{slug} day source"))
        visits = []
        for i in range(n):
            visit = factories.make_visit(mission, day=day, slug=f"v{i}", title=f"Visit {i}")
            visit.sources.add(*(Source.objects.create(title=f"{slug} {i} {k}") for k in "ab"))
            agreement = factories.make_agreement(
                mission, slug=f"{slug}-a{i}", title=f"A {i}", signed_day=day, signed_at_visit=visit
            )
            agreement.sources.add(Source.objects.create(title=f"{slug} agreement {i}"))
            visits.append(visit)
        return day, visits[0]

    (one_day, one_visit), (many_day, many_visit) = build("one", 1), build("many", 6)
    assert count(one_day.get_absolute_url()) == count(many_day.get_absolute_url())
    assert count(one_visit.get_absolute_url()) == count(many_visit.get_absolute_url())


# --- The public JSON carries it ----------------------------------------------------------------


def test_the_public_json_carries_how_each_fact_is_known_and_validates(client, demo):
    document = json.loads(client.get("/missions/japan-2024.json").content)
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert document["mission"]["inferred_note"].startswith("The year, 2024")
    days = {day["date"]: day for day in document["days"]}
    assert "third day" in days["2024-06-12"]["inferred_note"]
    assert days["2024-06-12"]["sources"] == [DEMO_SOURCE_UUID]
    organisations = {o["slug"]: o for o in document["organisations"]}
    assert organisations["tansa-x"]["reference_note"].startswith("Part of JAXA")
    (source,) = document["sources"]
    assert source["url"] == "" and source["published_on"] is None
    assert source["title_is_descriptive"] is True
    assert source["page"].endswith(f"/sources/{DEMO_SOURCE_UUID}/")
    visits = {v["slug"]: v for v in document["visits"]}
    assert "JAXA’s own website" in visits["tansa-x-sagamihara"]["place"]["reference_note"]


# --- Report a correction -----------------------------------------------------------------------


def correction_href(client, url):
    response = client.get(url)
    tree = lxml.html.fromstring(response.content.decode())
    (link,) = by_class(tree, "corrections")[0].findall("a")
    return link.get("href")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/missions/japan-2024/",
        "/missions/japan-2024/2024-06-12/",
        "/missions/japan-2024/visits/nict/",
        "/organisations/tansa-x/",
        "/agreements/",
        f"/sources/{DEMO_SOURCE_UUID}/",
        "/fr/missions/japan-2024/",
        "/ja/agreements/lsa-jaxa-moc-2024/",
    ],
)
def test_every_page_has_a_correction_link_naming_that_page(client, demo, path):
    href = correction_href(client, path)
    address = urlsplit(href)
    assert address.scheme == "mailto"
    assert address.path == settings.CORRECTIONS_ADDRESS.removeprefix("mailto:")
    query = parse_qs(address.query)
    assert query["subject"][0].endswith(f"http://testserver{path}")
    assert f"http://testserver{path}" in query["body"][0]


def test_the_correction_link_is_right_for_each_page_and_language_from_the_cache(client, demo):
    def subject(path):
        return parse_qs(urlsplit(correction_href(client, path)).query)["subject"][0]

    for _ in range(2):  # the second time, pages come from the page cache
        assert subject("/missions/japan-2024/") == (
            "Correction: http://testserver/missions/japan-2024/"
        )
        assert subject("/fr/missions/japan-2024/") == (
            "Correction : http://testserver/fr/missions/japan-2024/"
        )
        assert subject("/missions/japan-2024/2024-06-10/").endswith("/2024-06-10/")


def test_a_web_form_address_is_given_the_page(client, demo, settings):
    settings.CORRECTIONS_ADDRESS = "https://forms.example.org/corrections?team=diary"
    href = correction_href(client, "/organisations/jaxa/")
    address = urlsplit(href)
    assert address.netloc == "forms.example.org"
    query = parse_qs(address.query)
    assert query == {"team": ["diary"], "page": ["http://testserver/organisations/jaxa/"]}


def test_a_missing_page_names_no_address_in_its_correction_link(client, db):
    href = correction_href(client, "/no-such-page/<script>")
    assert "no-such-page" not in href and "script" not in href
    assert href.startswith(settings.CORRECTIONS_ADDRESS)


def test_a_correction_address_that_is_neither_mailto_nor_http_is_refused(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "missiontracker.settings",
            "DEBUG": "true",
            "CORRECTIONS_ADDRESS": "javascript:alert(1)",
            "PATH": "/usr/bin:/bin",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "CORRECTIONS_ADDRESS must be a mailto: address or an http(s):// address" in (
        result.stderr
    )


# --- Staff record it in the admin --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Mission, ["sources", "inferred_note"]),
        (Day, ["sources", "inferred_note"]),
        (Visit, ["sources", "inferred_note"]),
        (Organisation, ["reference_note"]),
        (Place, ["reference_note"]),
        (
            Source,
            ["title_is_descriptive", "language", "consulted_on", "archive_url", "reference_note"],
        ),
    ],
)
def test_staff_record_provenance_in_the_admin(staff_client, demo, model, fields):
    record = model.objects.first()
    url = reverse(f"admin:diary_{model._meta.model_name}_change", args=[record.pk])
    html = staff_client.get(url).content.decode()
    for field in fields:
        assert f'name="{field}"' in html, field
