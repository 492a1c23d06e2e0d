"""The trusted side of one sandboxed learner process: start it, talk to it, survive it.

A :class:`SandboxSession` starts :mod:`autograder.sandbox_agent` in the sandbox (a fresh uid and
cgroup each time), sends it requests, answers its callbacks from the closed vocabulary of
:mod:`autograder.callbacks` (reference functions standing in for earlier exercises), and decodes
what it returns with strict limits. Every read and write has a deadline, and no deadline runs
past the submission's budget. When the process hangs past its time limit it is interrupted, and
killed if it does not stop; when it dies (memory limit, ``os._exit``, a crash) or breaks the
protocol, the session starts a new one and replays the cells that had run, so one bad cell
costs only what depends on it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import sandbox
from .callbacks import DEFAULT_CALL_LIMITS, CallLimits, SandboxFunction, Vocabulary, answer_callback
from .callbacks import valid_callback_id as _valid_callback_id
from .cgroups import SandboxCgroup
from .sandbox_agent import MAX_OUTPUT_CHARS, Budget, clean_text, decode, encode
from .sandbox_uids import UidReservation, reserve_uid

AGENT_SCRIPT = Path(__file__).with_name("sandbox_agent.py")
#: One message of the sandbox (a line of JSON). The largest honest one (a trained network's
#: parameters) is well under 1 MB; JSON parsing costs a small multiple of this.
MAX_MESSAGE_BYTES = 24 * 1024 * 1024
MAX_JSON_CONTAINERS = 200_000  # JSON objects and arrays in one message (each costs memory when parsed)
STARTUP_SECONDS = 60.0
MAX_RESTARTS = 20  # per submission: each restart replays the cells that ran before
#: Scratch folders of the sandboxes, named after the grading process that made them (see remove_scratch).
SCRATCH_ROOT = Path(tempfile.gettempdir()) / "dl-course-grading"


def remove_scratch(owner: int | None = None) -> int:
    """Remove the scratch folders of a grading process that was killed (``owner``: its pid), or of
    every grading process that no longer runs (``None``); returns how many were removed."""
    removed = 0
    for folder in SCRATCH_ROOT.glob("w*-*") if SCRATCH_ROOT.is_dir() else []:
        pid = folder.name[1:].partition("-")[0]
        if not pid.isdigit() or (owner is not None and int(pid) != owner):
            continue
        if owner is None:
            try:
                os.kill(int(pid), 0)
                continue  # still running
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


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
    changed: tuple[int | str, ...] = ()  # arguments (positions, keyword names) the call changed in place


#: At most this many arguments are reported as changed (a call has far fewer).
MAX_CHANGED = 64


def _changed_arguments(value: Any) -> tuple[int | str, ...]:
    """The ``changed`` field of a reply: small non-negative ints and identifiers; anything else is ignored."""
    if not isinstance(value, list) or len(value) > MAX_CHANGED:
        return ()
    valid = [
        key
        for key in value
        if (type(key) is int and 0 <= key < MAX_CHANGED) or (type(key) is str and len(key) <= 64 and key.isidentifier())
    ]
    return tuple(dict.fromkeys(valid))


@dataclass
class _Context:
    """State of one request: its deadline, and what the sandbox may call back (its vocabulary)."""

    deadline: float
    vocabulary: Vocabulary
    exports: list[Any] = field(default_factory=list)  # callables the check passed to the sandbox

    def export(self, function: Any) -> int:
        self.exports.append(function)
        return len(self.exports) - 1


def _parse_message(line: bytes) -> dict:
    """A message of the sandbox, parsed only when it cannot create too many containers: each
    ``[`` or ``{`` costs far more parsed than written (counted in strings too: an upper bound)."""
    if line.count(b"{") + line.count(b"[") > MAX_JSON_CONTAINERS:
        raise SessionError("採点用プロセスの出力が複雑すぎます (reply too complex)")
    try:
        message = json.loads(line)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise SessionError("採点用プロセスとの通信が壊れました (protocol broken)") from None
    if not isinstance(message, dict):
        raise SessionError("採点用プロセスとの通信が壊れました (protocol broken)")
    return message


class SandboxSession:
    """One learner process at a time, restarted on demand (see the module docstring).

    ``deadline`` (a ``time.monotonic()`` value, optional) is the end of the submission's budget:
    no request, callback or restart runs past it; a request that would is cut there, the
    process killed, and every later request fails at once.
    """

    def __init__(
        self,
        bundle_dir: Path,
        setup: sandbox.Setup,
        limits: sandbox.Limits = sandbox.DEFAULT_LIMITS,
        call_timeout: float = 20.0,
        deadline: float | None = None,
        call_limits: CallLimits = DEFAULT_CALL_LIMITS,
    ) -> None:
        self.bundle_dir = bundle_dir
        self.setup = setup
        self.mode = setup.mode
        self.limits = limits
        self.call_timeout = call_timeout
        self.deadline = deadline
        self.call_limits = call_limits
        self.process: subprocess.Popen | None = None
        self.workdir: tempfile.TemporaryDirectory | None = None
        self.cgroup: SandboxCgroup | None = None
        self.uid_reservation: UidReservation | None = None
        self.seccomp_active = False  # what the agent reported when it started
        self.replay: list[tuple[str, float]] = []  # cells that ran to the end (with or without error), in order
        self.next_id = 0
        self.restarts = 0
        self._buffer = b""
        self._replaying = False  # re-running earlier cells after a restart: a failure there does not restart

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start a fresh sandbox: new scratch folder, new uid (as root), new cgroup."""
        self._release()
        SCRATCH_ROOT.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.workdir = tempfile.TemporaryDirectory(prefix=f"w{os.getpid()}-", dir=SCRATCH_ROOT)
        workdir = Path(self.workdir.name)
        uid = -1
        if sandbox.fresh_uid_wanted(self.mode):
            self.uid_reservation = reserve_uid()
            uid = self.uid_reservation.uid
        if self.setup.cgroups is not None:
            self.cgroup = SandboxCgroup(
                self.setup.cgroups, os.getpid(), self.limits.memory_bytes, self.limits.processes, self.limits.cpus
            )
        argv = sandbox.command(
            self.mode, AGENT_SCRIPT, workdir, self.bundle_dir, uid, self.limits, cgroup=self.cgroup is not None
        )
        with open(workdir / "sandbox-errors.log", "wb") as errors:  # what the sandbox says before the agent runs
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                cwd=workdir,
                env=sandbox.environment(self.mode, workdir, self.bundle_dir),
                preexec_fn=sandbox.preexec(self.limits, self.cgroup),
                start_new_session=True,
            )
        assert self.process.stdin is not None
        os.set_blocking(self.process.stdin.fileno(), False)  # writes wait with a deadline, never for ever
        self._buffer = b""
        try:
            ready = self._read_message(self._until(STARTUP_SECONDS))
        except (EOFError, TimeoutError):
            details = self._start_errors()
            raise SessionError(f"採点用プロセスを起動できませんでした (sandbox start failed): {details}") from None
        if ready.get("op") != "ready":
            raise SessionError("採点用プロセスを起動できませんでした (sandbox start failed)")
        self.seccomp_active = ready.get("seccomp") is True
        self._replaying = True
        try:
            for code, timeout in self.replay:
                self._request({"op": "exec", "code": code}, timeout)
        finally:
            self._replaying = False

    def _start_errors(self) -> str:
        """The first lines the sandbox wrote before the agent took over its stderr (or why there are none)."""
        if self.workdir is None:
            return ""
        try:
            text = (Path(self.workdir.name) / "sandbox-errors.log").read_bytes()[:2000].decode("utf-8", "replace")
        except OSError:
            text = ""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        if not lines:
            return "エラー出力なし (no error output): Python がサンドボックスの中から見えるか確認してください"
        return " / ".join(lines[-3:])[:500]

    def close(self) -> None:
        self._kill()
        self._release()

    def _release(self) -> None:
        """Give back what the last sandbox held: its cgroup, its uid, its scratch folder."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.uid_reservation is not None:
            self.uid_reservation.release()
            self.uid_reservation = None
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None

    def __enter__(self) -> SandboxSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _kill(self) -> None:
        """Kill the sandbox with everything it started: its cgroup when there is one, else its
        process group (under bubblewrap its PID namespace goes with it)."""
        process, self.process = self.process, None
        if self.cgroup is not None:
            self.cgroup.kill()
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def _restart(self) -> None:
        self._kill()
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise SessionError(f"採点用プロセスの再起動が {MAX_RESTARTS} 回を超えました (too many restarts)")
        self.start()

    # ------------------------------------------------------------------ time
    def _until(self, seconds: float) -> float:
        """The deadline of something that may take ``seconds``, cut at the submission's deadline."""
        deadline = time.monotonic() + seconds
        return deadline if self.deadline is None else min(deadline, self.deadline)

    @property
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    # ------------------------------------------------------------------ messages
    def _read_message(self, deadline: float) -> dict:
        assert self.process is not None and self.process.stdout is not None
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
        return _parse_message(line)

    def _send(self, message: dict, deadline: float) -> None:
        """Write one message; a sandbox that stops reading cannot make this wait past ``deadline``."""
        assert self.process is not None and self.process.stdin is not None
        data = memoryview((json.dumps(message) + "\n").encode())
        fd = self.process.stdin.fileno()
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            _, ready, _ = select.select([], [fd], [], remaining)
            if not ready:
                raise TimeoutError
            try:
                written = os.write(fd, data[: 1 << 16])
            except BlockingIOError:
                continue
            data = data[written:]

    def _request(
        self,
        message: dict,
        timeout: float,
        values: Mapping[str, Any] | None = None,
        substitute: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Send one request carrying ``values`` (encoded here: callables among them stay on this
        side and are called back by position); answer the sandbox's callbacks from the closed
        vocabulary (``substitute`` and those callables) until the result arrives or time runs out."""
        if self.out_of_time:
            self._kill()
            raise SessionError("採点の制限時間を超えたため実行しませんでした (submission time limit)")
        deadline = self._until(timeout)
        context = _Context(deadline, Vocabulary(dict(substitute or {}), limits=self.call_limits, deadline=deadline))
        try:
            encoded = {key: encode(value, context.export) for key, value in (values or {}).items()}
        except TypeError as error:
            raise SessionError(f"採点の入力を送れませんでした (grader error: {error})") from None
        context.vocabulary.exports = context.exports
        try:
            raw = self._exchange({**message, **encoded}, context)
            return self._to_reply(raw, context)
        except TimeoutError:
            if self.out_of_time:
                self._kill()
                raise SessionError(
                    "採点の制限時間を超えたため、実行を打ち切りました (submission time limit)。"
                    "時間のかかりすぎる処理や無限ループがないか確認してください。"
                ) from None
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
        except SessionError:
            self._restart_after_death()  # broken protocol: the process cannot be trusted to go on
            raise

    def _exchange(self, message: dict, context: _Context) -> dict:
        self.next_id += 1
        ident = self.next_id
        self._send({**message, "id": ident}, context.deadline)
        while True:
            reply = self._read_message(context.deadline)
            if reply.get("op") == "callback" and _valid_callback_id(reply.get("id")):
                decode_args = lambda data: self._decode(data, context, functions=True)  # noqa: E731
                answer = answer_callback(reply, context.vocabulary, decode_args)
                self._send({**answer, "op": "callback_result", "id": reply["id"]}, context.deadline)
            elif reply.get("op") == "result" and reply.get("id") == ident:
                return reply
            else:
                raise SessionError("採点用プロセスとの通信が壊れました (unexpected message)")

    def _decode(self, data: Any, context: _Context, functions: bool = False) -> Any:
        """A value of the sandbox. Only the arguments of a callback may hold functions (``functions``):
        they become proxies that call back into the sandbox; a result that holds one is malformed."""

        def import_function(ident: int) -> SandboxFunction:
            def call(*args: Any, **kwargs: Any) -> Any:
                message = {"op": "invoke", "fn": ident, "args": encode(list(args)), "kwargs": encode(kwargs)}
                raw = self._exchange(message, context)
                if raw.get("ok") is not True:
                    raise RuntimeError(clean_text(str(raw.get("error", ""))[:300]))
                return self._decode(raw.get("value"), context)

            return SandboxFunction(call)

        return decode(data, import_function if functions else None, budget=Budget())

    def _to_reply(self, raw: dict, context: _Context) -> Reply:
        """The result of a request; malformed fields cost this request only."""
        try:
            value = self._decode(raw["value"], context) if "value" in raw else None
        except (ValueError, TypeError, ArithmeticError, RecursionError):
            raise SessionError("戻り値を読み取れませんでした (undecodable value)") from None
        handle, warnings, output = raw.get("handle"), raw.get("warnings"), raw.get("output")
        return Reply(
            ok=raw.get("ok") is True,
            value=value,
            handle=handle if type(handle) is int else None,
            error=clean_text(str(raw.get("error", ""))[:500]),
            output=clean_text(output[:MAX_OUTPUT_CHARS]) if isinstance(output, str) else "",
            warnings=[clean_text(str(w)[:300]) for w in warnings[:20]] if isinstance(warnings, list) else [],
            changed=_changed_arguments(raw.get("changed")),
        )

    def _interrupt_or_kill(self) -> None:
        """SIGINT first (KeyboardInterrupt in the learner's code), then kill and restart."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            reply = self._read_message(self._until(3.0))
            if reply.get("op") == "result":
                return  # interrupted cleanly: the process is usable
        except (TimeoutError, EOFError, OSError, SessionError, ProcessLookupError):
            pass
        self._restart_after_death()

    def _restart_after_death(self) -> None:
        if self.out_of_time or self._replaying:
            self._kill()
            return
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
            self._restart_or_fail()
        reply = self._request({"op": "exec", "code": code}, timeout)
        self.replay.append((code, timeout))
        return reply

    def request(
        self, message: dict, values: Mapping[str, Any] | None = None, substitute: Mapping[str, Any] | None = None
    ) -> Reply:
        """A call, attribute or value request (see :class:`autograder.remote_runner.RemoteRunner`)."""
        if not self.alive:
            self._restart_or_fail()
        return self._request(message, self.call_timeout, values, substitute)

    def _restart_or_fail(self) -> None:
        if self.out_of_time:
            raise SessionError("採点の制限時間を超えたため実行しませんでした (submission time limit)")
        try:
            self._restart()
        except SessionError:
            self._kill()
            raise
        except (TimeoutError, EOFError, OSError):
            self._kill()
            raise SessionError("採点用プロセスを起動し直せませんでした (sandbox restart failed)") from None
