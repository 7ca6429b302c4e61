"""`timeline serve --workers 2`: gunicorn workers, compressed responses, cached assets, plain errors."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from benchmarks.dashreq import callback_body
from tests.browser.conftest import free_port
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("srv") / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", str(ROOT / "data" / "events.csv"),
                             "--port", str(port), "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            break
        except OSError:
            time.sleep(0.2)
    yield url, proc
    proc.terminate()
    proc.wait(30)
    log.close()


def get(url, **headers):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30)


def test_runs_gunicorn_with_two_workers(workers):
    url, proc = workers
    resp = get(url + "/")
    assert resp.headers["Server"].startswith("gunicorn")
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    python_workers = [c for c in children if "python" in open(f"/proc/{c}/cmdline", "rb").read().decode(errors="replace")]
    assert len(python_workers) == 2


def test_responses_are_compressed_and_assets_cached(workers):
    url, _ = workers
    resp = get(url + "/", **{"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(resp.read()).decode()
    script = page.split('<script src="')[1].split('"')[0]
    asset = get(url + script, **{"Accept-Encoding": "gzip"})
    assert "max-age=31536000" in asset.headers["Cache-Control"]


def test_callbacks_answer_and_malformed_requests_get_a_plain_400(workers):
    url, _ = workers
    body = callback_body([("details", "children")], [("selected", "data", 0)], [("dataset", "data", None)])
    req = urllib.request.Request(url + "/_dash-update-component", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    data = json.loads(urllib.request.urlopen(req, timeout=30).read())
    assert "Perry" in json.dumps(data)
    bad = urllib.request.Request(url + "/_dash-update-component", data=b"{not json",
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad, timeout=30)
    assert info.value.code == 400
    assert info.value.headers["Content-Type"].startswith("text/plain")
    assert info.value.read().decode() == "Bad request: a callback request must be a JSON object."


def test_the_default_server_is_gunicorn_without_a_development_warning(small_csv, tmp_path):
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", str(small_csv), "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(200):
                try:
                    resp = get(f"http://127.0.0.1:{port}/")
                    break
                except OSError:
                    time.sleep(0.2)
            assert resp.headers["Server"].startswith("gunicorn")
        finally:
            proc.terminate()
            proc.wait(30)
    text = log_path.read_text()
    assert "development server" not in text.lower() and "WARNING: This is a development server" not in text
    assert f"http://127.0.0.1:{port}/" in text
