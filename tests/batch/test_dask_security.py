"""The local Dask cluster of ``batch``/``compare`` is closed to other processes: they cannot connect
to its scheduler (so cannot run code in its workers), and its HTTP server has no fixed port and
serves nothing."""

from __future__ import annotations

import operator
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

import pytest

from village_sim.batch.runner import start_local_cluster

OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from distributed import Client
    try:
        client = Client(sys.argv[1], timeout="3s")
        print("CONNECTED", client.run(lambda: "ran code in a worker"))
    except Exception as exc:
        print("REFUSED", type(exc).__name__)
    """
)


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - a distributed.LocalCluster
    cluster = start_local_cluster(1)
    yield cluster
    cluster.close()


def test_scheduler_speaks_tls_on_localhost(cluster) -> None:  # noqa: ANN001
    assert cluster.scheduler_address.startswith("tls://127.0.0.1:")


@pytest.mark.parametrize("scheme", ["tls://", "tcp://"])
def test_another_process_is_refused(cluster, scheme: str) -> None:  # noqa: ANN001
    address = cluster.scheduler_address.replace("tls://", scheme)
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, address],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "REFUSED" in result.stdout, (result.stdout, result.stderr[-2000:])
    assert "CONNECTED" not in result.stdout


def test_its_own_client_works(cluster) -> None:  # noqa: ANN001
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:
        assert client.submit(operator.add, 1, 2).result() == 3


def test_http_server_has_no_fixed_port_and_serves_nothing(cluster) -> None:  # noqa: ANN001
    port = cluster.scheduler.http_server.port
    assert port != 8787
    for page in ("status", "health", "info/main/workers.html", "metrics"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=10)  # noqa: S310
        assert info.value.code == 404
