"""`slotline chat`: talk to the assistant in the terminal, on the same database and Redis as the server.

Choices are shown as numbered lines, as on SMS; typing the number picks one.
"""
from __future__ import annotations

import getpass
import sys
from typing import TextIO

from core.conversation.messages import Inbound, Reply


def render(replies: list[Reply]) -> str:
    lines = []
    for reply in replies:
        lines.append(reply.text)
        lines.extend(f"  {i}. {choice.label}" for i, choice in enumerate(reply.choices, 1))
    return "\n".join(lines)


def run(assistant, *, sender: str | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    sender = sender or f"terminal-{getpass.getuser()}"
    interactive = stdin.isatty()
    print("Slotline chat. Type what you'd like to book; Ctrl-D to leave.\n", file=stdout)
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print("", file=stdout)
            return 0
        if not line.strip():
            continue
        if not interactive:
            print(f"you> {line.strip()}", file=stdout)
        replies = assistant.handle(Inbound(channel="terminal", sender=sender, text=line.strip()))
        print("\n".join("bot> " + row if i == 0 else "     " + row
                        for i, row in enumerate(render(replies).splitlines())) + "\n", file=stdout, flush=True)
