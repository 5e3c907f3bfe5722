"""
Migration 0010 carries today's agreement `kind` choices over to AgreementKind, nothing lost;
migration 0011 gives the staff roles the new models. 0010 is tested in a database of its own,
migrated forward to just before it and through it, so the test database stays at the latest
migration instead of going back through every later one and forward again.
"""

import pytest

from .support import database_of_its_own, migrate, old_mission

BEFORE = [("diary", "0009_search_vectors")]
AFTER = [("diary", "0010_agreement_lifecycle")]
CODES = ["moc", "mou", "loi", "agreement", "other"]


@pytest.mark.django_db(transaction=True)
def test_every_old_kind_becomes_the_kind_record_of_its_code():
    with database_of_its_own():
        old = migrate(BEFORE)
        mission = old_mission(old)
        Agreement = old.get_model("diary", "Agreement")
        for n, code in enumerate(CODES):
            Agreement.objects.create(
                mission=mission, kind=code, level="agency", title=f"A{n}", slug=f"a{n}"
            )

        new = migrate(AFTER)
        migrated = new.get_model("diary", "Agreement").objects.order_by("slug")
        assert [(a.slug, a.kind.slug) for a in migrated] == [
            (f"a{n}", code) for n, code in enumerate(CODES)
        ], "each agreement's kind is the AgreementKind whose slug is its old code"
        AgreementKind = new.get_model("diary", "AgreementKind")
        kinds = set(AgreementKind.objects.values_list("slug", flat=True))
        assert {"framework-agreement", "implementing-arrangement", "joint-statement"} <= kinds, (
            "the kinds new in 0010 are seeded"
        )
        moc = AgreementKind.objects.get(slug="moc")
        assert (moc.name, moc.abbreviation) == ("Memorandum of Cooperation", "MoC"), (
            "an old code's kind has its full name and abbreviation"
        )


@pytest.mark.django_db
def test_staff_roles_cover_kinds_signatories_and_texts():
    from django.contrib.auth.models import Group

    def codenames(role):
        return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))

    models = ["agreementkind", "signatory", "agreementtext"]
    editor = {f"{action}_{m}" for m in models for action in ("add", "change", "delete", "view")}
    assert editor <= codenames("Editor")
    viewer = codenames("Viewer")
    assert {f"view_{m}" for m in models} <= viewer
    assert not any(code.startswith(("add_", "change_", "delete_")) for code in viewer)
