"""An upload whose columns are not understood: the page offers the file's columns for each of ours,
and opens the file with the columns chosen (kept under a key of its own)."""

from __future__ import annotations

import base64

import pytest
from dash import no_update

from dashboard.core.columns import MAPPED
from dashboard.web.callbacks.upload import OUTPUTS, forget_gone, receive, reopen, reorder
from dashboard.web.datasets import Datasets
from dashboard.web.inputs import BadInput

CSV = b"When,What,Kind\n1066,Hastings,war\n1215,Magna Carta,politics\n"


def sent(data: bytes = CSV, name: str = "mine.csv") -> dict:
    return {"contents": "data:text/csv;base64," + base64.b64encode(data).decode(), "filename": name}


def unpack(outcome):
    """(key, status, hidden, {ours: (offered, chosen)})."""
    key, status, _themes, hidden, *rest = outcome
    n = len(MAPPED)
    return key, status, hidden, {o: (rest[i], rest[n + i]) for i, o in enumerate(MAPPED)}


def test_a_header_not_understood_offers_the_files_columns(services):
    key, status, hidden, offered = unpack(receive(services, sent()))
    assert key is no_update and hidden is False and "mine.csv was not opened" in str(status)
    assert offered["date"] == (["When", "What", "Kind"], None)
    assert set(offered) == {"date", "title", "themes", "end_date", "description"}


def test_what_was_recognised_is_chosen_already(services):
    _, _, hidden, offered = unpack(receive(services, sent(b"Start,What\n1066,Hastings\n")))
    assert hidden is False and offered["date"] == (["Start", "What"], "Start") and offered["title"][1] is None


def test_bad_cells_offer_no_choices(services):
    key, status, hidden, offered = unpack(receive(services, sent(b"date,title\n10x6,Hastings\n")))
    assert hidden is True and "line 2, column 'date'" in str(status)
    assert all(v == (no_update, no_update) for v in offered.values())


def test_the_file_opens_with_the_columns_chosen_and_is_kept_apart(services, tmp_path):
    key, status, hidden, _ = unpack(reopen(services, 1, sent(), "open", None, "When", "What", "Kind", None, None))
    assert isinstance(key, str) and hidden is True and "Opened mine.csv: 2 events, 2 themes" in str(status)
    again = Datasets(services.datasets.served, upload_dir=tmp_path / "up").get(key)  # another worker
    assert again.events["title"].tolist() == ["Hastings", "Magna Carta"] and again.themes == ["war", "politics"]
    other, *_ = reopen(services, 1, sent(), "open", None, "When", "Kind", None, None, None)
    assert other != key and services.datasets.get(other).events["title"].tolist() == ["war", "politics"]
    plain, *_ = receive(services, sent(b"date,title\n1066,Hastings\n"))
    assert len({key, other, plain}) == 3  # the same bytes read another way: another upload


def test_dates_that_need_an_order_offer_the_choice_and_open_in_the_order_chosen(services):
    us = b"date,title\n03/31/1854,Kanagawa\n07/08/1853,Perry\n"
    out = receive(services, sent(us, "us.csv"))
    assert out[0] is no_update and out[-2] is False and "say which order the file uses" in str(out[1])
    assert "--date-order" not in str(out[1])  # the command line's words: the page has its buttons
    assert out[-1] == "The file's dates such as 07/08/1853 are:"  # its own date (03/31/1854 needs none)
    assert receive(services, sent(us, "us.csv"), lang="ja")[-1] == "ファイルの「07/08/1853」のような日付の並びは："
    refused = receive(services, sent(b"date,title\n10x6,Hastings\n"))
    assert refused[-2] is True and refused[-1] is no_update  # no order would mend it
    out = reorder(services, "order-mdy", sent(us, "us.csv"), "open", None, "")
    assert isinstance(out[0], str) and out[-2] is True and "Opened us.csv: 2 events" in str(out[1])
    assert services.datasets.get(out[0]).events["date_text"].tolist() == ["03/31/1854", "07/08/1853"]
    assert services.datasets.get(out[0]).events["start"].tolist() == [
        services.datasets.get(receive(services, sent(b"date,title\n1854-03-31,K\n1853-07-08,P\n"))[0])
        .events["start"]
        .iat[i]
        for i in range(2)
    ]
    out = reorder(services, "order-dmy", sent(us, "us.csv"), "open", None, "")  # 31 is no month
    assert out[0] is no_update and "line 2, column 'date'" in str(out[1])
    assert reorder(services, "order-ymd", sent(us, "us.csv"), "open", None, "") == (no_update,) * len(OUTPUTS)


def test_a_key_the_server_lacks_is_forgotten_and_a_reload_gets_its_uploads_theme_filter(services):
    for junk in ("0" * 64, "not a key", 42):
        key, status, themes = forget_gone(services, junk, "en")
        assert key is None and "no longer on the server" in str(status) and themes is no_update
    assert forget_gone(services, None, "en") == (no_update,) * 3
    key, *_ = reopen(services, 1, sent(), "open", None, "When", "What", "Kind", None, None)
    after_upload = forget_gone(services, key, "en", {"themes": None}, "?themes=war")
    assert after_upload == (no_update,) * 3  # the upload set the filter itself
    kept, status, themes = forget_gone(services, key, "en", None, "?themes=war")  # a reload: no view yet
    assert kept is no_update and status is no_update
    assert [o["value"] for o in themes.options] == ["war", "politics"] and themes.value == ["war"]


def test_no_click_does_nothing(services):
    assert all(v is no_update for v in reopen(services, 0, sent(), "open", None, "When", None, None, None, None))


@pytest.mark.parametrize("values", [(5, None, None, None, None), (["When"], None, None, None, None), ("x" * 2000,) * 5])
def test_crafted_choices_are_refused(services, values):
    with pytest.raises(BadInput):
        reopen(services, 1, sent(), "open", None, *values)


def test_the_files_first_rows_are_shown_beside_the_choice(services):
    _, status, _, _ = unpack(receive(services, sent(b"When,What,Kind\n1066,<b>Hastings</b>,war\n1215,Magna Carta,x\n")))
    table = status[-1]  # after the problems: the header and first rows, as text
    text = str(table)
    assert "When" in text and "<b>Hastings</b>" in text and "Magna Carta" in text
    ja = receive(services, sent(), lang="ja")[1][-1]
    assert "ファイルの最初の数行" in str(ja)


def test_a_links_column_choices_read_the_upload(services):
    from dashboard.web.callbacks.upload import link_options

    options = link_options("?lang=ja&columns=date%3DWhen%2Ctitle%3DWhat%2Cthemes%3DKind")
    assert options.mapping == {"date": "When", "title": "What", "themes": "Kind"}
    key, status, hidden, _ = unpack(receive(services, sent(), options=options))
    assert isinstance(key, str) and hidden is True and "2 events, 2 themes" in str(status)
    assert link_options("?columns=nonsense").mapping == {} and link_options("").mapping == {}
