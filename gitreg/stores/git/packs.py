"""Writing a git pack (v2) and its index (v2) for one batch of new objects.

One commit's objects go into one pack: two files instead of a dozen loose objects, which
matters because creating a file is the slowest step of a small save. `git repack
--geometric` later rolls small packs up (with deltas), so `.git` stays small.
"""

from __future__ import annotations

import os
import struct
import zlib
from hashlib import sha1

from gitreg import faults
from gitreg.stores.files import write_file

TYPE_CODES = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}


def _entry_header(type_code: int, size: int) -> bytes:
    byte = (type_code << 4) | (size & 0x0F)
    size >>= 4
    out = bytearray()
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


def write_pack(pack_dir: str, objects: dict[str, tuple[bytes, bytes]]) -> str:
    """Write `objects` (hex sha -> (kind, content)) as one pack + idx; returns the pack name.

    The `.pack` is renamed into place before the `.idx`, as git does, so a reader never
    sees an index without its pack.
    """
    body = bytearray(b"PACK" + struct.pack(">II", 2, len(objects)))
    entries: list[tuple[bytes, int, int]] = []  # (binary sha, crc32, offset)
    for sha, (kind, content) in objects.items():
        offset = len(body)
        # Small objects: a tiny deflate window and memory level set up ~30x faster than
        # zlib's defaults; trees and commits (mostly hashes) are stored, not compressed.
        # `git repack` recompresses and deltifies them later.
        z = zlib.compressobj(
            1 if kind == b"blob" else 0, zlib.DEFLATED, 9 if len(content) < 512 else 15, 1
        )
        packed = _entry_header(TYPE_CODES[kind], len(content)) + z.compress(content) + z.flush()
        body += packed
        entries.append((bytes.fromhex(sha), zlib.crc32(packed) & 0xFFFFFFFF, offset))
    pack_sum = sha1(body).digest()
    body += pack_sum

    entries.sort()
    idx = bytearray(b"\377tOc" + struct.pack(">I", 2))
    counts = [0] * 256
    for bsha, _, _ in entries:
        counts[bsha[0]] += 1
    fanout = []
    total = 0
    for c in counts:
        total += c
        fanout.append(total)
    n = len(entries)
    idx += struct.pack(">256I", *fanout)
    idx += b"".join(bsha for bsha, _, _ in entries)
    idx += struct.pack(f">{n}I", *(crc for _, crc, _ in entries))
    if body and len(body) >= 0x80000000:  # pragma: no cover - a batch is never 2 GiB
        raise ValueError("pack too large for 32-bit offsets")
    idx += struct.pack(f">{n}I", *(off for _, _, off in entries))
    idx += pack_sum
    idx += sha1(idx).digest()

    name = "pack-" + pack_sum.hex()
    base = os.path.join(pack_dir, name)
    # git sees a pack only through its .idx, so the .pack may be written in place (one
    # rename less); a crash leaves a .pack without .idx, which `git gc` removes.
    try:
        write_file(base + ".pack", bytes(body), exclusive=True)
    except FileExistsError:
        return name  # the same objects were written before
    faults.point("pack")
    tmp = f"{pack_dir}/tmp_idx_{os.getpid()}_{id(objects)}"
    write_file(tmp, bytes(idx))
    os.replace(tmp, base + ".idx")
    return name
