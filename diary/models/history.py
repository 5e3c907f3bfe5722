"""
Audit history for models whose content is translated (diary/translation.py).

simple-history builds a model's historical model when the model class is prepared, copying
the fields it has then. modeltranslation adds the per-language columns (title_en, title_fr,
title_ja, …) later, when the apps are ready, so a history built the usual way would never
record a translation. TranslatedHistoricalRecords is declared on the model like
HistoricalRecords, with the same options, but builds its historical model only when
diary/translation.py calls build_translated_histories(), right after registering the
translations.
"""

from django.utils.module_loading import import_string
from modeltranslation.fields import TranslationField
from simple_history.models import HistoricalRecords

_waiting = []


class TranslatedHistoricalRecords(HistoricalRecords):
    def finalize(self, sender, build=False, **kwargs):
        if sender is not self.cls:
            return
        if not build:
            _waiting.append(self)
            return
        super().finalize(sender, **kwargs)

    def copy_fields(self, model):
        """
        A language column is copied as the plain field it translates (a CharField for
        title_fr). simple-history makes a copied unique field non-unique, since a record's
        history repeats its values, but a language column describes itself from the field it
        translates, unique included, so it is rebuilt here. (No translated field is unique
        today: CooperationArea's names are, by constraints on their language columns.)
        """
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if isinstance(field, TranslationField):
                _name, path, args, kwargs = field.deconstruct()
                if kwargs.pop("unique", False):
                    kwargs["db_index"] = True
                plain = import_string(path)(*args, **kwargs)
                plain.name = name
                fields[name] = plain
        return fields


def build_translated_histories():
    """Build every waiting historical model; the translated columns exist by now."""
    while _waiting:
        records = _waiting.pop(0)
        records.finalize(records.cls, build=True)
