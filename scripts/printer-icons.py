#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# quire: draws the IPP queue's printer-icons (data/icons/printer-{48,128,512}.png) from the
# shapes of web/logo.svg (a 32x32 mark: rounded square, a page with a folded corner, three
# lines), without an SVG renderer: each pixel is 4x4 samples of the shapes. Run it only to
# change the icons; the PNGs are committed and built into quired (src/api/printer_icons.S).
import struct
import sys
import zlib

BLUE, WHITE, FOLD = (0x1F, 0x4E, 0x8C), (0xFF, 0xFF, 0xFF), (0xC9, 0xD7, 0xEA)


def in_round_rect(x, y):
    r = 7.0
    cx = min(max(x, r), 32 - r)
    cy = min(max(y, r), 32 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_page(x, y):  # M9 8h11l4 4v12H9z
    return 9 <= x <= 24 and 8 <= y <= 24 and not (x > 20 and y < 8 + (x - 20))


def in_fold(x, y):  # M20 8v4h4
    return 20 <= x <= 24 and 8 <= y <= 12 and y >= 8 + (x - 20)


def on_line(x, y):  # M12 15h9 M12 18h9 M12 21h6, stroke 1.6, round caps
    for ly, x2 in ((15, 21), (18, 21), (21, 18)):
        cx = min(max(x, 12), x2)
        if (x - cx) ** 2 + (y - ly) ** 2 <= 0.8 ** 2:
            return True
    return False


def colour(x, y):
    """The RGBA of point (x, y) of the 32x32 mark."""
    if not in_round_rect(x, y):
        return (0, 0, 0, 0)
    if on_line(x, y):
        return BLUE + (255,)
    if in_fold(x, y):
        return FOLD + (255,)
    if in_page(x, y):
        return WHITE + (255,)
    return BLUE + (255,)


def png(size):
    rows = []
    s = 4
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(s):
                for sx in range(s):
                    c = colour((px + (sx + 0.5) / s) * 32 / size, (py + (sy + 0.5) / s) * 32 / size)
                    a = c[3]
                    acc[0] += c[0] * a
                    acc[1] += c[1] * a
                    acc[2] += c[2] * a
                    acc[3] += a
            a = acc[3]
            row += bytes([acc[0] // a, acc[1] // a, acc[2] // a, a // (s * s)] if a else [0, 0, 0, 0])
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', size, size, 8, 6, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b''))


if __name__ == '__main__':
    out = sys.argv[1] if len(sys.argv) > 1 else 'data/icons'
    for n in (48, 128, 512):
        with open(f'{out}/printer-{n}.png', 'wb') as f:
            f.write(png(n))
