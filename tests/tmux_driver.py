"""Drive a real terminal program in a private tmux server, as a person at the keyboard would.

Each :class:`Tmux` owns its own tmux server (a socket file under the test's tmp folder), so
tests never share or touch the user's tmux. The server is started with ``-f`` pointing at a
tiny generated config: no status bar (the pane gets the whole ``size``) and
``remain-on-exit on`` (a finished pane stays around, so its exit status can be read).

Usage::

    tm = Tmux(tmp_path)
    tm.start(["altool", "textcat.teach", ...], env={"ALTOOL_HOME": ...})
    tm.wait_for("Does")
    tm.keys("a")
    tm.close()

The command runs under ``sh -c`` followed by ``echo $? > FILE``: its exit status is read from
that file (tmux's own ``#{pane_dead_status}`` was measured to stay empty now and then: the pane
can be marked dead on the pty's EOF while the exited program is still an unreaped zombie). A
command given as a list is quoted for the shell; a string is run as is (pipes allowed).
:meth:`pid` is the shell's child: the program itself for a list command (handy for ``kill -9``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent  # the environment's scripts: ``altool`` runs from here
ALTOOL = str(BIN / "altool")


def env_for(home: Path, **extra: str) -> dict[str, str]:
    """Environment for running the real ``altool`` with ALTOOL_HOME ``home`` (plus ``extra``)."""
    return {"ALTOOL_HOME": str(home), "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            **extra}


TMUX = shutil.which("tmux") or ("/usr/bin/tmux" if os.path.exists("/usr/bin/tmux") else None)

_CONFIG = """\
set -g status off
set -g remain-on-exit on
set -g history-limit 100
set -g escape-time 0
"""


def require_tmux() -> str:
    """The tmux binary, or skip the calling test."""
    if TMUX is None:
        pytest.skip("tmux is not installed")
    return TMUX


class Tmux:
    """One private tmux server with one session running one command."""

    def __init__(self, workdir: str | Path, name: str = "tmux") -> None:
        self.tmux = require_tmux()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.socket = self.workdir / f"{name}.sock"
        self.config = self.workdir / f"{name}.conf"
        self.config.write_text(_CONFIG, encoding="utf-8")
        self.rc_file = self.workdir / f"{name}.rc"
        self.started = False

    # -- plumbing ------------------------------------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-u", "-S", str(self.socket), "-f", str(self.config), *args],
            capture_output=True, text=True, check=check, timeout=20,
        )

    def _pane(self, fmt: str) -> str:
        return self._run("list-panes", "-t", "s", "-F", fmt).stdout.strip()

    # -- API -----------------------------------------------------------------------------------
    def start(
        self,
        cmd: Sequence[str] | str,
        env: Mapping[str, str] | None = None,
        size: tuple[int, int] = (80, 24),
        cwd: str | Path | None = None,
    ) -> Tmux:
        """Start ``cmd`` in a new detached session of ``size`` (columns, rows).

        The tmux server does not inherit the caller's environment, so ``env`` (plus PATH,
        HOME and a UTF-8 locale) is passed on the command line."""
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "tmux-256color",
        }
        full_env.update(env or {})
        assignments = " ".join(shlex.quote(f"{k}={v}") for k, v in full_env.items())
        program = cmd if isinstance(cmd, str) else shlex.join(list(cmd))
        self.rc_file.unlink(missing_ok=True)
        shell_cmd = f"export {assignments}; {program}; echo $? > {shlex.quote(str(self.rc_file))}"
        if cwd is not None:
            shell_cmd = f"cd {shlex.quote(str(cwd))} && {shell_cmd}"
        cols, rows = size
        self._run("new-session", "-d", "-s", "s", "-x", str(cols), "-y", str(rows), shell_cmd)
        self.started = True
        return self

    def keys(self, *keys: str, delay: float = 0.25) -> None:
        """Send keys one at a time (tmux key names: ``a``, ``Space``, ``BSpace``, ``C-c``)."""
        for key in keys:
            self._run("send-keys", "-t", "s", key)
            time.sleep(delay)

    def screen(self, ansi: bool = False, history: bool = False) -> str:
        """The visible pane as text (``ansi=True`` keeps colours and attributes; ``history``
        adds the lines scrolled off the top, e.g. what a program printed as it exited)."""
        args = ["capture-pane", "-p", "-t", "s"] + (["-e"] if ansi else [])
        if history:
            args += ["-S", "-"]
        return self._run(*args).stdout

    def lines(self) -> list[str]:
        """The pane's rows (exactly ``rows`` of them, trailing blanks kept)."""
        rows = int(self._pane("#{pane_height}"))
        out = self.screen().split("\n")
        out = out[:rows]
        return out + [""] * (rows - len(out))

    def pane_title(self) -> str:
        """The pane's title (a program can set it with an escape sequence)."""
        return self._pane("#{pane_title}")

    def size(self) -> tuple[int, int]:
        cols, rows = self._pane("#{pane_width} #{pane_height}").split()
        return int(cols), int(rows)

    def wait_for(
        self,
        what: str | re.Pattern[str] | Callable[[str], object],
        timeout: float = 15.0,
        interval: float = 0.05,
    ) -> str:
        """Poll the screen until it contains ``what`` (text, regex or predicate); return it.

        Fails the test with the last screen if the condition is not met in time, or if the
        program exited meanwhile."""
        if isinstance(what, str):
            def check(s: str) -> object:
                return what in s
        elif isinstance(what, re.Pattern):
            def check(s: str) -> object:
                return what.search(s)
        else:
            check = what
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if not self.alive():
                pytest.fail(
                    f"program exited (status {self.exit_status()}) while waiting for {what!r}; "
                    f"last screen:\n{screen}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what!r}; screen:\n{screen}")
            time.sleep(interval)

    def shell_pid(self) -> int:
        return int(self._pane("#{pane_pid}"))

    def pid(self, timeout: float = 5.0) -> int:
        """Pid of the program: the (first) child of the pane's shell."""
        shell = self.shell_pid()
        deadline = time.monotonic() + timeout
        while True:
            children = sorted(child_pids(shell))
            if children:
                return children[0]
            if time.monotonic() > deadline:
                pytest.fail(f"no process runs under the pane's shell (pid {shell})")
            time.sleep(0.05)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        os.kill(self.pid(), sig)

    def alive(self) -> bool:
        """Whether the command is still running."""
        if self.exit_status() is not None:
            return False
        result = self._run("list-panes", "-t", "s", "-F", "#{pane_dead}", check=False)
        return result.returncode == 0 and result.stdout.strip() == "0"

    def exit_status(self) -> int | None:
        """The command's exit status (128 + N if killed by signal N); None while it runs."""
        try:
            text = self.rc_file.read_text().strip()
        except OSError:
            return None
        return int(text) if text.lstrip("-").isdigit() else None

    def wait_exit(self, timeout: float = 15.0) -> int:
        """Wait until the program exits; return its exit status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.exit_status()
            if status is not None:
                return status
            if time.monotonic() > deadline:
                pytest.fail(f"program still running after {timeout}s; screen:\n{self.screen()}")
            time.sleep(0.05)

    def close(self) -> None:
        """Kill the tmux server (and with it whatever still runs in it)."""
        if self.started:
            self._run("kill-server", check=False)
            self.started = False
        try:
            self.socket.unlink()
        except OSError:
            pass


def child_pids(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (read from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(entry.name))
    return out
