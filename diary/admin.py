"""Staff editing of the diary, the Django way: lists, search, filters, inlines."""

import hashlib
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count, F
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model

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
    Signatory,
    Source,
    Visit,
)

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
    columns = model._meta.concrete_fields
    row = queryset.values(*(field.attname for field in columns)).first()
    if row is None:
        return None
    values = {field.name: row[field.attname] for field in columns}
    instance = model(pk=pk)
    for field in model._meta.many_to_many:
        values[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return digest_values(values)


def shown_state(instance, initial):
    """The same, of the values a change form was built from: the instance it was given and
    the links it read (its initial data). Not read again: between the admin's read of the
    record and a second read, another save could land, and the form would show one version
    while vouching for the next."""
    values = {
        field.name: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }
    for field in instance._meta.many_to_many:
        if field.name in initial:
            related = initial[field.name]
            pks = [item.pk if isinstance(item, models.Model) else item for item in related]
        else:
            pks = getattr(instance, field.name).values_list("pk", flat=True)
        values[field.name] = sorted(pks)
    return digest_values(values)


def digest_values(values):
    state = {}
    for name, value in values.items():
        encoded = json.dumps(value, cls=DjangoJSONEncoder)
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


def valid_pk_or_404(model, value):
    """The primary key in an address, or 404 when it cannot be one (``…/abc/history/``)."""
    try:
        return model._meta.pk.to_python(unquote(value))
    except ValidationError:
        raise Http404(f"“{value}” is not a valid id.") from None


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


class DayInline(admin.TabularInline):
    model = Day
    form = RecordStateForm  # a day edited on its own page meanwhile is not written back
    extra = 0
    show_change_link = True

    def get_fields(self, request, obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            return ["date", "title", RECORD_STATE]
        return ["date", "title"]


def visit_links(visits, add_url, add_label):
    """
    An ordered list of visits, each linking to its own change form, and a link to add one.

    Visits are edited on their own page, not inline: a mission's day can hold hundreds of
    visits, and a form with one inline per visit outgrows any sensible limit on posted fields
    (DATA_UPLOAD_MAX_NUMBER_FIELDS) long before that.
    """
    items = format_html_join(
        "",
        '<li><a href="{}">{}</a>{}</li>',
        (
            (
                reverse("admin:diary_visit_change", args=[visit.pk]),
                visit.title,
                f" — {visit.starts_at:%H:%M}" if visit.starts_at else "",
            )
            for visit in visits
        ),
    )
    listing = format_html("<ol>{}</ol>", items) if items else format_html("<p>{}</p>", _("None."))
    return format_html('{}<p><a class="addlink" href="{}">{}</a></p>', listing, add_url, add_label)


@admin.register(Mission)
class MissionAdmin(DiaryAdmin):
    list_display = ["title", "host_country", "start_date", "end_date", "status", "day_count"]
    list_filter = ["status", "host_country"]
    search_fields = ["title", "summary", "host_country"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["lead_organisation", "delegation", "sources"]
    date_hierarchy = "start_date"
    inlines = [DayInline]
    readonly_fields = ["undated_visits"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "summary"]}),
        (_("Where and when"), {"fields": ["host_country", "timezone", "start_date", "end_date"]}),
        (_("Who and why we know"), {"fields": ["lead_organisation", "delegation", "sources"]}),
        (_("Visits with no recorded date"), {"fields": ["undated_visits"]}),
    ]

    @admin.display(description=_("visits with no recorded date"))
    def undated_visits(self, obj):
        if obj.pk is None:
            return _("Save the mission first, then add its visits.")
        visits = obj.visits.filter(day__isnull=True).order_by("position", "title", "pk")
        add_url = reverse("admin:diary_visit_add") + "?" + urlencode({"mission": obj.pk})
        return visit_links(visits, add_url, _("Add a visit with no recorded date"))

    actions = ["export_fixture"]
    # Explicit, with the id last: the day count's GROUP BY drops Meta.ordering, and lists and
    # the autocomplete page through the missions.
    ordering = ["-start_date", "title", "pk"]

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_export_permission": self.has_export_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

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
class DayAdmin(DiaryAdmin):
    list_display = ["date", "title", "mission"]
    list_filter = ["mission"]
    list_select_related = ["mission"]
    search_fields = ["title", "summary", "mission__title"]
    autocomplete_fields = ["mission"]
    date_hierarchy = "date"
    readonly_fields = ["visit_list"]
    fields = ["mission", "date", "title", "summary", "visit_list"]

    @admin.display(description=_("visits"))
    def visit_list(self, obj):
        if obj.pk is None:
            return _("Save the day first, then add its visits.")
        visits = obj.visits.order_by(
            F("starts_at").asc(nulls_last=True), "position", "title", "pk"
        ).only("pk", "title", "starts_at")
        add_url = (
            reverse("admin:diary_visit_add")
            + "?"
            + urlencode({"mission": obj.mission_id, "day": obj.pk})
        )
        return visit_links(visits, add_url, _("Add a visit to this day"))


@admin.register(Visit)
class VisitAdmin(DiaryAdmin):
    list_display = ["title", "mission", "day", "starts_at", "site_name", "city"]
    list_filter = ["mission", ("day", admin.EmptyFieldListFilter), "city"]
    list_select_related = ["mission", "day__mission"]
    # Counting every visit again for "N total" costs more than the page itself at scale.
    show_full_result_count = False
    search_fields = ["title", "summary", "body", "site_name", "city"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["mission", "day", "organisations", "people", "sources"]
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
        (_("Where"), {"fields": [("site_name", "city")]}),
        (_("Who"), {"fields": ["organisations", "people"]}),
        (_("Sources"), {"fields": ["sources"]}),
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
    autocomplete_fields = ["parent"]


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
class AgreementAdmin(DiaryAdmin):
    list_display = ["title", "kind", "level", "signed_on", "mission"]
    list_filter = ["kind", "level", "stated_status", "mission"]
    list_select_related = ["mission", "kind"]
    inlines = [SignatoryInline, AgreementTextInline]
    search_fields = ["title", "summary", "parties__name", "parties__short_name"]
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
        (_("Parties and scope"), {"fields": ["parties", "areas", "implements"]}),
        (
            _("Signature"),
            {
                "fields": ["signed_on", "signed_day", "signed_at_visit"],
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
        (_("Sources"), {"fields": ["sources"]}),
    ]


@admin.register(CooperationArea)
class CooperationAreaAdmin(DiaryAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(DiaryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "publisher", "published_on", "url"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"
