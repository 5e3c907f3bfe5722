"""
Published updates (issue 12): publishing is an act that records a numbered revision with a
public note and a frozen copy of the public JSON; the updates page shows, for each, exactly
what changed since the one before; each revision's JSON stays at its address; two Atom feeds.
"""

import datetime
import json
from html.parser import HTMLParser

import feedparser
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.changelog import diff
from diary.interchange.fixture_checks import FixtureImportError
from diary.interchange.fixture_import import import_fixture
from diary.models import Mission, Organisation, Revision, Visit
from diary.publishing import NothingToPublish, frozen_document, publish
from diary.roles import EDITOR, VIEWER

from . import factories
from .diary_state import empty_diary, export_bytes

pytestmark = pytest.mark.django_db

UPDATES = "/missions/japan-2024/updates/"


def updates_url(mission):
    return reverse("diary:mission_updates", kwargs={"slug": mission.slug})


def publish_url(mission):
    return reverse("admin:diary_mission_publish", args=[mission.pk])


def staff(client, django_user_model, role):
    user = django_user_model.objects.create_user(role.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


class _Changes(HTMLParser):
    """The text of each <li class="change …"> of a page, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "li" and "change" in classes:
            self.items.append("")
            self.depth = 1
        elif self.depth and tag == "li":
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag == "li":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.items[-1] += data


def change_items(html):
    parser = _Changes()
    parser.feed(html)
    return [" ".join(item.split()) for item in parser.items]


def edit_the_demo(demo):
    """Move a visit to another day, rename another, add an agreement."""
    ispace = demo.visits.get(slug="ispace")
    ispace.day = demo.days.get(date=datetime.date(2024, 6, 11))
    ispace.save()
    astroscale = demo.visits.get(slug="astroscale")
    astroscale.title = "Astroscale, Sumida"
    astroscale.save()
    return factories.make_agreement(demo, title="Joint statement on lunar data", slug="lunar-data")


# --- Publishing ---------------------------------------------------------------------------


def test_loading_the_demo_publishes_it_as_revision_1(demo):
    revision = demo.revisions.get()
    assert revision.number == 1 and revision.significant
    assert revision.document["mission"]["uuid"] == str(demo.uuid)
    # The site's addresses as "site:/…": the same copy whichever host published it.
    assert revision.document["mission"]["url"] == "site:/missions/japan-2024/"


def test_loading_the_demo_again_adds_no_revision(demo):
    from django.core.management import call_command

    call_command("load_demo", stdout=__import__("io").StringIO())
    assert demo.revisions.count() == 1


def test_publishing_a_draft_publishes_it_as_revision_1():
    mission = factories.make_draft_mission(slug="draft")
    revision = publish(mission, note="")
    mission.refresh_from_db()
    assert mission.is_published
    assert revision.number == 1 and revision.significant


def test_a_mission_published_before_revisions_existed_has_an_updates_page(client):
    mission = factories.make_draft_mission(slug="older")
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.PUBLISHED)
    response = client.get(updates_url(mission))
    assert response.status_code == 200
    assert "No publication of this mission has been recorded yet." in response.text


def test_an_update_is_the_next_revision_and_an_unchanged_one_is_refused(demo):
    edit_the_demo(demo)
    revision = publish(demo, note="Day 1 corrected.")
    assert revision.number == 2
    with pytest.raises(NothingToPublish):
        publish(demo, note="Again.")
    assert demo.revisions.count() == 2


def test_a_significant_update_needs_a_note_a_typo_fix_does_not(demo):
    visit = demo.visits.get(slug="nict")
    visit.title += "."
    visit.save()
    with pytest.raises(ValidationError, match="significant update needs a public change note"):
        publish(demo, note="   ", significant=True)
    assert publish(demo, note="", significant=False).number == 2


def test_the_database_refuses_a_significant_update_without_a_note(demo):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(
            mission=demo,
            number=2,
            published_at=datetime.datetime.now(datetime.UTC),
            note="",
            significant=True,
            document={},
        )


def test_revisions_travel_by_natural_key(demo):
    revision = demo.revisions.get()
    assert revision.natural_key() == (str(demo.uuid), 1)
    assert Revision.objects.get_by_natural_key(str(demo.uuid), 1) == revision


# --- The changelog, a pure function of two documents ---------------------------------------


def document(*visits, agreements=(), title="Mission"):
    return {
        "mission": {"uuid": "m", "title": title},
        "visits": list(visits),
        "agreements": list(agreements),
    }


def visit(uuid, title, date=None, starts_at=None):
    return {
        "uuid": uuid,
        "title": title,
        "date": date,
        "starts_at": starts_at,
        "ends_at": None,
        "url": f"/v/{uuid}/",
    }


def test_changelog_names_added_removed_moved_and_changed_records():
    old = document(visit("a", "Stays"), visit("b", "Goes"), visit("c", "Moves", "2024-06-10"))
    new = document(
        visit("a", "Stays, renamed"),
        visit("c", "Moves", "2024-06-11", "2024-06-11T09:30:00+09:00"),
        visit("d", "Arrives"),
        agreements=[{"uuid": "x", "title": "New MoC"}],
        title="Mission, renamed",
    )
    changes = diff(old, new)
    assert [(c.name, c.old, c.new) for c in changes.mission] == [
        ("title", "Mission", "Mission, renamed")
    ]
    visits = changes.kind("visits")
    assert [r.label for r in visits.added] == ["Arrives"]
    assert [r.label for r in visits.removed] == ["Goes"]
    assert [r.label for r in visits.changed] == ["Stays, renamed"]
    assert [c.name for c in visits.changed[0].changes] == ["title"]
    (moved,) = visits.moved
    assert moved.moved_from.date == datetime.date(2024, 6, 10)
    assert moved.moved_to.date == datetime.date(2024, 6, 11)
    assert moved.moved_to.starts_at == datetime.time(9, 30)
    assert moved.changes == []
    assert [r.label for r in changes.kind("agreements").added] == ["New MoC"]


def test_changelog_of_identical_documents_is_empty_and_of_none_is_a_first_publication():
    doc = document(visit("a", "Stays"))
    assert not diff(doc, json.loads(json.dumps(doc)))
    first = diff(None, doc)
    assert first.first and first.counts["visits"] == 1


def as_schema_2(document):
    """The demo's document as a revision published before schema 3 froze it: no translations,
    the host country and the organisations' countries as their English names ("" if none)."""
    old = json.loads(json.dumps(document))
    old["schema_version"] = 2
    for record in [
        old["mission"],
        *(r for key, v in old.items() if isinstance(v, list) for r in v),
    ]:
        if isinstance(record, dict):
            record.pop("translations", None)
    old["mission"]["host_country"] = old["mission"]["host_country"]["name"]
    for organisation in old["organisations"]:
        organisation["country"] = (organisation["country"] or {}).get("name", "")
    return old


def test_an_update_after_a_revision_of_an_older_format_lists_only_what_changed(demo):
    # An organisation without a country: "" then, null now, which is no change.
    Organisation.objects.filter(slug="ispace").update(country="")
    document = frozen_document(demo)
    assert not diff(as_schema_2(document), document)
    older = as_schema_2(document)
    older["mission"]["host_country"] = "France"
    older["visits"][0]["title"] = "An older title"
    changes = diff(older, document)
    assert [(c.name, c.old, c.new) for c in changes.mission] == [
        ("host_country", "France", "Japan")
    ]
    assert [c.name for c in changes.kind("visits").changed[0].changes] == ["title"]


# --- The updates page -----------------------------------------------------------------------


def test_the_updates_page_shows_exactly_the_differences_of_the_republished_demo(client, demo):
    agreement = edit_the_demo(demo)
    publish(demo, note="Day 1 corrected; a statement added.")
    html = client.get(UPDATES).content.decode()
    assert html.index('id="revision-2"') < html.index('id="revision-1"')  # newest first
    assert "Day 1 corrected; a statement added." in html
    assert change_items(html) == [
        "Moved ispace and the Tokyo Mission Control room: "
        "from Monday 10 June 2024 to Tuesday 11 June 2024",
        "Changed (Visits) Astroscale, Sumida: title: “Astroscale” → “Astroscale, Sumida”",
        f"Added (Agreements) {agreement.title}",
    ]
    assert "First publication" in html and "Published with 3 days, 6 visits, 3 agreements." in html


def test_the_updates_page_speaks_the_language_of_its_address(client, demo):
    edit_the_demo(demo)
    publish(demo, note="Jour 1 corrigé.")
    html = client.get("/fr" + UPDATES).content.decode()
    assert "Mise à jour 2" in html and "Déplacé" in html
    assert 'href="/fr/missions/japan-2024/visits/ispace/"' in html  # links stay in French


def test_the_updates_page_gives_times_in_the_missions_zone(client, demo):
    revision = demo.revisions.get()
    revision.published_at = datetime.datetime(2024, 6, 14, 9, 0, tzinfo=datetime.UTC)
    revision.save()
    html = client.get(UPDATES).content.decode()
    assert "14 June 2024, 18:00 JST" in html


def test_a_drafts_updates_and_revisions_are_404_for_everyone(client, demo, staff_client):
    draft = factories.make_draft_mission(slug="draft")
    Revision.objects.create(
        mission=draft, number=1, published_at=datetime.datetime.now(datetime.UTC), document={}
    )
    for url in (
        updates_url(draft),
        reverse("diary:mission_revision_json", kwargs={"slug": draft.slug, "number": 1}),
        reverse("diary:mission_feed", kwargs={"slug": draft.slug}),
    ):
        assert Client().get(url).status_code == 404, url
        assert staff_client.get(url).status_code == 404, url
    feed = feedparser.parse(Client().get(reverse("diary:site_feed")).content)
    assert [entry.title for entry in feed.entries] == ["Economic mission to Japan: published"]


def test_pages_say_when_the_mission_was_published_and_last_updated(client, demo):
    revision = demo.revisions.get()
    revision.published_at = datetime.datetime(2024, 6, 15, 3, 0, tzinfo=datetime.UTC)
    revision.save()
    pages = [
        "/missions/japan-2024/",
        "/missions/japan-2024/2024-06-11/",
        "/missions/japan-2024/visits/tansa-x-sagamihara/",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "Published <time" in html and "15 June 2024</time>" in html, url
        assert "Last updated" not in html, url
        assert f'href="{UPDATES}"' in html, url
    edit_the_demo(demo)
    publish(demo, note="Typo.", significant=False)
    assert "Last updated" not in client.get(pages[0]).content.decode()
    demo.visits.filter(slug="nict").update(summary="More.")
    Mission.objects.get(pk=demo.pk).save()  # bump the content version
    later = publish(demo, note="A summary added.")
    later.published_at = datetime.datetime(2024, 7, 1, 1, 0, tzinfo=datetime.UTC)
    later.save()
    for url in pages:
        assert "Last updated <time" in client.get(url).content.decode(), url


def publish_five_revisions(mission):
    """Five more revisions of the mission, each changing one visit's summary."""
    for n in range(5):
        visit = mission.visits.get(slug="nict")
        visit.summary = f"Revision {n}"
        visit.save()
        publish(mission, note=f"Summary {n}.")


def test_the_updates_page_runs_as_many_queries_for_one_revision_as_for_many(client, demo):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(UPDATES).status_code == 200
        return len(queries)

    one = count()
    publish_five_revisions(demo)
    assert demo.revisions.count() == 6
    assert count() == one


# --- Revision JSON --------------------------------------------------------------------------


def test_an_earlier_revisions_json_stays_as_published(client, demo):
    url = reverse("diary:mission_revision_json", kwargs={"slug": "japan-2024", "number": 1})
    before = client.get(url)
    assert before.status_code == 200 and before["Content-Type"] == "application/json"
    live = client.get("/missions/japan-2024.json").json()
    assert before.json() == live  # revision 1 is the live JSON as it was published
    edit_the_demo(demo)
    publish(demo, note="Edited.")
    after = client.get(url)
    assert after.content == before.content
    assert after.json()["visits"] != client.get("/missions/japan-2024.json").json()["visits"]
    assert after.json()["mission"]["url"] == "http://testserver/missions/japan-2024/"


@pytest.mark.parametrize("number", ["2", "01", "0", "9999999999", "abc"])
def test_unknown_or_malformed_revision_numbers_are_404(client, demo, number):
    assert client.get(f"/missions/japan-2024/updates/{number}.json").status_code == 404


# --- Feeds ----------------------------------------------------------------------------------


def parsed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.version == "atom10"
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_the_missions_feed_lists_its_revisions_newest_first(client, demo):
    edit_the_demo(demo)
    publish(demo, note="Day 1 corrected.")
    feed = parsed(client, "/missions/japan-2024/updates.atom")
    assert feed.feed.title == "Economic mission to Japan: updates"
    assert [entry.title for entry in feed.entries] == [
        "Economic mission to Japan: update 2",
        "Economic mission to Japan: published",
    ]
    latest = feed.entries[0]
    assert latest.link == f"http://testserver{UPDATES}#revision-2"
    assert latest.id == latest.link
    assert "Day 1 corrected." in latest.summary
    assert "Visits: 1 moved, 1 changed." in latest.summary
    assert "Agreements: 1 added." in latest.summary
    assert latest.updated_parsed is not None and latest.published_parsed is not None


def test_the_site_feed_announces_new_missions_and_significant_updates_only(client, demo):
    edit_the_demo(demo)
    publish(demo, note="", significant=False)
    other = factories.make_draft_mission(title="Mission to Korea", slug="korea")
    publish(other)
    visit = demo.visits.get(slug="nict")
    visit.title = "NICT"
    visit.save()
    publish(demo, note="NICT renamed.")
    feed = parsed(client, "/updates.atom")
    assert [entry.title for entry in feed.entries] == [
        "Economic mission to Japan: update 3",
        "Mission to Korea: published",
        "Economic mission to Japan: published",
    ]


def test_an_empty_feed_is_still_valid_atom_and_the_same_on_each_request(client):
    factories.make_mission(slug="no-revisions")
    first = parsed(client, "/updates.atom")
    assert first.entries == []
    assert Client().get("/updates.atom").content == client.get("/updates.atom").content


def test_the_feeds_and_revision_json_run_as_many_queries_for_one_revision_as_for_many(client, demo):
    urls = [
        "/updates.atom",
        "/missions/japan-2024/updates.atom",
        "/missions/japan-2024/updates/1.json",
    ]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            found.append(len(queries))
        return found

    one = counts()
    publish_five_revisions(demo)
    assert counts() == one


@pytest.mark.parametrize(
    "url", ["/", "/missions/japan-2024/", "/missions/japan-2024/2024-06-11/", UPDATES]
)
def test_pages_link_the_feeds_in_their_head(client, demo, url):
    html = client.get(url).content.decode()
    head = html[: html.index("</head>")]
    assert '<link rel="alternate" type="application/atom+xml" href="/updates.atom"' in head
    mission_feed = 'type="application/atom+xml" href="/missions/japan-2024/updates.atom"'
    assert (mission_feed in head) == (url != "/")


# --- The admin ------------------------------------------------------------------------------


def test_an_editor_publishes_an_update_with_a_note_from_the_admin(client, django_user_model, demo):
    editor = staff(client, django_user_model, EDITOR)
    change = client.get(reverse("admin:diary_mission_change", args=[demo.pk])).content.decode()
    assert publish_url(demo) in change and "Publish an update" in change
    edit_the_demo(demo)
    form = editor.get(publish_url(demo)).content.decode()
    assert "ispace and the Tokyo Mission Control room" in form  # what the update records
    refused = editor.post(publish_url(demo), {"note": "", "significant": "on"})
    assert refused.status_code == 200
    assert "significant update needs a public change note" in refused.content.decode()
    assert demo.revisions.count() == 1
    done = editor.post(publish_url(demo), {"note": "Day 1 corrected.", "significant": "on"})
    assert done.status_code == 302
    revision = demo.revisions.get(number=2)
    assert revision.note == "Day 1 corrected." and revision.significant


def test_publishing_a_draft_from_the_admin_makes_revision_1(client, django_user_model):
    editor = staff(client, django_user_model, EDITOR)
    draft = factories.make_draft_mission(slug="draft")
    assert "Publish" in editor.get(publish_url(draft)).content.decode()
    assert editor.post(publish_url(draft), {"note": ""}).status_code == 302
    draft.refresh_from_db()
    assert draft.is_published and draft.revisions.get().number == 1


def test_a_viewer_cannot_publish(client, django_user_model, demo):
    viewer = staff(client, django_user_model, VIEWER)
    draft = factories.make_draft_mission(slug="draft")
    change = viewer.get(reverse("admin:diary_mission_change", args=[draft.pk])).content.decode()
    assert publish_url(draft) not in change
    assert viewer.get(publish_url(draft)).status_code == 403
    assert viewer.post(publish_url(draft), {"note": "x"}).status_code == 403
    draft.refresh_from_db()
    assert not draft.is_published and not draft.revisions.exists()


def test_publishing_through_the_status_field_records_revision_1(staff_client):
    draft = factories.make_draft_mission(slug="draft")
    page = staff_client.get(reverse("admin:diary_mission_change", args=[draft.pk]))
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        status=Mission.Status.PUBLISHED,
        start_date=draft.start_date.isoformat(),
        end_date=draft.end_date.isoformat(),
    )
    response = staff_client.post(reverse("admin:diary_mission_change", args=[draft.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert draft.revisions.get().number == 1


def test_the_frozen_copy_is_the_public_json_builder_with_site_relative_urls(demo):
    copy = frozen_document(demo)
    assert copy == demo.revisions.get().document
    assert all(v["url"].startswith("site:/missions/japan-2024/visits/") for v in copy["visits"])
    assert Visit.objects.filter(mission=demo).count() == len(copy["visits"])


# --- Backup and restore keep the changelog ---------------------------------------------------


def test_a_backup_restored_into_an_empty_diary_keeps_the_changelog(client, demo, tmp_path):
    edit_the_demo(demo)
    publish(demo, note="Day 1 corrected.")
    page_before = change_items(client.get(UPDATES).content.decode())
    backup = export_bytes(tmp_path / "backup.json")
    revisions = [r for r in json.loads(backup) if r["model"] == "diary.revision"]
    assert [(r["fields"]["mission"], r["fields"]["number"]) for r in revisions] == [
        ([str(demo.uuid)], 1),
        ([str(demo.uuid)], 2),
    ]
    empty_diary()
    assert not Revision.objects.exists()
    import_fixture(backup)
    assert Revision.objects.count() == 2
    assert change_items(client.get(UPDATES).content.decode()) == page_before
    assert export_bytes(tmp_path / "again.json") == backup


def test_a_revision_record_that_breaks_a_rule_is_refused_naming_it(demo, tmp_path):
    edit_the_demo(demo)
    publish(demo, note="Day 1 corrected.")
    records = json.loads(export_bytes(tmp_path / "backup.json"))
    (second,) = [
        r for r in records if r["model"] == "diary.revision" and r["fields"]["number"] == 2
    ]
    second["fields"]["note"] = ""
    with pytest.raises(FixtureImportError, match="a significant update needs a public change note"):
        import_fixture(json.dumps(records))
    second["fields"].update(note="Fine.", number=0)
    with pytest.raises(FixtureImportError, match="field “number”: must be a whole number from 1"):
        import_fixture(json.dumps(records))
    assert demo.revisions.get(number=2).note == "Day 1 corrected."
