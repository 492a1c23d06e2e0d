"""The program that runs a learner's notebook code inside the sandbox.

It is started by :mod:`autograder.worker_session` (the trusted side) as a standalone script:
it imports nothing of the course but the learner-side package on its path, and it never
judges anything. It executes cells and calls learner functions on request, and sends back
plain data. Whatever it sends is treated by the trusted side as "what the learner's code
produced" and nothing more, so a learner who tampers with this program (from their own
code, which runs in the same process) can only spoil their own results.

Protocol: one JSON object per line. Requests arrive on stdin; replies go to the file
descriptor that was stdout when the program started (``--proto-fd``); the learner's own
stdout and stderr go to a size-limited log file, of which each reply carries the new part.
"""

from __future__ import annotations

import base64
import errno
import io
import json
import os
import re
import resource
import signal
import sys
import warnings

MAX_OUTPUT_CHARS = 4000  # learner output returned per request (the rest is dropped)
MAX_LOGGED_CHARS = 1_000_000  # learner output kept in the log over the whole run (the rest is dropped)
MAX_ARRAY_BYTES = 16 * 1024 * 1024  # one array, either way
MAX_VALUE_BYTES = 24 * 1024 * 1024  # all arrays of one value
MAX_STRING_CHARS = 10_000
MAX_ITEMS = 100_000  # encoded nodes (numbers, strings, arrays, containers) of one value
MAX_DEPTH = 20
MAX_INT_DIGITS = 40


class Budget:
    """What one value may still cost while it is encoded or decoded: nodes and array bytes."""

    def __init__(self, items=MAX_ITEMS, array_bytes=MAX_VALUE_BYTES):
        self.items = items
        self.array_bytes = array_bytes

    def take(self, items=1, array_bytes=0):
        self.items -= items
        self.array_bytes -= array_bytes
        if self.items < 0:
            raise ValueError("too many items in one value")
        if self.array_bytes < 0:
            raise ValueError("arrays of one value too large")


def clean_text(text):
    """Text that can be written anywhere as UTF-8: JSON can carry lone surrogates (``"\\ud800"``),
    which no UTF-8 file can hold; they become ``?``."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


# ---------------------------------------------------------------------------- encoding
def encode(value, export=None, depth=0, budget=None):
    """Plain data: None, bool, int, float, str, numeric ndarray, list, tuple, dict with str keys.

    ``export`` (optional) turns a callable into an id that the other side can call back
    ({"t": "fn", "id": …}); without it, callables are refused. Sizes are capped (``Budget``).
    """
    import numpy as np

    budget = Budget() if budget is None else budget
    budget.take()
    if depth > MAX_DEPTH:
        raise TypeError("nesting too deep")
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, np.integer)):
        text = str(int(value))
        if len(text) > MAX_INT_DIGITS:
            raise TypeError(f"integer of {len(text)} digits is too large")
        return {"t": "int", "v": text}
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "v": float(value).hex()}
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise TypeError(f"string of {len(value)} characters is too long")
        return {"t": "str", "v": value}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.dtype.hasobject or value.dtype.fields:
            raise TypeError(f"array of dtype {value.dtype} is not numeric")
        if value.nbytes > MAX_ARRAY_BYTES:
            raise TypeError(f"array of {value.nbytes} bytes is too large")
        budget.take(array_bytes=value.nbytes)
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)  # keeps 0-d shape, dtype and strides' values
        return {"t": "nd", "b64": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {"t": kind, "items": [encode(v, export, depth + 1, budget) for v in value]}
    if isinstance(value, dict):
        return {"t": "map", "items": {str(k): encode(v, export, depth + 1, budget) for k, v in value.items()}}
    if callable(value) and export is not None:
        return {"t": "fn", "id": export(value)}
    raise TypeError(f"values of type {type(value).__name__} cannot be returned")


_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    r"\{'descr': '([<>|][biuf][0-9]{1,2})', 'fortran_order': (True|False), "
    r"'shape': \(((?:[0-9]{1,9}, ?)*[0-9]{0,9})\), \} *\n"
)


def _bind_reads(kwargs, reads):
    """Each keyword argument named in ``reads`` (a function called back on the trusted side) becomes
    a function that ignores its own arguments and calls it on the keyword argument ``reads[key]``
    of the same call, as that array is at the moment; a dict as the arrays it holds when the call begins
    (``course.hidden.runner.ReadsArgument``)."""

    def reading(function, array):
        held = dict(array) if isinstance(array, dict) else array
        return lambda *_args, **_kwargs: function(held)

    bound = dict(kwargs)
    for key, target in reads.items():
        if not (isinstance(key, str) and isinstance(target, str) and key in kwargs and target in kwargs):
            raise ValueError("malformed reads")
        if not callable(kwargs[key]):
            raise ValueError("malformed reads")
        bound[key] = reading(kwargs[key], kwargs[target])
    return bound


def _array_leaves(value, depth=0):
    """The arrays of an argument (itself, or inside its lists, tuples and dict values).
    Same rule as ``course.hidden.runner.array_leaves``, which this program cannot import."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return [value]
    if depth < MAX_DEPTH and isinstance(value, (list, tuple)):
        return [a for item in value for a in _array_leaves(item, depth + 1)]
    if depth < MAX_DEPTH and isinstance(value, dict):
        return [a for item in value.values() for a in _array_leaves(item, depth + 1)]
    return []


def _unchanged(leaves, saved):
    import numpy as np

    if len(leaves) != len(saved):
        return False
    for a, b in zip(leaves, saved):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            if not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
                return False
        except TypeError:
            return False
    return True


def _load_array(text):
    """An array from the base64 of an .npy file as ``np.save`` writes it (version 1.0), read
    without evaluating anything: numeric dtypes only, its size checked against its header."""
    import numpy as np

    if not isinstance(text, str) or len(text) > (MAX_ARRAY_BYTES * 4) // 3 + 4096:
        raise ValueError("array too large")
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise ValueError("malformed array data") from None
    if len(raw) < 10 or raw[:8] != _NPY_MAGIC:
        raise ValueError("unknown array format")
    header_end = 10 + int.from_bytes(raw[8:10], "little")
    match = _NPY_HEADER.fullmatch(raw[10:header_end].decode("latin-1"))
    if match is None:
        raise ValueError("malformed array header")
    dtype = np.dtype(match.group(1))
    shape = tuple(int(size) for size in match.group(3).replace(" ", "").split(",") if size)
    count = 1
    for size in shape:
        count *= size
    if len(shape) > 32 or count * dtype.itemsize != len(raw) - header_end:
        raise ValueError("array data of the wrong size")
    order = "F" if match.group(2) == "True" else "C"
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header_end).reshape(shape, order=order).copy(order="K")


def decode(data, import_function=None, depth=0, budget=None):
    """Inverse of :func:`encode`, for data from the other side: anything malformed raises
    ValueError, sizes are capped. ``import_function(id)`` makes a proxy for a callable of the
    other side; without it, callables are refused."""
    budget = Budget() if budget is None else budget
    budget.take()
    if depth > MAX_DEPTH:
        raise ValueError("nesting too deep")
    if not isinstance(data, dict):
        raise ValueError("malformed value")
    kind = data.get("t")
    if kind == "none":
        return None
    if kind == "bool" and isinstance(data.get("v"), bool):
        return data["v"]
    if kind == "int" and isinstance(data.get("v"), str) and 0 < len(data["v"]) <= MAX_INT_DIGITS:
        return int(data["v"])
    if kind == "float" and isinstance(data.get("v"), str) and len(data["v"]) <= 40:
        try:
            return float.fromhex(data["v"])
        except (OverflowError, ValueError):
            raise ValueError("malformed number") from None
    if kind == "str" and isinstance(data.get("v"), str) and len(data["v"]) <= MAX_STRING_CHARS:
        return clean_text(data["v"])
    if kind == "nd":
        array = _load_array(data.get("b64"))
        budget.take(array_bytes=array.nbytes)
        return array
    if kind in ("list", "tuple") and isinstance(data.get("items"), list):
        items = [decode(v, import_function, depth + 1, budget) for v in data["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "map" and isinstance(data.get("items"), dict):
        return {clean_text(str(k)): decode(v, import_function, depth + 1, budget) for k, v in data["items"].items()}
    if kind == "fn" and import_function is not None and type(data.get("id")) is int:
        return import_function(data["id"])
    raise ValueError(f"malformed value of kind {str(kind)[:20]!r}")


# ---------------------------------------------------------------------------- the agent
class Agent:
    """Serves requests of the trusted side; may call back into it while serving one.

    Both sides may pass callables: a callable is sent as {"t": "fn", "id": …} and the receiver
    gets a proxy that asks the sender to run it (so a hidden check can hand a function ``f`` to
    the learner's ``numerical_gradient(f, x)``, and a reference function standing in for an
    earlier exercise can be handed the learner's functions in turn). The trusted side answers
    only two callbacks, both declared by the check of the moment (``autograder.callbacks``):
    ``call`` of a substituted reference function by name, and ``call_fn`` of a function the
    check passed as an argument.
    """

    def __init__(self, proto_out, proto_in, log_path, seccomp=False):
        self.seccomp = seccomp
        self.proto_out = proto_out
        self.proto_in = proto_in
        self.log_path = log_path
        self.log_offset = 0
        self.objects = {}
        self.exports = {}
        self.next_callback = 0
        self.shell = None

    # -- messages
    def send(self, message):
        self.proto_out.write(json.dumps(message) + "\n")
        self.proto_out.flush()

    def receive(self):
        line = self.proto_in.readline()
        if not line:
            raise SystemExit(0)
        return json.loads(line)

    def new_output(self):
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_offset)
                data = log.read(MAX_OUTPUT_CHARS * 4)
                self.log_offset = log.seek(0, 2)
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace")[:MAX_OUTPUT_CHARS]

    # -- values crossing the boundary
    def export(self, function):
        self.exports[len(self.exports)] = function
        return len(self.exports) - 1

    def enc(self, value):
        return encode(value, self.export)

    def dec(self, data):
        return decode(data, self.import_function)

    def import_function(self, ident):
        def remote_function(*args, **kwargs):
            reply = self.callback({"call_fn": ident, "args": self.enc(list(args)), "kwargs": self.enc(kwargs)})
            return self.dec(reply["value"])

        return remote_function

    def callback(self, request):
        """Ask the trusted side to do something; serve its nested requests meanwhile."""
        self.next_callback += 1
        ident = f"cb{self.next_callback}"
        self.send({"op": "callback", "id": ident, **request})
        while True:
            message = self.receive()
            if message.get("op") == "callback_result" and message.get("id") == ident:
                if not message["ok"]:
                    raise RuntimeError(message["error"])
                return message
            self.dispatch(message)

    # -- proxies standing in for reference functions (calls go back to the trusted side)
    def make_proxy(self, name):
        agent = self

        def proxy_function(*args, **kwargs):
            reply = agent.callback({"call": name, "args": agent.enc(list(args)), "kwargs": agent.enc(kwargs)})
            return agent.dec(reply["value"])

        proxy_function.__name__ = proxy_function.__qualname__ = name
        return proxy_function

    # -- requests
    def namespace(self):
        return self.shell.user_ns

    def run_code(self, code):
        result = self.shell.run_cell(code, store_history=False, silent=False)
        error = result.error_before_exec or result.error_in_exec
        if error is None:
            return {"ok": True}
        return {"ok": False, "error": f"{type(error).__name__}: {str(error)[:300]}"}

    def target(self, request):
        if "handle" in request:
            return self.objects[request["handle"]]
        ns = self.namespace()
        if request["name"] not in ns:
            raise NameError(f"name '{request['name']}' is not defined")
        return ns[request["name"]]

    def invoke(self, request):
        ns = self.namespace()
        substitute = request.get("substitute") or {}
        stand_ins = request.get("stand_ins") or []
        saved = {k: ns[k] for k in (*substitute, *stand_ins) if k in ns}
        for key in substitute:
            ns[key] = self.make_proxy(key)
        if stand_ins:
            from course.stand_ins import STAND_INS  # the learner-side package: a closed set of names

            for key in stand_ins:
                ns[key] = STAND_INS[key]
        swapped = []
        caught = []
        try:
            if request.get("stand_in_bases"):  # learner classes give way, as bases, to stand-ins of the package
                from course.stand_ins import bind_base, swap_bases

                proxies = {key: ns[key] for key in substitute}
                swapped = swap_bases(ns, {name: bind_base(name, proxies) for name in request["stand_in_bases"]})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                obj = self.target(request)
                if request.get("method"):
                    obj = getattr(obj, request["method"])
                args, kwargs = self.dec(request["args"]), self.dec(request["kwargs"])
                kwargs = _bind_reads(kwargs, request.get("reads") or {})
                passed = {**dict(enumerate(args)), **kwargs}
                before = {key: [a.copy() for a in _array_leaves(arg)] for key, arg in passed.items()}
                value = obj(*args, **kwargs)
                # the arguments (positions and keywords) whose arrays the call changed in place
                changed = [key for key, arg in passed.items() if not _unchanged(_array_leaves(arg), before[key])]
        finally:
            if swapped:
                from course.stand_ins import restore_bases

                restore_bases(swapped)
            for key in (*substitute, *stand_ins):
                if key in saved:
                    ns[key] = saved[key]
                else:
                    ns.pop(key, None)
        found = [f"{w.category.__name__}: {w.message}" for w in caught]
        if request.get("new"):
            handle = len(self.objects)
            self.objects[handle] = value
            return {"ok": True, "handle": handle, "warnings": found, "changed": changed}
        return {"ok": True, "value": self.enc(value), "warnings": found, "changed": changed}

    def handle(self, request):
        op = request["op"]
        if op == "exec":
            return self.run_code(request["code"])
        if op == "call":
            return self.invoke(request)
        if op == "invoke":  # the trusted side calls a callable this side exported
            function = self.exports[int(request["fn"])]
            return {"ok": True, "value": self.enc(function(*self.dec(request["args"]), **self.dec(request["kwargs"])))}
        if op == "attr":
            return {"ok": True, "value": self.enc(getattr(self.objects[request["handle"]], request["name"]))}
        if op == "set_attr":
            setattr(self.objects[request["handle"]], request["name"], self.dec(request["value"]))
            return {"ok": True}
        if op == "value":
            head, *rest = request["path"].split(".")
            ns = self.namespace()
            if head not in ns:
                raise NameError(f"name '{head}' is not defined")
            obj = ns[head]
            for part in rest:
                obj = getattr(obj, part)
            return {"ok": True, "value": self.enc(obj)}
        if op == "defined":
            return {"ok": True, "value": self.enc(request["name"] in self.namespace())}
        raise ValueError(f"unknown op {op!r}")

    def dispatch(self, request):
        """Handle one request and send its result (errors of every kind become data)."""
        try:
            reply = self.handle(request)
        except KeyboardInterrupt:
            reply = {"ok": False, "error": "KeyboardInterrupt: 時間切れで中断されました (timeout)"}
        except BaseException as error:
            if isinstance(error, SystemExit) and request.get("op") != "exec":
                reply = {"ok": False, "error": "SystemExit: sys.exit は使えません"}
            else:
                reply = {"ok": False, "error": f"{type(error).__name__}: {str(error)[:300]}"}
        reply.update(op="result", id=request.get("id"), output=self.new_output())
        try:
            self.send(reply)
        except (TypeError, ValueError) as error:
            self.send({"op": "result", "id": request.get("id"), "ok": False, "error": str(error)})

    def serve(self):
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        config.InteractiveShell.colors = "nocolor"
        config.InteractiveShell.xmode = "Plain"
        self.shell = InteractiveShell.instance(config=config)
        self.send({"op": "ready", "pid": os.getpid(), "seccomp": self.seccomp})
        while True:
            self.dispatch(self.receive())


class CappedWriter(io.TextIOBase):
    """sys.stdout / sys.stderr of the learner: keeps the first MAX_LOGGED_CHARS, drops the rest
    silently, so printing gigabytes neither fills the disk nor makes a correct answer fail."""

    def __init__(self, stream):
        self.stream = stream
        self.budget = MAX_LOGGED_CHARS

    def __setattr__(self, name, value):
        # IPython 9 (InteractiveShell._tee) replaces ``write`` during every cell to keep all
        # output in memory (history_manager.outputs): gigabytes of printing would exhaust it.
        if name != "write":
            super().__setattr__(name, value)

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self.budget > 0:
            kept = text[: self.budget]
            self.budget -= len(kept)
            try:
                self.stream.write(kept)
            except OSError:
                self.budget = 0
        return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except OSError:
            pass


def _silence_forked_children(protocol_fds, cpu_seconds):
    """A process forked by learner code must not speak the protocol, and dies after ``cpu_seconds``
    of CPU (1 s where nothing else could stop a detached child; more where the whole sandbox is
    killed at its deadline, so that a child may do real work)."""

    def in_child():
        for fd in protocol_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

    os.register_at_fork(after_in_child=in_child)


def _drop_privileges(uid):
    """Become the sandbox's own unprivileged user id (uid < 0: stay as we are), so that the process
    limit counts only this sandbox's tasks and nothing of root's is writable; then die with the
    grading process (the setting does not survive the change of uid, so it is made after it)."""
    if uid >= 0 and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _prctl(option, arg2=0, arg3=0, arg4=0, arg5=0):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return libc.prctl(option, arg2, arg3, arg4, arg5)


# ---------------------------------------------------------------------------- seccomp
# System calls that grading never needs, refused with EPERM (x86-64 numbers). ``clone3`` gets
# ENOSYS so that the C library falls back to ``clone``, whose namespace flags are checked.
_DENIED_X86_64 = {
    "ptrace": 101, "syslog": 103, "personality": 135, "pivot_root": 155, "chroot": 161, "acct": 163,
    "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169, "iopl": 172, "ioperm": 173,
    "init_module": 175, "delete_module": 176, "quotactl": 179, "kexec_load": 246, "add_key": 248,
    "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311,
    "finit_module": 313, "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}  # fmt: skip
_SOCKET, _CLONE, _CLONE3 = 41, 56, 435
_AF_UNIX = 1
_CLONE_NAMESPACES = 0x7E020080  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
_RET_ALLOW, _RET_ERRNO, _RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
_EPERM, _ENOSYS = 1, 38


def _seccomp_program():
    """The BPF program of the filter, as (code, jt, jf, k) tuples."""
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    nr, arch, arg0 = 0, 4, 16  # offsets in struct seccomp_data (arg0: its low 32 bits, little-endian)
    deny = (ret, 0, 0, _RET_ERRNO | _EPERM)
    program = [
        (ld_abs, 0, 0, arch),
        (jeq, 1, 0, _AUDIT_ARCH_X86_64),
        (ret, 0, 0, _RET_KILL_PROCESS),  # another ABI (i386 through int 0x80) would bypass the numbers
        (ld_abs, 0, 0, nr),
        (jge, 0, 1, _X32_BIT),
        (ret, 0, 0, _RET_KILL_PROCESS),  # the x32 ABI, likewise
    ]
    for number in sorted(_DENIED_X86_64.values()):
        program += [(jeq, 0, 1, number), deny]
    program += [(jeq, 0, 1, _CLONE3), (ret, 0, 0, _RET_ERRNO | _ENOSYS)]
    program += [
        (jeq, 0, 3, _CLONE),
        (ld_abs, 0, 0, arg0),
        (jset, 0, 1, _CLONE_NAMESPACES),
        deny,
        (ld_abs, 0, 0, nr),  # reload: the checks below test the system call number again
        (jeq, 0, 3, _SOCKET),
        (ld_abs, 0, 0, arg0),
        (jeq, 1, 0, _AF_UNIX),
        deny,
        (ret, 0, 0, _RET_ALLOW),
    ]
    return program


def _install_seccomp():
    """Refuse the system calls of ``_DENIED_X86_64`` (and others, see ``_seccomp_program``) for this
    process and everything it starts; True when the filter is in place. Never undone."""
    import ctypes
    import platform

    if platform.machine() != "x86_64":
        return False

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    program = _seccomp_program()
    filters = (SockFilter * len(program))(*[SockFilter(*instruction) for instruction in program])
    prog = SockFprog(len(program), filters)
    if _prctl(38, 1) != 0:  # PR_SET_NO_NEW_PRIVS: required to install a filter unprivileged
        return False
    return _prctl(22, 2, ctypes.addressof(prog)) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def _limit_processes(limit):
    """At most ``limit`` more tasks (threads included) than this user id already runs.

    The kernel does not enforce RLIMIT_NPROC for root (the weaker limits, run as root): there,
    ``os.fork`` itself is limited instead: this process may fork ``limit`` times, and a forked
    child not at all, so a fork bomb stops at ``limit`` processes instead of filling the machine.
    """
    if os.getuid() == 0:
        _limit_forks(limit)
        return
    mine = sum(1 for p in os.listdir("/proc") if p.isdigit() and _owner(p) == os.getuid())
    resource.setrlimit(resource.RLIMIT_NPROC, (mine + limit, mine + limit))


def _limit_forks(limit):
    import posix

    real_fork = os.fork
    left = [limit]

    def fork():
        if left[0] <= 0:
            raise BlockingIOError(errno.EAGAIN, "fork: the sandbox's process limit is reached")
        left[0] -= 1
        pid = real_fork()
        if pid == 0:
            left[0] = 0  # a forked child may not fork again
        return pid

    os.fork = posix.fork = fork


def _owner(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return -1


def main():
    log_path, uid, max_processes, forked_cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    proto_out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    shared = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stdout = sys.stderr = CappedWriter(shared)
    _silence_forked_children([proto_out.fileno(), proto_in.fileno()], forked_cpu)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full log raises OSError instead of killing
    # the repository's editable install must not make instructor modules importable
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in str(getattr(f, "__module__", "")).lower()]
    if uid >= 0 and os.getuid() == 0:
        os.chown(log_path, uid, uid)
    _drop_privileges(uid)
    _limit_processes(max_processes)
    seccomp = _install_seccomp()
    Agent(proto_out, proto_in, log_path, seccomp).serve()


if __name__ == "__main__":
    main()
