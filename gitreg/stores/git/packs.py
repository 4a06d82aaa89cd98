"""Writing a git pack (v2) and its index (v2) for one batch of new objects.

One commit's objects go into one pack: three files (`.pack`, `.keep`, `.idx`) instead of
a dozen loose objects, which matters because creating a file is the slowest step of a small
save. `git repack --geometric` later rolls small packs up (with deltas), so `.git` stays
small.
"""

from __future__ import annotations

import os
import struct
from hashlib import sha1
from zlib import adler32, crc32

from gitreg import faults
from gitreg.stores.files import remove_quietly, replace_file, write_file

TYPE_CODES = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}
_U32 = struct.Struct(">I")
_STORED_BLOCK = struct.Struct("<BHH")
_MAX_STORED = 0xFFFF


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


def stored_zlib(data: bytes) -> bytes:
    """`data` as a zlib stream of stored (uncompressed) deflate blocks.

    What `zlib.compress(data, 0)` returns, without setting up a compressor (which costs more
    than the whole pack for a commit's few small objects). `git repack` deltifies and
    compresses the objects later.
    """
    n = len(data)
    if n <= _MAX_STORED:  # one final block: the usual case
        return b"\x78\x01" + _STORED_BLOCK.pack(1, n, n ^ 0xFFFF) + data + _U32.pack(adler32(data))
    parts = [b"\x78\x01"]
    start = 0
    while True:
        chunk = data[start : start + _MAX_STORED]
        start += _MAX_STORED
        last = start >= n
        parts.append(_STORED_BLOCK.pack(last, len(chunk), len(chunk) ^ 0xFFFF))
        parts.append(chunk)
        if last:
            break
    parts.append(_U32.pack(adler32(data)))
    return b"".join(parts)


def _fanout(first_bytes: list[int]) -> bytes:
    """The idx fan-out table: entry k counts the objects whose first byte is <= k."""
    parts = []
    pos = 0
    for i, b in enumerate(first_bytes):  # sorted
        if b > pos:
            parts.append(_U32.pack(i) * (b - pos))
            pos = b
    parts.append(_U32.pack(len(first_bytes)) * (256 - pos))
    return b"".join(parts)


def write_pack(
    pack_dir: str,
    objects: dict[str, tuple[bytes, bytes]],
    keep: bytes,
    fsync: tuple[bool, bool] = (False, False),
) -> str:
    """Write `objects` (hex sha -> (kind, content)) as one pack; returns its path without
    the suffix. `fsync`: flush the .pack, the .idx (git's core.fsync `pack`, `pack-metadata`).

    The `.pack` is complete before the `.idx` appears, as git requires: a reader never sees
    an index without its pack. A `.keep` holding `keep` comes first, as `git index-pack
    --keep` writes one for a push: until the caller removes it, once a ref points at the
    objects, a concurrent `git repack -a -d` or `git gc` leaves the pack alone (without
    it, they could delete objects that no ref reaches yet).
    """
    parts = [b"PACK", struct.pack(">II", 2, len(objects))]
    offset = 12
    entries: list[tuple[bytes, int, int]] = []  # (binary sha, crc32, offset)
    for sha, (kind, content) in objects.items():
        packed = _entry_header(TYPE_CODES[kind], len(content)) + stored_zlib(content)
        parts.append(packed)
        entries.append((bytes.fromhex(sha), crc32(packed), offset))
        offset += len(packed)
    if offset >= 0x80000000:  # pragma: no cover - a batch is never 2 GiB
        raise ValueError("pack too large for 32-bit offsets")
    body = b"".join(parts)
    pack_sum = sha1(body).digest()

    entries.sort()
    n = len(entries)
    idx = b"".join(
        [
            b"\377tOc\0\0\0\2",
            _fanout([bsha[0] for bsha, _, _ in entries]),
            b"".join([bsha for bsha, _, _ in entries]),
            struct.pack(f">{n}I", *[crc for _, crc, _ in entries]),
            struct.pack(f">{n}I", *[off for _, _, off in entries]),
            pack_sum,
        ]
    )
    idx += sha1(idx).digest()

    base = os.path.join(pack_dir, "pack-" + pack_sum.hex())
    tmp = f"{os.getpid()}_{id(objects)}"  # in git's own temp names there: tmp_*
    # First the .keep, as `git index-pack --keep` does: `git repack` lists the .pack files
    # when it starts and removes the unkept ones when it ends, so a .pack must never be
    # there unkept before a ref reaches its objects.
    try:
        write_file(base + ".keep", keep, exclusive=True)
    except FileExistsError:
        pass  # the same pack, kept by another writer of the very same commit
    try:
        # git reads a pack only through its .idx, so the .pack may be written in place (one
        # rename less); a crash leaves a .pack without .idx, which `git gc` removes.
        try:
            write_file(base + ".pack", body + pack_sum, exclusive=True, fsync=fsync[0])
        except FileExistsError:
            # The same objects were written before, maybe by a writer killed before its .idx
            # (or still writing it): make sure the index exists before a ref points here.
            if os.path.getsize(base + ".pack") != len(body) + len(pack_sum):  # cut short
                replace_file(
                    base + ".pack", body + pack_sum, f"{pack_dir}/tmp_pack_{tmp}", fsync=fsync[0]
                )
        faults.point("pack")
        if not os.path.exists(base + ".idx"):
            replace_file(base + ".idx", idx, f"{pack_dir}/tmp_idx_{tmp}", fsync=fsync[1])
    except BaseException:
        remove_quietly(base + ".keep")
        raise
    return base
