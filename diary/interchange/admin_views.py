"""
Fixture export and import in the admin, behind their own permissions
(diary.export_mission, diary.import_mission).

An upload is checked in two steps: the preview runs the whole import as a dry run (as the
user, so kinds of record they may not change are refused then) and shows what it would do;
the confirm step imports the same bytes for real. Between the two steps the file waits in a
folder only the server's own user can enter, under a random name, and the session keeps its
SHA-256 and the preview's state digest: the confirmation imports exactly the previewed bytes
(a file changed on disk is refused), and only if the records it writes have not changed since
the preview (optimistic concurrency, see import_fixture's expected_state).
"""

import contextlib
import hashlib
import io
import logging
import os
import secrets
import stat
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
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .fixture_export import collect_mission_records, fixture_filename, write_fixture
from .fixture_import import FixtureImportError, import_fixture

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "diary.export_mission"
IMPORT_PERMISSION = "diary.import_mission"
SESSION_KEY = "diary_fixture_upload"
# The preview names this many created or updated records, each with its changes.
PREVIEW_RECORDS = 500
# Previews nobody confirmed are swept away after this long.
PENDING_LIFETIME_SECONDS = 24 * 60 * 60


class StagingError(Exception):
    """The staging folder is not private, so nothing may be kept in it."""


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


def staging_dir() -> Path:
    """
    The folder uploads wait in between preview and confirmation, shared by this instance's
    worker processes and private to its user.

    Its name is derived from the SECRET_KEY, so other users of the machine cannot guess it
    to plant a folder there first; and whatever is found there is used only if it is a real
    folder (not a link) owned by this process's user and closed to everyone else.
    """
    parent = Path(settings.FIXTURE_STAGING_DIR or tempfile.gettempdir())
    name = salted_hmac("diary.fixture-staging", str(os.geteuid())).hexdigest()[:32]
    folder = parent / f"missiontracker-uploads-{name}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or stat.S_IMODE(info.st_mode) & 0o077
    ):
        logger.error(
            "Fixture staging folder %s is not a private folder of uid %s; remove it.",
            folder,
            os.geteuid(),
        )
        raise StagingError(
            _(
                "The server cannot keep uploads privately: its staging folder is not a "
                "private folder of its own (another user owns it, or others may open it). "
                "Nothing was kept. Ask the administrator to remove %(folder)s."
            )
            % {"folder": folder}
        )
    return folder


def _pending_path(token):
    return staging_dir() / f"{token}.json"


def _keep_for_confirmation(request, content: bytes, state_digest: str) -> dict:
    _discard_pending(request)
    folder = staging_dir()
    cutoff = time.time() - PENDING_LIFETIME_SECONDS
    for stale in folder.glob("*.json"):
        if stale.lstat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    # O_EXCL: a new file of our own, never one found there; 0600: readable by us alone.
    descriptor = os.open(
        folder / f"{token}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
    )
    with os.fdopen(descriptor, "wb") as staged:
        staged.write(content)
    pending = {
        "token": token,
        "sha256": hashlib.sha256(content).hexdigest(),
        "state_digest": state_digest,
    }
    request.session[SESSION_KEY] = pending
    return pending


def _read_pending(path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as staged:
        return staged.read()


def _discard_pending(request):
    pending = request.session.pop(SESSION_KEY, None)
    if isinstance(pending, dict) and pending.get("token"):
        with contextlib.suppress(StagingError):
            _pending_path(pending["token"]).unlink(missing_ok=True)


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
                report = import_fixture(content, dry_run=True, user=request.user)
                pending = _keep_for_confirmation(request, content, report.state_digest)
                pending["file_name"] = form.cleaned_data["fixture"].name
                request.session[SESSION_KEY] = pending
            except FixtureImportError as error:
                context["errors"] = error.messages
            except StagingError as error:
                context["errors"] = [str(error)]
            else:
                changed = [r for r in report.records if r.outcome != "unchanged"]
                context.update(
                    report=report,
                    changed_records=changed[:PREVIEW_RECORDS],
                    more_changed=max(0, len(changed) - PREVIEW_RECORDS),
                    unchanged_total=len(report.records) - len(changed),
                    token=pending["token"],
                    sha256=pending["sha256"],
                    file_name=form.cleaned_data["fixture"].name,
                )
    context["form"] = form
    return TemplateResponse(request, "admin/diary/mission/import_fixture.html", context)


def _confirm(model_admin, request, context):
    pending = request.session.get(SESSION_KEY)
    try:
        path = _pending_path(pending["token"]) if isinstance(pending, dict) else None
    except StagingError as error:
        return _refuse(request, context, [str(error)])
    if path is None or not path.exists() or request.POST.get("token") != pending["token"]:
        messages.error(request, _("That upload has expired; please upload the file again."))
        return redirect("admin:diary_mission_import")
    content = _read_pending(path)
    if hashlib.sha256(content).hexdigest() != pending["sha256"]:
        logger.error("Staged fixture %s changed on disk between preview and confirmation.", path)
        return _refuse(
            request,
            context,
            [
                _(
                    "The staged file is not the file you previewed (its SHA-256 differs), so "
                    "it was not imported. Please upload the file again."
                )
            ],
        )
    try:
        report = import_fixture(
            content, user=request.user, expected_state=pending.get("state_digest")
        )
    except FixtureImportError as error:
        return _refuse(request, context, error.messages)
    _discard_pending(request)
    messages.success(
        request,
        _("The file %(name)s was imported: %(what)s")
        % {"name": pending.get("file_name") or _("you checked"), "what": report.sentence()},
    )
    return redirect("admin:diary_mission_changelist")


def _refuse(request, context, errors):
    _discard_pending(request)
    context.update(form=FixtureUploadForm(), errors=errors)
    return TemplateResponse(request, "admin/diary/mission/import_fixture.html", context)
