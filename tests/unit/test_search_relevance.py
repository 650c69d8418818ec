"""Search on the relevance set (tests/search_relevance.py): the products a buyer means come
first, unrelated ones are not shown, on both backends."""

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.demo import seed_demo
from services.search import search_products
from tests.search_relevance import NOT_BATIK, evaluate


async def test_every_case_of_the_relevance_set(session: AsyncSession) -> None:
    await seed_demo(session)
    outcomes = await evaluate(session)
    problems = {o.case.query: o.problems for o in outcomes if o.problems}
    assert problems == {}
    # Nothing a buyer means is lost by the cuts.
    assert [o.case.query for o in outcomes if o.recall < 1] == []
    # The figures bench/search.py reports, held where they stand (a change that lowers them
    # shows here first).
    mean_p5 = sum(o.precision_at_5 for o in outcomes) / len(outcomes)
    assert mean_p5 >= 0.93


@pytest.mark.parametrize("query", ["batik malang", "btaik malng"])
async def test_batik_malang_shows_the_batik_in_stock_first_and_nothing_else(
    session: AsyncSession, query: str
) -> None:
    await seed_demo(session)
    result = await search_products(session, query, page_size=50)
    names = [hit.name for hit in result.items]
    assert len(names) == 4 and not NOT_BATIK & set(names)
    assert names[-1] == "Selendang Batik Cap"  # sold out: last
    assert all(hit.stock > 0 for hit in result.items[:3])
