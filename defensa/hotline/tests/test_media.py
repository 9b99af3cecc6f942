"""Hostile and identifying files: refused quickly with bounded memory, or cleaned so that a
real metadata tool (Debian's exiftool) finds nothing that points at anyone."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image

from defensa import testing
from defensa.hotline import actions, media, media_store
from defensa.hotline.actions import Incoming
from defensa.hotline.models import ReportMedia
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

IDENTIFYING = ("GPS", "Serial", "DateTimeOriginal", "CreateDate", "Make", "Model", "Owner",
               "Artist", "Software", "Location", "UserComment")  # fmt: skip


def exiftool(data: bytes, tmp_path: Path, suffix: str) -> dict:
    assert shutil.which("exiftool"), "bin/test installs Debian's exiftool"
    path = tmp_path / f"file{suffix}"
    path.write_bytes(data)
    out = subprocess.run(["exiftool", "-j", "-G", "-a", str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)[0]


def leaky_jpeg() -> bytes:
    image = Image.new("RGB", (320, 240), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x013B] = "Maria Lopez"  # Artist
    exif[0xA431] = "SN-123456789"  # BodySerialNumber (Exif IFD tag, stored at top level here)
    exif[0x0132] = "2026:11:27 08:15:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (41.0, 51.0, 30.0)
    gps[3], gps[4] = "W", (87.0, 39.0, 10.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_exiftool_sees_the_leaks_before_and_none_after(tmp_path: Path) -> None:
    original = leaky_jpeg()
    before = exiftool(original, tmp_path, ".jpg")
    assert any("GPS" in key for key in before)
    assert any("Serial" in key for key in before)
    cleaned = media.clean(original, claimed_type="image/jpeg")
    after = exiftool(cleaned.clean, tmp_path, ".jpg")
    leaks = [key for key in after if any(word in key for word in IDENTIFYING)]
    assert leaks == []
    assert cleaned.original == original  # the untouched original is kept (sealed) for legal use


def test_video_metadata_is_removed(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=5",
         "-metadata", "location=+41.8500-087.6500/", "-metadata", "artist=Maria Lopez",
         "-metadata", "creation_time=2026-11-27T08:15:00Z", "-pix_fmt", "yuv420p",
         str(source)],
        check=True,
    )  # fmt: skip
    data = source.read_bytes()
    before = exiftool(data, tmp_path, ".mp4")
    assert any("GPS" in key or "Location" in key for key in before)
    cleaned = media.clean(data, claimed_type="video/mp4")
    after = exiftool(cleaned.clean, tmp_path, ".mp4")
    assert not any("GPS" in key or "Location" in key or "Artist" in key for key in after)
    # Dates left are the test file's own (group "File"), not the recording's.
    inside = {k: v for k, v in after.items() if not k.startswith(("File:", "SourceFile"))}
    assert "2026" not in json.dumps(inside)


def png_bomb() -> bytes:
    """A PNG that claims 100000 x 100000 pixels in a few kilobytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 300_001 * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


HOSTILE = {
    "decompression bomb": (png_bomb(), "image/png"),
    "jpeg with a zip inside": (leaky_jpeg() + b"PK\x03\x04" + b"\x00" * 200, "image/jpeg"),
    "html named as a photo": (b"<html><script>alert(1)</script></html>", "image/jpeg"),
    "video claiming to be a photo": (b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100, "image/jpeg"),
    "heic": (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "image/heic"),
    "truncated jpeg": (leaky_jpeg()[:300], "image/jpeg"),
    "oversized": (b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024), "image/jpeg"),
    "empty": (b"", "image/jpeg"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_quickly_with_bounded_memory(name: str) -> None:
    data, claimed = HOSTILE[name]
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(media.MediaRefused):
        media.clean(data, claimed_type=claimed)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 64 * 1024 * 1024, f"{name}: {peak / 1e6:.0f} MB"


def test_staff_see_only_the_clean_copy(tmp_path: Path) -> None:
    committee = testing.committee()
    dispatcher = testing.member(committee, roles=[Role.DISPATCHER], username="paty")
    report = actions.receive_report(Incoming(channel="web", language="es", text="foto"))
    report.committee = committee
    report.save()
    original = leaky_jpeg()
    item = actions.attach_media(report=report, data=original, claimed_type="image/jpeg")
    served = testing.staff_client(dispatcher).get(
        f"/staff/c/{committee.code}/reports/media/{item.code}/"
    )
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert "sandbox" in served["Content-Security-Policy"]
    body = served.content
    assert body != original
    leaks = [k for k in exiftool(body, tmp_path, ".jpg") if "GPS" in k or "Serial" in k]
    assert leaks == []
    # On disk both copies are sealed: neither the GPS bytes nor the JPEG itself are readable.
    for which in ("original", "clean"):
        raw = (Path(media_store._root()) / f"{item.code}.{which}").read_bytes()
        assert b"Maria Lopez" not in raw
        assert not raw.startswith(b"\xff\xd8")
    assert ReportMedia.objects.get().sha256 == __import__("hashlib").sha256(original).hexdigest()
