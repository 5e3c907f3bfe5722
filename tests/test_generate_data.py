"""generate_data: a large, realistic, reproducible diary for benchmarks."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from diary.models import Agreement, Mission, Visit

pytestmark = pytest.mark.django_db

SMALL = ["--missions=10", "--max-days=4", "--visits-per-day=10", "--organisations=30"]
SMALL += ["--people=40", "--agreements=12"]


def generate(*args):
    out = io.StringIO()
    call_command("generate_data", *SMALL, *args, stdout=out)
    return out.getvalue()


def snapshot():
    return sorted(
        Visit.objects.values_list(
            "uuid", "mission__slug", "day__date", "title", "starts_at", "organisations__slug"
        )
    )


def test_the_same_seed_makes_the_same_diary():
    with transaction.atomic():
        generate("--seed=5")
        first = snapshot()
        transaction.set_rollback(True)
    generate("--seed=5")
    assert snapshot() == first
    assert len(first) > 100


def test_generated_diary_has_drafts_undated_and_untimed_visits():
    report = generate("--sized-mission=big:300")
    assert "Generated" in report
    assert Mission.objects.filter(status=Mission.Status.DRAFT).exists()
    assert Visit.objects.filter(day__isnull=True).exists()
    assert Visit.objects.filter(day__isnull=False, starts_at__isnull=True).exists()
    assert Visit.objects.filter(starts_at__isnull=False).exists()
    assert Mission.objects.get(slug="big").visits.count() == 300
    assert Agreement.objects.filter(parties__isnull=False).distinct().count() == 12


def test_generated_visits_fall_on_their_own_missions_days():
    generate()
    assert not Visit.objects.exclude(day__isnull=True).exclude(day__mission=F("mission"))


def test_a_second_run_with_the_same_prefix_is_refused_with_a_reason():
    generate()
    with pytest.raises(CommandError, match="already generated"):
        generate()
    generate("--prefix=second")  # another prefix adds a second data set beside the first


def test_bad_sizes_are_named_in_the_error():
    with pytest.raises(CommandError, match="--people must be at least 1"):
        call_command("generate_data", "--people=0", stdout=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_on_postgresql_the_planner_knows_the_generated_rows():
    # Without fresh statistics PostgreSQL planned the organisation directory over 40,000
    # generated visits in 2.8 s instead of 0.3 s (bench/RESULTS.md, 2026-11-27).
    generate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Visit._meta.db_table])
        (estimated,) = cursor.fetchone()
    assert estimated >= Visit.objects.count() // 2 > 0
