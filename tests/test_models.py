import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from diary.models import Agreement, Day, Mission, Organisation, Person, Visit
from diary.models.base import SUMMARY_MAX_LENGTH

from .factories import (
    make_agreement,
    make_day,
    make_draft_mission,
    make_mission,
    make_organisation,
    make_visit,
    unsaved_mission,
)

pytestmark = pytest.mark.django_db


def test_mission_ending_before_it_starts_is_a_form_error():
    mission = unsaved_mission(start_date=datetime.date(2024, 6, 15))
    with pytest.raises(ValidationError) as excinfo:
        mission.full_clean()
    assert "end_date" in excinfo.value.message_dict


def test_mission_ending_before_it_starts_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_mission(start_date=datetime.date(2024, 6, 14), end_date=datetime.date(2024, 6, 10))


def test_unknown_timezone_is_a_form_error():
    mission = make_mission()
    mission.timezone = "Asia/Atlantis"
    with pytest.raises(ValidationError) as excinfo:
        mission.full_clean()
    assert "Asia/Atlantis" in str(excinfo.value.message_dict["timezone"])


def test_day_outside_mission_dates_is_a_form_error_naming_the_dates():
    mission = make_mission()
    day = Day(mission=mission, date=datetime.date(2024, 6, 20))
    with pytest.raises(ValidationError) as excinfo:
        day.full_clean()
    message = excinfo.value.message_dict["date"][0]
    assert "2024-06-20" in message and "2024-06-10" in message and "2024-06-14" in message


def test_second_day_on_the_same_date_is_a_form_error():
    mission = make_mission()
    make_day(mission, datetime.date(2024, 6, 11))
    duplicate = Day(mission=mission, date=datetime.date(2024, 6, 11))
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "already has a day on this date" in str(excinfo.value)


def test_same_date_on_two_missions_is_fine():
    first, second = make_mission(), make_mission()
    make_day(first, datetime.date(2024, 6, 11))
    Day(mission=second, date=datetime.date(2024, 6, 11)).full_clean()


def test_visit_ending_before_it_starts_is_a_form_error():
    mission = make_mission()
    day = make_day(mission)
    visit = Visit(
        mission=mission,
        day=day,
        title="Late",
        slug="late",
        starts_at=datetime.time(11),
        ends_at=datetime.time(9, 30),
    )
    with pytest.raises(ValidationError) as excinfo:
        visit.full_clean()
    assert "ends_at" in excinfo.value.message_dict


def test_visit_ending_before_it_starts_is_refused_by_the_database():
    mission = make_mission()
    day = make_day(mission)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_visit(mission, day=day, starts_at=datetime.time(11), ends_at=datetime.time(9))


def test_visit_with_a_time_but_no_day_is_a_form_error():
    mission = make_mission()
    visit = Visit(mission=mission, title="Floating", slug="floating", starts_at=datetime.time(9))
    with pytest.raises(ValidationError) as excinfo:
        visit.full_clean()
    assert "day" in excinfo.value.message_dict


def test_visit_on_another_missions_day_is_a_form_error():
    mission, other = make_mission(), make_mission()
    visit = Visit(mission=mission, day=make_day(other), title="Lost", slug="lost")
    with pytest.raises(ValidationError) as excinfo:
        visit.full_clean()
    assert "another mission" in excinfo.value.message_dict["day"][0]


def test_duplicate_visit_slug_in_a_mission_is_a_form_error():
    mission = make_mission()
    make_visit(mission, slug="ispace")
    duplicate = Visit(mission=mission, title="Again", slug="ispace")
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "already has a visit with this slug" in str(excinfo.value)


def test_duplicate_organisation_slug_is_a_form_error():
    make_organisation(slug="jaxa")
    with pytest.raises(ValidationError) as excinfo:
        Organisation(name="Other", slug="jaxa").full_clean()
    assert "slug" in excinfo.value.message_dict


def test_organisation_cannot_be_its_own_ancestor():
    parent = make_organisation()
    child = make_organisation(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError) as excinfo:
        parent.full_clean()
    assert "parent" in excinfo.value.message_dict


def test_native_name_needs_its_language():
    organisation = make_organisation(native_name="宇宙航空研究開発機構")
    with pytest.raises(ValidationError) as excinfo:
        organisation.full_clean()
    assert "native_language" in excinfo.value.message_dict


def test_agreement_signature_date_follows_its_mission_day():
    mission = make_mission()
    day = make_day(mission, datetime.date(2024, 6, 12))
    agreement = make_agreement(mission, signed_day=day)
    agreement.full_clean()
    assert agreement.signed_on == datetime.date(2024, 6, 12)


def test_agreement_date_contradicting_its_day_is_a_form_error():
    mission = make_mission()
    day = make_day(mission, datetime.date(2024, 6, 12))
    agreement = make_agreement(mission, signed_day=day, signed_on=datetime.date(2024, 6, 13))
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert "signed_on" in excinfo.value.message_dict


def test_agreement_on_another_missions_day_is_a_form_error():
    mission, other = make_mission(), make_mission()
    agreement = make_agreement(mission)
    agreement.signed_day = make_day(other)
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert "signed_day" in excinfo.value.message_dict


def test_visit_times_are_read_in_the_missions_timezone():
    mission = make_mission(timezone="Asia/Tokyo")
    visit = make_visit(mission, day=make_day(mission), starts_at=datetime.time(9, 30))
    assert visit.start.isoformat() == "2024-06-10T09:30:00+09:00"
    assert visit.start.tzname() == "JST"


def test_every_record_has_a_natural_key_that_finds_it_again(demo):
    for model in (Mission, Day, Visit, Organisation, Person, Agreement):
        for obj in model.objects.all():
            assert model.objects.get_by_natural_key(*obj.natural_key()) == obj


def test_published_querysets_hide_drafts(draft_world):
    assert not Mission.objects.published().filter(pk=draft_world["mission"].pk).exists()
    assert not Visit.objects.published().exists()
    assert not Day.objects.published().exists()
    assert not Agreement.objects.published().exists()
    assert not Organisation.objects.published().exists()
    assert not Person.objects.published().exists()


def test_organisation_is_published_once_a_published_visit_names_it():
    organisation = make_organisation()
    make_visit(make_draft_mission(), organisations=[organisation])
    assert organisation not in Organisation.objects.published()
    make_visit(make_mission(), organisations=[organisation])
    assert organisation in Organisation.objects.published()


def test_demo_mission_states_only_what_the_article_states(demo):
    assert demo.timezone == "Asia/Tokyo"
    assert (demo.start_date, demo.end_date) == (
        datetime.date(2024, 6, 10),
        datetime.date(2024, 6, 14),
    )
    undated = set(demo.visits.filter(day__isnull=True).values_list("slug", flat=True))
    assert undated == {"nict", "astroscale", "ntt-headquarters", "satellite-communication-event"}
    assert not demo.visits.exclude(starts_at=None).exists(), "the article gives no times"
    moc = demo.agreements.get(slug="lsa-jaxa-moc-2024")
    assert moc.signed_on == datetime.date(2024, 6, 12)  # "signed on the third day"
    loi = demo.agreements.get(slug="luxprovide-jaxa-loi")
    assert loi.signed_on is None
    assert set(loi.implements.values_list("kind__slug", flat=True)) == {"moc"}
    assert loi.implements.count() == 2
    assert Organisation.objects.get(slug="tansa-x").parent.short_name == "JAXA"


def test_demo_loads_twice_without_duplicates(demo):
    counts = [model.objects.count() for model in (Mission, Day, Visit, Organisation, Agreement)]
    call_command("load_demo", stdout=io.StringIO())
    assert counts == [
        model.objects.count() for model in (Mission, Day, Visit, Organisation, Agreement)
    ]


def test_text_over_its_limit_is_refused_by_full_clean_not_only_by_forms():
    mission = make_mission(summary="x" * (SUMMARY_MAX_LENGTH + 1))
    with pytest.raises(ValidationError) as excinfo:
        mission.full_clean()
    assert f"at most {SUMMARY_MAX_LENGTH} characters" in excinfo.value.message_dict["summary"][0]
