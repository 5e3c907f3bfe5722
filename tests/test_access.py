"""Who may do what in the admin: roles, brute-force lockout, and the audit trail."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from diary.models import (
    CooperationArea,
    Mission,
    Person,
    Visit,
)
from diary.roles import EDITOR, VIEWER

from .browsing import DIARY_MODELS as MODELS
from .browsing import admin_url, read_form, single_values

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


def staff_member(django_user_model, username, role):
    user = django_user_model.objects.create_user(username, password=f"pw-{username}")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer_client(client, django_user_model):
    client.force_login(staff_member(django_user_model, "viewer", VIEWER))
    return client


@pytest.fixture
def editor_client(client, django_user_model):
    client.force_login(staff_member(django_user_model, "editor", EDITOR))
    return client


def change_form(client, model, obj):
    html = client.get(admin_url(model, "change", obj.pk)).content.decode()
    return single_values(read_form(html, f"{model._meta.model_name}_form"))


# --- Roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_viewer_reads_every_admin_page_but_cannot_add_change_or_delete(viewer_client, demo, model):
    obj = model.objects.first()
    before = {field.attname: getattr(obj, field.attname) for field in model._meta.concrete_fields}
    count = model.objects.count()

    assert viewer_client.get(admin_url(model, "changelist")).status_code == 200
    page = viewer_client.get(admin_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # a read-only view, no save button

    assert viewer_client.get(admin_url(model, "add")).status_code == 403
    assert (
        viewer_client.post(admin_url(model, "add"), {"title": "x", "name": "x"}).status_code == 403
    )
    changed = viewer_client.post(admin_url(model, "change", obj.pk), {"title": "Defaced"})
    assert changed.status_code == 403
    deleted = viewer_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    assert deleted.status_code == 403

    obj.refresh_from_db()
    assert {
        field.attname: getattr(obj, field.attname) for field in model._meta.concrete_fields
    } == before
    assert model.objects.count() == count


def test_viewer_cannot_delete_through_the_bulk_action(viewer_client, draft_world):
    mission = draft_world["mission"]
    response = viewer_client.post(
        admin_url(Mission, "changelist"),
        {"action": "delete_selected", "_selected_action": [mission.pk], "post": "yes"},
    )
    # The action is not offered to a viewer: the list comes back saying nothing was done.
    assert response.status_code == 200
    assert Mission.objects.filter(pk=mission.pk, status=Mission.Status.DRAFT).exists()


def test_editor_publishes_a_draft_by_changing_its_status(editor_client, draft_world):
    mission = draft_world["mission"]
    data = change_form(editor_client, Mission, mission)
    data["status"] = Mission.Status.PUBLISHED
    response = editor_client.post(admin_url(Mission, "change", mission.pk), data)
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.status == Mission.Status.PUBLISHED


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_editor_may_add_change_delete_and_view_every_diary_model(django_user_model, model):
    editor = staff_member(django_user_model, "editor", EDITOR)
    label = model._meta.model_name
    for action in ("add", "change", "delete", "view"):
        assert editor.has_perm(f"diary.{action}_{label}")


def test_editor_cannot_manage_staff_accounts(editor_client, django_user_model):
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_signed_in_user_without_staff_status_cannot_enter_the_admin(client, django_user_model):
    django_user_model.objects.create_user("visitor", password="pw-visitor-long-enough")
    response = client.post(
        LOGIN, {"username": "visitor", "password": "pw-visitor-long-enough", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "correct username and password for a staff account" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_non_staff_user_with_a_session_is_sent_to_sign_in(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor"))
    response = client.get(admin_url(Mission, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("role", [EDITOR, VIEWER])
def test_staff_who_may_view_missions_preview_drafts_on_the_public_site(
    client, django_user_model, draft_world, role
):
    # The preview rule is the admin's: whoever may view missions there sees drafts here,
    # marked as drafts. (Staff status alone does not: tests/hostile/test_red_team.py.)
    client.force_login(staff_member(django_user_model, "reader", role))
    response = client.get(reverse("diary:mission", args=["secret-mission"]))
    assert response.status_code == 200
    assert "Secret visit" in response.content.decode()
    assert 'class="draft-banner"' in response.content.decode()
    assert client.get(reverse("diary:agreement", args=["secret-agreement"])).status_code == 200


# --- Brute-force lockout -------------------------------------------------------------------


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_staff_is_locked_out_after_too_many_failures_even_with_the_right_password(
    client, django_user_model
):
    staff_member(django_user_model, "alice", EDITOR)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "alice", "wrong")
        assert response.status_code == 200  # the login form again, with its error
    locked = sign_in(client, "alice", "wrong")
    assert locked.status_code == 429

    response = sign_in(client, "alice", "pw-alice")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in locked" in html
    assert f"locked after {settings.AXES_FAILURE_LIMIT} failures" in html
    assert "even the right password is refused" in html
    assert client.get(reverse("admin:index")).status_code == 302  # still not signed in


def test_a_few_typos_do_not_lock_a_staff_member_out(client, django_user_model):
    staff_member(django_user_model, "bob", EDITOR)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "bob", "typo")
    response = sign_in(client, "bob", "pw-bob")
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_one_address_trying_many_usernames_is_locked_out(client, django_user_model):
    staff_member(django_user_model, "carol", EDITOR)
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"guess-{n}", "wrong")
    assert sign_in(client, "carol", "pw-carol").status_code == 429


# --- Audit trail --------------------------------------------------------------------------------


def test_editing_a_visit_in_the_admin_is_recorded_with_who_when_and_what(editor_client, demo):
    visit = demo.visits.get(slug="ispace")
    data = change_form(editor_client, Visit, visit)
    data["summary"] = "Revised after the press office's correction."
    response = editor_client.post(admin_url(Visit, "change", visit.pk), data)
    assert response.status_code == 302

    record = visit.history.first()
    assert record.history_user.username == "editor"
    assert record.history_type == "~"
    # The summary's own column and its English column (diary/translation.py) hold one text.
    assert record.diff_against(record.prev_record).changed_fields == ["summary", "summary_en"]

    html = editor_client.get(admin_url(Visit, "history", visit.pk)).content.decode()
    assert "editor" in html
    assert "Revised after the press office&#x27;s correction." in html
    assert record.history_date.strftime("%Y") in html


def test_history_records_changed_links_to_people_and_organisations(editor_client, demo):
    visit = demo.visits.get(slug="ispace")
    person = Person.objects.exclude(visits=visit).first()
    visit.people.add(person)
    record = visit.history.first()
    assert person.pk in [row.person_id for row in record.people.all()]


def test_deleting_content_leaves_a_trace_of_who_deleted_it(editor_client, demo):
    area = CooperationArea.objects.create(name="Robotics", slug="robotics")
    response = editor_client.post(admin_url(CooperationArea, "delete", area.pk), {"post": "yes"})
    assert response.status_code == 302
    record = CooperationArea.history.filter(uuid=area.uuid).first()
    assert (record.history_type, record.history_user.username) == ("-", "editor")
