"""kiosk.stock.services.stock_state: what the stock page marks on a product's row."""
import pytest

from kiosk.stock.services import stock_state


@pytest.mark.parametrize("qty, low, state", [
    (-1, 5, "negative"), (-40, 0, "negative"),
    (0, 5, "low"), (5, 5, "low"), (0, 0, "low"),
    (6, 5, "ok"), (1, 0, "ok"),
])
def test_the_state_of_a_stock_level(qty, low, state):
    assert stock_state(qty, low) == state
