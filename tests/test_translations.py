"""The French and Japanese catalogues: complete, and compiled from their current text."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0])
KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def read_po(path):
    """Entries of a .po file as dicts of keyword → text, with their flags; enough for our files."""
    entries, entry, key = [], {"flags": ""}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, key = {"flags": ""}, None
        elif line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        elif match := KEYWORD.match(line):
            key = match[1]
            entry[key] = ast.literal_eval(match[2])
    return [entry for entry in entries if entry["msgid"]]  # drop the header


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_every_interface_string_is_translated(language):
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    untranslated = [
        entry["msgid"]
        for entry in entries
        if "fuzzy" in entry["flags"]
        or not all(text for key, text in entry.items() if key.startswith("msgstr"))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_compiled_catalogue_matches_its_source(language):
    """Forgetting `make messages` after editing a .po would serve the old translations."""
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    for entry in read_po(folder / "django.po"):
        if "msgid_plural" in entry:
            assert (
                catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
            )
        elif "msgctxt" in entry:
            assert catalogue.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"]
        else:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]
