"""The trusted side of one sandboxed learner process: start it, talk to it, survive it.

A :class:`SandboxSession` starts :mod:`autograder.sandbox_agent` in the sandbox, sends it
requests with a time limit each, answers its callbacks (calls of the reference objects that
stand in for earlier exercises), and decodes what it returns with strict limits. When the
process hangs past its time limit it is interrupted, and killed if it does not stop; when it
dies (memory limit, ``os._exit``, a crash) the session starts a new one and replays the cells
that had run successfully, so one bad cell costs only what depends on it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import sandbox
from .sandbox_agent import decode, encode

AGENT_SCRIPT = Path(__file__).with_name("sandbox_agent.py")
MAX_MESSAGE_BYTES = 80 * 1024 * 1024
STARTUP_SECONDS = 60.0


class SessionError(Exception):
    """The learner process timed out, died, or broke the protocol; the message is Japanese."""


@dataclass
class Reply:
    ok: bool
    value: Any = None
    handle: int | None = None
    error: str = ""
    output: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """State of one request: its deadline, the trusted objects the sandbox may call back."""

    deadline: float
    substitute: dict[str, Any]
    exports: list[Any] = field(default_factory=list)  # callables passed to the sandbox

    def export(self, function: Any) -> int:
        self.exports.append(function)
        return len(self.exports) - 1


class SandboxSession:
    """One learner process at a time, restarted on demand (see the module docstring)."""

    def __init__(
        self,
        bundle_dir: Path,
        mode: str,
        uid: int,
        hidden: list[Path],
        limits: sandbox.Limits = sandbox.DEFAULT_LIMITS,
        call_timeout: float = 20.0,
    ) -> None:
        self.bundle_dir = bundle_dir
        self.mode = mode
        self.uid = uid
        self.hidden = hidden
        self.limits = limits
        self.call_timeout = call_timeout
        self.process: subprocess.Popen | None = None
        self.workdir: tempfile.TemporaryDirectory | None = None
        # instances of substituted reference classes, alive as long as the process (a learner's
        # network built with reference layers in one request is used in the next)
        self.objects: list[Any] = []
        self.replay: list[tuple[str, float]] = []  # cells that ran to the end (with or without error), in order
        self.next_id = 0
        self.restarts = 0
        self._buffer = b""

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.workdir is not None:
            self.workdir.cleanup()
        self.workdir = tempfile.TemporaryDirectory(prefix="grading-")
        workdir = Path(self.workdir.name)
        if self.uid >= 0 and os.getuid() == 0:
            os.chown(workdir, self.uid, self.uid)
        argv = sandbox.command(
            self.mode, AGENT_SCRIPT, workdir, self.bundle_dir, [*self.hidden, workdir], self.uid, self.limits
        )
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=workdir,
            env=sandbox.environment(self.mode, workdir, self.bundle_dir),
            preexec_fn=sandbox.preexec(self.limits),
            start_new_session=True,
        )
        self._buffer = b""
        self.objects = []
        ready = self._read_message(STARTUP_SECONDS)
        if ready.get("op") != "ready":
            raise SessionError("採点用プロセスを起動できませんでした (sandbox start failed)")
        for code, timeout in self.replay:
            self._request({"op": "exec", "code": code}, timeout)

    def close(self) -> None:
        if self.process is not None:
            self._kill()
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None

    def __enter__(self) -> SandboxSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.kill()
        process.wait()
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        """Processes the learner forked and detached: all of this slot's uid."""
        if os.getuid() != 0 or self.uid < 0:
            return
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == self.uid:
                        os.kill(int(entry.name), signal.SIGKILL)
                except (OSError, ProcessLookupError):
                    continue

    def _restart(self) -> None:
        self._kill()
        self.restarts += 1
        self.start()

    # ------------------------------------------------------------------ messages
    def _read_message(self, timeout: float) -> dict:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError
            self._buffer += chunk
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                raise SessionError("採点用プロセスの出力が大きすぎます (reply too large)")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            raise SessionError("採点用プロセスとの通信が壊れました (protocol broken)") from None
        if not isinstance(message, dict):
            raise SessionError("採点用プロセスとの通信が壊れました (protocol broken)")
        return message

    def _send(self, message: dict) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def _request(
        self,
        message: dict,
        timeout: float,
        values: Mapping[str, Any] | None = None,
        substitute: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Send one request carrying ``values`` (encoded here: callables among them stay on this
        side and are called back by id); serve the sandbox's callbacks until the result arrives
        or time runs out."""
        context = _Context(time.monotonic() + timeout, dict(substitute or {}))
        encoded = {key: encode(value, context.export) for key, value in (values or {}).items()}
        try:
            raw = self._exchange({**message, **encoded}, context)
            return self._to_reply(raw, context)
        except TimeoutError:
            self._interrupt_or_kill()
            raise SessionError(
                f"{timeout:.0f} 秒以内に終わりませんでした (timeout)。無限ループになっていませんか。"
            ) from None
        except (EOFError, BrokenPipeError, OSError):
            self._restart_after_death()
            raise SessionError(
                "実行中にプロセスが終了しました (crashed)。メモリの使いすぎや os._exit / sys.exit の呼び出しがないか"
                "確認してください。"
            ) from None

    def _exchange(self, message: dict, context: _Context) -> dict:
        self.next_id += 1
        ident = self.next_id
        self._send({**message, "id": ident})
        while True:
            reply = self._read_message(max(0.0, context.deadline - time.monotonic()))
            if reply.get("op") == "callback":
                answer = self._answer_callback(reply, context)
                self._send({**answer, "op": "callback_result", "id": reply.get("id")})
            elif reply.get("op") == "result" and reply.get("id") == ident:
                return reply
            else:
                raise SessionError("採点用プロセスとの通信が壊れました (unexpected message)")

    def _decode(self, data: Any, context: _Context) -> Any:
        def import_function(ident: int):
            def sandbox_function(*args: Any, **kwargs: Any) -> Any:
                message = {"op": "invoke", "fn": ident, "args": encode(list(args), context.export)}
                raw = self._exchange({**message, "kwargs": encode(kwargs, context.export)}, context)
                if not raw.get("ok"):
                    raise RuntimeError(str(raw.get("error", ""))[:300])
                return self._decode(raw["value"], context)

            return sandbox_function

        return decode(data, import_function)

    def _to_reply(self, raw: dict, context: _Context) -> Reply:
        try:
            value = self._decode(raw["value"], context) if "value" in raw else None
        except (KeyError, ValueError, TypeError):
            raise SessionError("戻り値を読み取れませんでした (undecodable value)") from None
        return Reply(
            ok=bool(raw.get("ok")),
            value=value,
            handle=raw.get("handle") if isinstance(raw.get("handle"), int) else None,
            error=str(raw.get("error", ""))[:500],
            output=str(raw.get("output", ""))[:4000],
            warnings=[str(w)[:300] for w in raw.get("warnings", [])][:20],
        )

    def _answer_callback(self, request: dict, context: _Context) -> dict:
        """Run a trusted object on behalf of the sandbox: a reference object standing in for an
        earlier exercise (by name), or a function the check passed as an argument (by id)."""
        try:
            args = self._decode(request.get("args", {"t": "list", "items": []}), context)
            kwargs = self._decode(request.get("kwargs", {"t": "map", "items": {}}), context)
            if "call" in request:
                value = context.substitute[request["call"]](*args, **kwargs)
            elif "call_fn" in request:
                value = context.exports[int(request["call_fn"])](*args, **kwargs)
            elif "new" in request:
                self.objects.append(context.substitute[request["new"]](*args, **kwargs))
                return {"ok": True, "handle": len(self.objects) - 1}
            else:
                obj = self.objects[int(request["handle"])]
                if "getattr" in request:
                    attr = getattr(obj, request["getattr"])
                    if callable(attr):
                        return {"ok": True, "callable": True}
                    value = attr
                elif "method" in request:
                    value = getattr(obj, request["method"])(*args, **kwargs)
                elif "setattr" in request:
                    setattr(obj, request["setattr"], self._decode(request["value"], context))
                    return {"ok": True}
                else:
                    return {"ok": False, "error": "unknown callback"}
            return {"ok": True, "value": encode(value, context.export)}
        except (TimeoutError, EOFError, OSError):
            raise
        except Exception as error:  # a bad call from learner code: report it back as data
            return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}

    def _interrupt_or_kill(self) -> None:
        """SIGINT first (KeyboardInterrupt in the learner's code), then kill and restart."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            reply = self._read_message(3.0)
            if reply.get("op") == "result":
                return  # interrupted cleanly: the process is usable
        except (TimeoutError, EOFError, OSError, SessionError, ProcessLookupError):
            pass
        self._restart_after_death()

    def _restart_after_death(self) -> None:
        try:
            self._restart()
        except (SessionError, TimeoutError, EOFError, OSError):
            self._kill()

    # ------------------------------------------------------------------ public API
    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def run_cell(self, code: str, timeout: float) -> Reply:
        """Execute a cell. Cells that ran to their end, even with an error (whose earlier lines
        took effect, as in a notebook), are replayed after a restart; a cell that crashed the
        process or ran out of time is not."""
        if not self.alive:
            self._restart()
        reply = self._request({"op": "exec", "code": code}, timeout)
        self.replay.append((code, timeout))
        return reply

    def request(
        self, message: dict, values: Mapping[str, Any] | None = None, substitute: Mapping[str, Any] | None = None
    ) -> Reply:
        """A call, attribute or value request (see :class:`autograder.remote_runner.RemoteRunner`)."""
        if not self.alive:
            self._restart()
        return self._request(message, self.call_timeout, values, substitute)
