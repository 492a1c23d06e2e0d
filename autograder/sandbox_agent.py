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
import resource
import signal
import sys
import warnings

MAX_OUTPUT_CHARS = 4000  # learner output returned per request (the rest is dropped)
MAX_LOGGED_CHARS = 1_000_000  # learner output kept in the log over the whole run (the rest is dropped)
MAX_ARRAY_BYTES = 64 * 1024 * 1024
MAX_STRING_CHARS = 10_000


# ---------------------------------------------------------------------------- encoding
def encode(value, export=None, depth=0):
    """Plain data: None, bool, int, float, str, numeric ndarray, list, tuple, dict with str keys.

    ``export`` (optional) turns a callable into an id that the other side can call back
    ({"t": "fn", "id": …}); without it, callables are refused.
    """
    import numpy as np

    if depth > 20:
        raise TypeError("nesting too deep")
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"t": "int", "v": str(int(value))}
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "v": float(value).hex()}
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise TypeError(f"string of {len(value)} characters is too long")
        return {"t": "str", "v": value}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"array of dtype {value.dtype} is not numeric")
        if value.nbytes > MAX_ARRAY_BYTES:
            raise TypeError(f"array of {value.nbytes} bytes is too large")
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)  # keeps 0-d shape, dtype and strides' values
        return {"t": "nd", "b64": base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {"t": kind, "items": [encode(v, export, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"t": "map", "items": {str(k): encode(v, export, depth + 1) for k, v in value.items()}}
    if callable(value) and export is not None:
        return {"t": "fn", "id": export(value)}
    raise TypeError(f"values of type {type(value).__name__} cannot be returned")


def decode(data, import_function=None):
    """Inverse of :func:`encode`; ``import_function(id)`` makes a proxy for a callable of the other side."""
    import numpy as np

    kind = data["t"]
    if kind == "none":
        return None
    if kind == "bool":
        return bool(data["v"])
    if kind == "int":
        return int(data["v"])
    if kind == "float":
        return float.fromhex(data["v"])
    if kind == "str":
        return str(data["v"])[:MAX_STRING_CHARS]
    if kind == "nd":
        array = np.load(io.BytesIO(base64.b64decode(data["b64"])), allow_pickle=False)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"array of dtype {array.dtype} is not numeric")
        return array
    if kind == "list":
        return [decode(v, import_function) for v in data["items"]]
    if kind == "tuple":
        return tuple(decode(v, import_function) for v in data["items"])
    if kind == "map":
        return {str(k): decode(v, import_function) for k, v in data["items"].items()}
    if kind == "fn" and import_function is not None:
        return import_function(int(data["id"]))
    raise ValueError(f"unknown encoding {kind!r}")


# ---------------------------------------------------------------------------- the agent
class Agent:
    """Serves requests of the trusted side; may call back into it while serving one.

    Both sides may pass callables: a callable is sent as {"t": "fn", "id": …} and the receiver
    gets a proxy that asks the sender to run it (so a hidden check can hand a function ``f`` to
    the learner's ``numerical_gradient(f, x)``, and a reference object standing in for an
    earlier exercise can be handed the learner's functions in turn).
    """

    def __init__(self, proto_out, proto_in, log_path):
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

    # -- proxies standing in for reference objects (calls go back to the trusted side)
    def make_proxy(self, name, kind):
        agent = self

        if kind == "function":

            def proxy_function(*args, **kwargs):
                reply = agent.callback({"call": name, "args": agent.enc(list(args)), "kwargs": agent.enc(kwargs)})
                return agent.dec(reply["value"])

            proxy_function.__name__ = name
            return proxy_function

        class ProxyObject:
            def __init__(self, *args, **kwargs):
                reply = agent.callback({"new": name, "args": agent.enc(list(args)), "kwargs": agent.enc(kwargs)})
                object.__setattr__(self, "_proxy_handle", reply["handle"])

            def __getattr__(self, attr):
                handle = object.__getattribute__(self, "_proxy_handle")
                reply = agent.callback({"getattr": attr, "handle": handle})
                if reply.get("callable"):

                    def method(*args, **kwargs):
                        message = {"method": attr, "handle": handle, "args": agent.enc(list(args))}
                        result = agent.callback({**message, "kwargs": agent.enc(kwargs)})
                        return agent.dec(result["value"])

                    return method
                return agent.dec(reply["value"])

            def __setattr__(self, attr, value):
                handle = object.__getattribute__(self, "_proxy_handle")
                agent.callback({"setattr": attr, "handle": handle, "value": agent.enc(value)})

        ProxyObject.__name__ = ProxyObject.__qualname__ = name
        return ProxyObject

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
        saved = {k: ns[k] for k in substitute if k in ns}
        for key, kind in substitute.items():
            ns[key] = self.make_proxy(key, kind)
        caught = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                obj = self.target(request)
                if request.get("method"):
                    obj = getattr(obj, request["method"])
                value = obj(*self.dec(request["args"]), **self.dec(request["kwargs"]))
        finally:
            for key in substitute:
                if key in saved:
                    ns[key] = saved[key]
                else:
                    ns.pop(key, None)
        found = [f"{w.category.__name__}: {w.message}" for w in caught]
        if request.get("new"):
            handle = len(self.objects)
            self.objects[handle] = value
            return {"ok": True, "handle": handle, "warnings": found}
        return {"ok": True, "value": self.enc(value), "warnings": found}

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
        self.send({"op": "ready", "pid": os.getpid()})
        while True:
            self.dispatch(self.receive())


class CappedWriter(io.TextIOBase):
    """sys.stdout / sys.stderr of the learner: keeps the first MAX_LOGGED_CHARS, drops the rest
    silently, so printing gigabytes neither fills the disk nor makes a correct answer fail."""

    def __init__(self, stream):
        self.stream = stream
        self.budget = MAX_LOGGED_CHARS

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


def _silence_forked_children(protocol_fds):
    """A process forked by learner code must not speak the protocol, and dies after 1 s of CPU."""

    def in_child():
        for fd in protocol_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        resource.setrlimit(resource.RLIMIT_CPU, (1, 1))

    os.register_at_fork(after_in_child=in_child)


def _drop_privileges(uid):
    """Become the unprivileged user id of this worker slot (uid < 0: stay as we are), so that
    the process limit counts only this sandbox's tasks and nothing of root's is writable."""
    if uid >= 0 and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


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
    log_path, uid, max_processes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    proto_out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    shared = open(1, "w", buffering=1, encoding="utf-8", closefd=False)
    sys.stdout = sys.stderr = CappedWriter(shared)
    _silence_forked_children([proto_out.fileno(), proto_in.fileno()])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full log raises OSError instead of killing
    # the repository's editable install must not make instructor modules importable
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in str(getattr(f, "__module__", "")).lower()]
    if uid >= 0 and os.getuid() == 0:
        os.chown(log_path, uid, uid)
    _drop_privileges(uid)
    _limit_processes(max_processes)
    Agent(proto_out, proto_in, log_path).serve()


if __name__ == "__main__":
    main()
