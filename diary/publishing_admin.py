"""
The admin's "Publish" / "Publish an update" step (diary/publishing.py does the publishing):
a small form with the public change note and whether the update is significant, above the
differences the update will record. Staff who may change missions publish (Editors); a Viewer
gets 403, and so does staff holding any other single permission.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Mission
from .models.revision import NOTE_MAX_LENGTH, NOTE_REQUIRED
from .publishing import NothingToPublish, pending_changes, publish

PUBLISH_PERMISSION = "diary.change_mission"


def may_publish(user):
    return user.has_perm(PUBLISH_PERMISSION)


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("Public change note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown on the mission's updates page and in its feed: what changed, in a sentence "
            "or two. Required for a significant update."
        ),
    )
    significant = forms.BooleanField(
        label=_("Significant update"),
        required=False,
        initial=True,
        help_text=_("Announced in the feeds and shown as “Last updated”. Untick for a typo fix."),
    )

    def __init__(self, *args, first, **kwargs):
        super().__init__(*args, **kwargs)
        self.first = first
        if first:
            # The first publication is always announced; its note is optional.
            del self.fields["significant"]
            self.fields["note"].help_text = _(
                "Optional for the first publication: shown on the mission's updates page."
            )

    def clean(self):
        data = super().clean()
        data["note"] = data.get("note", "").strip()
        if not self.first and data.get("significant") and not data["note"]:
            self.add_error("note", NOTE_REQUIRED)
        return data


def publish_view(model_admin, request, object_id, pk):
    if not may_publish(request.user):
        raise PermissionDenied
    mission = Mission.objects.filter(pk=pk).first()
    if mission is None:
        raise Http404(f"No mission with id “{object_id}”.")
    first = not mission.revisions.exists()
    last, changes = pending_changes(mission)
    form = PublishForm(request.POST or None, first=first)
    unchanged = mission.is_published and last is not None and not changes
    if request.method == "POST" and form.is_valid() and not unchanged:
        try:
            revision = publish(
                mission,
                note=form.cleaned_data["note"],
                significant=form.cleaned_data.get("significant", True),
                user=request.user,
            )
        except NothingToPublish:
            unchanged = True
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("Published: revision %(number)s of “%(mission)s”.")
                % {"number": revision.number, "mission": mission.title},
            )
            return HttpResponseRedirect(reverse("admin:diary_mission_change", args=[mission.pk]))
    opts = Mission._meta
    title = (
        gettext("Publish an update to “%(mission)s”")
        if mission.is_published
        else gettext("Publish “%(mission)s”")
    ) % {"mission": mission.title}
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "original": mission,
        "title": title,
        "form": form,
        "last_revision": last,
        "changes": changes,
        "unchanged": unchanged,
        "media": model_admin.media + form.media,
    }
    response = TemplateResponse(request, "admin/diary/mission/publish.html", context)
    add_never_cache_headers(response)
    return response
