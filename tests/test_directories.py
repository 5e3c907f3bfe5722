"""
People and organisations that lead somewhere (issue 12): the A–Z directories, a person's
delegations and signed agreements, the delegation's agency's missions, headquarters,
Wikidata identifiers, dated visit cards, and the itinerary's dates with nothing recorded.
"""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from diary.models import Organisation, Person, Signatory

from .browsing import html_of as page
from .factories import (
    make_agreement,
    make_day,
    make_draft_world,
    make_mission,
    make_organisation,
    make_person,
    make_visit,
)

pytestmark = pytest.mark.django_db


def section(html, heading_id):
    """The <section> labelled by `heading_id`."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def directory_entry(html, name):
    """The <li> of the directory entry linking to `name`."""
    start = html.index(f">{name}</a>")
    start = html.rindex("<li>", 0, start)
    return html[start : html.index("</li>", start)]


# --- The A–Z directories ---------------------------------------------------------------------


def test_organisation_directory_lists_the_demo_a_to_z_with_counts(client, demo):
    html = page(client, reverse("diary:organisations"))
    assert "<h1>Organisations</h1>" in html
    headings = re.findall(r'<h2 class="directory__letter" id="([^"]+)">([^<]+)</h2>', html)
    letters = [letter for _, letter in headings]
    assert letters == sorted(letters)
    assert {"A", "G", "I", "J", "L", "N", "T"} <= set(letters)
    # Each letter of the jump list leads to its heading on this page.
    for anchor, _ in headings:
        assert f'href="#{anchor}"' in html
    jaxa = directory_entry(html, "Japan Aerospace Exploration Agency")
    assert "1 visit · 2 agreements" in jaxa
    # Lower-case names are filed under their capital (ispace under I, not after Z).
    assert html.index(">ispace</a>") < html.index(">Japan Aerospace Exploration Agency</a>")
    assert "0 visits · 0 agreements" in directory_entry(html, "Government of Japan") or (
        "agreement" in directory_entry(html, "Government of Japan")
    )


def test_people_directory_lists_delegation_and_people_met_with_counts(client, demo):
    html = page(client, reverse("diary:people"))
    assert "<h1>People</h1>" in html
    assert "1 visit · 0 agreements signed" in directory_entry(html, "Dr Hiroshi Yamakawa")
    # Marc Serres is in the delegation, met on no visit: listed all the same.
    assert "0 visits · 0 agreements signed" in directory_entry(html, "Marc Serres")
    assert html.index('id="letter-H"') < html.index('id="letter-M"')


def test_directories_are_in_the_site_navigation(client, demo):
    html = page(client, "/")
    nav = html[html.index('class="site-nav"') : html.index("</nav>")]
    assert f'href="{reverse("diary:organisations")}"' in nav
    assert f'href="{reverse("diary:people")}"' in nav


def test_directories_never_list_what_only_drafts_name(staff_client, demo):
    make_draft_world()
    for name, hidden in (
        ("diary:organisations", "Hidden Partner"),
        ("diary:people", "Hidden Person"),
    ):
        assert hidden not in page(Client(), reverse(name))
    # Staff who preview drafts see them, as on every page.
    assert "Hidden Partner" in page(staff_client, reverse("diary:organisations"))


def test_counts_leave_out_draft_visits_and_agreements():
    published = make_mission()
    draft = make_mission(status="draft")
    partner = make_organisation(name="Partner Agency")
    make_visit(published, organisations=[partner])
    make_visit(draft, organisations=[partner])
    make_agreement(draft, parties=[partner])

    html = page(Client(), reverse("diary:organisations"))
    assert "1 visit · 0 agreements" in directory_entry(html, "Partner Agency")


def test_a_long_directory_pages_and_letters_link_to_their_page(client, settings):
    settings.DIRECTORY_PER_PAGE = 3
    mission = make_mission()
    names = ["Alpha", "Avocet", "Bravo", "Charlie", "Cobalt", "Delta", "Echo"]
    make_visit(mission, organisations=[make_organisation(name=name) for name in names])
    first = page(client, reverse("diary:organisations"))
    assert re.findall(r'class="directory__letter" id="[^"]+">([^<]+)<', first) == ["A", "B"]
    assert "Page 1 of 3" in first
    # C starts on page 2, E on page 3: their jump links say so.
    assert 'href="/organisations/?page=2#letter-C"' in first
    assert 'href="/organisations/?page=3#letter-E"' in first
    second = page(client, reverse("diary:organisations") + "?page=2")
    assert ('id="letter-C"' in second and ">Delta</a>" not in second) or 'id="letter-D"' in second
    assert 'href="/organisations/#letter-A"' in second
    assert client.get(reverse("diary:organisations") + "?page=4").status_code == 404
    assert client.get(reverse("diary:organisations") + "?page=x").status_code == 404


def directory_queries(client, name):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return len(captured)


def test_directories_run_as_many_queries_for_one_entry_as_for_many(client):
    def world(n):
        mission = make_mission()
        for _ in range(n):
            organisation = make_organisation()
            person = make_person(organisation=organisation)
            visit = make_visit(mission, organisations=[organisation], people=[person])
            agreement = make_agreement(mission, parties=[organisation])
            Signatory.objects.create(agreement=agreement, person=person)
            del visit

    world(1)
    few = {
        name: directory_queries(client, name) for name in ("diary:organisations", "diary:people")
    }
    world(30)
    many = {
        name: directory_queries(client, name) for name in ("diary:organisations", "diary:people")
    }
    assert many == few
    assert max(many.values()) <= 10


# --- Where people and organisations lead ------------------------------------------------------


def test_person_page_lists_delegations_and_signed_agreements(client):
    mission = make_mission(title="Mission to Japan")
    agency = make_organisation(name="Space Agency")
    chief = make_person(name="Ada Chief", organisation=agency)
    mission.delegation.add(chief)
    agreement = make_agreement(
        mission, parties=[agency], title="Memorandum on the Moon", signed_on=mission.start_date
    )
    Signatory.objects.create(agreement=agreement, person=chief, capacity="Director General")
    draft = make_mission(title="Secret trip", status="draft")
    draft.delegation.add(chief)
    secret = make_agreement(draft, parties=[agency], title="Secret pact")
    Signatory.objects.create(agreement=secret, person=chief)

    html = page(client, chief.get_absolute_url())
    delegations = section(html, "delegations-heading")
    assert f'<a href="{mission.get_absolute_url()}">Mission to Japan</a>' in delegations
    signed = section(html, "signatures-heading")
    assert f'<a href="{agreement.get_absolute_url()}">Memorandum on the Moon</a>' in signed
    assert "as Director General" in signed
    assert '<time datetime="2024-06-10">10 June 2024</time>' in signed
    assert "Secret" not in html


def test_a_signatory_met_nowhere_else_has_a_page_and_a_directory_entry(client):
    mission = make_mission()
    agreement = make_agreement(mission, parties=[make_organisation()])
    signer = make_person(name="Sole Signer", organisation=make_organisation(name="Signer's Org"))
    Signatory.objects.create(agreement=agreement, person=signer)
    assert "Sole Signer" in page(client, signer.get_absolute_url())
    assert "0 visits · 1 agreement signed" in directory_entry(
        page(client, reverse("diary:people")), "Sole Signer"
    )
    # The organisation the page names is reachable too.
    assert client.get(signer.organisation.get_absolute_url()).status_code == 200


def test_the_delegations_agency_page_lists_its_missions(client, demo):
    html = page(client, reverse("diary:organisation", args=["luxembourg-space-agency"]))
    missions = section(html, "missions-heading")
    assert f'<a href="{demo.get_absolute_url()}">Economic mission to Japan</a>' in missions


def test_the_mission_page_lists_its_delegation(client, demo):
    html = page(client, demo.get_absolute_url())
    delegation = html[html.index('class="delegation"') :]
    delegation = delegation[: delegation.index("</p>")]
    assert '<a href="/people/marc-serres/">Marc Serres</a> (CEO, LSA)' in delegation


def test_a_draft_delegation_member_is_not_listed_publicly(staff_client):
    mission = make_mission(status="draft")
    mission.delegation.add(make_person(name="Hidden Delegate"))
    public = make_mission()
    assert "Hidden Delegate" not in page(Client(), public.get_absolute_url())
    assert Client().get(mission.get_absolute_url()).status_code == 404
    assert "Hidden Delegate" in page(staff_client, mission.get_absolute_url())


def test_organisation_page_shows_its_headquarters_with_a_map_link(client, demo):
    html = page(client, reverse("diary:organisation", args=["nict"]))
    facts = html[html.index('<dl class="facts">') : html.index("</dl>")]
    organisation = Organisation.objects.get(slug="nict")
    place = organisation.headquarters
    assert "<dt>Headquarters</dt>" in facts
    assert place.name in facts
    assert f'href="{place.osm_url}"'.replace("&", "&amp;") in facts
    assert "Open in OpenStreetMap" in facts


@pytest.mark.parametrize(
    ("language", "country"), [("en", "Japan"), ("fr", "Japon"), ("ja", "日本")]
)
def test_an_organisations_country_is_named_in_the_readers_language(client, demo, language, country):
    """JAXA stores the code JP: its page (the facts and the description search engines
    show) and the directory name the country in the reader's language."""
    with translation.override(language):
        detail_url = reverse("diary:organisation", args=["jaxa"])
        list_url = reverse("diary:organisations")
    html = page(client, detail_url)
    facts = html[html.index('<dl class="facts">') : html.index("</dl>")]
    assert re.search(rf"<dd>{country}</dd>", facts)
    description = re.search(r'<meta name="description" content="([^"]*)"', html)[1]
    name = "Japan Aerospace Exploration Agency"
    assert description.startswith(name) and country in description.removeprefix(name)
    entry = directory_entry(page(client, list_url), "Japan Aerospace Exploration Agency")
    assert f"— {country}</span>" in entry
    assert ">JP<" not in html + entry


# --- Wikidata --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Organisation, Person])
@pytest.mark.parametrize(
    "value", ["42", "q42", "Q", "Q0", "Q42 ", "https://www.wikidata.org/wiki/Q42"]
)
def test_a_wikidata_identifier_must_be_q_and_digits(model, value):
    record = model(name="Someone", slug="someone", wikidata_id=value)
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    assert (
        "A Wikidata item identifier is Q followed by a number, such as Q42."
        in error.value.message_dict["wikidata_id"]
    )


def test_wikidata_identifiers_are_links_and_same_as_in_the_public_json(client):
    mission = make_mission()
    organisation = make_organisation(name="Agency With Item", wikidata_id="Q123")
    person = make_person(name="Person With Item", wikidata_id="Q456", organisation=organisation)
    plain = make_person(name="Person Without Item")
    make_visit(mission, organisations=[organisation], people=[person, plain])
    for record in (organisation, person):
        record.full_clean()
        html = page(client, record.get_absolute_url())
        url = f"https://www.wikidata.org/wiki/{record.wikidata_id}"
        assert f'<a href="{url}" rel="external">{record.wikidata_id}</a>' in html
    assert "wikidata.org" not in page(client, plain.get_absolute_url())
    document = client.get(reverse("diary:mission_json", args=[mission.slug])).json()
    assert document["schema_version"] == 3
    organisations = {o["name"]: o for o in document["organisations"]}
    people = {p["name"]: p for p in document["people"]}
    assert organisations["Agency With Item"]["sameAs"] == ["https://www.wikidata.org/wiki/Q123"]
    assert organisations["Agency With Item"]["wikidata_id"] == "Q123"
    assert people["Person With Item"]["sameAs"] == ["https://www.wikidata.org/wiki/Q456"]
    assert people["Person Without Item"]["sameAs"] == []


# --- Visit cards carry their date ------------------------------------------------------------


def test_visit_cards_on_organisation_and_person_pages_show_their_date(client, demo):
    html = page(client, reverse("diary:organisation", args=["jaxa"]))
    visits = section(html, "visits-heading")
    assert (
        '<span class="visit-date"><time datetime="2024-06-11">11 June 2024</time></span>' in visits
    )
    html = page(client, reverse("diary:person", args=["hiroshi-yamakawa"]))
    assert '<time datetime="2024-06-11">11 June 2024</time>' in section(html, "visits-heading")


def test_an_undated_visit_card_says_date_not_stated(client, demo):
    html = page(client, reverse("diary:organisation", args=["astroscale"]))
    visits = section(html, "visits-heading")
    assert '<span class="not-recorded">date not stated</span>' in visits
    assert "visit-date" not in visits


# --- The itinerary's days with nothing recorded -----------------------------------------------


def test_dates_with_nothing_recorded_are_shown_as_such(client, demo):
    html = page(client, demo.get_absolute_url())
    # 13 and 14 June: no day, no agreement. One entry for the run, never a made-up visit.
    nothing = section(html, "day-2024-06-13-heading")
    assert "Days 4–5" in nothing
    assert "The diary records nothing for these dates" in nothing
    assert '<time datetime="2024-06-13">' in nothing and '<time datetime="2024-06-14">' in nothing
    assert "nothing recorded" in nothing
    assert "visit-card" not in nothing
    index = html[
        html.index('class="day-index"') : html.index("</nav>", html.index('class="day-index"'))
    ]
    assert 'href="#day-2024-06-13"' in index
    assert "nothing recorded" in index


def test_a_day_whose_only_event_is_an_agreement_shows_the_agreement(client, demo):
    html = page(client, demo.get_absolute_url())
    day = section(html, "day-2024-06-12-heading")
    assert "Memorandum of Cooperation between the LSA and JAXA" in day
    assert "Signed this day:" in day
    assert "Nothing recorded" not in day and "No visit" not in day


def test_an_empty_day_and_a_missing_one_read_differently():
    mission = make_mission(
        start_date=datetime.date(2024, 6, 10), end_date=datetime.date(2024, 6, 12)
    )
    make_day(mission, date=datetime.date(2024, 6, 10))  # a day recorded with nothing on it

    html = page(Client(), mission.get_absolute_url())
    empty = section(html, "day-2024-06-10-heading")
    assert "Nothing recorded for this day." in empty
    assert f'href="{reverse("diary:day", args=[mission.slug, "2024-06-10"])}"' in empty
    missing = section(html, "day-2024-06-11-heading")
    assert "Days 2–3" in missing and "nothing recorded" in missing
    assert "/2024-06-11/" not in missing  # no link to a day page that does not exist


def test_an_agreement_signed_on_a_date_with_no_day_gets_that_date_without_a_link():
    mission = make_mission(
        start_date=datetime.date(2024, 6, 10), end_date=datetime.date(2024, 6, 11)
    )
    make_agreement(mission, title="Undayed accord", signed_on=datetime.date(2024, 6, 11))
    make_agreement(mission, title="Accord of no stated date")

    html = page(Client(), mission.get_absolute_url())
    day = section(html, "day-2024-06-11-heading")
    assert "Undayed accord" in day and "Day 2" in day
    assert "/2024-06-11/" not in day
    assert "Accord of no stated date" not in section(html, "day-2024-06-10-heading")


def test_an_agreements_signatories_link_to_their_pages():
    mission = make_mission()
    agreement = make_agreement(mission, parties=[make_organisation()])
    signer = make_person(name="Linked Signer")
    Signatory.objects.create(agreement=agreement, person=signer, capacity="President")
    html = page(Client(), agreement.get_absolute_url())
    assert f'<a href="{signer.get_absolute_url()}">Linked Signer</a>, President' in html
