"""Points on the map: the great-circle distance (haversine) and whether a point is in or near
Kota Malang.

Kota Malang's centre is Wikipedia's coordinate for the city (en.wikipedia.org/wiki/Malang:
7°58′48″S 112°37′12″E, i.e. -7.98, 112.62); the city covers about 111 km² (the same page), so
every point of it is well within `MAX_FROM_CENTRE_KM` of the centre, and a point farther away
(Lawang, Batu, Surabaya, or latitude and longitude swapped) is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)
MALANG_CENTRE = (-7.98, 112.62)
MAX_FROM_CENTRE_KM = 15.0


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


def distance_km(a: Point, b: Point) -> float:
    """The haversine great-circle distance between two points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def valid_point(lat: float, lon: float) -> bool:
    """Whether (lat, lon) are degrees and lie in or near Kota Malang."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    return distance_km(Point(lat, lon), Point(*MALANG_CENTRE)) <= MAX_FROM_CENTRE_KM


def parse_point(text: str) -> Point | None:
    """`"lat,lon"` (or separated by a space or a semicolon) as a valid point in or near Kota
    Malang, or None."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return Point(lat, lon) if valid_point(lat, lon) else None


def centroid(points: list[Point]) -> Point | None:
    """The mean of nearby points (fine within a city), None for none."""
    if not points:
        return None
    return Point(
        sum(p.lat for p in points) / len(points), sum(p.lon for p in points) / len(points)
    )
