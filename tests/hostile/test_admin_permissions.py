"""
The whole admin, walked as staff with too little permission: nothing they POST may change the
database beyond what their permissions grant, and no admin address answers 500.

The URLs come from the admin site itself (`admin.site.get_urls()`, every model admin's own
URLs included), so a view registered later — an extra button, an import step — is walked
without anyone remembering to add it here. A path parameter the walker does not know how to
fill fails the test, naming it.
"""

import io
import json
import os
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from simple_history.models import HistoricalChanges

from diary.models import Mission, Visit
from diary.roles import VIEWER

from .. import factories
from ..browsing import admin_url
from ..diary_state import export_bytes

pytestmark = pytest.mark.django_db

MALFORMED = "abc"
EDITED_TEXT_FIELDS = {"title", "name", "summary", "first_name", "last_name", "email"}
# Sessions change with every sign-in, and axes logs each sign-in and sign-out: neither is
# what a permission protects. Nor is the acting user's own time of last sign-in.
UNCOMPARED_APPS = {"sessions", "axes"}
UNCOMPARED_FIELDS = {"last_login"}


# --- The admin's addresses, from the admin site -----------------------------------------------


def admin_routes():
    """(pattern pieces, URL name, model or None) of every view the admin site registers."""

    def walk(patterns, pieces, model):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                app_label, model_name = str(entry.pattern).strip("/").split("/")
                yield from walk(
                    entry.url_patterns,
                    [*pieces, entry.pattern],
                    apps.get_model(app_label, model_name),
                )
            else:
                yield [*pieces, entry.pattern], entry, model

    yield from walk(admin.site.get_urls(), [], None)


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
GROUP = re.compile(r"\((\?P<(\w+)>)?[^()]*\)")
# simple-history's history form view names no groups: the object, then its version.
UNNAMED_GROUPS = ["object_id", "history_id"]


def fill(pattern, values):
    if isinstance(pattern, RoutePattern):
        return PARAMETER.sub(lambda m: values[m[1]], str(pattern))
    unnamed = iter(UNNAMED_GROUPS)
    regex = pattern.regex.pattern.removeprefix("^").removesuffix("$")
    return GROUP.sub(lambda m: values[m[2] or next(unnamed)], regex)


def parameters(pieces):
    names = []
    for pattern in pieces:
        if isinstance(pattern, RoutePattern):
            names += PARAMETER.findall(str(pattern))
        else:
            unnamed = iter(UNNAMED_GROUPS)
            names += [m[2] or next(unnamed) for m in GROUP.finditer(pattern.regex.pattern)]
    return names


# --- What there is to point at ---------------------------------------------------------------


class Targets:
    """For each admin model: an object to aim at, one of its history versions, its form data."""

    def __init__(self, superuser_client):
        self.objects = {}
        self.versions = {}
        self.form_data = {}
        for model in registered():
            obj = model._default_manager.order_by("-pk").first()
            if obj is None:
                continue
            self.objects[model] = obj
            if hasattr(model, "history"):
                obj.save()  # fixtures are not audited: make sure there is a version to revert to
                versions = model.history.filter(**{model._meta.pk.attname: obj.pk})
                version = versions.order_by("history_id").first()
                self.versions[model] = version.history_id
            change = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
            )
            html = superuser_client.get(change).content.decode()
            self.form_data[model] = edited(
                read_post_forms(html).get(f"{model._meta.model_name}_form", {})
            )

    def values(self, model, malformed):
        obj = self.objects.get(model)
        object_id = MALFORMED if malformed or obj is None else str(obj.pk)
        history_id = MALFORMED if malformed else str(self.versions.get(model, MALFORMED))
        content_type = ContentType.objects.get_for_model(model or Mission)
        return {
            "object_id": object_id,
            "id": object_id,
            "history_id": history_id,
            "content_type_id": MALFORMED if malformed else str(content_type.pk),
            "app_label": "diary",
            "url": "no-such-page/",
        }


def registered():
    return [model for model in apps.get_models() if admin.site.is_registered(model)]


def edited(data):
    """The form's own data with its texts changed, slugs moved and drafts published."""
    data = dict(data)
    for name, values in data.items():
        if name in EDITED_TEXT_FIELDS or name.endswith(("-title", "-name", "-summary")):
            data[name] = [value + " (edited)" for value in values]
        elif name == "slug" or name.endswith("-slug"):
            data[name] = [value + "-edited" for value in values]
        elif name == "status":
            data[name] = [Mission.Status.PUBLISHED]
    return data


class _PostForms(HTMLParser):
    """Every POST form of a page, as a browser would send it with its first submit button."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = {}
        self.current = None
        self.text_of = None
        self.select = None
        self.submitted = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            key = attrs.get("id") or f"form-{len(self.forms)}"
            self.current = {"__action__": [attrs.get("action") or ""]}
            self.forms[key] = self.current
            self.submitted = False
            return
        if self.current is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        kind = attrs.get("type", "text")
        if tag == "input" and name:
            if kind in ("submit", "image"):
                if not self.submitted:
                    self.current.setdefault(name, []).append(attrs.get("value", ""))
                    self.submitted = True
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.current.setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in ("file", "button", "reset"):
                self.current.setdefault(name, []).append(attrs.get("value", ""))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.current.setdefault(self.select, []).append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self.text_of = name
            self.current.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.text_of = None

    def handle_data(self, data):
        if self.text_of and self.current is not None:
            self.current[self.text_of][-1] += data.removeprefix("\n")


def read_post_forms(html):
    reader = _PostForms()
    reader.feed(html)
    return reader.forms


# --- What may change -------------------------------------------------------------------------


def compared_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in UNCOMPARED_APPS
    ]


def database_state():
    """Every row of every table but sessions and sign-in logs: equal means untouched."""
    state = {}
    for model in compared_models():
        names = [
            field.attname
            for field in model._meta.concrete_fields
            if field.name not in UNCOMPARED_FIELDS
        ]
        rows = model._default_manager.values_list(*names)
        state[model._meta.label] = sorted(map(repr, rows))
    return state


def tables_of(model):
    """The model's table, its history, and the tables of its many-to-many links and their
    history: what one add/change/delete permission on it lets its holder write."""
    labels = {model._meta.label}
    for field in model._meta.many_to_many:
        labels.add(field.remote_field.through._meta.label)
    for other in apps.get_models(include_auto_created=True):
        if issubclass(other, HistoricalChanges) and other.__name__.startswith(
            f"Historical{model.__name__}"
        ):
            labels.add(other._meta.label)
    return labels


def writable_tables(user):
    labels = set()
    for permission in user.get_all_permissions():
        app_label, codename = permission.split(".")
        action, _, model_name = codename.partition("_")
        if action in ("add", "change", "delete"):
            labels |= tables_of(apps.get_model(app_label, model_name))
    if labels:
        # Saving anything writes the admin's log and bumps the diary's content version.
        labels |= {"admin.LogEntry", "diary.ContentVersion"}
    return labels


def changed_tables(before, after):
    return {label for label in before if before[label] != after[label]}


# --- The walk --------------------------------------------------------------------------------


def fixture_upload(tmp_path):
    """The demo's own fixture with a mission unpublished and an organisation renamed."""
    records = json.loads(export_bytes(tmp_path / "demo.json", "japan-2024"))
    for record in records:
        if record["model"] == "diary.mission":
            record["fields"]["status"] = Mission.Status.DRAFT
        if record["model"] == "diary.organisation":
            record["fields"]["name"] += " (renamed by an import)"
    return json.dumps(records).encode()


def action_names(model):
    names = [name for name, _function in admin.site.actions]
    model_admin = admin.site.get_model_admin(model)
    names += [a if isinstance(a, str) else a.__name__ for a in model_admin.actions or ()]
    return names


def requests_for(route, model, targets, fixture):
    """(url, POST data) pairs to try at one route: real ids and malformed ones, every action."""
    pieces, entry, _ = route
    has_ids = any(name in parameters(pieces) for name in ("object_id", "id", "history_id"))
    for malformed in (False, True) if has_ids else (False,):
        values = targets.values(model, malformed)
        try:
            url = "/admin/" + "".join(fill(piece, values) for piece in pieces)
        except KeyError as error:
            pytest.fail(f"The walker cannot fill parameter {error} of admin URL {pieces}")
        data = {
            **targets.form_data.get(model, {}),
            "_selected_action": [str(targets.objects[model].pk)]
            if model in targets.objects
            else [],
            "index": "0",
            "select_across": "0",
            "post": "yes",
            "old_password": "not-the-password",
            "new_password1": "A-new-passphrase-42",
            "new_password2": "A-new-passphrase-42",
            "fixture": SimpleUploadedFile("mission.json", fixture),
        }
        actions = (
            action_names(model) if model and (entry.name or "").endswith("_changelist") else [""]
        )
        for action in actions:
            yield url, {**data, "action": action}


# Reading every table before and after each address was most of the walk's time (about 40 s
# a role). The whole walk is compared once instead: a table nobody may write is as changed
# after the walk as after the address that wrote it. ADMIN_WALK_EACH=1 compares address by
# address again, to name the one that did.
WALK_EACH = os.environ.get("ADMIN_WALK_EACH") == "1"


class Walker:
    """Requests as one user; the database is compared before and after the walk (or each
    address, with ADMIN_WALK_EACH=1), and every crash or 500 is a finding."""

    def __init__(self, client, user):
        self.client = client
        self.user = user
        self.allowed = writable_tables(user)
        self.problems = []
        self.before = database_state()

    def visit(self, url, posts, *, get):
        before = database_state() if WALK_EACH else None
        if get:
            self.request("GET", url)
        for data in posts:
            self.post_and_confirm(url, data)
        if WALK_EACH:
            changed = changed_tables(before, database_state()) - self.allowed
            if changed:
                self.problems.append(f"{url} changed {sorted(changed)}")

    def finish(self):
        changed = changed_tables(self.before, database_state()) - self.allowed
        if changed:
            self.problems.append(
                f"the walk changed {sorted(changed)} (ADMIN_WALK_EACH=1 names the address)"
            )

    def request(self, method, url, data=None):
        if "_auth_user_id" not in self.client.session:
            self.client.force_login(self.user)  # again, after the logout view
        try:
            if method == "GET":
                response = self.client.get(url)
            else:
                if "fixture" in data:
                    data["fixture"].seek(0)
                response = self.client.post(url, data)
        except Exception as error:  # every crash is a finding, listed at the end
            self.problems.append(f"{method} {url}: {type(error).__name__}: {error}")
            return None
        if response.status_code >= 500:
            self.problems.append(f"{method} {url}: HTTP {response.status_code}")
        if response.streaming:
            # A download (export): reading it to the end closes it (and its file) the way
            # the test client means to; closing it again would close the database connection.
            b"".join(response.streaming_content)
        return response

    def post_and_confirm(self, url, data):
        """POST, then submit what the answer asks to confirm (delete, action, import)."""
        response = self.request("POST", url, data)
        if response is None or response.status_code != 200:
            return
        if response.streaming or "html" not in response.get("Content-Type", ""):
            return
        for form_id, form in read_post_forms(response.content.decode()).items():
            if form_id == "logout-form" or not ({"post", "confirm"} & form.keys()):
                continue
            action = form.pop("__action__")[0] or url
            self.request("POST", action, form)


def acting_users(django_user_model):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name=VIEWER))
    yield "Viewer", viewer
    for codename in SINGLE_PERMISSIONS:
        user = django_user_model.objects.create_user(f"only-{codename}", is_staff=True)
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="diary")
        )
        yield codename, user


SINGLE_PERMISSIONS = [
    "view_mission",
    "import_mission",
    "export_mission",
    "change_visit",
    "delete_mission",
]


class TestStaffWithTooLittlePermission:
    """The demo, a draft world and what to aim at, built once for the class (class_rows):
    each walk is rolled back before the next."""

    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, class_rows, tmp_path_factory):
        call_command("load_demo", stdout=io.StringIO())
        factories.make_draft_world()
        client = Client()
        client.force_login(
            get_user_model().objects.create_superuser("root", "root@example.org", "pw")
        )
        return Targets(client), fixture_upload(tmp_path_factory.mktemp("walk"))

    @pytest.mark.parametrize("role", ["Viewer", *SINGLE_PERMISSIONS])
    def test_no_admin_post_changes_what_the_user_may_not_change(
        self, world, client, django_user_model, role
    ):
        targets, fixture = world
        user = dict(acting_users(django_user_model))[role]
        walker = Walker(client, user)
        routes = list(admin_routes())
        assert len(routes) > 80  # every model admin's views, not just the site's
        for route in routes:
            pieces, _entry, model = route
            by_url = {}
            for url, data in requests_for(route, model, targets, fixture):
                route_text = "admin/" + "".join(map(str, pieces))
                assert resolve(url).route.replace("^", "") == route_text.replace("^", ""), url
                by_url.setdefault(url, []).append(data)
            for url, posts in by_url.items():
                # The Viewer also GETs every address (no 500 anywhere); the others only POST.
                walker.visit(url, posts, get=role == "Viewer")
        walker.finish()
        assert walker.problems == [], "\n".join(walker.problems)

    def test_viewer_cannot_revert_a_visit_through_its_history_form(
        self, world, client, django_user_model
    ):
        targets, _ = world
        viewer = dict(acting_users(django_user_model))["Viewer"]
        visit = targets.objects[Visit]
        version = visit.history.order_by("history_id").first()
        url = reverse("admin:diary_visit_simple_history", args=[visit.pk, version.history_id])
        client.force_login(viewer)
        page = client.get(url)
        assert page.status_code == 200
        assert 'value="Revert"' not in page.content.decode()
        before = database_state()
        response = client.post(url, targets.form_data[Visit])
        assert response.status_code == 403
        assert database_state() == before

    def test_viewer_cannot_publish_a_draft_mission_through_its_history_form(
        self, world, client, django_user_model
    ):
        targets, _ = world
        viewer = dict(acting_users(django_user_model))["Viewer"]
        mission = targets.objects[Mission]
        assert mission.status == Mission.Status.DRAFT
        url = reverse(
            "admin:diary_mission_simple_history", args=[mission.pk, targets.versions[Mission]]
        )
        client.force_login(viewer)
        response = client.post(url, targets.form_data[Mission])
        assert response.status_code == 403
        mission.refresh_from_db()
        assert mission.status == Mission.Status.DRAFT
        assert not mission.history.filter(history_user=viewer).exists()


@pytest.mark.parametrize(
    ("model", "view", "ids"),
    [
        (Mission, "export", ["abc"]),
        (Mission, "history", ["abc"]),
        (Visit, "history", ["abc"]),
        (Visit, "simple_history", ["abc", 1]),
        (Visit, "simple_history", [1, "abc"]),
    ],
)
def test_malformed_ids_in_admin_urls_are_404(staff_client, demo, model, view, ids):
    """An id that is no id in an admin address: /admin/diary/visit/1/history/abc/ and the like."""
    assert staff_client.get(admin_url(model, view, *ids)).status_code == 404


def test_every_autocomplete_answers_in_order(staff_client, demo, draft_world):
    """The test settings turn UnorderedObjectListWarning into an error: a 500 here."""
    asked = 0
    for model in registered():
        model_admin = admin.site.get_model_admin(model)
        for field_name in model_admin.autocomplete_fields:
            response = staff_client.get(
                reverse("admin:autocomplete"),
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field_name,
                    "term": "",
                },
            )
            assert response.status_code == 200, (model, field_name)
            assert response.json()["results"], (model, field_name)
            asked += 1
    assert asked > 10
