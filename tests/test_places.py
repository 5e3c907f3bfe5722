"""Places (issue 14): the model, the route map, the places on pages and in every export."""

import importlib
import io
import json
import re
import time

import geojson
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar
from lxml import etree

from diary import maps
from diary.models import Organisation, Place, Visit

from .factories import make_day, make_mission, make_place, make_visit
from .support import migrate, old_mission

SVG = "{http://www.w3.org/2000/svg}"


def route_svg(html):
    """The inline <svg class="route-map"> of a page, parsed."""
    match = re.search(r'<svg class="route-map".*?</svg>', html, re.S)
    assert match, "no route map on the page"
    return etree.fromstring(match.group(0).encode())


# --- The model -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", "90.5"),
        ("longitude", "-180.1"),
        ("wikidata_id", "Q0"),
        ("wikidata_id", "193455"),
        ("osm_id", "12345"),
        ("osm_id", "area/12"),
        ("country", "XX"),
    ],
)
def test_bad_place_data_is_refused_naming_the_field(db, field, value):
    place = Place(**{"name": "Somewhere", "latitude": "35", "longitude": "139", field: value})
    with pytest.raises(ValidationError) as refused:
        place.full_clean()
    assert field in refused.value.message_dict


def test_a_latitude_without_longitude_is_refused(db):
    with pytest.raises(ValidationError) as refused:
        Place(name="Half a point", latitude="35").full_clean()
    assert "longitude" in refused.value.message_dict


def test_good_identifiers_are_accepted(db):
    Place(
        name="Somewhere",
        latitude="-33.9",
        longitude="151.2",
        wikidata_id="Q42",
        osm_id="way/123456",
        country="AU",
    ).full_clean()


def test_osm_link_uses_the_element_or_else_the_coordinates(db):
    assert make_place(osm_id="node/42").osm_url == "https://www.openstreetmap.org/node/42"
    url = make_place(latitude="35.5", longitude="139.25").osm_url
    assert url.startswith("https://www.openstreetmap.org/?mlat=35.5") and "mlon=139.25" in url


BEFORE_PLACES = [("diary", "0010_agreement_lifecycle")]
WITH_FREE_TEXT = [("diary", "0015_revisions")]
PLACES_ONLY = [("diary", "0016_visit_place_only")]


def old_visit(old_apps, mission, n, **fields):
    return old_apps.get_model("diary", "Visit").objects.create(
        mission_id=mission.pk, title=f"Visit {n}", slug=f"visit-{n}", **fields
    )


@pytest.mark.django_db(transaction=True)
def test_free_text_sites_become_places_and_the_text_goes_without_loss(migrations_undone):
    """Migration 0012 made a place per (site, city); 0016 places what came since and drops
    the text: nothing a visit or its history said is lost."""
    old = migrate(BEFORE_PLACES)
    mission = old_mission(old)
    first = old_visit(old, mission, 1, site_name="Tsukuba Space Center", city="Tsukuba")
    again = old_visit(old, mission, 2, site_name="Tsukuba Space Center", city="Tsukuba")
    city_only = old_visit(old, mission, 3, city="Sagamihara")
    nowhere = old_visit(old, mission, 4)

    old = migrate(WITH_FREE_TEXT)
    Visit = old.get_model("diary", "Visit")
    Place = old.get_model("diary", "Place")
    tsukuba = Visit.objects.get(pk=first.pk).place
    assert Visit.objects.get(pk=again.pk).place == tsukuba
    assert (tsukuba.name, tsukuba.city) == ("Tsukuba Space Center", "Tsukuba")
    assert Visit.objects.get(pk=city_only.pk).place.name == "Sagamihara"
    assert Visit.objects.get(pk=nowhere.pk).place is None
    # Since 0012: text typed again (an older fixture, code) and a place chosen by hand.
    late = old_visit(old, mission, 5, site_name="Tsukuba Space Center", city="Tsukuba")
    new_text = old_visit(old, mission, 6, site_name=" Kibo lab ", city="Tsukuba")
    hall = Place.objects.create(name="JAXA Tsukuba", city="Tsukuba")
    room = old_visit(old, mission, 7, site_name="Hall 2, mission control", city="Tsukuba")
    Visit.objects.filter(pk=room.pk).update(place=hall)
    same = old_visit(old, mission, 8, site_name="jaxa tsukuba", city="TSUKUBA", place_id=hall.pk)
    HistoricalVisit = old.get_model("diary", "HistoricalVisit")
    HistoricalVisit.objects.create(
        id=new_text.pk,
        uuid=new_text.uuid,
        mission_id=mission.pk,
        slug=new_text.slug,
        city=new_text.city,
        title="Visit 6 (as first typed)",
        site_name="Kibo",
        history_date="2024-06-11T10:00:00Z",
        history_type="+",
    )

    new = migrate(PLACES_ONLY)
    Visit = new.get_model("diary", "Visit")
    Place = new.get_model("diary", "Place")
    field_names = {field.name for field in Visit._meta.get_fields()}
    assert not {"site_name", "city"} & field_names
    assert Visit.objects.get(pk=late.pk).place_id == tsukuba.pk  # matched, not doubled
    kibo = Visit.objects.get(pk=new_text.pk).place
    assert (kibo.name, kibo.city, kibo.latitude) == ("Kibo lab", "Tsukuba", None)
    assert Visit.objects.get(pk=room.pk).place_id == hall.pk  # the chosen place stays
    assert Visit.objects.get(pk=same.pk).place_id == hall.pk
    # Tsukuba Space Center, Sagamihara, Kibo lab, JAXA Tsukuba, and Kibo (history below)
    assert Place.objects.count() == 5
    history = new.get_model("diary", "HistoricalVisit").objects
    # The text the chosen place does not say is kept in the visit's history, word for word.
    assert list(
        history.filter(id=room.pk, history_change_reason__isnull=False).values_list(
            "history_change_reason", flat=True
        )
    ) == ["Site and city before places: Hall 2, mission control, Tsukuba"]
    assert not history.filter(id=same.pk, history_change_reason__isnull=False).exists()
    # A history entry that said where by text says it by place.
    first_typed = history.get(id=new_text.pk, title="Visit 6 (as first typed)")
    assert Place.objects.get(pk=first_typed.place_id).name == "Kibo"


def test_long_free_text_is_kept_whole_across_change_reasons():
    migration = importlib.import_module("diary.migrations.0016_visit_place_only")
    text = "Building " + "x" * 250 + ", Tsukuba"
    reasons = migration.reasons(text)
    assert all(len(reason) <= 100 for reason in reasons)
    assert "".join(reason.split(") ", 1)[1] for reason in reasons) == text


def test_a_visit_is_found_by_its_places_name_and_city(db):
    mission = make_mission()
    make_visit(mission, title="Morning call", place=make_place(name="Kibo lab", city="Tsukuba"))
    make_visit(mission, title="Evening call")
    from diary.search import search

    groups = {group.kind.key: group for group in search("kibo tsukuba call")}
    assert [visit.title for visit in groups["visits"].results] == ["Morning call"]
    assert groups["visits"].results[0].location == "Kibo lab, Tsukuba"  # its line says where


# --- The demo's map --------------------------------------------------------------------------


def test_demo_itinerary_maps_tokyo_and_sagamihara_with_numbered_and_undated_markers(demo, client):
    html = client.get(demo.get_absolute_url()).content.decode()
    svg = route_svg(html)
    numbers = [text.text for text in svg.iterfind(f".//{SVG}g[@class='map-marker']/{SVG}text")]
    assert numbers == ["2", "1"] or sorted(numbers) == ["1", "2"]
    assert len(svg.findall(f".//{SVG}path[@class='map-marker-undated']")) == 3
    assert svg.find(f"{SVG}polyline[@class='map-route']") is not None
    assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text
    assert svg.get("role") == "img"
    labels = [
        t.text for t in svg.iterfind(f".//{SVG}text[@class]") if "map-label" in t.get("class")
    ]
    assert "JAXA Sagamihara Campus" in labels
    assert len(svg.findall(f".//{SVG}path[@class='map-land']")) >= 1  # Japan's outline
    # The view is Tokyo and Sagamihara, not the world: a few tens of kilometres across.
    west, _south, east, _north = maps.View.around([(139.395, 35.558), (139.801, 35.71)]).bounds
    assert 139 < west < 139.395 and 139.801 < east < 140.3
    # The accessible list beside it, the dated stops in order.
    places = html[html.index('class="place-list"') :]
    assert places.index("ispace Tokyo Mission Control room") < places.index("JAXA Sagamihara")
    assert "Visited, day not stated" in places and "NTT headquarters" in places


def test_the_map_obeys_the_strict_csp(demo, client):
    svg = re.search(
        r'<svg class="route-map".*?</svg>',
        client.get(demo.get_absolute_url()).content.decode(),
        re.S,
    ).group(0)
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_labels_never_overlap(db):
    """Greedy placement: with crowded places, the labels drawn do not overlap each other."""
    mission = make_mission()
    day = make_day(mission)
    for i in range(40):
        make_visit(
            mission,
            day=day,
            place=make_place(
                name=f"Crowded place {i}",
                latitude=f"{35.6 + (i % 7) * 0.01:.4f}",
                longitude=f"{139.7 + (i // 7) * 0.01:.4f}",
            ),
        )
    route = maps.route_map(Visit.objects.filter(mission=mission).select_related("place", "day"))
    boxes = []
    for stop in route.stops:
        if stop.label:
            x, baseline, anchor = stop.label
            width = len(maps._label_text(stop)) * maps.LABEL_CHAR_WIDTH
            left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
            boxes.append((left, baseline - maps.LABEL_FONT, left + width, baseline))
    assert boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not maps._overlaps(a, b)


def test_each_demo_place_says_where_its_coordinates_come_from_and_how_precise(demo):
    places = Place.objects.filter(visits__mission=demo).distinct()
    assert places.count() == 5
    for place in places:
        assert place.has_coordinates, place.name
        note = place.coordinates_source
        # A source read (a named Wikipedia article) and a precision a reader can weigh.
        assert "Wikipedia article “" in note, place.name
        assert " level" in note, place.name


def test_topojson_decoding_sums_deltas_and_scales():
    topology = {
        "transform": {"scale": [0.5, 2], "translate": [10, 20]},
        "arcs": [[[0, 0], [2, 0], [0, 1]], [[2, 1], [-2, -1]]],
    }
    arcs = maps.decode_arcs(topology)
    assert arcs[0] == [(10, 20), (11, 20), (11, 22)]
    assert maps.ring_points([0, 1], arcs) == [(10, 20), (11, 20), (11, 22), (10, 20)]
    assert maps.ring_points([~1], arcs) == [(10, 20), (11, 22)]  # ~i: arc i reversed


def test_the_vendored_outlines_contain_japan():
    japan = [c for c in maps.countries("50m") if c.id == "392"]
    assert japan and japan[0].bbox[0] < 139.7 < japan[0].bbox[2]


def test_map_of_200_places_costs_the_same_queries_as_of_two(db, client):
    """The mission page's queries do not grow with its places (bench/map_speed.py times it)."""

    def page_queries(count):
        mission = make_mission()
        days = [make_day(mission, date=mission.start_date.replace(day=10 + i)) for i in range(5)]
        for i in range(count):
            make_visit(
                mission,
                day=days[i % 5] if i % 4 else None,
                place=make_place(
                    latitude=f"{-40 + (i * 7) % 100}",
                    longitude=f"{-120 + (i * 13) % 260}",
                    country="FR",
                ),
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(mission.get_absolute_url())
        assert response.status_code == 200 and b"route-map" in response.content
        return len(queries)

    assert page_queries(200) == page_queries(2)


def collapsed_place_list(html):
    """(number or "", place, count) of each place in a collapsed map's list; no link in it."""
    places = html[html.index('class="place-list"') :]
    places = places[: places.index("</section>")]
    assert "In the order first visited" in places and "<a " not in places
    return re.findall(
        r'<li class="stop">(?:<span class="stop-number">(\d+)</span>)?.*?'
        r'<span class="place-name">([^<]+)</span>.*?<p class="stop-visits stop-count">([^<]+)</p>',
        places,
        re.S,
    )


def test_past_the_threshold_the_map_gives_each_place_its_count_in_constant_queries(
    db, client, settings
):
    """
    A mission past FULL_ITINERARY_MAX_VISITS collapses its map as it does its itinerary: each
    place once, numbered in the order first visited, with its count of visits and no link to
    each; the route joins the places, not every visit. Its queries do not grow with it.
    """
    settings.FULL_ITINERARY_MAX_VISITS = 3

    def page(visits_per_place):
        mission = make_mission()
        first, second = (
            make_day(mission, date=mission.start_date.replace(day=d)) for d in (10, 11)
        )
        tokyo = make_place(name="Tokyo Station")
        kyoto = make_place(name="Kyoto Station", latitude="34.985", longitude="135.759")
        nara = make_place(name="Nara Park", latitude="34.685", longitude="135.843")
        for _ in range(visits_per_place):
            make_visit(mission, day=second, place=tokyo)
            make_visit(mission, day=first, place=kyoto)  # Kyoto first, on the first day
            make_visit(mission, day=second, place=kyoto)
            make_visit(mission, place=nara)  # on an unknown day
        with CaptureQueriesContext(connection) as queries:
            html = client.get(mission.get_absolute_url()).content.decode()
        return html, len(queries)

    few_html, few_queries = page(1)  # 4 visits: past the threshold already
    html, queries = page(20)
    assert queries == few_queries
    assert collapsed_place_list(few_html) == [
        ("1", "Kyoto Station", "2 visits"),
        ("2", "Tokyo Station", "1 visit"),
        ("", "Nara Park", "1 visit"),
    ]
    assert collapsed_place_list(html) == [
        ("1", "Kyoto Station", "40 visits"),
        ("2", "Tokyo Station", "20 visits"),
        ("", "Nara Park", "20 visits"),
    ]
    svg = route_svg(html)
    numbers = [text.text for text in svg.iterfind(f".//{SVG}g[@class='map-marker']/{SVG}text")]
    assert sorted(numbers) == ["1", "2"]
    assert len(svg.findall(f".//{SVG}path[@class='map-marker-undated']")) == 1
    assert len(svg.find(f"{SVG}polyline[@class='map-route']").get("points").split()) == 2


# --- Pages ------------------------------------------------------------------------------------


def test_visit_page_gives_the_place_coordinates_and_an_openstreetmap_link(demo, client):
    visit = Visit.objects.get(place__name="JAXA Sagamihara Campus")
    html = client.get(visit.get_absolute_url()).content.decode()
    assert "JAXA Sagamihara Campus" in html and "35.558" in html and "139.395" in html
    assert 'href="https://www.openstreetmap.org/?mlat=35.558' in html
    assert "<iframe" not in html


def test_day_page_shows_that_days_places(demo, client):
    visit = Visit.objects.get(place__name="JAXA Sagamihara Campus")
    html = client.get(visit.day.get_absolute_url()).content.decode()
    svg = route_svg(html)
    assert [t.text for t in svg.iterfind(f".//{SVG}g[@class='map-marker']/{SVG}text")] == ["1"]
    assert "ispace Tokyo Mission Control room" not in html[html.index('id="places"') :]


def test_organisations_have_their_headquarters(demo):
    assert Organisation.objects.get(short_name="NTT").headquarters.name == "NTT headquarters"


# --- Exports ---------------------------------------------------------------------------------


def test_places_geojson_is_valid_rfc_7946(demo, client):
    response = client.get("/missions/japan-2024/places.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = geojson.loads(response.content)
    assert isinstance(collection, geojson.FeatureCollection)
    assert collection.is_valid, collection.errors()
    by_name = {f["properties"]["name"]: f for f in collection["features"]}
    # [longitude, latitude], in that order (RFC 7946 §3.1.1).
    assert by_name["JAXA Sagamihara Campus"]["geometry"]["coordinates"] == [139.395255, 35.558389]
    assert by_name["JAXA Sagamihara Campus"]["properties"]["stops"] == [2]
    assert by_name["NTT headquarters"]["properties"]["stops"] == []
    assert len(collection["features"]) == 5


def test_calendar_carries_geo_and_location_for_visits_with_a_place(demo, client):
    calendar = Calendar.from_ical(client.get("/missions/japan-2024.ics").content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    jaxa = next(e for title, e in events.items() if title.startswith("Tansa X"))
    assert (jaxa["GEO"].latitude, jaxa["GEO"].longitude) == (35.558389, 139.395255)
    assert str(jaxa["LOCATION"]) == "JAXA Sagamihara Campus, Sagamihara"


def test_schedule_rooms_are_the_places(demo, client):
    schedule = json.loads(client.get("/missions/japan-2024/schedule.json").content)
    rooms = json.dumps(schedule["schedule"]["conference"]["rooms"], ensure_ascii=False)
    assert "JAXA Sagamihara Campus, Sagamihara" in rooms


def test_mission_fixture_carries_its_places(demo, tmp_path):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("export_mission", "japan-2024", stdout=out, stderr=io.StringIO())
    records = json.loads(out.getvalue())
    assert [r["model"] for r in records][:5] == ["diary.place"] * 5


def test_public_json_gives_each_visit_its_place_with_geojson_coordinates(demo, client):
    document = json.loads(client.get("/missions/japan-2024.json").content)
    assert document["schema_version"] == 3
    places = {v["slug"]: v["place"] for v in document["visits"]}
    jaxa = next(p for p in places.values() if p and p["name"] == "JAXA Sagamihara Campus")
    assert jaxa["coordinates"] == [139.395255, 35.558389]  # [longitude, latitude]
    assert jaxa["country"] == "JP" and "Wikipedia" in jaxa["coordinates_source"]
    assert sum(place is None for place in places.values()) == 1  # the space event: not stated


# --- The map's weight, its clipping and the antimeridian (diary/maps.py) ----------------------


def svg_subpaths(svg, css_class="map-land"):
    """Every subpath (a list of (x, y)) of the map's paths of `css_class`, in user units."""
    subpaths = []
    for path in svg.iterfind(f".//{SVG}path[@class='{css_class}']"):
        for part in re.findall(r"M[^M]*", path.get("d")):
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", part)]
            subpaths.append(list(zip(numbers[::2], numbers[1::2], strict=True)))
    return subpaths


def on_land(subpaths, x, y):
    """Even-odd rule, as the map fills its land: does a ray from (x, y) cross an odd count?"""
    inside = False
    for ring in subpaths:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def view_box(svg):
    _x, _y, width, height = (float(n) for n in svg.get("viewBox").split())
    return width, height


def markers(svg):
    dated = [
        (float(c.get("cx")), float(c.get("cy")))
        for c in svg.iterfind(f".//{SVG}g[@class='map-marker']/{SVG}circle")
    ]
    return dated


def test_demo_map_is_light_and_drawn_only_within_its_view(demo, client):
    """A phone downloads the coast around Tokyo, not the whole of Japan at city scale."""
    html = client.get(demo.get_absolute_url()).content.decode()
    svg_text = re.search(r'<svg class="route-map".*?</svg>', html, re.S).group(0)
    assert len(svg_text.encode()) < 25_000
    svg = route_svg(html)
    width, height = view_box(svg)
    points = [point for ring in svg_subpaths(svg) for point in ring]
    assert points
    # Clipped a few units outside the view: the stroke of the cut edges stays out of sight.
    assert all(-5 <= x <= width + 5 and -5 <= y <= height + 5 for x, y in points)


def test_demo_map_still_shows_the_coast_around_tokyo(demo, client):
    svg = route_svg(client.get(demo.get_absolute_url()).content.decode())
    land = svg_subpaths(svg)
    width, height = view_box(svg)
    places = markers(svg)
    assert len(places) == 2 and all(on_land(land, x, y) for x, y in places)  # Tokyo, Sagamihara
    grid = [(width * (i + 0.5) / 20, height * (j + 0.5) / 15) for i in range(20) for j in range(15)]
    land_share = sum(on_land(land, x, y) for x, y in grid) / len(grid)
    assert 0.3 < land_share < 0.95  # land and Tokyo Bay both in view: the coast is drawn


def antimeridian_map(client, *places):
    mission = make_mission()
    day = make_day(mission)
    for name, latitude, longitude in places:
        make_visit(
            mission,
            day=day,
            place=make_place(name=name, latitude=latitude, longitude=longitude),
        )
    html = client.get(mission.get_absolute_url()).content.decode()
    route = maps.route_map(Visit.objects.filter(mission=mission).select_related("place", "day"))
    return route_svg(html), route


@pytest.mark.parametrize(
    ("places", "widest_degrees"),
    [
        ((("Tokyo", "35.6812", "139.7671"), ("Honolulu", "21.3069", "-157.8583")), 100),
        ((("Suva", "-18.1416", "178.4419"), ("Taveuni", "-16.8500", "-179.9500")), 10),
    ],
)
def test_a_mission_across_180_degrees_is_framed_the_short_way(db, client, places, widest_degrees):
    svg, route = antimeridian_map(client, *places)
    west, _south, east, _north = route.view.bounds
    assert 0 < east - west < widest_degrees  # not the whole world the other way round
    width, height = view_box(svg)
    assert len(markers(svg)) == 2
    assert all(0 < x < width and 0 < y < height for x, y in markers(svg))
    land = svg_subpaths(svg)
    assert land  # Japan and Hawaii, or Fiji's islands
    assert all(-5 <= x <= width + 5 and -5 <= y <= height + 5 for ring in land for x, y in ring)
    # No outline or band across the whole map (world-atlas joins Fiji's islands across 180°:
    # drawn flat, such a ring runs from one edge of the world to the other).
    for ring in land:
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        assert max(xs) - min(xs) < width * 0.9 or max(ys) - min(ys) > height * 0.2
    route_line = svg.find(f"{SVG}polyline[@class='map-route']").get("points").split()
    xs = [float(point.split(",")[0]) for point in route_line]
    assert max(xs) - min(xs) < width * 0.8


def test_fiji_on_both_sides_of_180_degrees_is_land_with_no_seam(db, client):
    """Vanua Levu reaches past 180°: drawn as one island, the markers on land, no cut drawn."""
    svg, route = antimeridian_map(
        client,
        ("Labasa", "-16.4167", "179.3833"),
        ("Taveuni, east of 180°", "-16.8500", "-179.9700"),
    )
    land = svg_subpaths(svg)
    assert all(on_land(land, x, y) for x, y in markers(svg))
    x_180, _y = route.view.project(180, -16.5)
    assert 0 < x_180 < view_box(svg)[0]
    for ring in land:  # no edge drawn along 180° (the stroke would show the cut)
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            assert not (abs(x1 - x_180) < 0.5 and abs(x2 - x_180) < 0.5 and abs(y1 - y2) > 2)


def test_map_of_200_places_across_the_world_is_drawn_fast_and_in_view(db):
    mission = make_mission()
    days = [make_day(mission, date=mission.start_date.replace(day=10 + i)) for i in range(5)]
    for i in range(200):
        make_visit(
            mission,
            day=days[i % 5] if i % 4 else None,
            place=make_place(
                latitude=f"{-40 + (i * 7) % 100}", longitude=f"{-170 + (i * 13) % 340}"
            ),
        )
    visits = list(Visit.objects.filter(mission=mission).select_related("place", "day"))
    maps.countries("50m"), maps.countries("110m")  # decoded once per process
    start = time.process_time()
    route = maps.route_map(visits)
    svg_text = route.svg("200 places", maps.map_description(route))
    assert time.process_time() - start < 1.0
    svg = etree.fromstring(str(svg_text).encode())
    width, height = view_box(svg)
    assert all(
        -5 <= x <= width + 5 and -5 <= y <= height + 5
        for ring in svg_subpaths(svg)
        for x, y in ring
    )
