"""A fake ESC/POS network printer: a TCP server on 127.0.0.1 that records what it is sent.

The real `escpos.printer.Network` prints to it. It answers the paper-sensor query (DLE EOT 4) like an
Epson, can pretend to be out of paper, or accept connections and then never read (a hung printer).
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from PIL import Image

PAPER_OK, PAPER_OUT = b"\x12", b"\x72"


@dataclass
class Job:
    data: bytearray = field(default_factory=bytearray)
    finished_at: float | None = None  # perf_counter() when the connection closed


STATUS_QUERIES = (b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04")


class FakePrinter:
    def __init__(self, *, port: int = 0, answer_status: bool = True):
        self.answer_status = answer_status
        self.paper_out = False
        self.stall = False  # answer the first status query, then never read again (a jammed printer)
        self.jobs: list[Job] = []
        self.changed = threading.Condition()
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"network://127.0.0.1:{self.port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        self._thread.join(2)
        self._server.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._server.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._receive, args=(conn,), daemon=True).start()

    def _receive(self, conn: socket.socket) -> None:
        job = Job()
        with conn:
            conn.settimeout(5)
            while True:
                try:
                    chunk = conn.recv(65536)
                except (socket.timeout, OSError):
                    break
                if not chunk:
                    break
                job.data += chunk
                if self.answer_status and job.data.endswith(STATUS_QUERIES):
                    conn.sendall(PAPER_OUT if self.paper_out and job.data.endswith(b"\x04") else PAPER_OK)
                    if self.stall:
                        self._stopping.wait(30)  # hold the connection open, reading nothing
                        return
        job.finished_at = time.perf_counter()
        with self.changed:
            if len(job.data) > 3:  # more than a status query: a print
                self.jobs.append(job)
            self.changed.notify_all()

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[Job]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.jobs) >= count, timeout)
        return list(self.jobs)


def raster_images(data: bytes) -> list[Image.Image]:
    """Decode every `GS v 0` raster image in an ESC/POS stream back into a 1-bit picture."""
    images, start = [], 0
    while (i := data.find(b"\x1dv0", start)) != -1:
        width_bytes = data[i + 4] | data[i + 5] << 8
        height = data[i + 6] | data[i + 7] << 8
        body = data[i + 8:i + 8 + width_bytes * height]
        # ESC/POS: a set bit is a black dot; PIL's "1" mode: 0 is black.
        images.append(Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in body)))
        start = i + 8 + len(body)
    return images


def stack(images: list[Image.Image]) -> Image.Image:
    """Fragments printed one after the other, as one picture."""
    width, height = max(im.width for im in images), sum(im.height for im in images)
    whole, y = Image.new("1", (width, height), 1), 0
    for im in images:
        whole.paste(im, (0, y))
        y += im.height
    return whole
