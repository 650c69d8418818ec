"""A small relevance set for product search, on the demo catalog (services/data/demo).

Each case is a query as a buyer types it, the products a buyer means by it (`relevant`), the
ones that must come first (`first`, any order among them) and the ones that must not be shown
(`never`). tests/unit/test_search_relevance.py holds the search to the cases; bench/search.py
reports precision@5 and recall over them beside the latency.

precision@5: of the first five results (fewer when fewer are found), the share that is
relevant. recall: of the relevant products, the share found at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from services.search import search_products

BATIK = {
    "Batik Tulis Malangan Motif Teplok",
    "Kemeja Batik Malangan Pria",
    "Blus Batik Wanita Motif Kembang Teh",
    "Selendang Batik Cap",
}
BATIK_IN_STOCK = BATIK - {"Selendang Batik Cap"}
KERIPIK_TEMPE = {"Keripik Tempe Sanan Original 250 g", "Keripik Tempe Pedas Balado 250 g"}
KOPI = {
    "Kopi Dampit Robusta Bubuk 200 g",
    "Kopi Dampit Biji Sangrai 500 g",
    "Kopi Dampit Drip Bag isi 10",
}
TOPENG = {
    "Topeng Malangan Panji Asmorobangun",
    "Topeng Malangan Mini Souvenir",
    "Pentas Tari Topeng Malangan",
    "Kelas Menari Topeng untuk Anak",
}
SAMBAL = {"Sambal Bawang Original 250 g", "Sambal Bawang Cumi 250 g", "Sambal Terasi Pedas 250 g"}
GERABAH = {
    "Kendi Gerabah",
    "Celengan Gerabah Ayam",
    "Pot Bunga Gerabah Ukir",
    "Kelas Membuat Gerabah",
}
KERAMIK = {
    "Set Piring Keramik Dinoyo isi 6",
    "Vas Bunga Keramik Dinoyo",
    "Mug Keramik Lukis Malang",
}
APEL = {"Apel Batu Manalagi 1 kg", "Apel Batu Anna 1 kg", "Strudel Apel Malang", "Pia Apel isi 8"}
NOT_BATIK = {"Strudel Apel Malang", "Pentas Tari Topeng Malangan", "Mug Keramik Lukis Malang"}


@dataclass(frozen=True)
class Case:
    query: str
    relevant: frozenset[str]
    first: frozenset[str] = frozenset()
    never: frozenset[str] = frozenset()


def case(
    query: str,
    relevant: set[str],
    first: set[str] | None = None,
    never: set[str] | None = None,
) -> Case:
    return Case(query, frozenset(relevant), frozenset(first or ()), frozenset(never or ()))


CASES = [
    # The findings of issue 14: other products of Malang, a sold-out batik above batik in
    # stock, a misspelt query bringing unrelated products.
    case("batik malang", BATIK, first=BATIK_IN_STOCK, never=NOT_BATIK),
    case("btaik malng", BATIK, first=BATIK_IN_STOCK, never=NOT_BATIK),
    case("batik", BATIK, first=BATIK_IN_STOCK),
    case("keripik tempe", KERIPIK_TEMPE, first=KERIPIK_TEMPE),
    case("kripik tempe", KERIPIK_TEMPE, first=KERIPIK_TEMPE),
    case("tempeh chips", KERIPIK_TEMPE, first=KERIPIK_TEMPE),
    case("kopi", KOPI, first=KOPI),
    case("kopi dampit", KOPI, first=KOPI),
    case("coffee", KOPI, first=KOPI),
    case("kopi dampt", KOPI, first=KOPI),
    case("topeng malangan", TOPENG, first=TOPENG - {"Kelas Menari Topeng untuk Anak"}),
    case("topeng", TOPENG, first=TOPENG),
    case("mask dance", {"Pentas Tari Topeng Malangan", "Kelas Menari Topeng untuk Anak"}),
    case("sambal", SAMBAL, first=SAMBAL - {"Sambal Terasi Pedas 250 g"}),
    case("sambel bawang", SAMBAL - {"Sambal Terasi Pedas 250 g"}),
    case("gerabah", GERABAH, first=GERABAH),
    case("gerabh", GERABAH, first=GERABAH),
    case("keramik dinoyo", KERAMIK, first=KERAMIK - {"Mug Keramik Lukis Malang"}),
    case("apel", APEL, first={"Apel Batu Manalagi 1 kg", "Apel Batu Anna 1 kg"}),
    case("apel batu", {"Apel Batu Manalagi 1 kg", "Apel Batu Anna 1 kg"}),
    case("strudel", {"Strudel Apel Malang", "Strudel Keju"}),
    case("tas anyaman", {"Tas Anyaman Pandan", "Tas Anyaman Rotan Bulat"}),
    case("anyaman bambu", {"Keranjang Anyaman Bambu", "Tudung Saji Bambu"}),
    case("jahit", {"Jasa Jahit Kemeja Seragam", "Jasa Jahit Kebaya", "Permak Celana"}),
    case("beras organik", {"Beras Organik 5 kg"}, first={"Beras Organik 5 kg"}),
    case("sayur organik", {"Paket Sayur Organik"}, first={"Paket Sayur Organik"}),
    case("telur ayam", {"Telur Ayam Kampung isi 10"}, never={"Celengan Gerabah Ayam"}),
    case("bakpao", {"Bakpao Telo Isi Cokelat isi 10", "Bakpao Telo Isi Kacang Hijau isi 10"}),
    case("jahe", {"Wedang Rempah Jahe Merah"}),
]


@dataclass
class Outcome:
    case: Case
    shown: list[str]
    precision_at_5: float
    recall: float
    problems: list[str] = field(default_factory=list)


async def evaluate(session: AsyncSession, cases: list[Case] = CASES) -> list[Outcome]:
    outcomes = []
    for c in cases:
        result = await search_products(session, c.query, page_size=50)
        shown = [hit.name for hit in result.items]
        top5 = shown[:5]
        precision = sum(1 for n in top5 if n in c.relevant) / len(top5) if top5 else 0.0
        recall = len(c.relevant & set(shown)) / len(c.relevant) if c.relevant else 1.0
        problems = []
        head = set(shown[: len(c.first)])
        if c.first and head != c.first:
            problems.append(f"first {sorted(c.first)}, got {shown[: len(c.first)]}")
        if c.never & set(shown):
            problems.append(f"shows {sorted(c.never & set(shown))}")
        outcomes.append(Outcome(c, shown, precision, recall, problems))
    return outcomes
