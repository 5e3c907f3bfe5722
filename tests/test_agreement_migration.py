"""Migration 0010 carries today's agreement `kind` choices over to AgreementKind, nothing lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("diary", "0009_search_vectors")]
AFTER = [("diary", "0010_agreement_lifecycle")]


@pytest.mark.django_db(transaction=True)
def test_every_old_kind_becomes_the_kind_record_of_its_code():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Mission = old.get_model("diary", "Mission")
    Agreement = old.get_model("diary", "Agreement")
    mission = Mission.objects.create(
        title="M", slug="m", host_country="Japan", start_date="2024-06-10", end_date="2024-06-14"
    )
    for n, code in enumerate(["moc", "mou", "loi", "agreement", "other"]):
        Agreement.objects.create(
            mission=mission, kind=code, level="agency", title=f"A{n}", slug=f"a{n}"
        )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        migrated = new.get_model("diary", "Agreement").objects.order_by("slug")
        assert [(a.slug, a.kind.slug) for a in migrated] == [
            ("a0", "moc"),
            ("a1", "mou"),
            ("a2", "loi"),
            ("a3", "agreement"),
            ("a4", "other"),
        ]
        kinds = new.get_model("diary", "AgreementKind").objects.values_list("slug", flat=True)
        assert {
            "framework-agreement",
            "implementing-arrangement",
            "joint-statement",
        } <= set(kinds)
        moc = new.get_model("diary", "AgreementKind").objects.get(slug="moc")
        assert (moc.name, moc.abbreviation) == ("Memorandum of Cooperation", "MoC")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


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
