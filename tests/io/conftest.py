"""One local Spark for the whole test session: its JVM takes seconds to start, a session on it none.
It serves Spark Connect too, on a free port of this machine's loopback, so that the Connect client
is tested against the same Spark without a second JVM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dashboard.io.engines import spark_session

QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"
"""The JVM's quick compiler only: a test's Spark is done before the optimising one would pay for the
CPU it takes (measured: 44 s of JVM CPU for the Spark tests instead of 78 s). With it alone the JVM
keeps 48 MB for compiled code instead of 240 MB, which the tests' one session filled (Spark compiles
every query's code): the JVM then failed ("Out of space in CodeCache for adapters")."""

TEST_SPARK = {
    "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
    "spark.connect.grpc.binding.address": "127.0.0.1",
    "spark.connect.grpc.binding.port": "0",
    "spark.driver.extraJavaOptions": QUICK_JVM,
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = spark_session(conf=TEST_SPARK)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_connect(spark) -> str:
    """The address of the test Spark's Connect server."""
    service = getattr(spark._jvm, "org.apache.spark.sql.connect.service.SparkConnectService$")
    return f"sc://127.0.0.1:{getattr(service, 'MODULE$').localPort()}"
