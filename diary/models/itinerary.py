"""
A mission's itinerary — its days, their visits, the undated visits, its agreements and
sources — in five queries, whatever the mission's size.
"""

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .agreement import Agreement
from .loading import attach_details, attach_organisations, set_prefetched
from .mission import Day, Mission, Visit
from .source import Source

# Past this many visits the itinerary lists each day with its number of visits, linking to
# the day's own page, instead of every visit card: nobody reads 10,000 cards on one page, and
# the page stays small enough to send and render quickly.
FULL_ITINERARY_MAX_VISITS = 200


@dataclass
class Itinerary:
    mission: Mission
    days: list
    undated_visits: list
    agreements: list
    collapsed: bool


def _joined_fields(model, prefix, leave_out=()):
    """Annotations that bring `model`'s columns along a LEFT JOIN from the mission."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in leave_out]
    return names, {f"itinerary_{prefix}_{name}": F(f"{prefix}__{name}") for name in names}


def _rebuild(rows, model, prefix, names, db):
    """The distinct `model` rows carried by the joined mission rows, as model instances."""
    found = {}
    for row in rows:
        values = [getattr(row, f"itinerary_{prefix}_{name}") for name in names]
        if values[0] is not None and values[0] not in found:
            found[values[0]] = model.from_db(db, names, values)
    return list(found.values())


def build_itinerary(missions, slug):
    """
    missions: the missions this reader may see. Returns None when there is no such mission.

    The mission comes with its lead organisation, days and sources in one query (a join that
    returns days × sources rows: a mission has a few of each, never thousands).
    """
    day_names, day_fields = _joined_fields(Day, "days")
    # A source's full text is not shown here, and would be repeated on every day's row.
    source_names, source_fields = _joined_fields(Source, "sources", leave_out={"text"})
    visit_total = (
        Visit.objects.filter(mission=OuterRef("pk"))
        .order_by()
        .values("mission")
        .annotate(total=Count("pk"))
        .values("total")
    )
    rows = list(
        missions.filter(slug=slug)
        .select_related("lead_organisation")
        .annotate(
            **day_fields,
            **source_fields,
            visit_total=Coalesce(Subquery(visit_total), Value(0), output_field=IntegerField()),
        )
        .order_by("days__date", "sources__title")
    )
    if not rows:
        return None
    mission, db = rows[0], rows[0]._state.db
    days = _rebuild(rows, Day, "days", day_names, db)
    set_prefetched(mission, "sources", _rebuild(rows, Source, "sources", source_names, db))
    for day in days:
        day.mission = mission
    agreements = list(Agreement.objects.filter(mission=mission))
    days_by_id = {day.pk: day for day in days}
    for agreement in agreements:
        agreement.mission = mission
        if agreement.signed_day_id not in days_by_id:
            agreement.signed_day = None  # another mission's day: inconsistent, not shown

    collapsed = mission.visit_total > FULL_ITINERARY_MAX_VISITS
    if collapsed:
        undated = _count_visits_by_day(mission, days)
        attach_organisations(agreements=agreements)
    else:
        visits = _place_visits(mission, days)
        undated = [visit for visit in visits if visit.day_id is None]
        attach_details(visits, agreements)
    return Itinerary(mission, days, undated, agreements, collapsed)


def _place_visits(mission, days):
    """Every visit of the mission in one query, handed to its day (`day.visits.all`)."""
    days_by_id = {day.pk: day for day in days}
    visits = list(Visit.objects.filter(mission=mission))
    by_day = {day.pk: [] for day in days}
    placed = []
    for visit in visits:
        visit.mission = mission
        if visit.day_id is not None:
            if visit.day_id not in days_by_id:
                continue  # its day belongs to another mission: inconsistent, left out
            visit.day = days_by_id[visit.day_id]
            by_day[visit.day_id].append(visit)
        placed.append(visit)
    for day in days:
        set_prefetched(day, "visits", by_day[day.pk])
        day.visit_count = len(by_day[day.pk])
    return placed


def _count_visits_by_day(mission, days):
    """Each day's number of visits (`day.visit_count`); returns the undated visits, uncounted."""
    counts = dict(
        Visit.objects.filter(mission=mission, day__isnull=False)
        .order_by()
        .values_list("day")
        .annotate(total=Count("pk"))
    )
    for day in days:
        day.visit_count = counts.get(day.pk, 0)
    undated = list(Visit.objects.filter(mission=mission, day__isnull=True))
    for visit in undated:
        visit.mission = mission
    return undated
