from services.categories import find_category, list_categories


async def test_default_categories_are_loaded_in_order(session):
    categories = await list_categories(session)
    assert [c.slug for c in categories][:3] == ["kuliner", "fesyen", "kriya"]
    assert len(categories) == 7


async def test_find_category_by_slug_or_name_variants(session):
    assert (await find_category(session, "Kuliner")).slug == "kuliner"
    assert (await find_category(session, "makanan-minuman")).slug == "kuliner"
    assert (await find_category(session, "kebutuhan pokok")).slug == "kebutuhan-pokok"
    assert (await find_category(session, "Crafts")).slug == "kriya"
    assert await find_category(session, "elektronik") is None
