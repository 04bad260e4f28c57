"""A local SMTP server for benchmarks: accepts every message and appends one line per message to a file.

Runs as its own process (aiosmtpd), so its CPU is not the benchmark client's nor the server's: the mail
server is someone else's machine in production. Each line is ``<unix time> <recipient count> <bytes>``;
the benchmark reads the file to count deliveries and to see when the last one arrived.

    python bench/smtp_sink.py PORT FILE
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Count:
    def __init__(self, path: Path) -> None:
        self.out = path.open("a", buffering=1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.out.write(f"{time.time():.3f} {len(envelope.rcpt_tos)} {len(envelope.content or b'')}\n")
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    controller = Controller(Count(path), hostname="127.0.0.1", port=port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
