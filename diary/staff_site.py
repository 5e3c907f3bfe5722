"""
The staff side's admin site: "Mission Tracker — staff", the diary first, the technical
models (sign-in lockouts, users, groups) after it, and a start page that lists what staff
act on (missions under way or coming, drafts, the latest changes by anyone).

Installed as the default admin site (StaffAdminConfig in INSTALLED_APPS), so every
`admin.register` and `admin.site` keeps working unchanged.
"""

import heapq
import itertools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .translated import fallback_language, is_translated, other_languages, translate_field

# The diary's models in the order staff work through them; unknown ones follow by name.
DIARY_ORDER = [
    "mission",
    "day",
    "visit",
    "agreement",
    "organisation",
    "person",
    "source",
    "cooperationarea",
]
# Technical apps after the diary, in this order; any other app before them.
TECHNICAL_APPS = ["auth", "axes"]
START_PAGE_ROWS = 10
LATEST_CHANGES = 15


class StaffAutocompleteJsonView(AutocompleteJsonView):
    """The autocomplete's label comes from the model admin when it has one
    (`autocomplete_label`), e.g. a day as "Day 3 — Wed 12 June 2024 — title"."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        model_admin = self.admin_site.get_model_admin(type(obj))
        label = getattr(model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


class StaffAdminSite(admin.AdminSite):
    site_header = _("Mission Tracker — staff")
    site_title = _("Mission Tracker — staff")
    index_title = _("Start")
    index_template = "admin/staff_index.html"

    def autocomplete_view(self, request):
        return StaffAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)

        def app_key(app):
            label = app["app_label"]
            if label == "diary":
                return (0, 0, "")
            if label in TECHNICAL_APPS:
                return (2, TECHNICAL_APPS.index(label), "")
            return (1, 0, str(app["name"]))

        def model_key(model):
            name = model["object_name"].lower()
            known = name in DIARY_ORDER
            return (not known, DIARY_ORDER.index(name) if known else 0, str(model["name"]))

        apps.sort(key=app_key)
        for app in apps:
            if app["app_label"] == "diary":
                app["models"].sort(key=model_key)
        return apps

    def index(self, request, extra_context=None):
        return super().index(request, {**start_page(self, request), **(extra_context or {})})


def start_page(site, request):
    """What the start page lists, for what the user may view (nothing else is read)."""
    from .models import Mission  # models are not loaded when the site class is imported

    user = request.user
    context = {"today": timezone.localdate()}
    if user.has_perm("diary.view_mission"):
        missions = Mission.objects.order_by("start_date", "title_en", "pk")
        today = context["today"]
        context["current_missions"] = list(missions.filter(end_date__gte=today)[:START_PAGE_ROWS])
        context["draft_missions"] = list(
            missions.filter(status=Mission.Status.DRAFT)[:START_PAGE_ROWS]
        )
    context["latest_changes"] = latest_changes(site, request)
    return context


def latest_changes(site, request, limit=LATEST_CHANGES):
    """
    The latest saves by anyone, from simple-history's audit trail: one query per audited
    diary model the user may view (the newest `limit` of each), merged by date. A fixed
    number of queries however long the trail.
    """
    from django.apps import apps

    streams = []
    for model in apps.get_app_config("diary").get_models():
        history = getattr(model, "history", None)
        if history is None or not site.is_registered(model):
            continue
        if not site.get_model_admin(model).has_view_permission(request):
            continue
        rows = (
            model.history.model.objects.select_related("history_user")
            .order_by("-history_date", "-history_id")
            .only(
                "history_id",
                "history_date",
                "history_type",
                "history_user__username",
                model._meta.pk.attname,
                *label_columns(model.history.model),
            )[:limit]
        )
        streams.append([(row, model) for row in rows])
    merged = heapq.merge(*streams, key=lambda item: item[0].history_date, reverse=True)
    changes = []
    for row, model in itertools.islice(merged, limit):
        object_id = getattr(row, model._meta.pk.attname)
        info = (model._meta.app_label, model._meta.model_name)
        try:
            if row.history_type == "-":
                url = reverse("admin:{}_{}_history".format(*info), args=[object_id])
            else:
                url = reverse("admin:{}_{}_change".format(*info), args=[object_id])
        except NoReverseMatch:
            url = None
        changes.append(
            {
                "label": label_of(row),
                "kind": model._meta.verbose_name,
                "action": row.get_history_type_display(),
                "when": row.history_date,
                "user": row.history_user,
                "url": url,
            }
        )
    return changes


LABELS = ("title", "name")


def label_columns(history_model):
    """The columns label_of() reads: each language's of a translated title or name."""
    columns = {field.name: field.attname for field in history_model._meta.concrete_fields}
    names = []
    for name in (*LABELS, "date"):
        languages = [f"{name}_{code}" for code in (fallback_language(), *other_languages())]
        if all(language in columns for language in languages):
            names += [columns[language] for language in languages]
        elif name in columns:
            names.append(columns[name])
    return names


def label_of(row):
    """
    A history row's title or name as the staff member reads it, English (marked) where
    their language has none: a translated field's own column holds whichever language
    was active at the save (diary/translation.py). Else its date, else its id.
    """
    for name in LABELS:
        # A translated field's own column is not even read (label_columns).
        translated = is_translated(row, name)
        value = translate_field(row, name) if translated else getattr(row, name, None)
        if value:
            return value
    return str(getattr(row, "date", "") or row.pk)


class StaffAdminConfig(AdminConfig):
    default_site = "diary.staff_site.StaffAdminSite"
