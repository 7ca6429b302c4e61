"""The core's SQL helpers that work on arrays: the searchable text in lower case."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dashboard.core.sql import lower_case


@pytest.mark.parametrize(
    "values",
    [
        ["Treaty of KANAGAWA", "Summit", ""],
        ["Émile Zola", "ΟΔΥΣΣΕΥΣ", "İstanbul", "plain ASCII"],
        ["Straße", "ǅemal", "東京 Tokyo"],
        [],
        [None, "Mixed NULL"],
    ],
    ids=["ascii", "accents-and-greek", "special-cases", "empty", "null"],
)
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_lower_case_is_unicodes_whichever_way_it_is_done(values, kind):
    text = pa.array(values, kind)
    assert lower_case(text).equals(pc.utf8_lower(text))
    if len(values) > 1:  # a slice whose buffer holds text beyond it
        assert lower_case(text.slice(1)).equals(pc.utf8_lower(text.slice(1)))


def test_a_slice_of_ascii_beside_other_text_is_lowered_right():
    text = pa.array(["ÀB", "CD"], pa.string()).slice(1)
    assert lower_case(text).to_pylist() == ["cd"]
