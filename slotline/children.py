"""Child processes `slotline run` keeps alive: a child that dies is started again, until `stop()`.

The worker ends on its own only when something it cannot recover from happens (its database
gone, a bug); starting it again is what an operator would do, so `slotline run` does it, with
a pause that grows while the child keeps dying young (so a child that cannot start does not
spin) and is forgotten once it has lived a while.

Each child leads a process group of its own (in the same session): what it started (RQ's
scheduler process) goes with it when it dies or is stopped, and a Ctrl-C at the terminal
reaches only `slotline run`, which then stops the child itself.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time

log = logging.getLogger(__name__)
CHECK_SECONDS = 1.0
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0
LIVED_LONG_ENOUGH = 60.0  # seconds; a child that lived this long starts again after the first pause


class KeptAlive:
    """One child process (`argv`, `env`), started now and again whenever it dies."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name, self.argv, self.env = name, argv, env
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # `stop` and a restart never interleave
        self.restarts = 0
        self.process = self._start()
        self._pause = FIRST_PAUSE
        self._watcher = threading.Thread(target=self._watch, name=f"keep-{name}-alive", daemon=True)
        self._watcher.start()

    def _start(self) -> subprocess.Popen:
        self.started_at = time.monotonic()
        return subprocess.Popen(self.argv, env=self.env, process_group=0)

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_SECONDS):
            code = self.process.poll()
            if code is None:
                continue
            lived = time.monotonic() - self.started_at
            _end_group(self.process.pid)  # an orphaned scheduler would keep its lock and run on
            if lived >= LIVED_LONG_ENOUGH:
                pause, self._pause = FIRST_PAUSE, FIRST_PAUSE * 2
            else:
                pause, self._pause = self._pause, min(self._pause * 2, LONGEST_PAUSE)
            log.warning("the %s stopped (exit code %s) after %.0f s; starting it again in %.0f s",
                        self.name, code, lived, pause)
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = self._start()
                self.restarts += 1

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop watching, then ask the child to stop (SIGTERM), killing it after `timeout` seconds."""
        self._stopping.set()
        with self._lock:
            process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("the %s did not stop within %.0f s; killing it", self.name, timeout)
                process.kill()
                process.wait()
        _end_group(process.pid)
        self._watcher.join(timeout=CHECK_SECONDS * 2)
        return process.returncode


def _end_group(group: int) -> None:
    """Kill whatever is left in a dead child's process group."""
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass  # nothing left
