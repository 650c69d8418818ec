"""Distances (haversine), points in Kota Malang, and the order of shops by distance."""

from __future__ import annotations

from datetime import date

import pytest

from services.fairness import FairnessPolicy, Standing
from services.geo import (
    Point,
    centroid,
    distance_km,
    parse_point,
    place_centroid,
    valid_point,
)
from services.nearby import NearbyShop, order_by_distance
from services.wilayah import list_kelurahan


def test_haversine_distance():
    # One degree of latitude is 111.195 km on the mean sphere; 0.01° of longitude at 7.98°S
    # is 1.1119 * cos(7.98°) = 1.1012 km.
    assert distance_km(Point(-7.0, 112.0), Point(-8.0, 112.0)) == pytest.approx(111.195, abs=0.01)
    assert distance_km(Point(-7.98, 112.62), Point(-7.98, 112.63)) == pytest.approx(
        1.1012, abs=0.001
    )
    assert distance_km(Point(-7.98, 112.62), Point(-7.98, 112.62)) == 0.0


def test_points_in_kota_malang():
    assert valid_point(-7.9666, 112.6326)  # Alun-alun Malang
    assert not valid_point(112.6326, -7.9666)  # swapped
    assert not valid_point(-7.83, 112.70)  # Lawang, Kabupaten Malang (19 km)
    assert not valid_point(float("nan"), 112.6)
    assert parse_point("-7.96, 112.63") == Point(-7.96, 112.63)
    assert parse_point("-7.96;112.63") == Point(-7.96, 112.63)
    assert parse_point("-7,96") is None and parse_point("abc,def") is None
    assert centroid([Point(-7.9, 112.6), Point(-8.0, 112.7)]) == Point(-7.95, 112.65)
    assert centroid([]) is None


def _shop(id_: int, lon: float | None, kelurahan: str = "Kauman") -> NearbyShop:
    return NearbyShop(id_, f"T{id_}", kelurahan, 1, "Klojen", None if lon is None else -7.98, lon)


def _standing(sales: dict[int, int], day: date = date(2026, 11, 27)) -> Standing:
    return Standing(date(2026, 11, 1), day, sales, 5, FairnessPolicy(monthly_cap=0), None, sales)


def test_nearest_first_and_fair_among_equally_near():
    here = Point(-7.98, 112.62)
    shops = [
        _shop(1, 112.65),  # 3.3 km
        _shop(2, 112.6309),  # 1.2 km
        _shop(3, 112.6310, "Oro-oro Dowo"),  # 1.2 km, the same 0.5 km step as 2
        # No coordinates: Oro-oro Dowo's centroid (-7.96900, 112.62526), 1.35 km.
        _shop(4, None, "Oro-oro Dowo"),
        # A kelurahan not in Klojen: Klojen's centroid (the mean of its 11 kelurahan), 1.05 km.
        _shop(5, None, "Atlantis"),
    ]
    ordered = order_by_distance(shops, here, _standing({2: 3}))
    # Shop 2 sold this month: after the equally near shops without a sale.
    assert [s.id for s in ordered][3:] == [2, 1]
    assert {s.id for s in ordered[:3]} == {3, 4, 5}
    by_id = {s.id: s for s in ordered}
    assert by_id[4].estimated and by_id[4].distance_km == pytest.approx(1.353, abs=0.002)
    assert by_id[5].estimated and by_id[5].distance_km == pytest.approx(1.052, abs=0.002)
    assert not by_id[3].estimated
    assert by_id[1].distance_km == pytest.approx(3.304, abs=0.002)
    # The equally near ones rotate from day to day: each is first on some day.
    firsts = {
        order_by_distance(shops, here, _standing({2: 3}, date(2026, 11, d)))[0].id
        for d in range(1, 10)
    }
    assert firsts == {3, 4, 5}


def test_a_shop_of_an_unknown_place_comes_last():
    here = Point(-7.98, 112.62)
    lone = NearbyShop(9, "T9", "Atlantis", 1, "Batu")
    ordered = order_by_distance([lone, _shop(1, 112.65)], here, _standing({}))
    assert [s.id for s in ordered] == [1, 9] and ordered[1].distance_km is None


def test_the_57_kelurahan_centroids():
    places = list_kelurahan()
    assert len(places) == 57
    for place in places:
        point = place_centroid(place.kecamatan, place.name)
        assert point is not None and valid_point(point.lat, point.lon), place
    # Spelled loosely, as stored names may be.
    assert place_centroid("klojen", "Oro Oro Dowo") == Point(-7.969, 112.62526)
    assert place_centroid("Lowokwaru", "Tasikmadu") == Point(-7.91898, 112.6271)
    assert place_centroid("Batu", "Atlantis") is None
