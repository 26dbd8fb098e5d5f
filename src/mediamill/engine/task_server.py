"""The fork server task processes start from, started as early as a worker knows its queues.

Stdlib and settings only: `mediamill worker` starts it before importing the rest of the worker, as a
fork of itself (`start_task_server`), so the server's imports (mediamill's task-process side and the
queues' task modules) run on the second core while the worker's own run on the first. Task processes
are then forked from it (`engine.child`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import socket
import threading
import traceback
from collections.abc import Iterable
from multiprocessing import connection, resource_tracker, util

from mediamill.errors import ConfigError
from mediamill.settings import Settings

CONTEXT = multiprocessing.get_context("forkserver")
# What every task process imports before its first job, whatever its queue; `task_server_boot` first,
# so a child does not run the worker's main script again (it says why).
BASE_PRELOAD = ("mediamill.engine.task_server_boot", "mediamill.engine.child", "mediamill.logs")


def select_queues(settings: Settings, wanted: list[str] | None) -> list[str]:
    """The queues a worker serves: those asked for, else the settings' `workers`, else every known one."""
    known = settings.policies()
    names = wanted or settings.workers or list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def preload(modules: Iterable[str]) -> None:
    """What the fork server imports once, before it forks the first task process. Once it runs, a new
    list changes nothing: those children import what they miss themselves."""
    CONTEXT.set_forkserver_preload([*BASE_PRELOAD, *sorted(set(modules))])


def start_task_server(modules: Iterable[str]) -> None:
    """Preload these task modules and start the server now (it imports them in the background).

    Called before the process has a second thread, the server is a fork of this process: it starts
    with everything imported so far (settings, pydantic, the registry), where multiprocessing's own
    server is a new interpreter importing them all again (0.2 CPU-s, more than a task module).
    """
    preload(modules)
    if threading.active_count() == 1 and _forkable(multiprocessing.forkserver._forkserver):
        _fork_server(multiprocessing.forkserver._forkserver)
    multiprocessing.forkserver.ensure_running()  # a no-op once forked; else (or if it died) a new one


# What multiprocessing.forkserver.ForkServer holds on Python 3.11-3.13: the state a forked server
# must fill in. Another layout (a later Python adds an auth key) keeps multiprocessing's own start.
_SERVER_STATE = {"_forkserver_address", "_forkserver_alive_fd", "_forkserver_pid", "_inherited_fds", "_lock",
                 "_preload_modules"}


def _forkable(server) -> bool:
    return hasattr(os, "fork") and set(vars(server)) == _SERVER_STATE and server._forkserver_pid is None


def _fork_server(server) -> None:
    """multiprocessing.forkserver.ForkServer.ensure_running, with a fork of this process for the
    spawned interpreter: the same listener, "alive" pipe and `forkserver.main` loop."""
    with server._lock:
        resource_tracker.ensure_running()
        with socket.socket(socket.AF_UNIX) as listener:
            address = connection.arbitrary_address("AF_UNIX")
            listener.bind(address)
            if not util.is_abstract_socket_namespace(address):
                os.chmod(address, 0o600)
            listener.listen()
            alive_r, alive_w = os.pipe()  # EOF for the server once every holder of alive_w is gone
            pid = os.fork()
            if pid == 0:  # the server: it never returns into the worker's code
                code = 0
                try:
                    os.close(alive_w)
                    multiprocessing.forkserver.main(listener.fileno(), alive_r, server._preload_modules)
                except SystemExit:
                    pass
                except BaseException:  # noqa: BLE001 - reported on the worker's stderr, then gone
                    code = 1
                    traceback.print_exc()
                finally:
                    os._exit(code)  # never the worker's atexit hooks (its embedded Redis)
            os.close(alive_r)
        server._forkserver_address = address
        server._forkserver_alive_fd = alive_w
        server._forkserver_pid = pid
