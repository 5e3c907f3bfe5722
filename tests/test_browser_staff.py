"""
The staff side in a real browser (Debian's Chromium driven by Playwright, as
tests/test_browser.py drives the public site), signed in as an Editor and as a Viewer: adding
a visit to a day from a phone, finding a day by its date, previewing a draft, reading an
import's per-record preview, no sideways scrolling, and axe on the start page and the
mission form.
"""

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from diary.models import Mission, Visit
from diary.roles import EDITOR, VIEWER

from . import browser_support
from .diary_state import export_bytes

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
ARTIFACTS = browser_support.ARTIFACTS
PASSWORD = "pw-staff-browser-42"


browser = browser_support.browser_fixture()
# A page of its own for each test: each signs in as someone.
page = browser_support.page_per_test_fixture(timeout=20_000, viewport=LAPTOP, locale="en-GB")


def staff_user(django_user_model, username, role):
    """A user in the role's group. The live server's transactional database is flushed
    between tests, so the groups the migrations made are made again as they define them:
    an Editor holds every diary permission, a Viewer only the view ones."""
    permissions = Permission.objects.filter(content_type__app_label="diary")
    if role == VIEWER:
        permissions = permissions.filter(codename__startswith="view_")
    group, created = Group.objects.get_or_create(name=role)
    if created or not group.permissions.exists():
        group.permissions.set(permissions)
    user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(group)
    return user


def sign_in(page, site, username):
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Start")).to_be_visible()


@pytest.fixture
def editor(page, live_server, demo, django_user_model):
    staff_user(django_user_model, "editor-browser", EDITOR)
    sign_in(page, live_server.url, "editor-browser")
    return live_server.url


@pytest.fixture
def viewer(page, live_server, demo, draft_world, django_user_model):
    staff_user(django_user_model, "viewer-browser", VIEWER)
    sign_in(page, live_server.url, "viewer-browser")
    return live_server.url


def fits(page, label):
    """No sideways scrolling, and a screenshot to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"staff-{label}.png", full_page=True)
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{label}: {scroll_width}px on a {inner_width}px screen"


def on_first_screen(page, locator):
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box


def test_editor_adds_a_visit_to_day_2_from_the_mission_form_on_a_phone(page, editor, demo):
    page.set_viewport_size(PHONE)
    page.goto(editor + f"/admin/diary/mission/{demo.pk}/change/")
    fits(page, "mission-form-390")
    day = demo.days.order_by("date")[1]
    page.get_by_role("link", name=re.compile(r"^Add a visit to Day 2 — ")).click()
    expect(page.get_by_label("Title:", exact=True)).to_be_visible()
    # One screen: what there is to type and the save button, without scrolling.
    for locator in (
        page.get_by_label("Title:", exact=True),
        page.get_by_label(re.compile(r"Starts at")),
        page.get_by_role("button", name="Save", exact=True).first,
    ):
        on_first_screen(page, locator)
    fits(page, "add-visit-390")
    page.get_by_label("Title:", exact=True).fill("Breakfast with the delegation")
    page.get_by_label(re.compile(r"Starts at")).fill("07:30")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    visit = Visit.objects.get(title="Breakfast with the delegation")
    assert (visit.mission_id, visit.day_id, f"{visit.starts_at:%H:%M}") == (
        demo.pk,
        day.pk,
        "07:30",
    )
    assert visit.history.count() == 1


def test_editor_finds_day_3_by_typing_its_date(page, editor, demo):
    page.goto(editor + f"/admin/diary/visit/add/?mission={demo.pk}")
    page.locator(".field-day .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("2024-06-12")
    option = page.locator(".select2-results__option", has_text="Day 3 — Wed 12 June 2024")
    expect(option).to_have_count(1)
    option.click()
    expect(page.locator(".field-day .select2-selection__rendered")).to_contain_text(
        "Day 3 — Wed 12 June 2024"
    )


def test_editor_previews_a_draft_from_its_form(page, editor, draft_world):
    draft = Mission.objects.filter(status=Mission.Status.DRAFT).first()
    page.goto(editor + f"/admin/diary/mission/{draft.pk}/change/")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="Preview (draft)").click()
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.url == editor + draft.get_absolute_url()
    expect(preview.locator(".draft-banner")).to_contain_text("Draft — visible to staff only")
    expect(preview.get_by_role("heading", level=1)).to_have_text(draft.title)
    preview.close()


def test_editor_imports_a_changed_fixture_and_reads_the_per_record_preview(
    page, editor, demo, tmp_path
):
    records = json.loads(export_bytes(tmp_path / "demo.json", "japan-2024"))
    visit = next(r for r in records if r["model"] == "diary.visit")
    visit["fields"]["title"] = "Renamed by the upload"
    upload = tmp_path / "changed.json"
    upload.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    page.goto(editor + "/admin/diary/mission/import/")
    page.get_by_label("JSON fixture").set_input_files(str(upload))
    page.get_by_role("button", name="Check file").click()
    table = page.locator("table.import-records")
    expect(table).to_contain_text("Renamed by the upload")
    expect(table.locator("tr.import-updated")).to_have_count(1)
    expect(table).to_contain_text("title:")
    fits(page, "import-preview-1366")
    page.set_viewport_size(PHONE)
    fits(page, "import-preview-390")
    page.set_viewport_size(LAPTOP)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "The file changed.json was imported: 1 visit updated"
    )


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["390", "1366"])
def test_staff_pages_have_no_sideways_scrolling(page, editor, demo, size):
    page.set_viewport_size(size)
    visit = Visit.objects.filter(mission=demo).first()
    for label, path in [
        ("start", "/admin/"),
        ("mission-form", f"/admin/diary/mission/{demo.pk}/change/"),
        ("visit-form", f"/admin/diary/visit/{visit.pk}/change/"),
        ("visits", "/admin/diary/visit/"),
        ("history", f"/admin/diary/visit/{visit.pk}/history/"),
    ]:
        page.goto(editor + path)
        fits(page, f"{label}-{size['width']}")


def test_viewer_sees_the_same_pages_read_only(page, viewer, demo):
    draft = Mission.objects.filter(status=Mission.Status.DRAFT).first()
    page.goto(viewer + "/admin/")
    expect(page.get_by_role("heading", name="Drafts waiting to be published")).to_be_visible()
    expect(page.locator("#content-main .addlink")).to_have_count(0)
    for mission in (demo, draft):
        page.goto(viewer + f"/admin/diary/mission/{mission.pk}/change/")
        expect(page.get_by_role("heading", name="Days and visits")).to_be_visible()
        form = page.locator("#mission_form")
        expect(form.locator("input[type=submit], button[type=submit]")).to_have_count(0)
        expect(page.locator("#content a.addlink")).to_have_count(0)
        expect(page.locator("#content a.deletelink")).to_have_count(0)
    expect(page.get_by_role("link", name="Preview (draft)")).to_be_visible()


@pytest.mark.parametrize("which", ["start", "mission-form"])
def test_axe_finds_no_violations_on_the_start_page_and_the_mission_form(page, editor, demo, which):
    path = "/admin/" if which == "start" else f"/admin/diary/mission/{demo.pk}/change/"
    page.goto(editor + path)
    violations = Axe().run(page).response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in violations
    ]
    assert found == [], "\n".join(found)
