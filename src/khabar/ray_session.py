"""Starting or joining Ray, for every part of khabar that hands work to a Ray cluster: batch
prediction (`serving.ray`) and the streaming kind's featurizing (`models.stream.on_ray`).

Why one module: Ray is an optional extra with a few traps (a missing `ray.data`, an unreachable
address that looks like a hang, workers that take every CPU so the pipeline stalls, a user's
mistake coming back wrapped in Ray's exception), and each is handled once, here. `ray` is
imported only when called.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from contextlib import contextmanager
from typing import Iterator, Optional

from .errors import KhabarError


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 - the Data library comes with the [data] extra only
    except ImportError as exc:
        raise KhabarError(f"the ray engine needs Ray Data ({exc.name} is missing): pip install 'khabar[ray]'") from None
    if importlib.util.find_spec("aiohttp") is None and "fsspec.implementations.http" not in sys.modules:
        # Ray Data lists files in several threads, each importing fsspec's HTTP filesystem to
        # test for it. Without aiohttp that import fails, and when two threads race, one sees a
        # half-imported module and Ray aborts the read (ray 2.60, seen with 8 Parquet shards).
        # Mark the module absent once, so every thread gets the clean "not installed" answer.
        sys.modules["fsspec.implementations.http"] = None
    return ray


#: Seconds to wait for a Ray head's port to accept a connection before giving up (one line).
CONNECT_TIMEOUT = 10.0


def check_reachable(address: Optional[str], timeout: float = CONNECT_TIMEOUT) -> None:
    """Refuse, within `timeout` seconds, a cluster address whose port does not answer: Ray's own
    client retries with growing waits and its GCS client waits a minute or more per try, so an
    unreachable `--address` looked like a hang. "auto", "local" and None start or find a local Ray."""
    if not address or address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].split("/", 1)[0]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise KhabarError(f"--address {address}: expected host:port, ray://host:port or auto")
    host = host.strip("[]")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, (socket.timeout, TimeoutError)) else (exc.strerror or str(exc))
        raise KhabarError(f"--address {address}: cannot reach the Ray cluster ({reason} after at most "
                          f"{timeout:g} s); start it (ray start --head) or check the address") from None


def start_ray(ray, address: Optional[str], progress: bool) -> bool:
    """Start or join Ray unless this process already did; whether it was started here (and so must
    be shut down by the caller). A cluster that cannot be joined is one line naming `address`."""
    if ray.is_initialized():
        return False
    check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=progress, configure_logging=progress)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
        raise KhabarError(f"--address {address}: cannot join the Ray cluster ({' '.join(str(exc).split())[:160]}); "
                          "start it (ray start --head) or check the address") from None
    return True


def worker_cpus(ray, num_workers: int) -> float:
    """CPUs each labeling worker reserves: one, but never so many that the workers hold every
    CPU; reading and writing tasks need one too, or the pipeline waits for ever (seen with 2
    workers on 2 cores). Torch in a worker still runs one thread per reserved core, rounded up."""
    total = ray.cluster_resources().get("CPU", 1.0)
    return max(0.1, min(1.0, (total - 1.0) / num_workers))


def find_khabar_error(exc: BaseException) -> Optional[str]:
    """The message of a KhabarError raised in a worker. Ray hands back its own exception type
    with the worker's traceback as text (the original object does not survive), so read that."""
    found = re.findall(r"khabar\.errors\.KhabarError: (.+)", str(exc))
    return found[-1].strip() if found else None


@contextmanager
def user_errors_from_workers() -> Iterator[None]:
    """Around a Ray job: a user's mistake raised in a worker comes back wrapped in Ray's exception;
    it is raised again as the one-line KhabarError it was (`find_khabar_error`), anything else as is."""
    try:
        yield
    except Exception as exc:
        user_error = find_khabar_error(exc)
        if user_error is not None:
            raise KhabarError(user_error) from None
        raise
