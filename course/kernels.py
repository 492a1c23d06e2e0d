"""The Jupyter kernels that the course's tools start: on a private socket, quiet, without port races.

By default a kernel listens on five TCP ports that the client picked by asking the system for
free ones and releasing them; another process starting a kernel at the same moment can take one
of them first ("Address already in use", then "Kernel didn't respond"). The kernel also warns, in
English, that TCP is unencrypted. On Linux and macOS, :class:`PrivateKernelManager` puts the
kernel's sockets (IPC, i.e. Unix domain sockets) in a folder only this process uses instead: no
port to race for, no network exposure, no warning. Elsewhere (Windows) it behaves as the stock
manager does.

Used by ``python -m course.selfcheck`` and the instructor's build (:class:`PrivateKernelManager`)
and by every nbgrader run of the course (:func:`ipc_config`, in ``autograder.nbgrader_setup``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import weakref
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets.config import Config

#: Folders hold sockets named ``k-<n>``; a Unix socket path may have at most 107 bytes.
_MAX_SOCKET_PATH = 100


def _socket_folder() -> str | None:
    """A new private folder for one kernel's sockets, or None where IPC cannot be used."""
    if os.name != "posix":
        return None
    for parent in (tempfile.gettempdir(), "/tmp"):
        folder = tempfile.mkdtemp(prefix="dl-course-kernel-", dir=parent)
        if len(os.path.join(folder, "k-99999")) <= _MAX_SOCKET_PATH:
            return folder
        os.rmdir(folder)
    return None


class PrivateKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.manager.AsyncKernelManager` whose kernel talks over IPC sockets
    in a folder of its own (removed with the manager); TCP where IPC is unavailable."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        folder = _socket_folder()
        if folder is not None:
            self.transport = "ipc"
            self.ip = os.path.join(folder, "k")
            weakref.finalize(self, shutil.rmtree, folder, True)


def ipc_config() -> Config:
    """Configuration that puts every kernel this process starts (one at a time, as nbgrader does)
    on IPC sockets in one private folder, removed at exit; empty where IPC is unavailable."""
    config = Config()
    folder = _socket_folder()
    if folder is not None:
        atexit.register(shutil.rmtree, folder, True)
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(folder, "k")
    return config
