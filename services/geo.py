"""Points on the map: the great-circle distance (haversine) and whether a point is in or near
Kota Malang.

Kota Malang's centre is Wikipedia's coordinate for the city (en.wikipedia.org/wiki/Malang:
7°58′48″S 112°37′12″E, i.e. -7.98, 112.62); the city covers about 111 km² (the same page), so
every point of it is well within `MAX_FROM_CENTRE_KM` of the centre, and a point farther away
(Lawang, Batu, Surabaya, or latitude and longitude swapped) is refused.

The centroids of the 57 kelurahan are in ``services/data/kelurahan_centroids.csv`` (source in
its header: the Kemendagri boundaries as published by cahyadsn/wilayah_boundaries); a
kecamatan's centroid is the mean of its kelurahan's.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from services.wilayah import list_kelurahan, normalize_name

CENTROIDS_CSV = Path(__file__).parent / "data" / "kelurahan_centroids.csv"

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


@cache
def _centroids_by_code() -> dict[str, Point]:
    with CENTROIDS_CSV.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return {
        row["kode_kemendagri"]: Point(float(row["lat"]), float(row["lon"]))
        for row in csv.DictReader(lines)
    }


@cache
def _centroids_by_name() -> tuple[dict[tuple[str, str], Point], dict[str, Point]]:
    by_code = _centroids_by_code()
    kelurahan: dict[tuple[str, str], Point] = {}
    per_kecamatan: dict[str, list[Point]] = {}
    for place in list_kelurahan():
        point = by_code.get(place.code)
        if point is not None:
            kec = normalize_name(place.kecamatan)
            kelurahan[(kec, normalize_name(place.name))] = point
            per_kecamatan.setdefault(kec, []).append(point)
    kecamatan = {kec: c for kec, points in per_kecamatan.items() if (c := centroid(points))}
    return kelurahan, kecamatan


def place_centroid(kecamatan: str, kelurahan: str) -> Point | None:
    """The centroid of a kelurahan (names as stored, compared loosely), else of its
    kecamatan, else None."""
    by_kelurahan, by_kecamatan = _centroids_by_name()
    kec = normalize_name(kecamatan)
    return by_kelurahan.get((kec, normalize_name(kelurahan))) or by_kecamatan.get(kec)
