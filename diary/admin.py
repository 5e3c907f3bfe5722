"""Staff editing of the diary, the Django way: lists, search, filters, inlines."""

import calendar
import datetime
import hashlib
import json
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model

from . import publishing_admin
from .admin_translation import MissingTranslationFilter, TranslatedContentAdmin
from .interchange import admin_views as fixture_admin
from .models import (
    Agreement,
    AgreementKind,
    AgreementText,
    CooperationArea,
    Day,
    Mission,
    Organisation,
    Person,
    Place,
    Signatory,
    Source,
    Visit,
)
from .models.search_vector import translated
from .translated import fallback_language
from .translation import is_language_copy

RECORD_STATE = "record_state"
RECORD_STATE_SALT = "diary.admin.record_state"
PREVIEW_CHARACTERS = 80


def stored_state(model, pk, *, lock=False):
    """
    {field name: [digest, preview]} of the record as stored now (None if it is gone): every
    column and every many-to-many link. The digest tells whether a field changed; the
    preview (the start of a text, or the ids of related records) lets a refusal say how.
    lock: hold the row until the transaction ends (PostgreSQL; SQLite's writes queue anyway),
    so no other save slips in between the check and this save.
    """
    # No ordering: a Meta.ordering across a nullable relation (a visit's day) is an outer
    # join, which PostgreSQL will not lock.
    queryset = model._base_manager.filter(pk=pk).order_by()
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    columns = state_columns(model)
    row = queryset.values(*dict.fromkeys(columns.values())).first()
    if row is None:
        return None
    values = {name: row[column] for name, column in columns.items()}
    instance = model(pk=pk)
    for field in model._meta.many_to_many:
        values[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return digest_values(values)


def state_columns(model):
    """
    {field name: the column its state is read from}: every column, but a translated
    field's own name is its English column, as on the change form (admin_translation.py).
    modeltranslation would read the name in the active language, which the page and the
    save need not share (diary/translation.py).
    """
    return {
        field.name: f"{field.name}_{fallback_language()}"
        if is_language_copy(field)
        else field.attname
        for field in model._meta.concrete_fields
    }


def shown_state(instance, initial):
    """The same, of the values a change form was built from: the instance it was given and
    the links it read (its initial data). Not read again: between the admin's read of the
    record and a second read, another save could land, and the form would show one version
    while vouching for the next."""
    values = {name: getattr(instance, column) for name, column in state_columns(instance).items()}
    for field in instance._meta.many_to_many:
        if field.name in initial:
            related = initial[field.name]
            pks = [item.pk if isinstance(item, models.Model) else item for item in related]
        else:
            pks = getattr(instance, field.name).values_list("pk", flat=True)
        values[field.name] = sorted(pks)
    return digest_values(values)


class StateEncoder(DjangoJSONEncoder):
    """Values of any field type, as text where JSON has no form for them: a country field
    reads as a Country object from the instance and as its code from the database, and both
    must digest alike."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def digest_values(values):
    state = {}
    for name, value in values.items():
        encoded = json.dumps(value, cls=StateEncoder)
        preview = value if isinstance(value, int | list) or value is None else str(value)
        if isinstance(preview, str) and len(preview) > PREVIEW_CHARACTERS:
            preview = preview[: PREVIEW_CHARACTERS - 1] + "…"
        state[name] = [hashlib.sha256(encoded.encode()).hexdigest()[:16], preview]
    return state


def describe(model, name, preview):
    """A stored value's preview as staff read it: related records by name, texts quoted."""
    field = model._meta.get_field(name)
    if preview in (None, "", []):
        return str(_("(empty)"))
    if field.is_relation:
        pks = preview if isinstance(preview, list) else [preview]
        names = [str(obj) for obj in field.related_model._base_manager.filter(pk__in=pks)]
        return ", ".join(sorted(names)) or str(_("(deleted)"))
    return f"“{preview}”"


class RecordStateField(forms.CharField):
    """Carries the record's state from the page to the save; never a change of its own."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


class RecordStateForm(forms.ModelForm):
    """
    Optimistic concurrency for every diary change form: the form carries the state of the
    record as it was when the page was rendered (`record_state`, signed), and a save is
    refused, naming each field changed meanwhile (old → new), when the record no longer is
    in that state. Without it, the second of two editors on the same record silently writes
    back the first one's fields as they were when the page was opened.
    """

    record_state = RecordStateField(required=False)
    # A history page's form shows an old version of the record, but what reverting to it
    # overwrites is the record as stored now: its state is read from the database.
    state_from_database = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            if self.state_from_database:
                state = stored_state(type(self.instance), self.instance.pk)
            else:
                state = shown_state(self.instance, self.initial)
            if state is not None:
                self.initial[RECORD_STATE] = signing.dumps(
                    state, salt=RECORD_STATE_SALT, compress=True
                )

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            self.check_record_state(cleaned_data.get(RECORD_STATE))
        return cleaned_data

    def check_record_state(self, token):
        model = type(self.instance)
        current = stored_state(model, self.instance.pk, lock=True)
        if current is None:
            return  # a deleted record, brought back from its history
        try:
            opened = signing.loads(token or "", salt=RECORD_STATE_SALT)
        except signing.BadSignature:
            raise forms.ValidationError(
                _(
                    "This form does not say which version of the %(name)s it was opened on, "
                    "so saving it could overwrite someone else's changes. Nothing was saved: "
                    "open the %(name)s again and make your change there."
                ),
                code="record_state_missing",
                params={"name": model._meta.verbose_name},
            ) from None
        changes = [
            (name, opened.get(name, [None, None])[1], preview)
            for name, (digest, preview) in current.items()
            if opened.get(name, [None])[0] != digest
        ]
        if changes:
            raise forms.ValidationError(
                _(
                    "Someone else saved this %(name)s after you opened it. Nothing was saved; "
                    "open the %(name)s again to see the current version and make your change "
                    "there. Changed meanwhile: %(changes)s."
                ),
                code="record_state_changed",
                params={
                    "name": model._meta.verbose_name,
                    "changes": "; ".join(
                        f"{model._meta.get_field(name).verbose_name}: "
                        f"{describe(model, name, old)} → {describe(model, name, new)}"
                        for name, old, new in changes
                    ),
                },
            )


MONTH_NUMBERS = {}


def month_number(word):
    """1–12 for a month's name or its first three letters, in English or the active
    language; None otherwise."""
    word = word.lower().rstrip(".")
    names = {}
    for number, name in MONTHS.items():
        for spelling in {str(name).lower(), calendar.month_name[number].lower()}:
            names[spelling] = number
            names[spelling[:3]] = number
    return names.get(word)


DAY_NUMBER = re.compile(r"^(?:day|jour)\s*(\d{1,3})$", re.IGNORECASE)
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DAY_MONTH = re.compile(r"^(\d{1,2})\s+([^\W\d]+)\.?(?:\s+(\d{4}))?$")
MONTH_DAY = re.compile(r"^([^\W\d]+)\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?$")


def date_query(term):
    """A filter on Day for a date typed as staff type them, or None if the term is not one."""
    if match := DAY_NUMBER.match(term):
        offset = int(match[1]) - 1
        if offset < 0:
            return None
        return Q(date=F("mission__start_date") + datetime.timedelta(days=offset))
    if match := ISO_DATE.match(term):
        try:
            return Q(date=datetime.date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return None
    if term.isdigit() and 1 <= int(term) <= 31:
        return Q(date__day=int(term))
    for pattern, day_group, month_group in ((DAY_MONTH, 1, 2), (MONTH_DAY, 2, 1)):
        if match := pattern.match(term):
            month = month_number(match[month_group])
            day = int(match[day_group])
            if month is None or not 1 <= day <= 31:
                return None
            query = Q(date__month=month, date__day=day)
            if match[3]:
                query &= Q(date__year=int(match[3]))
            return query
    return None


def valid_pk_or_404(model, value):
    """The primary key in an address, or 404 when it cannot be one (``…/abc/history/``)."""
    try:
        return model._meta.pk.to_python(unquote(value))
    except ValidationError:
        raise Http404(f"“{value}” is not a valid id.") from None


def collapse_history(instance, mark):
    """
    Fold the versions written since `mark` (the newest version id before the save, or None)
    into the last of them: one entry per save. The last one holds the final fields and links;
    it takes the first one's type, so an addition reads "Created".
    """
    history = getattr(instance, "history", None)
    if history is None or instance.pk is None:
        return
    written = history.order_by("history_id")
    if mark is not None:
        written = written.filter(history_id__gt=mark)
    written = list(written.only("history_id", "history_type"))
    if len(written) < 2:
        return
    *folded, last = written
    history_model = type(last)
    if last.history_type != folded[0].history_type:
        history_model.objects.filter(history_id=last.history_id).update(
            history_type=folded[0].history_type
        )
    ids = [version.history_id for version in folded]
    # The folded versions' link rows (simple-history's m2m history tables point at their
    # version without a database constraint, so they are removed here).
    for relation in history_model._meta.related_objects:
        relation.related_model._default_manager.filter(
            **{f"{relation.field.name}__in": ids}
        ).delete()
    history_model.objects.filter(history_id__in=ids).delete()


class DiaryAdmin(SimpleHistoryAdmin):
    """
    Every diary admin keeps an audit trail: its History page lists who changed the record,
    when, and each changed field's old and new value (simple-history's "Changes" column).

    A version in that history can be reverted to, which is a change: only staff who may
    change the record (or, for a deleted one, add it) may post the version's form. Others
    see it read-only. (simple-history 3.13 shows the form to anyone who may view and then
    saves whatever is posted to it.)
    """

    form = RecordStateForm

    def get_fields(self, request, obj=None):
        # record_state is placed by get_fieldsets, and only where a save can happen: for a
        # read-only viewer it would be a read-only field with nothing to show.
        return [name for name in super().get_fields(request, obj) if name != RECORD_STATE]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], RECORD_STATE]}), *rest]

    # --- Malformed input from the address or a form: an answer, never a 500 ---------------

    def get_changelist_instance(self, request):
        # A NUL character reaches PostgreSQL as a filter value and is refused there
        # (DataError); an absurd year in the date drill-down overflows datetime, which
        # Django's date hierarchy does not catch (it catches ValueError only).
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            raise IncorrectLookupParameters("NUL character in the address")
        try:
            return super().get_changelist_instance(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(str(error)) from error

    def get_search_results(self, request, queryset, search_term):
        # Lists and the autocomplete both search here; PostgreSQL refuses NUL in a query.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    def get_changeform_initial_data(self, request):
        """Initial values from the address (?mission=…), minus ids that cannot be ids: the
        autocomplete widgets would look them up as they are."""
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation:
                continue
            values = value if isinstance(value, list) else [value]
            try:
                for item in values:
                    field.related_model._meta.pk.to_python(item)
            except ValidationError:
                del initial[name]
        return initial

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        try:
            for value in selected:
                self.model._meta.pk.to_python(value)
        except ValidationError:
            self.message_user(
                request,
                _("The selection holds something that is not an id; nothing was done."),
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)

    # --- One history entry per save -------------------------------------------------------
    # simple-history writes a version when the record is saved, then one more for every
    # many-to-many field the form sets (its m2m_changed handler): an "add visit" with
    # organisations and people left three versions. After the form's links are saved, the
    # versions this save wrote are folded into its last one (which holds the final links)
    # carrying the first one's type ("Created" for an addition).

    def save_model(self, request, obj, form, change):
        newest = obj.history.order_by("-history_id").first() if obj.pk is not None else None
        form.diary_history_mark = newest.history_id if newest is not None else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        collapse_history(form.instance, getattr(form, "diary_history_mark", None))

    # --- Preview: a draft's public page, as the public will see it once published ---------

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        obj = self.get_object(request, str(valid_pk_or_404(self.model, object_id)))
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with id “{object_id}”.")
        if not self.has_view_permission(request, obj) or not hasattr(obj, "get_absolute_url"):
            raise PermissionDenied
        # Never cached: the public page of a draft is shown to staff only, with its banner.
        response = HttpResponseRedirect(obj.get_absolute_url())
        add_never_cache_headers(response)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and self.has_view_permission(request, obj):
            context.setdefault("draft_preview_url", self.draft_preview_url(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def draft_preview_url(self, obj):
        """The preview address of a record whose mission is a draft, else None."""
        mission = obj if isinstance(obj, Mission) else getattr(obj, "mission", None)
        if mission is None or mission.is_published or not hasattr(obj, "get_absolute_url"):
            return None
        info = self.model._meta.app_label, self.model._meta.model_name
        return reverse("admin:{}_{}_preview".format(*info), args=[obj.pk])

    def history_view(self, request, object_id, extra_context=None):
        valid_pk_or_404(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def may_revert(self, request, current):
        if current is None:  # reverting a deleted record recreates it
            return self.has_add_permission(request)
        return self.has_change_permission(request, current) and self.has_change_history_permission(
            request, current
        )

    def revert_disabled(self, request, obj=None):
        if super().revert_disabled(request, obj):
            return True
        current = self.get_object(request, str(obj.pk)) if obj is not None else None
        return not self.may_revert(request, current)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "diary_history_form", False):
            form = type(form.__name__, (form,), {"state_from_database": True})
        return form

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        pk = valid_pk_or_404(self.model, object_id)
        valid_pk_or_404(get_history_model_for_model(self.model), version_id)
        request.diary_history_form = True  # read by get_form
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        current = self.get_object(request, str(pk))
        if not self.may_revert(request, current):
            raise PermissionDenied
        # Like the change form: the checks and the save commit together or not at all.
        with transaction.atomic(using=self.model._default_manager.db):
            return super().history_form_view(request, object_id, version_id, extra_context)


VISIT_ORDER = (F("starts_at").asc(nulls_last=True), "position", "title_en", "pk")


def visit_rows(visits):
    return (
        visits.order_by(*VISIT_ORDER)
        .select_related("place")
        .only("pk", "title", "starts_at", "day_id", "mission_id", "place__name", "place__city")
    )


def add_visit_url(mission_id, day_id=None):
    query = {"mission": mission_id}
    if day_id is not None:
        query["day"] = day_id
    return reverse("admin:diary_visit_add") + "?" + urlencode(query)


def day_label(day, mission):
    """ "Day 3 — Wed 12 June 2024 — title": how staff find and read a day."""
    number = (day.date - mission.start_date).days + 1
    label = gettext("Day %(number)s — %(date)s") % {
        "number": number,
        "date": date_format(day.date, "D j F Y"),
    }
    return f"{label} — {day.title}" if day.title else label


def itinerary_context(request, mission):
    """
    The mission's days in order, each with its visits (title, time, place) and a link to add
    a visit to that day, then its undated visits: three queries however long the mission.

    Lists of links, not inlines: a mission's day can hold hundreds of visits, and a form
    with one inline per visit outgrows any sensible limit on posted fields
    (DATA_UPLOAD_MAX_NUMBER_FIELDS) long before that.
    """
    days = list(
        mission.days.order_by("date").prefetch_related(
            Prefetch("visits", queryset=visit_rows(Visit.objects.all()))
        )
    )
    for day in days:
        day.staff_label = day_label(day, mission)
        day.add_visit_url = add_visit_url(mission.pk, day.pk)
    return {
        "itinerary_days": days,
        "itinerary_undated": list(visit_rows(mission.visits.filter(day__isnull=True))),
        "add_undated_visit_url": add_visit_url(mission.pk),
        "add_day_url": reverse("admin:diary_day_add") + "?" + urlencode({"mission": mission.pk}),
        "can_add_visit": request.user.has_perm("diary.add_visit"),
        "can_add_day": request.user.has_perm("diary.add_day"),
    }


INFERRED_DESCRIPTION = _(
    "Every fact shown is stated by a source cited here, or inferred by the editors: then "
    "say in the note what was inferred and from what. Pages show the note beside the facts."
)


@admin.register(Mission)
class MissionAdmin(TranslatedContentAdmin, DiaryAdmin):
    list_display = ["title", "host_country", "start_date", "end_date", "status", "day_count"]
    # The countries of the missions there are, not all 250 of the field's choices.
    list_filter = ["status", ("host_country", CountryFilter), MissingTranslationFilter]
    # Translated text in every language: modeltranslation reads "title" as the admin's own
    # language's column alone (diary/translation.py).
    search_fields = [*translated("title"), *translated("summary"), "host_country"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["lead_organisation", "delegation", "sources"]
    date_hierarchy = "start_date"
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "summary"]}),
        (_("Where and when"), {"fields": ["host_country", "timezone", "start_date", "end_date"]}),
        (
            _("Who and why we know"),
            {
                "fields": ["lead_organisation", "delegation", "sources", "inferred_note"],
                "description": INFERRED_DESCRIPTION,
            },
        ),
    ]

    actions = ["export_fixture"]
    # Explicit, with the id last: the day count's GROUP BY drops Meta.ordering, and lists and
    # the autocomplete page through the missions.
    ordering = ["-start_date", "title_en", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(day_total=Count("days"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_fixture_view), name="diary_mission_import"),
            path(
                "<path:object_id>/export/",
                view(self.export_fixture_view),
                name="diary_mission_export",
            ),
            path(
                "<path:object_id>/publish/",
                view(self.publish_view),
                name="diary_mission_publish",
            ),
            *super().get_urls(),
        ]

    def has_export_permission(self, request):
        return request.user.has_perm(fixture_admin.EXPORT_PERMISSION)

    def has_import_permission(self, request):
        return request.user.has_perm(fixture_admin.IMPORT_PERMISSION)

    @admin.action(description=_("Export selected missions as JSON fixture"), permissions=["export"])
    def export_fixture(self, request, queryset):
        return fixture_admin.fixture_download(queryset)

    def export_fixture_view(self, request, object_id):
        fixture_admin.require(request, fixture_admin.EXPORT_PERMISSION)
        missions = Mission.objects.filter(pk=valid_pk_or_404(Mission, object_id))
        if not missions.exists():
            raise Http404(f"No mission with id “{object_id}”.")
        return fixture_admin.fixture_download(missions)

    def import_fixture_view(self, request):
        return fixture_admin.import_view(self, request)

    def publish_view(self, request, object_id):
        """Publish, or publish an update: a numbered revision with its change note."""
        pk = valid_pk_or_404(Mission, object_id)
        return publishing_admin.publish_view(self, request, object_id, pk)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Published through the status field, with its links now saved: that first
        # publication is revision 1 too (later updates go through "Publish an update").
        mission = form.instance
        if mission.is_published and not mission.revisions.exists():
            publishing_admin.publish(mission, user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_export_permission": self.has_export_permission(request),
            "may_publish": publishing_admin.may_publish(request.user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context.update(itinerary_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("days"), ordering="day_total")
    def day_count(self, obj):
        return obj.day_total


@admin.register(Day)
class DayAdmin(TranslatedContentAdmin, DiaryAdmin):
    list_display = ["date", "title", "mission"]
    list_filter = ["mission", MissingTranslationFilter]
    list_select_related = ["mission"]
    search_fields = [*translated("title"), *translated("summary"), *translated("mission__title")]
    autocomplete_fields = ["mission", "sources"]
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": ["mission", "date", "title", "summary"]}),
        (
            _("How we know"),
            {"fields": ["sources", "inferred_note"], "description": INFERRED_DESCRIPTION},
        ),
    ]

    def get_queryset(self, request):
        # The autocomplete's label counts the day from its mission's start.
        return super().get_queryset(request).select_related("mission")

    def autocomplete_label(self, obj):
        return day_label(obj, obj.mission)

    def get_search_results(self, request, queryset, search_term):
        """
        Days are found by their date as staff type it, as well as by words of their title:
        `12`, `12 June`, `June 12`, `12 June 2024`, `2024-06-12` or `Day 3`.
        """
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        dated = date_query(search_term.replace("\x00", "").strip())
        if dated is not None:
            found = found | queryset.filter(dated)
        return found, may_have_duplicates

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context.update(
                day_visits=list(visit_rows(obj.visits.all())),
                add_day_visit_url=add_visit_url(obj.mission_id, obj.pk),
                can_add_visit=request.user.has_perm("diary.add_visit"),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(Visit)
class VisitAdmin(TranslatedContentAdmin, DiaryAdmin):
    list_display = ["title", "mission", "day", "starts_at", "place"]
    list_filter = [
        "mission",
        ("day", admin.EmptyFieldListFilter),
        "place__city",
        MissingTranslationFilter,
    ]
    list_select_related = ["mission", "day__mission", "place"]
    # Counting every visit again for "N total" costs more than the page itself at scale.
    show_full_result_count = False
    # On a phone the save button is on the first screen, beside what is typed first.
    save_on_top = True

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None or not request.GET.get("day"):
            return fieldsets
        # "Add a visit to this day": the day and mission are set by the link, so what is
        # left to type (title, time, place) comes first, one screen on a phone; the rest
        # follows.
        first = ["title", ("starts_at", "ends_at"), "place"]
        placed = {"title", "starts_at", "ends_at", "place"}
        rest = []
        for _name, options in fieldsets:
            for entry in options["fields"]:
                names = entry if isinstance(entry, tuple | list) else (entry,)
                if not placed.intersection(names):
                    rest.append(entry)
        return [(None, {"fields": first}), (_("Day, mission and details"), {"fields": rest})]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "day" and field is not None:
            # The chosen day reads as the autocomplete lists it.
            field.queryset = field.queryset.select_related("mission")
            field.label_from_instance = lambda day: day_label(day, day.mission)
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        mission = obj.mission if obj is not None else None
        if mission is None:
            mission_id = request.GET.get("mission", "")
            if mission_id.isdigit():
                mission = Mission.objects.filter(pk=mission_id).first()
        if mission is not None:
            # Mission-local times: the label says in which zone.
            for name in ("starts_at", "ends_at"):
                if name in form.base_fields:
                    field = form.base_fields[name]
                    field.label = gettext("%(label)s (%(zone)s time)") % {
                        "label": field.label,
                        "zone": mission.timezone,
                    }
        return form

    search_fields = [
        *translated("title"),
        *translated("summary"),
        *translated("body"),
        "place__name",
        "place__city",
    ]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["mission", "day", "place", "organisations", "people", "sources"]
    fieldsets = [
        (None, {"fields": ["mission", "title", "slug", "summary", "body"]}),
        (
            _("When"),
            {
                "fields": ["day", ("starts_at", "ends_at"), "position"],
                "description": _(
                    "Leave the day empty when the source does not say it. Times are local "
                    "to the mission's timezone."
                ),
            },
        ),
        (_("Where"), {"fields": ["place"]}),
        (_("Who"), {"fields": ["organisations", "people"]}),
        (
            _("How we know"),
            {"fields": ["sources", "inferred_note"], "description": INFERRED_DESCRIPTION},
        ),
    ]


# Addresses typed without a scheme are taken as https, the Django 6 default.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Organisation)
class OrganisationAdmin(DiaryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "short_name", "native_name", "kind", "country", "parent"]
    list_filter = ["kind", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name", "native_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "headquarters"]


@admin.register(Place)
class PlaceAdmin(DiaryAdmin):
    list_display = ["name", "city", "country", "latitude", "longitude", "coordinates_source"]
    list_filter = ["country"]
    search_fields = ["name", "native_name", "address", "city", "wikidata_id", "osm_id"]
    fieldsets = [
        (
            None,
            {"fields": ["name", ("native_name", "native_language"), "address", "city", "country"]},
        ),
        (
            _("Coordinates"),
            {
                "fields": [("latitude", "longitude"), "coordinates_source"],
                "description": _(
                    "Public reference data about the place (OpenStreetMap, Wikidata), not a "
                    "fact of any mission: say where they come from and how precise they are."
                ),
            },
        ),
        (_("Identifiers"), {"fields": [("wikidata_id", "osm_id")]}),
        (_("Reference data"), {"fields": ["reference_note"]}),
    ]


@admin.register(Person)
class PersonAdmin(DiaryAdmin):
    list_display = ["name", "honorific", "role", "organisation"]
    # No filter by organisation: with thousands of them the sidebar outweighs the list.
    # Search finds people by their organisation's name instead.
    list_select_related = ["organisation"]
    search_fields = ["name", "role", "organisation__name", "organisation__short_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["organisation"]


class AgreementPartInline(admin.TabularInline):
    form = RecordStateForm  # a row edited meanwhile elsewhere is not written back
    extra = 0

    def get_fields(self, request, obj=None):
        fields = list(self.part_fields)
        if obj is not None and self.has_change_permission(request, obj):
            fields.append(RECORD_STATE)
        return fields


class SignatoryInline(AgreementPartInline):
    model = Signatory
    part_fields = ["person", "capacity", "on_behalf_of"]
    autocomplete_fields = ["person", "on_behalf_of"]


class AgreementTextInline(AgreementPartInline):
    model = AgreementText
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    part_fields = ["language", "title", "url"]


@admin.register(AgreementKind)
class AgreementKindAdmin(DiaryAdmin):
    list_display = ["name", "abbreviation", "slug"]
    search_fields = ["name", "abbreviation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Agreement)
class AgreementAdmin(TranslatedContentAdmin, DiaryAdmin):
    list_display = ["title", "kind", "level", "signed_on", "mission"]
    list_filter = ["kind", "level", "stated_status", "mission", MissingTranslationFilter]
    list_select_related = ["mission", "kind"]
    inlines = [SignatoryInline, AgreementTextInline]
    search_fields = [
        *translated("title"),
        *translated("summary"),
        "parties__name",
        "parties__short_name",
    ]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = [
        "mission",
        "parties",
        "signed_day",
        "signed_at_visit",
        "areas",
        "implements",
        "renews",
        "supersedes",
        "amends",
        "sources",
    ]
    date_hierarchy = "signed_on"
    fieldsets = [
        (None, {"fields": ["mission", "kind", "level", "title", "slug", "summary"]}),
        (_("Parties and scope"), {"fields": ["parties", "areas"]}),
        (
            _("Signature"),
            {
                "fields": ["signed_on", "signed_day", "signed_at_visit", "signed_at_place"],
                "description": _("Leave empty what the source does not state."),
            },
        ),
        (
            _("Lifecycle"),
            {
                "fields": [
                    "entered_into_force_on",
                    ("expires_on", "duration_months"),
                    "stated_status",
                    "implements",
                    "renews",
                    "supersedes",
                    "amends",
                ],
                "description": _(
                    "Leave empty what the source does not state: the public page says "
                    "“not stated”, and derives the status from the dates where it can."
                ),
            },
        ),
        (
            _("How we know"),
            {"fields": ["sources", "inferred_note"], "description": INFERRED_DESCRIPTION},
        ),
    ]


@admin.register(CooperationArea)
class CooperationAreaAdmin(TranslatedContentAdmin, DiaryAdmin):
    list_display = ["name"]
    search_fields = [*translated("name")]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(TranslatedContentAdmin, DiaryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "publisher", "published_on", "url"]
    search_fields = [*translated("title"), "publisher", "url"]
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["title", "title_is_descriptive", "publisher", "language"]}),
        (
            _("Where to find it"),
            {
                "fields": ["url", "published_on", "archive_url", "consulted_on"],
                "description": _(
                    "Only what is known: an address or a date the source does not give stays "
                    "empty rather than guessed."
                ),
            },
        ),
        (None, {"fields": ["reference_note", "text"]}),
    ]
