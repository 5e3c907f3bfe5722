"""
Issue 13: agreements with a lifecycle, the registry's filters, and the open data
(/agreements.csv, /meetings.csv, their CSVW metadata) — docs/open-data.md.
"""

import csv
import datetime
import io
import json
import re

import pytest
from csvw import CSVW
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.models import Agreement, AgreementKind, AgreementText, CooperationArea, Signatory
from diary.synthetic import Sizes, generate

from . import factories
from .diary_state import empty_diary, export_bytes

pytestmark = pytest.mark.django_db

MOC = "lsa-jaxa-moc-2024"
GOVERNMENT_MOC = "luxembourg-japan-government-moc-space"
LOI = "luxprovide-jaxa-loi"


def get(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    return response


def csv_records(content):
    """What a spreadsheet reads: one list per record."""
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def csv_dicts(content):
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def registry_slugs(response):
    return [agreement.slug for agreement in response.context["agreements"]]


@pytest.fixture
def registry(demo):
    """The demo, plus agreements that a JAXA + MoC filter must leave out."""
    jaxa = factories.make_organisation(name="JAXA twin", slug="other-agency", country="JP")
    factories.make_agreement(demo, parties=[jaxa], kind="moc", title="Someone else's MoC")
    real_jaxa = demo.agreements.get(slug=MOC).parties.get(slug="jaxa")
    factories.make_agreement(demo, parties=[real_jaxa], kind="mou", title="A JAXA MoU")
    return demo


def test_filtered_registry_lists_the_right_agreements_and_the_csv_the_same_rows(client, registry):
    page = get(client, reverse("diary:agreements") + "?party=jaxa&kind=moc")
    assert registry_slugs(page) == [MOC]
    rows = csv_dicts(get(client, reverse("diary:agreements_csv") + "?party=jaxa&kind=moc").content)
    assert [row["agreement_uuid"] for row in rows] == [str(Agreement.objects.get(slug=MOC).uuid)]
    # Unfiltered, both list every published agreement, in the same order.
    everything = get(client, reverse("diary:agreements"))
    all_rows = csv_dicts(get(client, reverse("diary:agreements_csv")).content)
    uuids = {str(a.uuid): a.slug for a in Agreement.objects.all()}
    assert [uuids[row["agreement_uuid"]] for row in all_rows] == registry_slugs(everything)
    assert len(all_rows) == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=government", {GOVERNMENT_MOC}),
        ("country=LU", {MOC, GOVERNMENT_MOC, LOI}),
        ("year=2024", {MOC}),
        ("area=quantum", {LOI}),
        ("status=signed", {MOC}),
        ("party=jaxa&level=institution", {LOI}),
        ("kind=loi&year=2024", set()),
    ],
)
def test_each_filter_combines_and_the_csv_follows(client, demo, query, expected):
    page = get(client, f"{reverse('diary:agreements')}?{query}")
    assert set(registry_slugs(page)) == expected
    rows = csv_dicts(get(client, f"{reverse('diary:agreements_csv')}?{query}").content)
    slugs = {str(a.uuid): a.slug for a in Agreement.objects.all()}
    assert {slugs[row["agreement_uuid"]] for row in rows} == expected


def test_filters_show_counts_and_link_to_canonical_addresses(client, registry):
    html = get(client, reverse("diary:agreements") + "?party=jaxa").content.decode()
    # JAXA is a party to the agencies' MoC, the LoI and the added MoU: each kind counted once.
    assert (
        'href="/agreements/?party=jaxa&amp;kind=moc">Memorandum of Cooperation</a> <span class="count">(1)</span>'
        in html
    )
    assert (
        'href="/agreements/?party=jaxa&amp;kind=mou">Memorandum of Understanding</a> <span class="count">(1)</span>'
        in html
    )
    assert 'href="/agreements.csv?party=jaxa"' in html


def test_the_country_filter_names_each_partys_country_in_the_readers_language(client, demo):
    """Parties store ISO codes: the filter's links choose the code and read as a name."""
    html = get(client, "/ja" + reverse("diary:agreements")).content.decode()
    for code, name in (("JP", "日本"), ("LU", "ルクセンブルグ")):
        assert re.search(rf'href="/ja/agreements/\?country={code}">{name}</a>', html), code


@pytest.mark.parametrize(
    ("prefix", "named"),
    [("", "Luxembourg"), ("", "lu"), ("/fr", "Luxembourg"), ("/ja", "ルクセンブルグ")],
)
def test_a_country_named_in_the_address_is_redirected_to_its_code(client, demo, prefix, named):
    """Bookmarks from before countries were codes (?country=Luxembourg) still find LSA's."""
    response = client.get(prefix + reverse("diary:agreements"), {"country": named})
    assert response.status_code == 301
    assert response["Location"] == f"{prefix}/agreements/?country=LU"
    csv = reverse("diary:agreements_csv")
    assert client.get(csv, {"country": named})["Location"] == f"{csv}?country=LU"


def test_parameters_in_another_order_are_redirected_to_the_canonical_address(client, demo):
    response = client.get(reverse("diary:agreements") + "?kind=moc&party=jaxa&junk=1")
    assert response.status_code == 301
    assert response["Location"] == "/agreements/?party=jaxa&kind=moc"
    for query in ("?party=jaxa&party=lsa", "?party=&kind=moc"):
        assert client.get(reverse("diary:agreements") + query).status_code == 301
    # A parameter the registry does not read (a newsletter's tag) is ignored, not redirected.
    tagged = client.get(reverse("diary:agreements") + "?party=jaxa&utm_source=newsletter")
    assert tagged.status_code == 200
    assert registry_slugs(tagged) == [MOC, LOI]
    response = client.get(reverse("diary:agreements_csv") + "?kind=moc&party=jaxa")
    assert response["Location"] == "/agreements.csv?party=jaxa&kind=moc"
    assert client.get("/meetings.csv?party=jaxa")["Location"] == "/meetings.csv"


def test_a_bad_filter_value_is_a_400_naming_the_parameter(client, demo):
    page = client.get(reverse("diary:agreements") + "?year=soon")
    assert page.status_code == 400
    assert "year" in page.content.decode()
    assert client.get(reverse("diary:agreements_csv") + "?status=lost").status_code == 400


def test_registry_sorts_by_title(client, demo):
    page = get(client, reverse("diary:agreements") + "?sort=title")
    titles = [a.title for a in page.context["agreements"]]
    assert titles == sorted(titles)


def write_open_data(client, folder):
    for name in (
        "agreements_csv",
        "meetings_csv",
        "agreements_csv_metadata",
        "meetings_csv_metadata",
    ):
        url = reverse(f"diary:{name}")
        (folder / url.lstrip("/")).write_bytes(get(client, url).content)
    return folder


def test_both_csvs_validate_against_their_csvw_metadata(client, registry, tmp_path):
    visit = registry.visits.filter(day__isnull=False).first()
    signed = Agreement.objects.get(slug=MOC)
    signed.signed_at_visit = visit  # a foreign key into meetings.csv to check
    signed.save()
    folder = write_open_data(client, tmp_path)
    for metadata in ("agreements.csv-metadata.json", "meetings.csv-metadata.json"):
        # Nullable foreign keys (an agreement with no visit of signature) are allowed.
        data = CSVW(str(folder / metadata), validate=True, strict=False)
        assert data.is_valid, data.warnings
        tables = {table.url.string: list(table.iterdicts(strict=True)) for table in data.tables}
        assert len(tables["agreements.csv"]) == 5
        assert {row["visit_uuid"] for row in tables["meetings.csv"]} >= {str(visit.uuid)}


def test_csvw_finds_a_broken_foreign_key(client, demo, tmp_path):
    folder = write_open_data(client, tmp_path)
    path = folder / "agreements.csv"
    text = path.read_text("utf-8").splitlines()
    header = text[0].split(",")
    column = header.index("signed_at_visit_uuid")
    cells = next(csv.reader([text[1]]))
    cells[column] = "00000000-0000-0000-0000-000000000000"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, cells, *csv.reader(text[2:])])
    path.write_text(out.getvalue(), "utf-8")
    data = CSVW(str(folder / "agreements.csv-metadata.json"), validate=True, strict=False)
    with pytest.raises(ValueError, match=r"not found in table meetings\.csv"):
        data.is_valid  # noqa: B018 — the check raises on the first broken key


def test_a_spreadsheet_reads_one_record_per_row_with_one_value_per_cell(client, demo):
    visit = demo.visits.first()
    visit.summary = 'Two lines,\nwith "quotes"; and a | pipe'
    visit.save()
    for name in ("agreements_csv", "meetings_csv"):
        content = get(client, reverse(f"diary:{name}")).content
        records = csv_records(content)
        header, rows = records[0], records[1:]
        assert all(len(row) == len(header) for row in rows)
        assert len(set(header)) == len(header)
    meetings = csv_dicts(get(client, reverse("diary:meetings_csv")).content)
    assert visit.summary in {row["purpose"] for row in meetings}
    # One row per visit and organisation met.
    expected = sum(max(v.organisations.count(), 1) for v in demo.visits.all())
    assert len(meetings) >= expected
    jaxa_rows = [
        row for row in meetings if row["organisation"] == "Japan Aerospace Exploration Agency"
    ]
    assert jaxa_rows and all(row["organisation_country_code"] == "JP" for row in jaxa_rows)
    assert {row["date_precision"] for row in meetings} == {"day", "unknown"}
    for row in meetings:
        assert (row["date"] == "") == (row["date_precision"] == "unknown")
        if row["date"]:
            datetime.date.fromisoformat(row["date"])


def test_the_csv_headers_are_version_2(client, demo):
    """The header never changes without a new documented version (docs/open-data.md)."""
    agreements = csv_records(get(client, reverse("diary:agreements_csv")).content)[0]
    meetings = csv_records(get(client, reverse("diary:meetings_csv")).content)[0]
    assert agreements[:4] == ["agreement_uuid", "title", "kind", "kind_name"]
    assert len(agreements) == 28
    assert meetings[:2] == ["visit_uuid", "organisation_uuid"]
    assert len(meetings) == 18
    assert meetings[8:12] == ["place", "city", "latitude", "longitude"]
    metadata = json.loads(get(client, reverse("diary:agreements_csv_metadata")).content)
    assert metadata["schema:version"] == "2"


def test_each_csv_links_to_its_metadata_which_names_the_licence(client, demo, settings):
    settings.OPEN_DATA_LICENCE_NAME = "ODbL 1.0"
    settings.OPEN_DATA_LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
    response = get(client, reverse("diary:agreements_csv"))
    assert response["Link"] == (
        '<http://testserver/agreements.csv-metadata.json>; rel="describedby"; '
        'type="application/csvm+json"'
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["ETag"]
    assert (
        client.get(reverse("diary:agreements_csv"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        == 304
    )
    metadata = json.loads(get(client, reverse("diary:meetings_csv_metadata")).content)
    assert metadata["dc:license"] == {"@id": "https://opendatacommons.org/licenses/odbl/1-0/"}
    assert metadata["dc:publisher"]["schema:name"] == "Mission Tracker"
    tables = {table["url"]: table for table in metadata["tables"]}
    assert tables["meetings.csv"]["tableSchema"]["primaryKey"] == [
        "visit_uuid",
        "organisation_uuid",
    ]
    assert tables["agreements.csv"]["tableSchema"]["foreignKeys"][0]["reference"] == {
        "resource": "meetings.csv",
        "columnReference": "visit_uuid",
    }
    document = json.loads(get(client, reverse("diary:mission_json", args=[demo.slug])).content)
    assert document["licence"]["name"] == "ODbL 1.0"
    footer = get(client, reverse("diary:home")).content.decode().split("site-footer")[1]
    assert "ODbL 1.0" in footer and 'href="/agreements.csv"' in footer


def test_drafts_never_appear_in_any_csv(client, demo, draft_world, admin_user):
    client.force_login(admin_user)  # staff too: the open data is the public record
    for name in ("agreements_csv", "meetings_csv"):
        text = get(client, reverse(f"diary:{name}")).content.decode()
        assert "Secret" not in text and "Hidden Partner" not in text
        assert str(draft_world["mission"].uuid) not in text


def test_the_demo_agreements_state_exactly_what_the_article_says(client, demo):
    moc = Agreement.objects.get(slug=MOC)
    assert (moc.kind.abbreviation, moc.signed_on) == ("MoC", datetime.date(2024, 6, 12))
    assert moc.signed_day.date == datetime.date(2024, 6, 12)  # "the third day of the mission"
    for agreement in Agreement.objects.filter(mission=demo):
        assert agreement.entered_into_force_on is None
        assert agreement.expires_on is None and agreement.duration_months is None
        assert agreement.signed_at_place == "" and agreement.stated_status == ""
        assert not agreement.signatories.exists()  # the article names no signatory
        assert not agreement.texts.exists()
    assert Agreement.objects.get(slug=LOI).signed_on is None
    assert Agreement.objects.get(slug=GOVERNMENT_MOC).signed_on is None
    html = get(client, moc.get_absolute_url()).content.decode()
    timeline = html[html.index('id="lifecycle-heading"') :]
    timeline = timeline[: timeline.index("</section>")]
    assert timeline.count('datetime="2024-06-12"') == 1
    assert timeline.count("not stated") == 2  # in force, expires
    assert "(from the dates)" in html  # status derived from the date of signature
    loi = get(client, Agreement.objects.get(slug=LOI).get_absolute_url()).content.decode()
    assert (
        "Implements" in loi
        and "datetime=" not in loi.split('id="lifecycle-heading"')[1].split("</section>")[0]
    )


def test_no_date_was_invented_for_the_demo(client, demo):
    """Every date in the demo's open data is one the article gives (12 June 2024) or a day of the mission."""
    days = {day.date.isoformat() for day in demo.days.all()}
    agreements = csv_dicts(get(client, reverse("diary:agreements_csv")).content)
    dates = {
        row[column]
        for row in agreements
        for column in ("signed_on", "entered_into_force_on", "expires_on")
        if row[column]
    }
    assert dates == {"2024-06-12"}
    meetings = csv_dicts(get(client, reverse("diary:meetings_csv")).content)
    assert {row["date"] for row in meetings if row["date"]} <= days
    text = b"".join(
        get(client, reverse(f"diary:{n}")).content for n in ("agreements_csv", "meetings_csv")
    ).decode()
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", text)) <= days


def test_status_is_derived_from_dates_or_stated_and_the_page_says_which(client, demo):
    today = datetime.date.today()
    agreement = factories.make_agreement(
        demo,
        signed_on=datetime.date(2020, 1, 1),
        entered_into_force_on=datetime.date(2020, 2, 1),
        expires_on=datetime.date(2021, 1, 1),
        stated_status=Agreement.Status.IN_FORCE,
    )
    assert agreement.status_on(today) == ("expired", "derived")  # a past expiry wins
    agreement.expires_on = None
    agreement.save()
    assert agreement.status_on(today) == ("in_force", "stated")
    html = get(client, agreement.get_absolute_url()).content.decode()
    assert "In force" in html and "(as stated by the editors)" in html
    agreement.stated_status = ""
    agreement.save()
    assert agreement.status_on(today) == ("in_force", "derived")
    row = next(
        r
        for r in csv_dicts(get(client, reverse("diary:agreements_csv")).content)
        if r["agreement_uuid"] == str(agreement.uuid)
    )
    assert (row["status"], row["status_basis"]) == ("in_force", "derived")


def test_agreement_page_shows_the_chain_signatories_and_texts(client, demo):
    moc = Agreement.objects.get(slug=MOC)
    old = factories.make_agreement(demo, title="The 2019 MoC")
    moc.renews.add(old)
    moc.supersedes.add(old)
    person = factories.make_person(name="Hiroshi Yamakawa")
    Signatory.objects.create(
        agreement=moc,
        person=person,
        capacity="President",
        on_behalf_of=moc.parties.get(slug="jaxa"),
    )
    AgreementText.objects.create(
        agreement=moc, url="https://example.org/moc-ja.pdf", language="ja", title="協力覚書"
    )
    html = get(client, moc.get_absolute_url()).content.decode()
    assert "Renews" in html and "Supersedes" in html and "The 2019 MoC" in html
    # The signatory's name leads to their page (they signed published content).
    assert f'<a href="{person.get_absolute_url()}">Hiroshi Yamakawa</a>, President' in html
    assert "for JAXA" in html
    assert 'hreflang="ja"' in html
    older = get(client, old.get_absolute_url()).content.decode()
    assert "Renewed by" in older and "Superseded by" in older


def test_fixtures_carry_every_new_field_and_round_trip_byte_identically(demo, tmp_path):
    moc = Agreement.objects.get(slug=MOC)
    kind = AgreementKind.objects.create(name="Protocol", abbreviation="P", slug="protocol")
    old = factories.make_agreement(
        demo,
        title="Earlier",
        kind=kind,
        signed_at_place="Tokyo",
        entered_into_force_on=datetime.date(2019, 1, 1),
        expires_on=datetime.date(2023, 1, 1),
        duration_months=48,
        stated_status=Agreement.Status.SUPERSEDED,
    )
    moc.renews.add(old)
    moc.supersedes.add(old)
    moc.amends.add(old)
    person = factories.make_person(name="A Signatory")
    Signatory.objects.create(
        agreement=moc, person=person, capacity="President", on_behalf_of=moc.parties.first()
    )
    AgreementText.objects.create(
        agreement=moc, url="https://example.org/moc.pdf", language="en", title="Text"
    )
    original = export_bytes(tmp_path / "out.json", demo.slug)
    text = original.decode()
    for expected in (
        '"diary.signatory"',
        '"diary.agreementtext"',
        '"protocol"',
        '"signed_at_place": "Tokyo"',
        '"duration_months": 48',
        '"renews"',
        '"supersedes"',
        '"amends"',
        '"stated_status": "superseded"',
    ):
        assert expected in text, expected
    for loader in ("import_mission", "loaddata"):
        empty_diary()
        call_command(loader, str(tmp_path / "out.json"), verbosity=0, stdout=io.StringIO())
        assert export_bytes(tmp_path / "again.json", demo.slug) == original, loader


def test_registry_and_csvs_run_as_many_queries_for_one_agreement_as_for_many(client, demo):
    def counts():
        found = {}
        for url in (
            reverse("diary:agreements"),
            reverse("diary:agreements") + "?party=jaxa",
            reverse("diary:agreements_csv"),
            reverse("diary:meetings_csv"),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found[url] = len(queries)
        return found

    few = counts()
    generate(
        Sizes(
            missions=0, max_days=3, visits_per_day=10, organisations=20, people=30, agreements=30
        ),
        seed=3,
        prefix="many",
        sized_missions=[("many-a", 30)],
    )
    area = CooperationArea.objects.create(name="Many", slug="many")
    jaxa = Agreement.objects.get(slug=MOC).parties.get(slug="jaxa")
    for agreement in Agreement.objects.filter(mission__slug="many-a"):
        agreement.areas.add(area)
        agreement.parties.add(jaxa)
    assert counts() == few
    assert max(few.values()) <= 10, few


def test_meetings_carry_the_coordinates_of_their_places(client, demo):
    rows = csv_records(get(client, reverse("diary:meetings_csv")).content)
    header = rows[0]
    by_place = {row[header.index("place")]: row for row in rows[1:]}
    jaxa = by_place["JAXA Sagamihara Campus"]
    assert (jaxa[header.index("latitude")], jaxa[header.index("longitude")]) == (
        "35.558389",
        "139.395255",
    )
    event = next(row for row in rows[1:] if row[header.index("visit")].startswith("Space event"))
    assert event[header.index("latitude")] == "" and event[header.index("longitude")] == ""


def test_staff_add_a_signatory_and_a_text_inline_and_the_page_shows_them(client, demo, admin_user):
    from .browsing import admin_url, read_form

    moc = Agreement.objects.get(slug=MOC)
    person = factories.make_person(name="Marc Serres")
    lsa = moc.parties.get(short_name="LSA")
    client.force_login(admin_user)
    url = admin_url(Agreement, "change", moc.pk)
    data = read_form(client.get(url).content.decode(), "agreement_form")
    data.update(
        {
            "signatories-TOTAL_FORMS": ["1"],
            "signatories-0-person": [str(person.pk)],
            "signatories-0-capacity": ["CEO"],
            "signatories-0-on_behalf_of": [str(lsa.pk)],
            "texts-TOTAL_FORMS": ["1"],
            "texts-0-language": ["en"],
            "texts-0-url": ["https://example.org/moc.pdf"],
            "texts-0-title": ["Memorandum (English)"],
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert moc.signatories.get().capacity == "CEO"
    assert moc.texts.get().language == "en"
    client.logout()
    html = get(client, moc.get_absolute_url()).content.decode()
    assert f'<a href="{person.get_absolute_url()}">Marc Serres</a>, CEO' in html
    assert "Memorandum (English)" in html
