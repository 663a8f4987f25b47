"""Printers named by URL, and sending bytes to them with python-escpos.

`network://HOST:PORT`, `usb://VID:PID` (hex), `serial:///dev/ttyUSB0?baudrate=9600`, `file:///dev/usb/lp0`,
`preview` (PNG and .bin files in instance/receipts/) and `none` (printing disabled).
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


SCHEMES = ("network", "usb", "serial", "file")
PAPER_STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4: the paper roll sensor
PRINTER_STATUS_QUERY = b"\x10\x04\x01"  # DLE EOT 1: the printer's own status
NO_PAPER = 0x72  # its answer's fixed bits plus both paper-end bits (python-escpos RT_MASK_NOPAPER)
# Small enough that a printer which stops reading blocks us (and so times out) within a receipt or two,
# rather than the kernel swallowing many receipts that then reach no paper.
SEND_BUFFER_BYTES = 64 * 1024


class PrinterError(Exception):
    """The printer could not take the job now; it is retried later."""


@dataclass(frozen=True)
class PrinterTarget:
    kind: str  # none, preview, network, usb, serial, file
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    path: str = ""
    baudrate: int = 9600

    @property
    def enabled(self) -> bool:
        return self.kind != "none"


def parse_printer_url(url: str) -> PrinterTarget:
    """The printer a PRINTER_URL names; ValueError with a readable message when it names none."""
    url = (url or "").strip()
    if url in ("none", "preview"):
        return PrinterTarget(url)
    parts = urlsplit(url)
    try:
        if parts.scheme == "network" and parts.hostname:
            return PrinterTarget("network", host=parts.hostname, port=parts.port or 9100)
        if parts.scheme == "usb" and parts.netloc:
            vendor, _, product = parts.netloc.partition(":")
            return PrinterTarget("usb", vendor_id=int(vendor, 16), product_id=int(product, 16))
        if parts.scheme == "serial" and parts.path:
            baudrate = int(parse_qs(parts.query).get("baudrate", ["9600"])[0])
            return PrinterTarget("serial", path=parts.path, baudrate=baudrate)
        if parts.scheme == "file" and parts.path:
            return PrinterTarget("file", path=parts.path)
    except ValueError:
        pass
    raise ValueError(f"PRINTER_URL {url!r} is not one of: none, preview, network://HOST:PORT, usb://VID:PID, "
                     "serial:///dev/DEVICE?baudrate=N, file:///PATH")


def _open(target: PrinterTarget, profile: str | None, timeout: float):
    from escpos import printer as escpos_printer

    if target.kind == "network":
        device = escpos_printer.Network(target.host, target.port, timeout=timeout, profile=profile)
    elif target.kind == "usb":
        device = escpos_printer.Usb(target.vendor_id, target.product_id, timeout=int(timeout * 1000),
                                    profile=profile)
    elif target.kind == "serial":
        device = escpos_printer.Serial(devfile=target.path, baudrate=target.baudrate, timeout=timeout,
                                       profile=profile)
    else:
        device = escpos_printer.File(devfile=target.path, profile=profile)
    device.open()
    if target.kind == "network":
        device.device.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    return device


def _ask(device, query: bytes, timeout: float) -> bytes | None:
    """Send a real-time status query and read the one-byte answer; None when none comes in time."""
    sock = device.device
    sock.settimeout(timeout)
    try:
        device._raw(query)
        return sock.recv(1) or None
    except socket.timeout:
        return None
    finally:
        sock.settimeout(device.timeout)


def _check_paper(device, status_timeout: float) -> bool:
    """Ask a network printer for its paper sensor; True when it answers (and has paper).

    A printer that does not answer status queries at all is trusted to print."""
    status = _ask(device, PAPER_STATUS_QUERY, status_timeout)
    if status and status[0] & NO_PAPER == NO_PAPER:
        raise PrinterError("out of paper")
    return status is not None


def _confirm(device) -> None:
    """A printer that answers status queries reads its input in order: its answer to one sent after the
    receipt says it took every byte of it. No answer: it stopped reading (jammed, hung)."""
    if _ask(device, PRINTER_STATUS_QUERY, device.timeout) is None:
        raise PrinterError("the printer stopped answering before it took the whole receipt")


def send(target: PrinterTarget, data: bytes, *, profile: str | None = None, timeout: float = 10.0,
         status_timeout: float = 0.5) -> None:
    """Hand ``data`` to the printer, or raise PrinterError saying why not."""
    device = None
    try:
        device = _open(target, profile, timeout)
        answers = target.kind == "network" and status_timeout > 0 and _check_paper(device, status_timeout)
        device._raw(data)
        if answers:
            _confirm(device)
    except PrinterError:
        raise
    except Exception as error:  # python-escpos raises many kinds (socket, USB, serial, OS)
        raise PrinterError(f"{type(error).__name__}: {error}") from error
    finally:
        if device is not None:
            try:
                device.close()
            except Exception:
                pass


def write_preview(folder: Path, name: str, data: bytes, image) -> None:
    """The `preview` printer: the bytes it would send, and the picture it would print."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.bin").write_bytes(data)
    image.save(folder / f"{name}.png")
