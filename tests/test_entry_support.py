"""Shared helpers of the case-entry tests (issue #4); this module holds no tests itself.

- ``sample_project`` copies the bundled sample (settings, unit cost CSVs, cases) into a
  temporary folder, so tests write into a copy and never into the repository.
- ``Terminal`` runs ``python -m up2u_cba ...`` in a pseudo-terminal and answers its questions as
  a user types them (a few lines of ``pty`` instead of a pexpect dependency).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import pty
import re
import select
import shutil
import signal
import sys
import termios
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def sample_project(folder: pathlib.Path) -> pathlib.Path:
    """A copy of the sample project in ``folder``; returns its settings file."""
    shutil.copy(ROOT / "up2u-cba.toml", folder / "up2u-cba.toml")
    (folder / "unit_costs").mkdir()
    for path in (ROOT / "unit_costs").glob("*.csv"):
        shutil.copy(path, folder / "unit_costs" / path.name)
    shutil.copytree(ROOT / "cases", folder / "cases")
    return folder / "up2u-cba.toml"


def snapshot(folder: pathlib.Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones too, but not the write lock) and its SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file() and path.name != ".up2u-cba.lock"
    }


class Terminal:
    """``python -m up2u_cba ARGS`` in a pseudo-terminal in ``cwd``, driven like a user."""

    def __init__(self, args: list[str], cwd: pathlib.Path, timeout: float = 20.0):
        self.timeout = timeout
        self.screen = ""
        self.seen = 0
        environment = dict(os.environ, PYTHONPATH=str(ROOT), TERM="dumb", COLUMNS="200",
                           PYTHONIOENCODING="utf-8")
        pid, fd = pty.fork()
        if pid == 0:  # the child: the program, with the terminal as its controlling terminal
            try:
                # Ctrl-C as a terminal's shell gives a program: a test run started in the
                # background (`bash .ci/run &` in a script) ignores SIGINT, and an ignored signal
                # is inherited through exec, so every Ctrl-C at the prompt was ignored
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.chdir(cwd)
                os.execvpe(sys.executable, [sys.executable, "-m", "up2u_cba", *args], environment)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.status: int | None = None

    def expect(self, pattern: str, timeout: float | None = None) -> re.Match:
        """Wait until the program has printed something matching ``pattern`` (after what earlier
        calls matched); return the match."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            match = re.search(pattern, self.screen[self.seen:])
            if match:
                self.seen += match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"never saw {pattern!r}; the screen ends:\n{self.screen[-3000:]}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the program has ended and closed the terminal
            data = b""
        if not data:
            return False
        self.screen += data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return True

    def type(self, text: str) -> None:
        """Type ``text`` and press Enter."""
        os.write(self.fd, text.encode("utf-8") + b"\r")

    def answer(self, prompt: str, text: str) -> None:
        """Wait for ``prompt`` (a regular expression), then type ``text`` and Enter."""
        self.expect(prompt)
        self.type(text)

    def interrupt(self) -> None:
        """Press Ctrl-C once the program is waiting at its prompt, as a person would. (Pressed in
        the instant readline is switching the terminal's mode, the key can arrive as a plain
        character instead of an interrupt, in any program; so wait until the terminal is in
        readline's mode (no line editing by the terminal itself), then a moment more. On a busy
        machine that switch can take well over the fixed pause this used to wait.)"""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and termios.tcgetattr(self.fd)[3] & termios.ICANON:
            time.sleep(0.02)
        time.sleep(0.2)
        os.write(self.fd, b"\x03")

    def wait(self) -> int:
        """Read to the end and return the exit status."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self._read(deadline - time.monotonic()):
            pass
        try:
            _, status = os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def close(self) -> None:
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.status = -1
