import json
import os
import stat
from collections import Counter

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from diary.interchange import admin_views as fixture_admin
from diary.interchange.fixture_import import ImportReport
from diary.models import Mission, Visit

from .diary_state import database_state, empty_diary, export_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:diary_mission_import")
CHANGELIST_URL = reverse("admin:diary_mission_changelist")


def export_url(mission):
    return reverse("admin:diary_mission_export", args=[mission.pk])


def download(response):
    # Reading it all lets the test client close the response (and the spooled file).
    return b"".join(response.streaming_content)


@pytest.fixture
def viewer_client(client, django_user_model):
    """Staff who may look at missions but were not given export or import."""
    user = django_user_model.objects.create_user("viewer", password="pw-viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_mission"))
    client.force_login(user)
    return client


@pytest.fixture
def exporter_client(client, django_user_model):
    user = django_user_model.objects.create_user("archivist", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_mission", "export_mission"])
    )
    client.force_login(user)
    return client


def test_export_button_downloads_a_fixture_that_loads(staff_client, demo, tmp_path):
    page = staff_client.get(reverse("admin:diary_mission_change", args=[demo.pk]))
    assert export_url(demo) in page.content.decode()
    assert "Export JSON fixture" in page.content.decode()
    response = staff_client.get(export_url(demo))
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="japan-2024-{today}.json"'
    content = download(response)
    assert content == export_bytes(tmp_path / "cli.json", "japan-2024")
    empty_diary()
    fixture = tmp_path / "downloaded.json"
    fixture.write_bytes(content)
    call_command("loaddata", str(fixture), verbosity=0)
    assert Mission.objects.get(slug="japan-2024").visits.count() == 6


def test_export_action_downloads_the_selected_missions(exporter_client, demo, draft_world):
    response = exporter_client.post(
        CHANGELIST_URL,
        {
            "action": "export_fixture",
            "_selected_action": [demo.pk, draft_world["mission"].pk],
        },
    )
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="missions-{today}.json"'
    records = json.loads(download(response))
    slugs = {r["fields"]["slug"] for r in records if r["model"] == "diary.mission"}
    assert slugs == {"japan-2024", "secret-mission"}


def test_staff_without_the_permission_get_403_and_no_export_action(viewer_client, demo):
    assert viewer_client.get(export_url(demo)).status_code == 403
    assert viewer_client.get(IMPORT_URL).status_code == 403
    page = viewer_client.get(CHANGELIST_URL).content.decode()
    assert "export_fixture" not in page
    assert IMPORT_URL not in page
    change = viewer_client.get(reverse("admin:diary_mission_change", args=[demo.pk]))
    assert export_url(demo) not in change.content.decode()
    response = viewer_client.post(
        CHANGELIST_URL, {"action": "export_fixture", "_selected_action": [demo.pk]}
    )
    assert "Content-Disposition" not in response


def test_export_permission_alone_does_not_allow_import(exporter_client, demo):
    response = exporter_client.get(export_url(demo))
    assert response.status_code == 200
    assert download(response).startswith(b"[")
    assert exporter_client.get(IMPORT_URL).status_code == 403


def test_anonymous_users_are_sent_to_login(client, demo):
    for url in (export_url(demo), IMPORT_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def upload(client, content, name="mission.json"):
    return client.post(IMPORT_URL, {"fixture": SimpleUploadedFile(name, content)})


def edited_demo_fixture(tmp_path):
    records = json.loads(export_bytes(tmp_path / "demo.json", "japan-2024"))
    visit = next(
        r for r in records if r["model"] == "diary.visit" and r["fields"]["slug"] == "ispace"
    )
    visit["fields"]["title"] = "ispace — title from the upload"
    return json.dumps(records, ensure_ascii=False, indent=1).encode()


def test_upload_preview_writes_nothing_then_confirm_imports(staff_client, demo, tmp_path):
    changelist = staff_client.get(CHANGELIST_URL).content.decode()
    assert IMPORT_URL in changelist
    before = database_state()
    preview = upload(staff_client, edited_demo_fixture(tmp_path))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Confirm import" in html
    assert '<th scope="row">Visits</th><td>0</td><td>1</td><td>5</td>' in html
    assert database_state() == before
    token = preview.context["token"]
    confirmed = staff_client.post(IMPORT_URL, {"confirm": "1", "token": token}, follow=True)
    assert confirmed.redirect_chain[-1][0] == CHANGELIST_URL
    assert "The file mission.json was imported: 1 visit updated," in confirmed.content.decode()
    assert Visit.objects.get(slug="ispace").title == "ispace — title from the upload"
    # The stored upload is used once.
    again = staff_client.post(IMPORT_URL, {"confirm": "1", "token": token}, follow=True)
    assert "expired" in again.content.decode()


def test_upload_preview_names_each_changed_record_with_old_and_new_values(
    staff_client, demo, tmp_path
):
    html = upload(staff_client, edited_demo_fixture(tmp_path)).content.decode()
    records = html[html.index("Record by record") :]
    assert "Visit “ispace — title from the upload”" in records
    assert "updated" in records
    assert "title:</strong> ispace → ispace — title from the upload" in records.replace(
        "\n", " "
    ) or ("title:</strong>" in records and "→ ispace — title from the upload" in records)
    assert "records are unchanged" in records


def test_upload_with_errors_shows_them_and_offers_no_confirm(staff_client, demo, tmp_path):
    records = json.loads(export_bytes(tmp_path / "demo.json", "japan-2024"))
    records[0]["model"] = "diary.rocket"
    before = database_state()
    html = upload(staff_client, json.dumps(records).encode()).content.decode()
    assert "Nothing was imported" in html
    assert "line 1: unknown model &quot;diary.rocket&quot;" in html
    assert "Confirm import" not in html
    assert database_state() == before


def test_oversized_upload_is_refused_with_a_form_error(staff_client, demo, tmp_path, settings):
    settings.FIXTURE_UPLOAD_MAX_BYTES = 1024
    before = database_state()
    response = upload(staff_client, b"[" + b" " * 4096 + b"]")
    assert response.status_code == 200
    assert "largest fixture accepted is 1.0\xa0KB" in response.content.decode()
    assert "Confirm import" not in response.content.decode()
    assert database_state() == before


def test_upload_form_requires_a_file(staff_client, demo):
    response = staff_client.post(IMPORT_URL, {})
    assert "This field is required" in response.content.decode()


def test_confirm_without_a_preview_is_refused(staff_client, demo):
    response = staff_client.post(
        IMPORT_URL, {"confirm": "1", "token": "../../etc/passwd"}, follow=True
    )
    assert "expired" in response.content.decode()
    assert Mission.objects.count() == 1


def test_export_of_unknown_mission_is_404(staff_client, demo):
    url = reverse("admin:diary_mission_export", args=[999999])
    assert staff_client.get(url).status_code == 404


@pytest.fixture
def staging(tmp_path, settings):
    """Stage uploads under the test's own folder, so tests can look at what is kept."""
    settings.FIXTURE_STAGING_DIR = tmp_path / "staging-parent"
    (tmp_path / "staging-parent").mkdir()
    return tmp_path / "staging-parent"


def test_staged_upload_is_private_to_the_server_user(staff_client, demo, tmp_path, staging):
    preview = upload(staff_client, edited_demo_fixture(tmp_path))
    folder = fixture_admin.staging_dir()
    assert folder.parent == staging
    # Not a name anyone can predict: it depends on the SECRET_KEY.
    assert folder.name != "missiontracker-fixture-uploads"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert folder.stat().st_uid == os.geteuid()
    (staged,) = folder.iterdir()
    assert staged.name == f"{preview.context['token']}.json"
    assert stat.S_IMODE(staged.stat().st_mode) == 0o600


def test_a_staged_file_swapped_after_the_preview_is_not_imported(
    staff_client, demo, tmp_path, staging
):
    preview = upload(staff_client, edited_demo_fixture(tmp_path))
    token = preview.context["token"]
    records = json.loads(export_bytes(tmp_path / "demo.json", "japan-2024"))
    for record in records:
        if record["model"] == "diary.mission":
            record["fields"]["status"] = "draft"
    (fixture_admin.staging_dir() / f"{token}.json").write_bytes(json.dumps(records).encode())
    before = database_state()
    response = staff_client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert response.status_code == 200
    assert "is not the file you previewed" in response.content.decode()
    assert database_state() == before
    assert Mission.objects.get(slug="japan-2024").status == "published"
    # The refused file is thrown away, not offered again.
    again = staff_client.post(IMPORT_URL, {"confirm": "1", "token": token}, follow=True)
    assert "expired" in again.content.decode()


def test_a_staging_folder_open_to_others_is_not_used(staff_client, demo, tmp_path, staging):
    folder = fixture_admin.staging_dir()
    folder.chmod(0o777)
    before = database_state()
    response = upload(staff_client, edited_demo_fixture(tmp_path))
    html = response.content.decode()
    assert "cannot keep uploads privately" in html
    assert "Confirm import" not in html
    assert list(folder.iterdir()) == []
    assert database_state() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_staging_folder_owned_by_another_user_is_not_used(staff_client, demo, tmp_path, staging):
    folder = fixture_admin.staging_dir()
    os.chown(folder, 65534, 65534)
    response = upload(staff_client, edited_demo_fixture(tmp_path))
    assert "cannot keep uploads privately" in response.content.decode()
    assert list(folder.iterdir()) == []


def test_confirm_is_refused_when_a_record_changed_after_the_preview(
    staff_client, demo, tmp_path, staging
):
    preview = upload(staff_client, edited_demo_fixture(tmp_path))
    visit = Visit.objects.get(slug="ispace")
    visit.summary = "Edited by someone else while the preview was open."
    visit.save()
    response = staff_client.post(IMPORT_URL, {"confirm": "1", "token": preview.context["token"]})
    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    visit.refresh_from_db()
    assert visit.title != "ispace — title from the upload"
    assert visit.summary == "Edited by someone else while the preview was open."


# --- Errors in plain words and the result in a sentence (issue 15) -------------------------


def test_upload_errors_name_the_line_and_say_what_is_wrong_in_words(staff_client, demo, tmp_path):
    from .factories import make_day, make_mission

    other = make_mission(title="Mission to Osaka")
    day = make_day(other, date=other.start_date)
    records = json.loads(export_bytes(tmp_path / "demo.json", "japan-2024"))
    index, visit = next(
        (i, r)
        for i, r in enumerate(records)
        if r["model"] == "diary.visit" and r["fields"]["slug"] == "ispace"
    )
    visit["fields"]["day"] = [str(day.uuid)]
    content = json.dumps(records, ensure_ascii=False, indent=1)
    line = [n for n, text in enumerate(content.splitlines(), 1) if text == " {"][index]
    html = upload(staff_client, content.encode()).content.decode()
    assert "Nothing was imported" in html
    assert (
        f"line {line} (visit {visit['fields']['uuid']}): the visit&#x27;s day "
        f"{day.date.isoformat()} is not a day of this mission"
    ) in html
    assert "Confirm import" not in html


def test_the_preview_names_each_changed_record_by_its_line(staff_client, demo, tmp_path):
    content = edited_demo_fixture(tmp_path)
    starts = [n for n, text in enumerate(content.decode().splitlines(), 1) if text == " {"]
    records = json.loads(content)
    index = next(
        i
        for i, r in enumerate(records)
        if r["model"] == "diary.visit" and r["fields"]["slug"] == "ispace"
    )
    html = upload(staff_client, content).content.decode()
    assert f"(line {starts[index]})" in html


@pytest.mark.parametrize(
    ("language", "changes", "no_changes"),
    [
        ("en", "1 day updated, 2 visits created, 40 records unchanged.", "1 record unchanged."),
        (
            "fr",
            "mise à jour de 1 jour, création de 2 visites, 40 enregistrements inchangés.",
            "1 enregistrement inchangé.",
        ),
        ("ja", "日 1件を更新、訪問 2件を作成、40件は変更なし。", "1件は変更なし。"),
    ],
)
def test_the_import_result_is_one_sentence_in_the_readers_language(language, changes, no_changes):
    report = ImportReport(
        created=Counter({"diary.visit": 2}),
        updated=Counter({"diary.day": 1}),
        unchanged=Counter({"diary.organisation": 30, "diary.person": 10}),
    )
    nothing = ImportReport(unchanged=Counter({"diary.day": 1}))
    with translation.override(language):
        assert (report.sentence(), nothing.sentence()) == (changes, no_changes)
