"""What the web tests share: the callbacks' services over the small test file, and a view as a page
stores it."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from dashboard.core.query import View
from dashboard.io.formats import load_timeline
from dashboard.web.callbacks.services import Services
from dashboard.web.datasets import Datasets


@pytest.fixture
def services(small_csv, tmp_path):
    """The callbacks' services, serving the small test file, with an upload folder of the test's own."""
    return Services(Datasets(load_timeline(small_csv), upload_dir=tmp_path / "up"), "Served")


def stored(view: View) -> dict:
    """The view as a page holds it (lists where the view has tuples)."""
    data = {**asdict(view), "dataset": None}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}
