"""How a file is read: one value carried to every loader and into the cache's key."""

import pytest

from dashboard.core.validation import validate_table
from dashboard.io.read_options import ReadOptions


def test_options_from_text_or_mapping_are_equal_and_keyed_apart():
    a = ReadOptions.of("date=Start,title=Event")
    assert a == ReadOptions.of({"date": "Start", "title": "Event"}) and a.mapping == {"date": "Start", "title": "Event"}
    keys = {ReadOptions().key(), a.key(), ReadOptions.of(sheet="S").key(), ReadOptions.of(date_order="dmy").key()}
    assert len(keys) == 4 and ReadOptions().key() == ""


@pytest.mark.parametrize("order", ["dmy", "mdy"])
def test_date_order_is_accepted_and_carried(order):
    import pyarrow as pa

    table = pa.table({"date": ["1990"], "title": ["x"], "themes": ["a"]})
    assert len(validate_table(table, [], "t", lambda: None, date_order=order).events) == 1
    assert ReadOptions.of(date_order=order).date_order == order


def test_an_unknown_date_order_is_refused():
    with pytest.raises(ValueError, match="dmy, mdy"):
        ReadOptions(date_order="ymd")
