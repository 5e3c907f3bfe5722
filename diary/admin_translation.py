"""
The admin's side of translated content (diary/translation.py).

- TranslatedContentAdmin: a record's form shows every language of each translated field
  together: `title` (the English text, required), then `title [fr]` and `title [ja]`. The
  field named `title` is the English column whatever language the admin speaks: the form
  reads and writes it in English (without this, modeltranslation would make it the
  column of the admin's own language).
- MissingTranslationFilter: "missing French" / "missing Japanese", the records with English
  text in a translated field and none in that language, so staff see what is left to do.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import translator

from .translation import in_fixture_language

LANGUAGES = {"fr": _("Missing French"), "ja": _("Missing Japanese")}


def translated_fields(model):
    return tuple(translator.get_options_for_model(model).all_fields)


class EnglishContentForm:
    """A model form whose translated fields' own names are their English columns."""

    def __init__(self, *args, **kwargs):
        with in_fixture_language():
            super().__init__(*args, **kwargs)

    def _post_clean(self):
        # An empty translation is missing (NULL), as it was before the form was saved.
        for name, value in self.cleaned_data.items():
            if value == "" and name[-3:] in ("_fr", "_ja") and name[:-3] in self._translated:
                self.cleaned_data[name] = None
        with in_fixture_language():
            super()._post_clean()

    def validate_unique(self):
        super().validate_unique()
        # Django checks a constraint only when the form has all its fields, and this form
        # edits the English column under the field's own name: check the constraints on
        # the English columns (CooperationArea's unique names) for those fields.
        english = {f"{name}_en": name for name in self._translated if name in self.fields}
        if not english:
            return
        others = {field.name for field in self.instance._meta.fields} - set(english)
        try:
            self.instance.validate_constraints(exclude=others)
        except ValidationError as error:
            for column, messages in error.error_dict.items():
                self.add_error(english.get(column), messages)


class TranslatedContentAdmin:
    """Put before the model's admin class: `class MissionAdmin(TranslatedContentAdmin, …)`."""

    def get_fieldsets(self, request, obj=None):
        translated = set(translated_fields(self.model))
        # A model admin without fieldsets lists every column, title_en, title_fr and
        # title_ja too: each would be on the form twice, and title_en beside title.
        columns = {f"{field}_{code}" for field in translated for code in ("en", *LANGUAGES)}
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = []
            for field in options["fields"]:
                if field in columns:
                    continue
                fields.append(field)
                if field in translated:
                    fields.extend(f"{field}_{language}" for language in LANGUAGES)
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        translated = set(translated_fields(self.model))
        return type(form.__name__, (EnglishContentForm, form), {"_translated": translated})


class MissingTranslationFilter(admin.SimpleListFilter):
    title = _("translation")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return list(LANGUAGES.items())

    def queryset(self, request, queryset):
        language = self.value()
        if language not in LANGUAGES:
            return queryset
        missing = Q()
        for field in translated_fields(queryset.model):
            has_english = ~Q(**{f"{field}_en": ""}) & Q(**{f"{field}_en__isnull": False})
            lacks = Q(**{f"{field}_{language}__isnull": True}) | Q(**{f"{field}_{language}": ""})
            missing |= has_english & lacks
        return queryset.filter(missing)
