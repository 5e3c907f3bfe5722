"""
Reading the diary's translated content fields (django-modeltranslation, diary/translation.py).

Each translated field keeps one column per language, `title_en`, `title_fr`, `title_ja`;
English is the language every record must have. `mission.title` gives the active language
or English; what it hides is which of the two a reader got. The functions here say it:

- `translate_field(record, "title")`: the text in the active language, or the English text
  with `lang="en"` where that language has none (pages mark it, calendars label it).
- `english(record, "title")` and `translations(record, fields)`: the English text and each
  other language's own text (or None), for the public formats, which carry every language
  whatever the address they are read at.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language


def fallback_language():
    """The language every record must have, and the one shown where another is missing."""
    return settings.LANGUAGE_CODE


def other_languages():
    """The languages content may be translated into: the site's, English aside."""
    return [code for code, _name in settings.LANGUAGES if code != fallback_language()]


@dataclass(frozen=True)
class Translated:
    """A content field as a reader gets it: its text, and its language where not the reader's."""

    text: str
    lang: str = ""  # "" when the text is in the reader's language

    def __bool__(self):
        return bool(self.text)

    def __str__(self):
        return self.__html__()

    def __html__(self):
        if self.lang:
            return format_html('<span lang="{}">{}</span>', self.lang, self.text)
        return conditional_escape(self.text)

    @property
    def lang_attribute(self):
        """' lang="en"' for an element holding fallback text, else nothing."""
        return format_html(' lang="{}"', self.lang) if self.lang else SafeString("")


def is_translated(record, field):
    """Whether `field` of this record has one column per language."""
    return hasattr(record, f"{field}_{fallback_language()}")


def translate_field(record, field, language=None):
    """
    `record.field` in `language` (the active one by default) as a Translated: its `lang` is
    set when the text is the English stand-in for a missing translation. A field that is not
    translated is given as stored. Only language columns are read, so a historical record
    (whose `title` is a plain copy of the field's own column) reads the same.
    """
    language = (language or get_language() or fallback_language()).split("-")[0]
    default = fallback_language()
    if record is None:
        return Translated("")
    if not is_translated(record, field):
        return Translated(getattr(record, field) or "")
    if language == default:
        return Translated(english(record, field))
    own = getattr(record, f"{field}_{language}", None)
    if own:
        return Translated(own)
    english_text = getattr(record, f"{field}_{default}")
    return Translated(english_text, default) if english_text else Translated("")


def translate_texts(texts, language=None):
    """
    The text of {"en": …, "fr": …, "ja": …} (e.g. a row of `.values("name_en", "name_fr",
    …)`) in `language`, as translate_field() gives a record's: English marked where missing.
    """
    language = (language or get_language() or fallback_language()).split("-")[0]
    default = fallback_language()
    own = texts.get(language)
    if language == default or own:
        return Translated(own or "")
    english_text = texts.get(default)
    return Translated(english_text, default) if english_text else Translated("")


def english(record, field):
    """The field's English text, whatever language is active ("" if there is none)."""
    if is_translated(record, field):
        return getattr(record, f"{field}_{fallback_language()}") or ""
    return getattr(record, field) or ""


def translations(record, fields):
    """{"fr": {"title": "…" or None}, "ja": {…}}: each other language's own text, None where missing."""
    return {
        language: {
            field: (getattr(record, f"{field}_{language}", None) or None)
            if is_translated(record, field)
            else None
            for field in fields
        }
        for language in other_languages()
    }


# What follows an item of a list of names. Japanese enumerates with the ideographic comma,
# also where English separates longer items with semicolons; French puts a narrow no-break
# space before a semicolon.
SEPARATORS = {
    ",": {"ja": "、"},
    ";": {"ja": "、", "fr": "\u202f; "},
}
DEFAULT_SEPARATORS = {",": ", ", ";": "; "}


def list_separator(kind=",", language=None):
    """ ", " (or "; " for kind ";") in the active language's typography: "、" in Japanese."""
    language = (language or get_language() or fallback_language()).split("-")[0]
    return SEPARATORS[kind].get(language, DEFAULT_SEPARATORS[kind])


def reading_order(model, field, language=None):
    """
    An expression ordering `model` rows by `field` as the reader sees it: their language's
    text, else the English standing in for it (modeltranslation's own rewrite of
    order_by("title") sorts by the reader's column alone, untranslated rows apart).
    """
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, NullIf

    language = (language or get_language() or fallback_language()).split("-")[0]
    default = fallback_language()
    if not hasattr(model, f"{field}_{default}"):
        return F(field)
    if language == default or not hasattr(model, f"{field}_{language}"):
        return F(f"{field}_{default}")
    return Coalesce(NullIf(F(f"{field}_{language}"), Value("")), F(f"{field}_{default}"))
