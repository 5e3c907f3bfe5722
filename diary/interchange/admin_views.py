"""
Fixture export and import in the admin, behind their own permissions
(diary.export_mission, diary.import_mission).

An upload is checked in two steps: the preview runs the whole import in a transaction that
is rolled back and shows what it would do; the confirm step imports the same bytes for real
(validated again, since the database may have changed in between). Between the two steps the
file waits in a private temporary folder, under a random token kept in the user's session.
"""

import io
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .fixture_export import collect_mission_records, fixture_filename, write_fixture
from .fixture_import import FixtureImportError, import_fixture

EXPORT_PERMISSION = "diary.export_mission"
IMPORT_PERMISSION = "diary.import_mission"
SESSION_KEY = "diary_fixture_upload"
UPLOAD_DIR = Path(tempfile.gettempdir()) / "missiontracker-fixture-uploads"
# Previews nobody confirmed are swept away after this long.
PENDING_LIFETIME_SECONDS = 24 * 60 * 60


def fixture_download(missions):
    """A download of the missions' fixture, spooled to a temporary file, never held whole."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    write_fixture(collect_mission_records(missions), text)
    text.flush()
    spool = text.detach()
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=fixture_filename(missions),
        content_type="application/json",
    )


def require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


class FixtureUploadForm(forms.Form):
    fixture = forms.FileField(
        label=gettext_lazy("JSON fixture"),
        help_text=gettext_lazy("A file written by “Export JSON fixture” or export_mission."),
    )

    def clean_fixture(self):
        upload = self.cleaned_data["fixture"]
        limit = settings.FIXTURE_UPLOAD_MAX_BYTES
        # upload.size is known once Django has streamed the file to disk: check it before
        # reading a single byte into memory.
        if upload.size > limit:
            raise forms.ValidationError(
                _("This file is %(size)s; the largest fixture accepted is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


def _pending_path(token):
    return UPLOAD_DIR / f"{token}.json"


def _keep_for_confirmation(request, content: bytes) -> str:
    _discard_pending(request)
    UPLOAD_DIR.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - PENDING_LIFETIME_SECONDS
    for stale in UPLOAD_DIR.glob("*.json"):
        if stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    _pending_path(token).write_bytes(content)
    request.session[SESSION_KEY] = token
    return token


def _discard_pending(request):
    token = request.session.pop(SESSION_KEY, None)
    if token:
        _pending_path(token).unlink(missing_ok=True)


def import_view(model_admin, request):
    require(request, IMPORT_PERMISSION)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import a JSON fixture"),
        "max_bytes": settings.FIXTURE_UPLOAD_MAX_BYTES,
    }
    form = FixtureUploadForm()
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(model_admin, request, context)
    if request.method == "POST":
        form = FixtureUploadForm(request.POST, request.FILES)
        if form.is_valid():
            content = form.cleaned_data["fixture"].read()
            try:
                context["report"] = import_fixture(content, dry_run=True)
            except FixtureImportError as error:
                context["errors"] = error.messages
            else:
                context["token"] = _keep_for_confirmation(request, content)
                context["file_name"] = form.cleaned_data["fixture"].name
    context["form"] = form
    return TemplateResponse(request, "admin/diary/mission/import_fixture.html", context)


def _confirm(model_admin, request, context):
    token = request.session.get(SESSION_KEY)
    path = _pending_path(token) if token else None
    if path is None or not path.exists() or request.POST.get("token") != token:
        messages.error(request, _("That upload has expired; please upload the file again."))
        return redirect("admin:diary_mission_import")
    try:
        report = import_fixture(path.read_bytes())
    except FixtureImportError as error:
        _discard_pending(request)
        context.update(form=FixtureUploadForm(), errors=error.messages)
        return TemplateResponse(request, "admin/diary/mission/import_fixture.html", context)
    _discard_pending(request)
    messages.success(
        request, _("Fixture imported: %(summary)s.") % {"summary": "; ".join(report.lines())}
    )
    return redirect("admin:diary_mission_changelist")
