#!/usr/bin/env python3
"""Writes the hostile raw tar seeds (uncompressed tar streams) into the folders given.

Each header is built byte by byte, as tests/hostile_archives/mod.rs builds them, because the tar
tools refuse to write most of these shapes. Run from the repository root:

    python3 fuzz/seeds/make_hostile.py fuzz/seeds/tar_stream fuzz/seeds/check_archive \
        fuzz/seeds/restore_archive
"""

import os
import sys

BLOCK = 512
S = b"momentum_breakout"


def header(name, typeflag, size, link=b"", mode=None, gnu=False, prefix=b"", size_field=None):
    if mode is None:
        mode = 0o755 if typeflag == b"5" else 0o644
    h = bytearray(BLOCK)

    def put(offset, length, value):
        assert len(value) <= length, (value, length)
        h[offset:offset + len(value)] = value

    put(0, 100, name)
    put(100, 8, b"%07o\0" % mode)
    put(108, 8, b"0000000\0")
    put(116, 8, b"0000000\0")
    put(124, 12, size_field if size_field is not None else b"%011o\0" % size)
    put(136, 12, b"%011o\0" % 1_704_164_645)
    h[156] = typeflag[0]
    put(157, 100, link)
    if gnu:
        put(257, 8, b"ustar  \0")
    else:
        put(257, 6, b"ustar\0")
        put(263, 2, b"00")
    put(265, 32, b"root")
    put(297, 32, b"root")
    put(345, 155, prefix)
    h[148:156] = b"        "
    put(148, 8, b"%06o\0 " % sum(h))
    return bytes(h)


def padded(data):
    return data + b"\0" * ((BLOCK - len(data) % BLOCK) % BLOCK)


def member(name, typeflag, content=b"", **kw):
    return header(name, typeflag, len(content), **kw) + padded(content)


def pax_record(key, value):
    body = b" " + key + b"=" + value + b"\n"
    total = len(body) + 1
    while total != len(body) + len(str(total)):
        total = len(body) + len(str(total))
    return str(total).encode() + body


def pax(records, described, content=b""):
    data = b"".join(pax_record(k, v) for k, v in records)
    return member(b"PaxHeaders/x", b"x", data) + described + padded(content)


def long_text(length, part=200):
    """`length` bytes of plain names of at most `part` bytes, joined with slashes."""
    text = b""
    while len(text) < length:
        if text:
            text += b"/"
        text += b"t" * min(part, length - len(text))
    assert len(text) == length
    return text


def deep_path(top):
    """`top/a/a/.../a/` as long as a path may be (4095 bytes)."""
    path = top
    while len(path) + 2 <= 4094:
        path += b"/a"
    return path + b"/"


END = b"\0" * (2 * BLOCK)
START = member(S + b"/", b"5") + member(S + b"/ok.txt", b"0", b"harmless content\n")

SEEDS = {
    # A PAX header claiming a gigabyte: refused after its header block, never allocated.
    "hostile_pax_header_1gib.tar": header(b"PaxHeaders/x", b"x", 1 << 30) + b"9" * 1024,
    # A PAX record giving a file a gigabyte of content that is not there.
    "hostile_pax_size_1gib.tar": START
    + pax([(b"size", b"1073741824")], header(S + b"/big.csv", b"0", 4), b"1,2\n")
    + END,
    # A GNU long-name record for a long but legal path, and a long link target.
    "gnu_long_name.tar": START
    + member(b"././@LongLink", b"L", S + b"/" + b"n" * 150 + b".csv\0", gnu=True)
    + member(b"short.csv", b"0", b"a,b\n", gnu=True)
    + member(b"././@LongLink", b"K", b"l" * 120 + b"\0", gnu=True)
    + member(S + b"/long_link", b"2", link=b"x", mode=0o777, gnu=True)
    + END,
    # A GNU long name claiming a gigabyte.
    "hostile_gnu_long_name_1gib.tar": header(b"././@LongLink", b"L", 1 << 30, gnu=True) + END,
    # Climbing out with "..", in the name and in the ustar prefix.
    "hostile_dotdot.tar": START
    + member(S + b"/../escape.txt", b"0", b"out\n")
    + member(b"../x", b"0", b"x\n")
    + member(b"evil.txt", b"0", b"p\n", prefix=S + b"/..")
    + END,
    # The classic link trick: rl -> "." and then a member through the link.
    "hostile_symlink_dot_then_through.tar": START
    + member(S + b"/rl", b"2", link=b".", mode=0o777)
    + member(S + b"/rl/x", b"0", b"through the link\n")
    + END,
    # Links that leave the strategy folder.
    "hostile_symlink_escape.tar": START
    + member(S + b"/up", b"2", link=b"../..", mode=0o777)
    + member(S + b"/abs", b"2", link=b"/etc/passwd", mode=0o777)
    + member(S + b"/sub/l", b"2", link=b"a/../../..", mode=0o777)
    + END,
    # PAX path and linkpath records that say something else than the header.
    "hostile_pax_path.tar": START
    + pax([(b"path", b"../../etc/cron.d/x")], header(b"innocent.txt", b"0", 2), b"x\n")
    + pax([(b"linkpath", b"/etc")], header(S + b"/ln", b"2", 0, link=b"ok", mode=0o777))
    + END,
    # Absolute and Windows-style paths.
    "hostile_absolute_backslash.tar": START
    + member(b"/tmp/abs.txt", b"0", b"a\n")
    + member(S + b"\\..\\..\\win.txt", b"0", b"w\n")
    + member(b"C:/x.txt", b"0", b"c\n")
    + END,
    # Hard link, FIFO, devices, a GNU sparse member.
    "hostile_special_members.tar": START
    + member(S + b"/hard", b"1", link=S + b"/ok.txt")
    + member(S + b"/fifo", b"6")
    + member(S + b"/null", b"3", mode=0o666)
    + member(S + b"/disk", b"4", mode=0o666)
    + member(S + b"/sparse", b"S", b"s")
    + END,
    # A global PAX header, a base-256 size, and a PAX mtime before 1970 with a fraction.
    "pax_global_base256_mtime.tar": member(b"pax_global_header", b"g", pax_record(b"comment", b"hi"))
    + member(S + b"/", b"5")
    + header(S + b"/b256.txt", b"0", 5, size_field=b"\x80" + b"\0" * 10 + b"\x05")
    + padded(b"12345")
    + pax([(b"mtime", b"-86400.5")], header(S + b"/old.txt", b"0", 4), b"old\n")
    + END,
    # A link target of exactly 4096 bytes (PATH_MAX with its NUL: the system refuses it).
    "hostile_link_target_4096.tar": member(S + b"/", b"5")
    + pax([(b"linkpath", long_text(4096))], header(S + b"/l", b"2", 0, link=b"x", mode=0o777))
    + END,
    # Member paths of exactly 4096 bytes (one too many) and 4095, in 250-byte parts.
    "long_path_4096.tar": pax([(b"path", S + b"/" + long_text(4096 - len(S) - 1, 250))],
                              header(b"x", b"0", 3), b"hi\n")
    + END,
    "long_path_4095.tar": pax([(b"path", S + b"/" + long_text(4095 - len(S) - 1, 250))],
                              header(b"x", b"0", 3), b"hi\n")
    + END,
    # Folders as deep as a path may go (2045 of them), each under its own top folder.
    "hostile_deep_paths.tar": member(S + b"/", b"5")
    + b"".join(
        pax([(b"path", deep_path(S + b"/%d" % i))], header(b"x", b"5", 0)) for i in range(8)
    )
    + END,
    # Only the manifest folder and an empty manifest: no strategy folder at all.
    "manifest_only.tar": member(b".results-backup/", b"5")
    + member(b".results-backup/manifest.json", b"0", b"{}")
    + END,
    # An archive holding nothing: just the end marker.
    "empty_archive.tar": END,
}


def main():
    for folder in sys.argv[1:]:
        os.makedirs(folder, exist_ok=True)
        for name, data in SEEDS.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
