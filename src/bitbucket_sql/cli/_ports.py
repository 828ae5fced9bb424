"""Which process holds a TCP port: named in ``bbsql emulator``'s "port in use" error.

Linux only, read from ``/proc`` (the listening socket's inode in ``/proc/net/tcp*``, then the
process with a file descriptor on that socket); elsewhere, or for another user's process whose
descriptors cannot be read, the answer is None and the error simply does not name the process.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

_LISTEN = "0A"
_PROC = Path("/proc")


def port_is_free(host: str, port: int) -> bool:
    """True when ``host:port`` can be bound now (with SO_REUSEADDR, as the emulator binds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno != errno.EADDRINUSE
    return True


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_holder(port: int) -> str | None:
    """``pid 1234 (bbsql emulator --port 7990)`` for the process listening on ``port``, if it can be told."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for process in _PROC.iterdir():
        if not process.name.isdigit():
            continue
        try:
            descriptors = os.listdir(process / "fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                link = os.readlink(process / "fd" / descriptor)
            except OSError:
                continue
            if link in targets:
                return f"pid {process.name} ({_command_line(process)})"
    return None


def _command_line(process: Path) -> str:
    try:
        words = (process / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return "unknown command"
    shown = [word.decode(errors="replace") for word in words]
    if shown:
        shown[0] = Path(shown[0]).name  # `python3 -m pytest`, `bbsql emulator`: the program, not its path
    text = " ".join(shown)
    return text if len(text) <= 80 else text[:79] + "…"
