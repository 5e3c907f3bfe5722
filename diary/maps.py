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
- Collapsed (a mission past settings.FULL_ITINERARY_MAX_VISITS, whose itinerary lists days
  with counts): each place is numbered once, in the order first visited, the line joins the
  places in that order, and the list gives each place its count of visits, not a link to each.
- Labels: placed greedily, most important first: each tries positions around its marker and
  takes the first that overlaps no marker and no label already placed; a label that fits
  nowhere is left out (the list beside the map names every place anyway).
- Land: each country's outline is clipped to the view (plus a margin the stroke cannot
  reach across) and simplified at the map's own scale, on the server with shapely (GEOS), so
  a map zoomed to one city carries that city's coast, not the whole country's: the page
  stays small for every reader on a phone and for the page cache.
- Antimeridian: the view is framed across the shorter way round the globe: places on both
  sides of longitude 180° (Tokyo and Honolulu, Fiji) are drawn side by side, east of 180°
  continuing the longitudes past it (Honolulu at 202°), and land is drawn from whichever copy
  of the world falls in the view, so nothing crosses the whole map.
"""

import functools
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
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
# Outline detail smaller than this (in user units, after projection) is simplified away:
# nobody can see it (the viewBox is drawn at 390 to about 1000 px), it only weighs the page.
SIMPLIFY_TOLERANCE = 0.5
# Outlines are clipped this far (user units) outside the viewBox: the clipped edges and their
# stroke (.8 wide) stay out of sight.
CLIP_MARGIN = 2


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
    # The outline in the map's projected units (longitude, Mercator northing), made valid:
    # what land_paths() clips.
    shape: object = None


def continuous_longitudes(lons, near=None):
    """
    A ring's longitudes without the jumps of 360° where it crosses 180°: world-atlas stitches
    Natural Earth's outlines back together across 180° (Fiji's Vanua Levu, Chukotka), so such
    a ring steps from 179.9 to -179.9 — drawn flat, a band across the whole world. Unwrapped,
    it continues east past 180 (to 180.1), and land_paths() draws it from the copy of the
    world in view. A ring going round the pole (Antarctica) is left as it is: it is meant to
    span the world. `near`: a longitude the ring is moved next to (a hole to its polygon).
    """
    lons = np.asarray(lons, dtype=float)
    unwrapped = np.unwrap(lons, period=360)
    if abs(unwrapped[-1] - unwrapped[0]) > 1e-6:  # round the pole
        return lons
    centre = (unwrapped.min() + unwrapped.max()) / 2
    reference = 0.0 if near is None else near
    return unwrapped - 360 * round((centre - reference) / 360)


def mercator_shape(geometry, arcs):
    """A TopoJSON (multi)polygon as a valid shapely geometry in projected units, or None."""
    kind = geometry.get("type")
    polygons = {"Polygon": [geometry.get("arcs")], "MultiPolygon": geometry.get("arcs")}.get(kind)
    parts = []
    for polygon in polygons or []:
        rings = [ring_points(ring, arcs) for ring in polygon]
        projected, near = [], None
        for ring in rings:
            if len(ring) < 4:  # a closed ring needs at least three corners
                continue
            lons = continuous_longitudes([lon for lon, _ in ring], near)
            near = (lons.min() + lons.max()) / 2 if near is None else near
            projected.append(np.column_stack([lons, mercator_ys([lat for _, lat in ring])]))
        if projected:
            parts.append(shapely.Polygon(projected[0], projected[1:]))
    if not parts:
        return None
    shape = shapely.MultiPolygon(parts)
    if not shape.is_valid:  # a few Natural Earth outlines touch themselves
        shape = shapely.make_valid(shape)
        polygonal = [p for p in shapely.get_parts(shape) if p.geom_type.endswith("Polygon")]
        shape = shapely.union_all(polygonal)
    return shape


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
        shape = mercator_shape(geometry, arcs)
        result.append(Country(str(geometry.get("id", "")), rings, bbox, shape))
    return tuple(result)


@functools.cache
def atlas(resolution="50m"):
    """The countries with an outline, and a spatial index of those outlines, once per process."""
    drawn = tuple(c for c in countries(resolution) if c.shape is not None and not c.shape.is_empty)
    return drawn, shapely.STRtree([c.shape for c in drawn])


# --- Projection ------------------------------------------------------------------------------

MAX_LATITUDE = 85.0511  # Web Mercator's square world


def mercator_y(lat):
    """Web Mercator's northing, in degrees of longitude (so x and y share one unit)."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def mercator_ys(lats):
    """mercator_y() of many latitudes at once (a numpy array)."""
    lats = np.radians(np.clip(np.asarray(lats, dtype=float), -MAX_LATITUDE, MAX_LATITUDE))
    return np.degrees(np.log(np.tan(np.pi / 4 + lats / 2)))


def shortest_longitudes(lons):
    """
    The longitudes moved by 360° where that makes their extent the shorter way round: the
    widest gap between neighbouring places (counting the one across 180°) is left out of the
    view. Tokyo (139.7) and Honolulu (-157.9) become 139.7 and 202.1, a span of 62° rather
    than 298°. Places not straddling 180° are returned unchanged.
    """
    ordered = sorted(set(lons))
    if len(ordered) < 2:
        return list(lons)
    gaps = [(b - a, a) for a, b in itertools.pairwise(ordered)]
    widest, before = max(gaps)
    if widest <= ordered[0] + 360 - ordered[-1]:  # the widest gap already crosses 180°
        return list(lons)
    return [lon + 360 if lon <= before else lon for lon in lons]


@dataclass
class View:
    """The rectangle of the world shown, in projected units, and its scale to the viewBox."""

    west: float
    north: float  # projected y of the top edge
    scale: float

    @classmethod
    def around(cls, points):
        """A view of (lon, lat) points, with a margin, in the map's aspect ratio."""
        xs = shortest_longitudes([lon for lon, _lat in points])
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
        """The point in user units, from the copy of its longitude (±360°) nearest the view."""
        centre = self.west + WIDTH / self.scale / 2
        lon = centre + (lon - centre + 180) % 360 - 180
        return ((lon - self.west) * self.scale, (self.north - mercator_y(lat)) * self.scale)


def _path_data(shape):
    """
    A polygonal shape in user units as SVG path data, each ring closed by Z. Coordinates are
    whole units: after simplifying to half a unit, a tenth more would not show (a unit is at
    most about 1.5 px on a wide screen) but weighs a third more.
    """
    parts = []
    for polygon in shapely.get_parts(shape):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            commands, last = [], None
            for x, y in ring.coords[:-1]:  # the closing point is the Z
                point = f"{round(x)} {round(y)}"
                if point != last:
                    commands.append(point)
                    last = point
            if len(commands) >= 3:
                parts.append("M" + "L".join(commands) + "Z")
    return "".join(parts)


def land_paths(view):
    """
    One SVG path per country in view: its outline clipped to the view plus CLIP_MARGIN,
    projected to user units and simplified to SIMPLIFY_TOLERANCE. A view reaching past 180°
    takes the land there from the neighbouring copy of the world (shifted by 360°); a country
    cut at 180° (Fiji, Russia) is joined back into one outline, with no seam.
    """
    west, _south, east, _north = view.bounds
    resolution = "50m" if east - west <= DETAILED_SPAN_DEGREES else "110m"
    drawn, tree = atlas(resolution)
    pad = CLIP_MARGIN / view.scale
    left, right = view.west - pad, view.west + WIDTH / view.scale + pad
    top, bottom = view.north + pad, view.north - HEIGHT / view.scale - pad
    pieces = {}  # index of the country -> its clipped pieces in user units
    for shift in (-360, 0, 360):
        x_min, x_max = left - shift, right - shift
        if x_max < -180 or x_min > 180:
            continue
        for index in sorted(tree.query(shapely.box(x_min, bottom, x_max, top))):
            clipped = shapely.clip_by_rect(drawn[index].shape, x_min, bottom, x_max, top)
            if clipped.is_empty:
                continue

            def to_user_units(coords, shift=shift):
                return np.column_stack(
                    (
                        (coords[:, 0] + shift - view.west) * view.scale,
                        (view.north - coords[:, 1]) * view.scale,
                    )
                )

            pieces.setdefault(index, []).append(shapely.transform(clipped, to_user_units))
    paths = []
    for index in sorted(pieces):
        shape = pieces[index]
        # Pieces from two copies of the world meet along 180°: join them (on a grid of a
        # tenth of a unit, so the two sides of the cut meet exactly).
        shape = shape[0] if len(shape) == 1 else shapely.union_all(shape, grid_size=0.1)
        shape = shapely.simplify(shape, SIMPLIFY_TOLERANCE, preserve_topology=True)
        path = _path_data(shape)
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
    visit_count: int = 0  # collapsed: the visits the list counts (`visits` is not loaded)
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
    collapsed: bool = False  # from collapsed_route_map(): places with counts, not visits

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
    return _framed(stops.values(), route)


def collapsed_route_map(places):
    """
    The map of a mission too big to list visit by visit: `places` are (place, dated visits,
    undated visits) with the places visited on a known day first, in the order first visited.
    Each of those is numbered once, in that order, and the route joins them in that order (a
    line through thousands of visits would be a scribble); `visit_count` is what the list
    says: a dated place's dated visits (as the full list links), an undated place's visits.
    None when no place has coordinates.
    """
    stops, number = [], 0
    for place, dated, undated in places:
        if not place.has_coordinates:
            continue
        if dated:
            number += 1
            stops.append(Stop(place, [number], visit_count=dated))
        else:
            stops.append(Stop(place, visit_count=undated))
    return _framed(stops, [stop for stop in stops if stop.dated], collapsed=True)


def _framed(stops, route, collapsed=False):
    """The map of `stops`: dated first, in order of their first number; viewed and labelled."""
    if not stops:
        return None
    ordered = sorted(stops, key=lambda s: (not s.dated, s.numbers[:1], s.place.name))
    points = [(float(s.place.longitude), float(s.place.latitude)) for s in ordered]
    view = View.around(points)
    for stop, (lon, lat) in zip(ordered, points, strict=True):
        stop.x, stop.y = view.project(lon, lat)
    place_labels(ordered)
    return RouteMap(ordered, route, view, collapsed)


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
