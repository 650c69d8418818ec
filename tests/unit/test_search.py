"""Product search on SQLite and PostgreSQL (every test runs on both)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Category, Merchant, Product
from services.search import normalize_query, search_products, variant_key

# (merchant name, kecamatan, kelurahan, is_open, status)
MERCHANTS = {
    "sanan": ("UD Sanan Jaya", "Blimbing", "Purwantoro", True, "active"),
    "rudy": ("Dapur Bu Rudy", "Klojen", "Kauman", True, "active"),
    "kopi": ("Kebun Kopi Lestari", "Kedungkandang", "Buring", True, "active"),
    "batik": ("Griya Batik Celaket", "Klojen", "Samaan", True, "active"),
    "apel": ("Sari Buah Tlogomas", "Lowokwaru", "Tlogomas", True, "active"),
    "kriya": ("Kriya Pandan Sukun", "Sukun", "Bandungrejosari", True, "active"),
    "closed": ("Warung Tutup Sementara", "Sukun", "Ciptomulyo", False, "active"),
    "suspended": ("Toko Dibekukan", "Blimbing", "Arjosari", True, "suspended"),
}

# (merchant, name, name_en, category slug, stock, is_active, description)
# fmt: off
PRODUCTS = [
    ("sanan", "Keripik Tempe Sanan", "Sanan Tempeh Chips", "kuliner", 10, True,
     "Keripik tempe renyah khas Sanan, digoreng tipis."),
    ("sanan", "Keripik Tempe Pedas", "Spicy Tempeh Chips", "kuliner", 0, True,
     "Keripik tempe dengan bumbu cabai."),
    ("sanan", "Tempe Mendoan Beku", None, "kuliner", 5, True,
     "Tempe mendoan siap goreng, tahan seminggu di freezer."),
    ("sanan", "Keripik Singkong Balado", "Cassava Chips", "kuliner", 7, True,
     "Singkong pilihan dengan bumbu balado."),
    ("sanan", "Kerupuk Ikan Tenggiri", None, "kuliner", 20, True,
     "Kerupuk ikan tenggiri asli Malang."),
    ("sanan", "Keripik Tempe Lama", None, "kuliner", 3, False,
     "Produk lama."),
    ("rudy", "Sambal Bawang Bu Rudy", "Bu Rudy Garlic Chili Sauce", "kuliner", 12, True,
     "Sambal bawang pedas dalam botol 200 gram."),
    ("rudy", "Sambal Terasi Pedas", None, "kuliner", 4, True,
     "Sambal terasi udang."),
    ("rudy", "Sambel Pecel Kacang", "Peanut Sauce", "kuliner", 9, True,
     "Bumbu pecel kacang tanah."),
    ("rudy", "Udang Crispy", "Crispy Shrimp", "kuliner", 6, True,
     "Udang goreng renyah, cocok dengan sambal."),
    ("kopi", "Kopi Dampit Robusta", "Dampit Robusta Coffee", "kuliner", 15, True,
     "Biji kopi robusta dari lereng Semeru, sangrai medium."),
    ("kopi", "Kopi Bubuk Arabika", "Ground Arabica Coffee", "kuliner", 8, True,
     "Kopi arabika bubuk 250 gram."),
    ("kopi", "Kopi Luwak Liar", "Wild Civet Coffee", "kuliner", 2, True,
     "Kopi luwak dari kebun Dampit."),
    ("kopi", "Teh Rosela Kering", "Dried Roselle Tea", "kuliner", 11, True,
     "Kelopak rosela kering untuk seduhan."),
    ("kopi", "Madu Kelengkeng", "Longan Honey", "kebutuhan-pokok", 6, True,
     "Madu murni dari peternak lebah."),
    ("batik", "Batik Tulis Malangan", "Malangan Hand-drawn Batik", "fesyen", 3, True,
     "Kain batik tulis motif Malangan, katun primisima."),
    ("batik", "Batik Cap Kawung", "Kawung Stamped Batik", "fesyen", 5, True,
     "Batik cap motif kawung."),
    ("batik", "Kemeja Batik Pria", "Men's Batik Shirt", "fesyen", 0, True,
     "Kemeja lengan panjang."),
    ("batik", "Selendang Sutra", "Silk Shawl", "fesyen", 4, True,
     "Selendang sutra dengan motif batik."),
    ("batik", "Kain Jumputan", "Tie-dye Cloth", "fesyen", 7, True,
     "Kain ikat celup."),
    ("apel", "Keripik Apel Batu", "Batu Apple Chips", "kuliner", 14, True,
     "Keripik buah apel manalagi."),
    ("apel", "Sari Apel", "Apple Juice", "kuliner", 30, True,
     "Minuman sari buah apel."),
    ("apel", "Jenang Apel", None, "kuliner", 0, True,
     "Dodol apel legit."),
    ("apel", "Cuka Apel", "Apple Cider Vinegar", "kebutuhan-pokok", 5, True,
     "Cuka apel fermentasi alami."),
    ("kriya", "Tas Anyaman Pandan", "Pandan Woven Bag", "kriya", 6, True,
     "Tas anyaman daun pandan buatan tangan."),
    ("kriya", "Tikar Pandan", "Pandan Mat", "perlengkapan-rumah", 4, True,
     "Tikar lipat dari daun pandan."),
    ("kriya", "Topeng Malangan Kayu", "Malangan Wooden Mask", "budaya", 2, True,
     "Topeng kayu tokoh Panji."),
    ("kriya", "Gerabah Hias", "Decorative Pottery", "kriya", 9, True,
     "Vas gerabah."),
    ("kriya", "Dompet Anyaman", "Woven Wallet", "kriya", 10, True,
     "Dompet kecil."),
    ("closed", "Keripik Tempe Tutup", None, "kuliner", 10, True,
     "Keripik tempe."),
    ("suspended", "Keripik Tempe Beku", None, "kuliner", 10, True,
     "Keripik tempe."),
]
# fmt: on


async def make_catalog(session: AsyncSession) -> dict[str, int]:
    """The catalog above; returns product ids by name."""
    categories = {c.slug: c.id for c in (await session.exec(select(Category))).all()}
    shops: dict[str, Merchant] = {}
    for i, (key, (name, kecamatan, kelurahan, is_open, status)) in enumerate(MERCHANTS.items()):
        shops[key] = Merchant(
            code=f"S{i:03d}",
            name=name,
            nib="1234567890123",
            kecamatan=kecamatan,
            kelurahan=kelurahan,
            phone=f"+62812000000{i:02d}",
            is_open=is_open,
            status=status,
        )
        session.add(shops[key])
    await session.commit()
    products = []
    for shop, name, name_en, slug, stock, active, description in PRODUCTS:
        products.append(
            Product(
                merchant_id=shops[shop].id,
                category_id=categories[slug],
                name=name,
                name_en=name_en,
                description=description,
                price=10_000 + 1_000 * len(products),
                stock=stock,
                unit="pcs",
                is_active=active,
            )
        )
    session.add_all(products)
    await session.commit()
    return {p.name: p.id for p in products}


async def names(session: AsyncSession, query: str, **kwargs: object) -> list[str]:
    result = await search_products(session, query, page_size=50, **kwargs)
    return [hit.name for hit in result.items]


# --- text normalisation (no database) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("keripik", "kripik"),
        ("kerupuk", "krupuk"),
        ("belimbing", "blimbing"),
        ("terasi", "trasi"),
        ("sambal", "sambel"),
        ("tempe", "tempeh"),
        ("cabai", "cabe"),
        ("kalau", "kalo"),
        ("kopi", "kopii"),
        ("soesoe", "susu"),
        ("djati", "jati"),
        ("tjap", "cap"),
        ("njonja", "nyonya"),
        ("izin", "ijin"),
        ("khas", "has"),
        ("akhir", "achir"),
        ("syukur", "sukur"),
        ("qurban", "kurban"),
        ("taxi", "taksi"),
    ],
)
def test_variant_key_merges_spelling_variants(a: str, b: str) -> None:
    assert variant_key(a) == variant_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("kopi", "topi"), ("batik", "batu"), ("apel", "april"), ("tas", "tahu"), ("madu", "malang")],
)
def test_variant_key_keeps_different_words_apart(a: str, b: str) -> None:
    assert variant_key(a) != variant_key(b)


def test_variant_key_is_deterministic_and_leaves_numbers_alone() -> None:
    assert variant_key("keripik") == "kripik"
    assert variant_key("sambel") == "sambal"
    assert variant_key("1000") == "1000"
    assert variant_key("250") == "250"
    assert variant_key("tempeh") == variant_key("tempeh")


def test_normalize_query() -> None:
    assert normalize_query("  Keripik   TEMPE!! ") == ["keripik", "tempe"]
    assert normalize_query("kopi dan teh yang di Malang") == ["kopi", "teh", "malang"]
    assert normalize_query("the best of coffee") == ["best", "coffee"]
    assert normalize_query("Kopi Café Crème") == ["kopi", "cafe", "creme"]
    assert normalize_query("kopi KOPI Kopi") == ["kopi"]
    assert normalize_query("a b c 1 2") == ["1", "2"]
    assert normalize_query("Batik-Tulis/Malangan,500gr") == ["batik", "tulis", "malangan", "500gr"]
    assert normalize_query("🔥🌶️") == []
    assert normalize_query("") == []
    assert normalize_query("dan yang di") == []
    assert len(normalize_query(" ".join(f"kata{i}" for i in range(50)))) == 8
    assert len(normalize_query("x" * 10_000)) == 1


# --- search: one golden ordering, the same on both backends -----------------------------------

GOLDEN = {
    # Products that match every word exist: those matching only "keripik" or "tempe" are cut.
    "keripik tempe": [
        "Keripik Tempe Sanan",
        "Keripik Tempe Pedas",  # sold out: after the equal-scoring in-stock product
    ],
    "kripik": [
        "Keripik Apel Batu",
        "Keripik Singkong Balado",
        "Keripik Tempe Sanan",
        "Keripik Tempe Pedas",
    ],
    "batik malang": ["Batik Tulis Malangan"],
    # Udang Crispy mentions sambal in its description only: cut beside the sambals.
    "sambel": ["Sambal Bawang Bu Rudy", "Sambal Terasi Pedas", "Sambel Pecel Kacang"],
    "kopi dampit": ["Kopi Dampit Robusta", "Kopi Luwak Liar"],
    "apple chips": ["Keripik Apel Batu"],
    "bu rudy": [
        "Sambal Bawang Bu Rudy",
        "Sambal Terasi Pedas",
        "Sambel Pecel Kacang",
        "Udang Crispy",
    ],
    "lowokwaru": ["Cuka Apel", "Keripik Apel Batu", "Sari Apel", "Jenang Apel"],
    "dampt": ["Kopi Dampit Robusta"],  # Kopi Luwak Liar has Dampit in its description only
    "tas": ["Tas Anyaman Pandan"],
}


async def test_golden_orderings(session: AsyncSession) -> None:
    await make_catalog(session)
    for query, expected in GOLDEN.items():
        assert await names(session, query) == expected, query


async def test_examples(session: AsyncSession) -> None:
    await make_catalog(session)
    kripik = await names(session, "kripik")
    assert {"Keripik Tempe Sanan", "Keripik Apel Batu", "Keripik Singkong Balado"} <= set(kripik)
    assert (await names(session, "batik malang"))[0] == "Batik Tulis Malangan"
    assert (await names(session, "Batik Malangan"))[0] == "Batik Tulis Malangan"
    sambal = await names(session, "sambel")
    assert {"Sambal Bawang Bu Rudy", "Sambal Terasi Pedas", "Sambel Pecel Kacang"} <= set(sambal)
    assert set(await names(session, "sambal")) == set(sambal)
    assert (await names(session, "kopi dampit"))[0] == "Kopi Dampit Robusta"
    assert (await names(session, "keripik tempe"))[0] == "Keripik Tempe Sanan"
    # English names
    assert set(await names(session, "coffee")) == {
        "Kopi Dampit Robusta",
        "Kopi Bubuk Arabika",
        "Kopi Luwak Liar",
    }
    assert (await names(session, "woven bag"))[0] == "Tas Anyaman Pandan"
    assert (await names(session, "tempeh chips"))[:2] == [
        "Keripik Tempe Sanan",
        "Keripik Tempe Pedas",
    ]
    # merchant name, kecamatan, category
    assert set(await names(session, "Griya Batik Celaket")) == {
        "Batik Tulis Malangan",
        "Batik Cap Kawung",
        "Kemeja Batik Pria",
        "Selendang Sutra",
        "Kain Jumputan",
    }
    assert set(await names(session, "sukun")) == {
        "Tas Anyaman Pandan",
        "Tikar Pandan",
        "Topeng Malangan Kayu",
        "Gerabah Hias",
        "Dompet Anyaman",
    }
    assert "Topeng Malangan Kayu" in await names(session, "budaya")
    # typos and case
    assert (await names(session, "KOPI DAMPTI"))[0] == "Kopi Dampit Robusta"
    assert (await names(session, "keripk tempe"))[0] == "Keripik Tempe Sanan"
    assert (await names(session, "anyamn pandan"))[0] == "Tas Anyaman Pandan"
    assert await names(session, "xylofonz") == []


async def test_hit_fields_and_terms(session: AsyncSession) -> None:
    ids = await make_catalog(session)
    result = await search_products(session, "Kopi dan DAMPIT")
    assert result.terms == ["kopi", "dampit"]
    hit = result.items[0]
    assert hit.product_id == ids["Kopi Dampit Robusta"]
    assert (hit.name, hit.name_en, hit.unit, hit.stock) == (
        "Kopi Dampit Robusta",
        "Dampit Robusta Coffee",
        "pcs",
        15,
    )
    assert hit.price == 20_000
    assert (hit.merchant_name, hit.kecamatan) == ("Kebun Kopi Lestari", "Kedungkandang")
    assert hit.score > result.items[1].score > 0
    assert hit.matched_terms == 2
    assert not hit.sold_out


async def test_corrections_are_reported(session: AsyncSession) -> None:
    await make_catalog(session)
    assert (await search_products(session, "kripik")).corrected == {"kripik": "keripik"}
    assert (await search_products(session, "sambl")).corrected == {"sambl": "sambal"}
    assert (await search_products(session, "kopi dampt")).corrected == {"dampt": "dampit"}
    assert (await search_products(session, "kopi dampit")).corrected == {}
    assert (await search_products(session, "xylofonz")).corrected == {}


async def test_multi_term_all_terms_first(session: AsyncSession) -> None:
    await make_catalog(session)
    # Nothing has both words: the products with either are shown, the stronger matches first.
    result = await search_products(session, "tempe apel", page_size=50)
    assert {hit.matched_terms for hit in result.items} == {1}
    assert {"Keripik Apel Batu", "Tempe Mendoan Beku", "Keripik Tempe Sanan"} <= {
        hit.name for hit in result.items
    }
    # With three words, results matching two of them stay below those matching all three.
    result = await search_products(session, "keripik tempe pedas", page_size=50)
    matched = [hit.matched_terms for hit in result.items]
    assert matched == sorted(matched, reverse=True) and matched[0] == 3
    assert min(matched) == 2
    assert result.items[0].name == "Keripik Tempe Pedas"


async def test_sold_out_ranked_after_equal_in_stock(session: AsyncSession) -> None:
    await make_catalog(session)
    result = await search_products(session, "keripik tempe")
    first, second = result.items[:2]
    assert first.score == second.score
    assert (first.name, first.sold_out) == ("Keripik Tempe Sanan", False)
    assert (second.name, second.sold_out) == ("Keripik Tempe Pedas", True)


async def test_hidden_closed_and_suspended_are_excluded(session: AsyncSession) -> None:
    await make_catalog(session)
    hidden = {"Keripik Tempe Lama", "Keripik Tempe Tutup", "Keripik Tempe Beku"}
    visible = await names(session, "keripik tempe")
    assert not hidden & set(visible)
    everything = await names(session, "keripik tempe", include_hidden=True)
    assert hidden <= set(everything)
    assert (await search_products(session, "tutup")).total == 0
    assert (await search_products(session, "dibekukan", include_hidden=True)).total == 1


async def test_visibility_is_live(session: AsyncSession) -> None:
    await make_catalog(session)
    shop = (await session.exec(select(Merchant).where(Merchant.name == "Dapur Bu Rudy"))).one()
    shop.is_open = False
    session.add(shop)
    await session.commit()
    assert await names(session, "sambal") == []
    shop.is_open = True
    session.add(shop)
    await session.commit()
    assert len(await names(session, "sambal")) == 3


async def test_pagination(session: AsyncSession) -> None:
    await make_catalog(session)
    everything = await search_products(session, "kuliner", page_size=50)
    assert everything.total == len(everything.items) == 16
    assert not everything.capped
    first = await search_products(session, "kuliner", page=0, page_size=6)
    second = await search_products(session, "kuliner", page=1, page_size=6)
    third = await search_products(session, "kuliner", page=2, page_size=6)
    assert first.total == second.total == third.total == 16
    assert first.pages == second.pages == third.pages == 3
    assert (first.page, second.page, third.page) == (0, 1, 2)
    pages = [[h.product_id for h in p.items] for p in (first, second, third)]
    assert not set(pages[0]) & set(pages[1])
    assert [len(p) for p in pages] == [6, 6, 4]
    assert sum(pages, []) == [h.product_id for h in everything.items]
    beyond = await search_products(session, "kuliner", page=99, page_size=6)
    assert beyond.page == 2 and [h.product_id for h in beyond.items] == pages[2]
    before = await search_products(session, "kuliner", page=-5, page_size=6)
    assert before.page == 0


NASTY = [
    '"',
    "'",
    "*",
    "kopi*",
    '"kopi',
    "NEAR(kopi dampit)",
    "kopi NEAR dampit",
    "kopi AND OR NOT",
    "AND",
    "NOT kopi",
    "-kopi",
    "^kopi",
    "{name_keys}: kopi",
    "name_keys:kopi",
    "kopi:A | tempe & !batik",
    "'kopi' | 'dampit'",
    "'; DROP TABLE products; --",
    "kopi%",
    "%_%",
    "\\",
    "\x00kopi",
    "kopi\u202e",
    "🔥🌶️🍜",
    "ｋｏｐｉ",
    "咖啡",
    "k" * 10_000,
    "kopi " * 2_500,
    "",
    "   ",
    "\n\t",
]


@pytest.mark.parametrize("query", NASTY)
async def test_any_input_is_safe(session: AsyncSession, query: str) -> None:
    await make_catalog(session)
    result = await search_products(session, query)
    assert result.total >= len(result.items)
    if "kopi" in query.lower() or query == "ｋｏｐｉ":
        assert "Kopi Dampit Robusta" in [h.name for h in result.items]
    assert (await search_products(session, "kopi dampit")).items[0].name == "Kopi Dampit Robusta"


@pytest.mark.parametrize("query", ["", "   ", "dan yang di", "the of and", "🔥", "?!"])
async def test_empty_queries_give_an_empty_page(session: AsyncSession, query: str) -> None:
    await make_catalog(session)
    result = await search_products(session, query)
    assert (result.items, result.total, result.terms, result.corrected) == ([], 0, [], {})
    assert result.page == 0


async def test_changes_update_the_results(session: AsyncSession) -> None:
    ids = await make_catalog(session)
    assert "Tas Anyaman Pandan" in await names(session, "anyaman")
    bag = await session.get(Product, ids["Tas Anyaman Pandan"])
    bag.name = "Tas Rotan Pandan"
    bag.description = "Tas rotan buatan tangan."
    session.add(bag)
    await session.commit()
    assert await names(session, "anyaman") == ["Dompet Anyaman"]
    assert await names(session, "rotan") == ["Tas Rotan Pandan"]

    await session.delete(bag)
    await session.commit()
    assert await names(session, "rotan") == []
    assert "Tas Rotan Pandan" not in await names(session, "pandan")

    # A product added later is found.
    shop = (
        await session.exec(select(Merchant).where(Merchant.name == "Kriya Pandan Sukun"))
    ).one()
    category = (await session.exec(select(Category).where(Category.slug == "kriya"))).one()
    session.add(
        Product(
            merchant_id=shop.id,
            category_id=category.id,
            name="Keranjang Bambu",
            price=45_000,
            stock=3,
            description="Keranjang anyaman bambu.",
        )
    )
    await session.commit()
    assert (await names(session, "keranjang"))[0] == "Keranjang Bambu"
    assert (await names(session, "bambu"))[0] == "Keranjang Bambu"


async def test_products_deleted_by_their_shop_are_never_found(session: AsyncSession) -> None:
    from datetime import UTC, datetime

    ids = await make_catalog(session)
    wallet = await session.get(Product, ids["Dompet Anyaman"])
    wallet.deleted_at = datetime.now(UTC)
    session.add(wallet)
    await session.commit()
    assert await names(session, "anyaman") == ["Tas Anyaman Pandan"]
    assert await names(session, "anyaman", include_hidden=True) == ["Tas Anyaman Pandan"]


async def test_merchant_and_category_renames_reindex(session: AsyncSession) -> None:
    await make_catalog(session)
    shop = (await session.exec(select(Merchant).where(Merchant.name == "Dapur Bu Rudy"))).one()
    shop.name = "Dapur Mbak Sari"
    shop.kecamatan = "Blimbing"
    session.add(shop)
    await session.commit()
    assert await names(session, "rudy") == ["Sambal Bawang Bu Rudy"]
    assert set(await names(session, "mbak")) == {
        "Sambal Bawang Bu Rudy",
        "Sambal Terasi Pedas",
        "Sambel Pecel Kacang",
        "Udang Crispy",
    }
    assert "Udang Crispy" in await names(session, "blimbing")

    category = (await session.exec(select(Category).where(Category.slug == "budaya"))).one()
    category.name_id = "Seni Pertunjukan"
    session.add(category)
    await session.commit()
    assert await names(session, "pertunjukan") == ["Topeng Malangan Kayu"]
    assert await names(session, "budaya") == []


async def test_rebuild_gives_the_same_results(session: AsyncSession) -> None:
    from services.search import rebuild_search_index

    await make_catalog(session)
    before = {q: await names(session, q) for q in GOLDEN}
    assert await rebuild_search_index(session) == len(PRODUCTS)
    assert {q: await names(session, q) for q in GOLDEN} == before


async def test_capped_candidates_keep_the_best_tiers(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More matches than candidates: name matches are kept before description-only ones,
    on both backends alike (the cap is applied in the database)."""
    from services import search

    monkeypatch.setattr(search, "MAX_CANDIDATES", 12)
    category = (await session.exec(select(Category).where(Category.slug == "kuliner"))).one()
    shop = Merchant(
        code="C001",
        name="Warung Serba Ada",
        nib="1234567890123",
        kecamatan="Klojen",
        kelurahan="Kauman",
        phone="+6281200000099",
    )
    seller = Merchant(
        code="C002",
        name="Toko Kopi Kita",
        nib="1234567890123",
        kecamatan="Sukun",
        kelurahan="Gadang",
        phone="+6281200000098",
    )
    session.add_all([shop, seller])
    await session.commit()
    # Low ids: the word only in the description, or only in the merchant name.
    for i in range(15):
        session.add(
            Product(
                merchant_id=shop.id,
                category_id=category.id,
                name=f"Gula Aren {i}",
                description="Pas untuk kopi pagi.",
                price=5_000,
                stock=5,
            )
        )
    for i in range(5):
        session.add(
            Product(
                merchant_id=seller.id,
                category_id=category.id,
                name=f"Gelas {i}",
                price=5_000,
                stock=5,
            )
        )
    await session.commit()
    # High ids: the word in the name.
    for i in range(4):
        session.add(
            Product(
                merchant_id=shop.id,
                category_id=category.id,
                name=f"Kopi Tubruk {i}",
                price=5_000,
                stock=5 if i else 0,
            )
        )
    await session.commit()

    result = await search_products(session, "kopi", page_size=50)
    # The 12 candidates kept: the 4 name matches, the 5 shop-name matches and the first 3
    # description-only matches by id; those 3 are then cut as weak beside the name matches.
    assert result.capped and result.total == 9
    assert [h.name for h in result.items] == [
        "Kopi Tubruk 1",
        "Kopi Tubruk 2",
        "Kopi Tubruk 3",
        "Gelas 0",
        "Gelas 1",
        "Gelas 2",
        "Gelas 3",
        "Gelas 4",
        "Kopi Tubruk 0",  # sold out: after everything in stock
    ]
    two = await search_products(session, "kopi pagi", page_size=50)
    # Both words are only in the descriptions: 12 of those are kept, the partial matches cut.
    assert two.capped and two.total == 12
    assert [h.matched_terms for h in two.items] == [2] * 12
    assert [h.name for h in two.items][:3] == ["Gula Aren 0", "Gula Aren 1", "Gula Aren 10"]


async def test_candidate_selection_matches_tier_by_tier_reference(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut selection (skip tiers contained in a tier that fits) keeps exactly what
    taking every tier in turn would keep."""
    import random

    from sqlalchemy import text

    from services import search

    cap = 9
    monkeypatch.setattr(search, "MAX_CANDIDATES", cap)
    rng = random.Random(5)
    vocabulary = ["kopi", "teh", "gula", "aren", "susu", "madu", "pedas", "manis", "jahe"]
    category = (await session.exec(select(Category).where(Category.slug == "kuliner"))).one()
    shops = [
        Merchant(
            code=f"R{i}",
            name=f"Toko {word.title()}",
            nib="1234567890123",
            kecamatan="Klojen",
            kelurahan="Kauman",
            phone=f"+628120000010{i}",
        )
        for i, word in enumerate(["Kopi", "Madu", "Sejahtera"])
    ]
    session.add_all(shops)
    await session.commit()
    for i in range(60):
        session.add(
            Product(
                merchant_id=rng.choice(shops).id,
                category_id=category.id,
                name=" ".join(rng.sample(vocabulary, 2)) + f" {i}",
                description=" ".join(rng.sample(vocabulary, 3)),
                price=1_000,
                stock=1,
            )
        )
    await session.commit()
    await search.sync_search_index(session)

    for query in ["kopi", "madu", "gula", "kopi manis", "teh jahe susu", "toko kopi", "mad"]:
        state = await search._index_state(session)
        vocab = await search._vocabulary(session, state)
        terms = [search._expand(w, vocab) for w in normalize_query(query)]
        sqlite = session.bind.dialect.name == "sqlite"
        reference: list[int] = []
        for chain in search._tiers(terms, vocab, sqlite):
            for tier in chain:
                sql = search._tier_sql(tier, sqlite=sqlite, include_hidden=False)
                params = {"n": 10_000, "active": "active"}
                params.update({f"q{i}": expression for i, (_, expression) in enumerate(tier)})
                for row in await session.exec(text(sql), params=params):
                    pid = row[0]  # the candidate's id, then what ranking needs of it
                    if pid not in reference and len(reference) < cap:
                        reference.append(pid)
        rows, _ = await search._candidates(session, terms, vocab, include_hidden=False)
        assert sorted(row[0] for row in rows) == sorted(reference), query
