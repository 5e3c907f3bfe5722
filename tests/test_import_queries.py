"""
Re-importing over stored data (an editor re-imports a corrected file, or previews it with a
dry run) costs a fixed number of queries, whatever the size of the mission: the checks a
visit or a day needs when it moves (Visit.clean(), Day.clean()) run only for records the
file moves. Before, they ran a query or two per stored visit and two per stored day, and a
dry run of a 15,000-record file over its own data took five minutes.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary.interchange.fixture_import import import_fixture
from diary.synthetic import Sizes, generate
from tests.diary_state import export_bytes

pytestmark = pytest.mark.django_db


def mission(slug, days, visits):
    sizes = Sizes(missions=0, max_days=days, organisations=4, people=4, agreements=0)
    generate(sizes, prefix=slug, sized_missions=[(slug, visits)])


def dry_run_queries(tmp_path, slug):
    content = export_bytes(tmp_path / f"{slug}.json", slug)
    with CaptureQueriesContext(connection) as queries:
        import_fixture(content, dry_run=True)
    return len(queries)


def test_a_dry_run_over_stored_data_runs_as_many_queries_for_a_big_mission_as_a_small_one(
    tmp_path,
):
    mission("small", days=2, visits=3)
    mission("big", days=9, visits=60)
    assert dry_run_queries(tmp_path, "big") == dry_run_queries(tmp_path, "small")
