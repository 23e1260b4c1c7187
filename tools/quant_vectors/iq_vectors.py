#!/usr/bin/python3
"""Known-answer vectors for the codebook ("i-quant") and ternary GGUF types.

Writes tests/data/quants/<TYPE>.kat for IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS, TQ1_0 and
TQ2_0: seeded random valid blocks and the float32 values the ecosystem's (ggml) reference dequantizer produces for
them. The decoding here is written from the block layouts (vectorised numpy, independent of the C++ kernels in
src/formats/quants/quants_iq.cc) and follows ggml's float32 operation order, so results must match bit for bit.
The codebook grids are format constants: their per-row level lists are parsed out of iq_grids.cc and expanded here,
then checked against checksums of ggml's full tables.

Run with Debian's python3 + python3-numpy:  /usr/bin/python3 tools/quant_vectors/iq_vectors.py
File format: see src/formats/quants/quant_test_vectors.h.
"""
import pathlib
import re
import struct

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
GRIDS_SOURCE = ROOT / "src" / "formats" / "quants" / "iq_grids.cc"
OUT_DIR = ROOT / "tests" / "data" / "quants"
N_BLOCKS = 32
SEED = 20250127
QK = 256

F32 = np.float32

# ---------------------------------------------------------------------------------------------------------------
# Grids: name in iq_grids.cc, elements per row, bits per level index, level values, FNV-1a-64 of ggml's table bytes.
GRID_SPECS = {
    "iq1": ("kIq1Index", 8, 2, [-1, 0, 1], 0x6703ED863501AE2E),
    "iq2xxs": ("kIq2XxsIndex", 8, 2, [8, 25, 43], 0xBB4EE025B5AC6E8E),
    "iq2xs": ("kIq2XsIndex", 8, 2, [8, 25, 43], 0xC9B1EE61E79909BD),
    "iq2s": ("kIq2SIndex", 8, 2, [8, 25, 43], 0x123EDD38A3B62B90),
    "iq3xxs": ("kIq3XxsIndex", 4, 3, [4, 12, 20, 28, 36, 44, 52, 62], 0xDFA5DC83D6A155D5),
    "iq3s": ("kIq3SIndex", 4, 3, [1, 3, 5, 7, 9, 11, 13, 15], 0xFA37020C25B44829),
}
IQ4NL = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], dtype=np.int8)


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def load_grids():
    text = GRIDS_SOURCE.read_text()
    grids = {}
    for key, (name, width, bits, levels, checksum) in GRID_SPECS.items():
        match = re.search(name + r"\[(\d+)\] = \{([^}]*)\}", text)
        rows = np.array([int(v) for v in re.findall(r"\d+", match.group(2))], dtype=np.int64)
        assert len(rows) == int(match.group(1)), name
        digits = (rows[:, None] >> (bits * np.arange(width))[None, :]) & ((1 << bits) - 1)
        grid = np.array(levels, dtype=np.int8)[digits]  # [n_rows, width]
        assert fnv1a64(grid.tobytes()) == checksum, f"{name}: grid does not match ggml's table"
        grids[key] = grid
    return grids


GRIDS = load_grids()


# ---------------------------------------------------------------------------------------------------------------
# Helpers. Blocks are uint8 arrays [n_blocks, block_bytes]; decoders return float32 [n_blocks, 256].
def u16(blocks, offset, count):
    return blocks[:, offset:offset + 2 * count].copy().view("<u2").astype(np.uint32)


def u32(blocks, offset, count):
    return blocks[:, offset:offset + 4 * count].copy().view("<u4").astype(np.uint64)


def f16(blocks, offset):
    return blocks[:, offset:offset + 2].copy().view("<f2").astype(F32)  # [n, 1]


def bits_of(value, n_bits):
    """[..., n_bits] array of the low n_bits of value, least significant first."""
    return ((value[..., None] >> np.arange(n_bits, dtype=value.dtype)) & 1).astype(bool)


def parity_completed_signs(code7):
    """8 sign flags from a 7-bit code: the eighth makes the number of set flags even."""
    flags = bits_of(code7, 7)
    return np.concatenate([flags, (flags.sum(axis=-1) % 2 == 1)[..., None]], axis=-1)


def signed(magnitude, negative):
    return np.where(negative, -magnitude, magnitude)


def random_f16(rng, shape, negative_fraction=0.25):
    """Finite halves from 2^-16 (subnormal) to 2: realistic super-block scales, some negative."""
    mags = np.exp2(rng.uniform(-16.0, 1.0, size=shape))
    sign = np.where(rng.random(shape) < negative_fraction, -1.0, 1.0)
    return (sign * mags).astype(np.float16)


def put_f16(blocks, offset, values):
    blocks[:, offset:offset + 2] = values.reshape(-1, 1).view(np.uint8).reshape(-1, 2)


# ---------------------------------------------------------------------------------------------------------------
# IQ2 family. 256 elements = 32 rows of 8 grid values; scale per 32 elements = d * (0.5 + s) * 0.25.
def iq2_scale(d, nibbles, factor):
    return (d * (F32(0.5) + nibbles.astype(F32))) * F32(factor)


def decode_iq2_xxs(b):
    d = f16(b, 0)
    words = u32(b, 2, 16).reshape(-1, 8, 2)  # per 32: (4 grid bytes, signs+scale)
    idx = b[:, 2:66].reshape(-1, 8, 8)[:, :, :4]  # [n, 8, 4]
    aux = words[:, :, 1]
    scale = iq2_scale(d, aux >> 28, 0.25)  # [n, 8]
    codes = (aux[:, :, None] >> (7 * np.arange(4, dtype=np.uint64))) & 127  # [n, 8, 4]
    vals = GRIDS["iq2xxs"][idx].astype(F32)  # [n, 8, 4, 8]
    out = signed(scale[:, :, None, None] * vals, parity_completed_signs(codes))
    return out.reshape(-1, QK)


def decode_iq2_xs(b):
    d = f16(b, 0)
    q = u16(b, 2, 32).reshape(-1, 8, 4)
    sc = b[:, 66:74].astype(np.uint32)
    nib = np.stack([sc & 15, sc & 15, sc >> 4, sc >> 4], axis=-1)  # [n, 8, 4]
    scale = iq2_scale(d[:, :, None], nib, 0.25)
    vals = GRIDS["iq2xs"][q % 512].astype(F32)
    out = signed(scale[..., None] * vals, parity_completed_signs(q // 512))
    return out.reshape(-1, QK)


def decode_iq2_s(b):
    d = f16(b, 0)
    low = b[:, 2:34].astype(np.uint32).reshape(-1, 8, 4)
    sign_bytes = b[:, 34:66].astype(np.uint32).reshape(-1, 8, 4)
    qh = b[:, 66:74].astype(np.uint32)
    high = (qh[:, :, None] >> (2 * np.arange(4, dtype=np.uint32))) & 3
    sc = b[:, 74:82].astype(np.uint32)
    nib = np.stack([sc & 15, sc & 15, sc >> 4, sc >> 4], axis=-1)
    scale = iq2_scale(d[:, :, None], nib, 0.25)
    vals = GRIDS["iq2s"][low + 256 * high].astype(F32)
    out = signed(scale[..., None] * vals, bits_of(sign_bytes, 8))
    return out.reshape(-1, QK)


# IQ3 family: 4-wide grid rows, 64 per block.
def decode_iq3_xxs(b):
    d = f16(b, 0)
    idx = b[:, 2:66].reshape(-1, 8, 4, 2)  # [n, group, 8-element row, half]
    aux = u32(b, 66, 8)  # [n, 8]
    scale = iq2_scale(d, aux >> 28, 0.5)
    codes = (aux[:, :, None] >> (7 * np.arange(4, dtype=np.uint64))) & 127
    flags = parity_completed_signs(codes).reshape(-1, 8, 4, 2, 4)
    vals = GRIDS["iq3xxs"][idx].astype(F32)  # [n, 8, 4, 2, 4]
    out = signed(scale[:, :, None, None, None] * vals, flags)
    return out.reshape(-1, QK)


def decode_iq3_s(b):
    d = f16(b, 0)
    low = b[:, 2:66].astype(np.uint32).reshape(-1, 8, 8)
    qh = b[:, 66:74].astype(np.uint32)
    high = bits_of(qh, 8).astype(np.uint32)  # [n, 8, 8]
    flags = bits_of(b[:, 74:106].astype(np.uint32), 8).reshape(-1, 8, 8, 4)
    sc = b[:, 106:110].astype(np.uint32)
    nib = np.stack([sc & 15, sc >> 4], axis=-1).reshape(-1, 8)
    scale = d * (1 + 2 * nib).astype(F32)
    vals = GRIDS["iq3s"][low + 256 * high].astype(F32)
    out = signed(scale[:, :, None, None] * vals, flags)
    return out.reshape(-1, QK)


# IQ1 family: values dl * (grid + delta), delta = +-1/8.
def decode_iq1_s(b):
    d = f16(b, 0)
    low = b[:, 2:34].astype(np.uint32).reshape(-1, 8, 4)
    qh = u16(b, 34, 8)  # [n, 8]
    high = (qh[:, :, None] >> (3 * np.arange(4, dtype=np.uint32))) & 7
    dl = d * (2 * ((qh >> 12) & 7) + 1).astype(F32)
    delta = np.where(qh >= 0x8000, F32(-0.125), F32(0.125))
    vals = GRIDS["iq1"][low + 256 * high].astype(F32)
    out = dl[:, :, None, None] * (vals + delta[:, :, None, None])
    return out.reshape(-1, QK)


def decode_iq1_m(b):
    low = b[:, 0:32].astype(np.uint32)  # [n, 32] one per 8 elements
    nibbles = np.stack([b[:, 32:48] & 15, b[:, 32:48] >> 4], axis=-1).reshape(-1, 32).astype(np.uint32)
    words = u16(b, 48, 4)  # [n, 4]
    d_bits = sum(((words[:, w] >> 12) << (4 * w)) for w in range(4)).astype(np.uint16)
    d = d_bits.view(np.float16).astype(F32)[:, None]
    codes = ((words[:, :, None] >> (3 * np.arange(4, dtype=np.uint32))) & 7).reshape(-1, 16)  # per 16 elements
    dl = d * (2 * codes + 1).astype(F32)  # [n, 16]
    dl = np.repeat(dl, 2, axis=1)  # per 8 elements
    delta = np.where(nibbles & 8, F32(-0.125), F32(0.125))
    vals = GRIDS["iq1"][low + 256 * (nibbles & 7)].astype(F32)
    out = dl[:, :, None] * (vals + delta[:, :, None])
    return out.reshape(-1, QK)


def decode_iq4_xs(b):
    d = f16(b, 0)
    sh = u16(b, 2, 1)  # [n, 1]
    sl = b[:, 4:8].astype(np.uint32)
    low = np.stack([sl & 15, sl >> 4], axis=-1).reshape(-1, 8)
    high = (sh >> (2 * np.arange(8, dtype=np.uint32))) & 3
    dl = d * ((low | (high << 4)).astype(np.int32) - 32).astype(F32)  # [n, 8]
    qs = b[:, 8:136].reshape(-1, 8, 16)
    codes = np.concatenate([qs & 15, qs >> 4], axis=-1)  # [n, 8, 32]
    out = dl[:, :, None] * IQ4NL[codes].astype(F32)
    return out.reshape(-1, QK)


# Ternary.
def decode_tq2_0(b):
    d = f16(b, 64)
    qs = b[:, :64].reshape(-1, 2, 1, 32)
    q = (qs >> (2 * np.arange(4, dtype=np.uint8))[None, None, :, None]) & 3  # [n, half, shift, 32]
    return (q.astype(np.int32) - 1).astype(F32).reshape(-1, QK) * d


def trits_of_byte(byte, n):
    """Trit n (most significant first) of a TQ1_0 byte: ggml's fixed-point digit extraction."""
    frac = (byte.astype(np.uint32) * 3 ** n) & 255
    return (frac * 3) >> 8


def decode_tq1_0(b):
    d = f16(b, 52)
    parts = []
    for lo, hi, n_trits in ((0, 32, 5), (32, 48, 5), (48, 52, 4)):
        parts.append(np.concatenate([trits_of_byte(b[:, lo:hi], n) for n in range(n_trits)], axis=1))
    return (np.concatenate(parts, axis=1).astype(np.int32) - 1).astype(F32) * d


def pack_tq1_0(trits):
    """TQ1_0 qs/qh bytes for trits [n, 256] in {0, 1, 2}: ceil(256 * T / 243), T's first trit most significant."""
    def pack(group, n_trits):  # group: [n, n_trits, n_bytes]
        weights = 3 ** np.arange(4, 4 - n_trits, -1)
        value = np.tensordot(group, weights, axes=([1], [0]))
        return ((value * 256 + 242) // 243).astype(np.uint8)
    a = trits[:, :160].reshape(-1, 5, 32)
    b = trits[:, 160:240].reshape(-1, 5, 16)
    c = trits[:, 240:].reshape(-1, 4, 4)
    return np.concatenate([pack(a, 5), pack(b, 5), pack(c, 4)], axis=1)


# ---------------------------------------------------------------------------------------------------------------
# Types: (ggml type id, block bytes, f16 scale offsets, decoder).
TYPES = {
    "IQ2_XXS": (16, 66, [0], decode_iq2_xxs),
    "IQ2_XS": (17, 74, [0], decode_iq2_xs),
    "IQ3_XXS": (18, 98, [0], decode_iq3_xxs),
    "IQ1_S": (19, 50, [0], decode_iq1_s),
    "IQ3_S": (21, 110, [0], decode_iq3_s),
    "IQ2_S": (22, 82, [0], decode_iq2_s),
    "IQ4_XS": (23, 136, [0], decode_iq4_xs),
    "IQ1_M": (29, 56, [], decode_iq1_m),
    "TQ1_0": (34, 54, [52], decode_tq1_0),
    "TQ2_0": (35, 66, [64], decode_tq2_0),
}


def random_blocks(rng, name, block_bytes, f16_offsets):
    blocks = rng.integers(0, 256, size=(N_BLOCKS, block_bytes), dtype=np.uint8)
    for offset in f16_offsets:
        put_f16(blocks, offset, random_f16(rng, N_BLOCKS))
    if name == "IQ1_M":  # the f16 super-scale lives in the top nibbles of the four scale words
        bits = random_f16(rng, N_BLOCKS, negative_fraction=0.0).view(np.uint16).astype(np.uint32)
        words = u16(blocks, 48, 4) & 0x0FFF
        words |= np.stack([((bits >> (4 * w)) & 15) << 12 for w in range(4)], axis=1)
        blocks[:, 48:56] = words.astype("<u2").view(np.uint8)
    expected = None
    if name == "TQ1_0":  # properly packed trits, expected values straight from the trits
        trits = rng.integers(0, 3, size=(N_BLOCKS, QK))
        blocks[:, :52] = pack_tq1_0(trits)
        expected = (trits - 1).astype(F32) * f16(blocks, 52)
        decoded = decode_tq1_0(blocks)
        assert np.array_equal(decoded.view(np.uint32), expected.view(np.uint32)), "TQ1_0 packing round trip"
    if name == "TQ2_0":  # valid ternary codes 0..2 except in the last 4 blocks, which also pin the unused code 3
        q = rng.integers(0, 3, size=(N_BLOCKS - 4, 64, 4)).astype(np.uint8)
        blocks[:-4, :64] = q[..., 0] | q[..., 1] << 2 | q[..., 2] << 4 | q[..., 3] << 6
    return blocks, expected


def write_kat(path, type_id, blocks, expected):
    assert expected.dtype == np.float32 and np.all(np.isfinite(expected))
    with open(path, "wb") as f:
        f.write(b"BKAT" + struct.pack("<II", type_id, blocks.shape[0]))
        f.write(blocks.tobytes())
        f.write(expected.astype("<f4").tobytes())


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for i, (name, (type_id, block_bytes, f16_offsets, decode)) in enumerate(TYPES.items()):
        rng = np.random.default_rng([SEED, i])
        blocks, expected = random_blocks(rng, name, block_bytes, f16_offsets)
        if expected is None:
            expected = decode(blocks)
        assert expected.shape == (N_BLOCKS, QK)
        path = OUT_DIR / f"{name}.kat"
        write_kat(path, type_id, blocks, expected)
        print(f"{path.relative_to(ROOT)}: {N_BLOCKS} blocks, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
