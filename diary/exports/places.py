"""
A mission's places as a GeoJSON FeatureCollection (RFC 7946).

One Feature per place, in itinerary order (the place of the first dated visit first, places
visited only on an unknown day last). Coordinates are [longitude, latitude] in WGS 84, as
RFC 7946 §3.1.1 requires; a place with no known coordinates is left out rather than given
an invented point. `stops` are the numbers the route map gives the place.
"""

from .. import queries


def _number(value):
    # Decimal to float: GeoJSON positions are JSON numbers, not strings.
    return float(value)


def mission_places_geojson(mission, absolute_url):
    route_map = queries.mission_map(mission)
    stops = route_map.stops if route_map else []
    features = []
    for stop in stops:
        place = stop.place
        features.append(
            {
                "type": "Feature",
                "id": str(place.uuid),
                "geometry": {
                    "type": "Point",
                    "coordinates": [_number(place.longitude), _number(place.latitude)],
                },
                "properties": {
                    "name": place.name,
                    "city": place.city,
                    "country": place.country or None,
                    "stops": stop.numbers,
                    "visits": [
                        {
                            "uuid": str(visit.uuid),
                            "title": visit.title,
                            "date": visit.day.date.isoformat() if visit.day else None,
                            "url": absolute_url(visit.get_absolute_url()),
                        }
                        for visit in stop.visits
                    ],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
