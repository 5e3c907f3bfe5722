"""
A mission's route map, drawn by the app itself as inline SVG.

Why not a tile map: tiles from a map service tell that service about every reader, need a
CSP exception and JavaScript, and do not print. This map is built on the server from data
the app ships: country outlines of Natural Earth (public domain), as packaged in TopoJSON by
the `world-atlas` npm package (diary/mapdata/README.md says where it comes from).

- Projection: Web Mercator (the projection readers know from web maps), fitted to the
  mission's places with a margin, never zoomed in closer than MIN_SPAN_DEGREES so a
  single place still shows its surroundings.
- Markers: dated stops numbered in itinerary order (day, then time, then position), one
  marker per place with every number of the stops made there; places visited only on an
  unknown day get a distinct, unnumbered marker. A line joins the dated stops in order.
- Labels: placed greedily, most important first: each tries positions around its marker and
  takes the first that overlaps no marker and no label already placed; a label that fits
  nowhere is left out (the list beside the map names every place anyway).
- Antimeridian: a mission whose places straddle longitude 180° is drawn across the
  Atlantic side; no mission so far has needed better.
"""

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

MAP_DATA = Path(__file__).resolve().parent / "mapdata"
# Natural Earth's 1:50m outlines show Tokyo Bay; a view wider than this many degrees of
# longitude uses the 1:110m ones, whose detail would be finer than a pixel anyway.
DETAILED_SPAN_DEGREES = 25

WIDTH, HEIGHT = 640, 480
MARGIN = 0.15  # of the places' extent, on each side
MIN_SPAN_DEGREES = 0.6  # about 60 km: Tokyo and Sagamihara with their bay and hills
MARKER_RADIUS = 13
LABEL_FONT = 20  # user units; the viewBox shrinks to a 390 px phone by about 0.55
LABEL_CHAR_WIDTH = 0.56 * LABEL_FONT
LABEL_HEIGHT = LABEL_FONT * 1.2
LABEL_MAX_CHARS = 28
# Outline points closer than this (in user units) to the previous one are dropped: detail
# nobody can see, which only weighs down the page.
MIN_STEP = 0.8


# --- TopoJSON --------------------------------------------------------------------------------


def decode_arcs(topology):
    """
    Every arc as a list of (longitude, latitude): TopoJSON stores quantized arcs as deltas
    from the previous point, to be summed and then scaled by the topology's transform.
    """
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for step_x, step_y, *_rest in arc:
                x += step_x
                y += step_y
                points.append((x * kx + dx, y * ky + dy))
        else:
            points = [(p[0], p[1]) for p in arc]
        arcs.append(points)
    return arcs


def ring_points(ring_arcs, arcs):
    """
    A ring from its arc indexes: a negative index ~i means arc i reversed. Consecutive arcs
    share their joining point, which is kept once.
    """
    points = []
    for index in ring_arcs:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def geometry_rings(geometry, arcs):
    """Every ring (outer and holes alike: the map fills with the even-odd rule) of a shape."""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["arcs"]]
    elif kind == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return []
    return [ring_points(ring, arcs) for polygon in polygons for ring in polygon]


@dataclass
class Country:
    id: str
    rings: list  # each a list of (lon, lat)
    bbox: tuple  # min lon, min lat, max lon, max lat


@functools.cache
def countries(resolution="50m"):
    """The country outlines at 1:50m or 1:110m, decoded once per process."""
    path = MAP_DATA / f"countries-{resolution}.json"
    topology = json.loads(path.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    result = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        rings = [ring for ring in geometry_rings(geometry, arcs) if len(ring) >= 3]
        if not rings:
            continue
        lons = [lon for ring in rings for lon, _lat in ring]
        lats = [lat for ring in rings for _lon, lat in ring]
        bbox = (min(lons), min(lats), max(lons), max(lats))
        result.append(Country(str(geometry.get("id", "")), rings, bbox))
    return tuple(result)


# --- Projection ------------------------------------------------------------------------------

MAX_LATITUDE = 85.0511  # Web Mercator's square world


def mercator_y(lat):
    """Web Mercator's northing, in degrees of longitude (so x and y share one unit)."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


@dataclass
class View:
    """The rectangle of the world shown, in projected units, and its scale to the viewBox."""

    west: float
    north: float  # projected y of the top edge
    scale: float

    @classmethod
    def around(cls, points):
        """A view of (lon, lat) points, with a margin, in the map's aspect ratio."""
        xs = [lon for lon, _lat in points]
        ys = [mercator_y(lat) for _lon, lat in points]
        west, east, south, north = min(xs), max(xs), min(ys), max(ys)
        span_x = max(east - west, MIN_SPAN_DEGREES)
        span_y = max(north - south, MIN_SPAN_DEGREES * HEIGHT / WIDTH)
        span_x, span_y = span_x * (1 + 2 * MARGIN), span_y * (1 + 2 * MARGIN)
        # Fit the wider of the two to the map, keeping the aspect ratio.
        span_x = max(span_x, span_y * WIDTH / HEIGHT)
        span_y = span_x * HEIGHT / WIDTH
        centre_x, centre_y = (west + east) / 2, (south + north) / 2
        return cls(centre_x - span_x / 2, centre_y + span_y / 2, WIDTH / span_x)

    @property
    def bounds(self):
        """(west, south, east, north) in degrees: which outlines can be seen."""
        east = self.west + WIDTH / self.scale
        south_y = self.north - HEIGHT / self.scale

        def latitude(y):
            return math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)

        return (self.west, latitude(south_y), east, latitude(self.north))

    def project(self, lon, lat):
        return ((lon - self.west) * self.scale, (self.north - mercator_y(lat)) * self.scale)


def _outline_path(view, rings):
    """One SVG path for a country, rounded to a tenth of a unit, invisible detail dropped."""
    parts = []
    for ring in rings:
        commands, last = [], None
        for lon, lat in ring:
            x, y = view.project(lon, lat)
            if last is not None and abs(x - last[0]) + abs(y - last[1]) < MIN_STEP:
                continue
            commands.append(f"{x:.1f} {y:.1f}")
            last = (x, y)
        if len(commands) >= 3:
            parts.append("M" + "L".join(commands) + "Z")
    return "".join(parts)


def land_paths(view):
    west, south, east, north = view.bounds
    paths = []
    resolution = "50m" if east - west <= DETAILED_SPAN_DEGREES else "110m"
    for country in countries(resolution):
        c_west, c_south, c_east, c_north = country.bbox
        if c_east < west or c_west > east or c_north < south or c_south > north:
            continue
        path = _outline_path(view, country.rings)
        if path:
            paths.append(path)
    return paths


# --- Stops, markers and labels ----------------------------------------------------------------


@dataclass
class Stop:
    """A place on the map with the numbers of the dated visits made there, in order."""

    place: object
    numbers: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0
    label: tuple | None = None  # (x, y, anchor) once placed

    @property
    def dated(self):
        return bool(self.numbers)

    @property
    def number_text(self):
        return ", ".join(str(n) for n in self.numbers)


@dataclass
class RouteMap:
    stops: list  # dated places first (in order of their first number), then undated
    route: list  # the places of the dated visits, in order (a place may repeat)
    view: View | None = None

    @property
    def dated_stops(self):
        return [stop for stop in self.stops if stop.dated]

    @property
    def undated_stops(self):
        return [stop for stop in self.stops if not stop.dated]

    def svg(self, title, description):
        return render_svg(self, title, description)


def route_map(visits):
    """
    The map of `visits` (in itinerary order, each with its place and day loaded): None when
    none of them happened at a place with coordinates.
    """
    stops, route = {}, []
    number = 0
    for visit in visits:
        place = visit.place
        if place is None or not place.has_coordinates:
            continue
        stop = stops.setdefault(place.pk, Stop(place))
        stop.visits.append(visit)
        if visit.day is not None:
            number += 1
            stop.numbers.append(number)
            route.append(stop)
    if not stops:
        return None
    ordered = sorted(stops.values(), key=lambda s: (not s.dated, s.numbers[:1], s.place.name))
    points = [(float(s.place.longitude), float(s.place.latitude)) for s in ordered]
    view = View.around(points)
    for stop, (lon, lat) in zip(ordered, points, strict=True):
        stop.x, stop.y = view.project(lon, lat)
    place_labels(ordered)
    return RouteMap(ordered, route, view)


def _label_text(stop):
    name = stop.place.name
    return name if len(name) <= LABEL_MAX_CHARS else name[: LABEL_MAX_CHARS - 1] + "…"


def _overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(stops):
    """Greedy placement (see the module docstring); sets each stop's `label` or leaves None."""
    gap = MARKER_RADIUS + 4
    taken = [
        (s.x - MARKER_RADIUS, s.y - MARKER_RADIUS, s.x + MARKER_RADIUS, s.y + MARKER_RADIUS)
        for s in stops
    ]
    for stop in stops:
        width = len(_label_text(stop)) * LABEL_CHAR_WIDTH
        # (text x, baseline y, anchor) around the marker: right, left, above, below, diagonals.
        candidates = [
            (stop.x + gap, stop.y + LABEL_FONT * 0.35, "start"),
            (stop.x - gap, stop.y + LABEL_FONT * 0.35, "end"),
            (stop.x, stop.y - gap, "middle"),
            (stop.x, stop.y + gap + LABEL_FONT * 0.8, "middle"),
            (stop.x + gap * 0.7, stop.y - gap * 0.7, "start"),
            (stop.x - gap * 0.7, stop.y - gap * 0.7, "end"),
            (stop.x + gap * 0.7, stop.y + gap * 0.7 + LABEL_FONT * 0.8, "start"),
            (stop.x - gap * 0.7, stop.y + gap * 0.7 + LABEL_FONT * 0.8, "end"),
        ]
        for x, baseline, anchor in candidates:
            left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
            box = (
                left,
                baseline - LABEL_FONT * 0.85,
                left + width,
                baseline + LABEL_HEIGHT - LABEL_FONT * 0.85,
            )
            if box[0] < 2 or box[2] > WIDTH - 2 or box[1] < 2 or box[3] > HEIGHT - 2:
                continue
            if any(_overlaps(box, other) for other in taken):
                continue
            taken.append(box)
            stop.label = (x, baseline, anchor)
            break


def render_svg(route_map, title, description):
    """The map as an <svg> element: styled only by classes (static/css/site.css), for the CSP."""
    out = [
        f'<svg class="route-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="route-map-title route-map-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="route-map-title">{escape(title)}</title>',
        f'<desc id="route-map-desc">{escape(description)}</desc>',
        f'<rect class="map-sea" width="{WIDTH}" height="{HEIGHT}"/>',
    ]
    out += [f'<path class="map-land" d="{d}"/>' for d in land_paths(route_map.view)]
    if len(route_map.route) > 1:
        points = " ".join(f"{s.x:.1f},{s.y:.1f}" for s in route_map.route)
        out.append(f'<polyline class="map-route" points="{points}"/>')
    # Undated first, so numbered markers are drawn over them.
    for stop in reversed(route_map.stops):
        x, y = f"{stop.x:.1f}", f"{stop.y:.1f}"
        if stop.dated:
            first = str(stop.numbers[0]) + ("+" if len(stop.numbers) > 1 else "")
            out.append(
                f'<g class="map-marker"><circle cx="{x}" cy="{y}" r="{MARKER_RADIUS}"/>'
                f'<text x="{x}" y="{stop.y + 6:.1f}">{escape(first)}</text></g>'
            )
        else:
            r = MARKER_RADIUS * 0.8
            out.append(
                f'<path class="map-marker-undated" d="M{stop.x:.1f} {stop.y - r:.1f}'
                f'L{stop.x + r:.1f} {y}L{stop.x:.1f} {stop.y + r:.1f}L{stop.x - r:.1f} {y}Z"/>'
            )
    for stop in route_map.stops:
        if stop.label:
            x, baseline, anchor = stop.label
            out.append(
                f'<text class="map-label map-label-{anchor}" x="{x:.1f}" y="{baseline:.1f}">'
                f"{escape(_label_text(stop))}</text>"
            )
    out.append("</svg>")
    return mark_safe("".join(out))  # every text above is escaped


def map_description(route_map):
    dated, undated = len(route_map.dated_stops), len(route_map.undated_stops)
    return _(
        "Country outlines with %(dated)s numbered places in the order visited, joined by the "
        "route, and %(undated)s places visited on a day the sources do not give, marked by "
        "diamonds. The list beside the map gives the same places as text."
    ) % {"dated": dated, "undated": undated}
