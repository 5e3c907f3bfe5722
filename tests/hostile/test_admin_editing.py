"""
Two editors on the same record: the admin never lets the second save silently undo the
first (optimistic concurrency, the change form's hidden `record_state`).
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client

from diary.models import Day, Mission, Person, Visit
from diary.roles import EDITOR

from ..browsing import admin_url, read_form, single_values
from ..diary_state import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors(django_user_model):
    clients = []
    for name in ("alice", "bob"):
        user = django_user_model.objects.create_user(name, is_staff=True)
        user.groups.add(Group.objects.get(name=EDITOR))
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def open_form(client, model, obj):
    html = client.get(admin_url(model, "change", obj.pk)).content.decode()
    return single_values(read_form(html, f"{model._meta.model_name}_form"))


def test_the_second_of_two_editors_is_refused_and_the_first_edit_is_kept(editors, demo):
    alice, bob = editors
    visit = demo.visits.get(slug="ispace")
    old_summary, old_title = visit.summary, visit.title
    url = admin_url(Visit, "change", visit.pk)
    alices_form = open_form(alice, Visit, visit)
    bobs_form = open_form(bob, Visit, visit)

    alices_form["summary"] = "Alice's corrected summary."
    assert alice.post(url, alices_form).status_code == 302

    bobs_form["title"] = "Bob's new title"
    response = bob.post(url, bobs_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this visit after you opened it. Nothing was saved" in html
    assert f"summary: “{old_summary[:20]}" in html
    assert "→ “Alice&#x27;s corrected summary.”" in html
    visit.refresh_from_db()
    assert visit.summary == "Alice's corrected summary."
    assert visit.title == old_title
    assert not visit.history.filter(history_user__username="bob").exists()

    # Opened again, Bob's form holds Alice's summary, and his title is saved beside it.
    bobs_form = open_form(bob, Visit, visit)
    bobs_form["title"] = "Bob's new title"
    assert bob.post(url, bobs_form).status_code == 302
    visit.refresh_from_db()
    assert (visit.title, visit.summary) == ("Bob's new title", "Alice's corrected summary.")


def test_a_change_to_the_links_meanwhile_is_named_too(editors, demo):
    alice, bob = editors
    url = admin_url(Mission, "change", demo.pk)
    alices_form = open_form(alice, Mission, demo)
    bobs_form = open_form(bob, Mission, demo)
    newcomer = Person.objects.create(name="Newcomer Person", slug="newcomer")
    alices_form["delegation"] = [
        *(alices_form.get("delegation") or []),
        str(newcomer.pk),
    ]
    assert alice.post(url, alices_form).status_code == 302
    bobs_form["title"] = "Bob's mission title"
    response = bob.post(url, bobs_form)
    assert response.status_code == 200
    assert "Newcomer Person" in response.content.decode()
    demo.refresh_from_db()
    assert demo.delegation.filter(pk=newcomer.pk).exists()
    assert demo.title != "Bob's mission title"


def test_a_change_form_posted_without_its_record_state_is_refused(editors, demo):
    alice, _ = editors
    visit = demo.visits.get(slug="ispace")
    data = open_form(alice, Visit, visit)
    del data["record_state"]
    data["title"] = "From a form that does not say what it was opened on"
    before = database_state()
    response = alice.post(admin_url(Visit, "change", visit.pk), data)
    assert response.status_code == 200
    assert "does not say which version of the visit it was opened on" in response.content.decode()
    assert database_state() == before


def test_an_editor_still_reverts_a_visit_from_its_history(editors, demo):
    alice, _ = editors
    visit = demo.visits.get(slug="ispace")
    original = visit.title
    visit.save()  # the demo's fixture load is not audited: record the version to go back to
    url = admin_url(Visit, "change", visit.pk)
    data = open_form(alice, Visit, visit)
    data["title"] = "A title to undo"
    assert alice.post(url, data).status_code == 302
    version = visit.history.order_by("history_id").first()
    history_url = f"/admin/diary/visit/{visit.pk}/history/{version.history_id}/"
    html = alice.get(history_url).content.decode()
    revert = single_values(read_form(html, "historicalvisit_form"))
    assert revert["title"] == original
    assert alice.post(history_url, revert).status_code == 302
    visit.refresh_from_db()
    assert visit.title == original


def test_a_day_renamed_meanwhile_is_not_written_back_by_the_missions_form(editors, demo):
    alice, bob = editors
    day = demo.days.order_by("date").first()
    bobs_mission_form = open_form(bob, Mission, demo)
    alices_day_form = open_form(alice, Day, day)
    alices_day_form["title"] = "Alice's day title"
    assert alice.post(admin_url(Day, "change", day.pk), alices_day_form).status_code == 302

    bobs_mission_form["summary"] = "Bob's mission summary."
    # The mission's form lists its days as links (issue 15), it no longer carries their
    # fields: Bob's save changes the mission alone and cannot write Alice's day back.
    assert not any(name.startswith("days-") for name in bobs_mission_form)
    response = bob.post(admin_url(Mission, "change", demo.pk), bobs_mission_form)
    assert response.status_code == 302
    day.refresh_from_db()
    demo.refresh_from_db()
    assert day.title == "Alice's day title"
    assert demo.summary == "Bob's mission summary."


def test_a_save_landing_while_the_form_is_rendered_is_not_overwritten(editors, demo, monkeypatch):
    # The admin reads the record, then renders it: another editor's save can land in between
    # (on GET the admin opens no transaction). The form must vouch for what it shows.
    alice, _ = editors
    visit = demo.visits.get(slug="ispace")
    model_admin = admin.site.get_model_admin(Visit)
    read = model_admin.get_object

    def read_then_someone_saves(request, object_id, from_field=None):
        obj = read(request, object_id, from_field)
        if request.method == "GET":
            Visit.objects.filter(pk=obj.pk).update(body="Saved by someone meanwhile")
        return obj

    monkeypatch.setattr(model_admin, "get_object", read_then_someone_saves)
    data = open_form(alice, Visit, visit)
    monkeypatch.undo()
    data["summary"] = "Alice's summary"
    response = alice.post(admin_url(Visit, "change", visit.pk), data)
    assert response.status_code == 200
    assert "Saved by someone meanwhile" in response.content.decode()
    visit.refresh_from_db()
    assert visit.body == "Saved by someone meanwhile"
