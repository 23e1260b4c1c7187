#!/usr/bin/python3
"""Known-answer vectors for the plain, legacy (32-element) and K-quant GGUF types.

Writes tests/data/quants/<TYPE>.kat for F32, F16, BF16, F64, I8, I16, I32, I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1,
IQ4_NL, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K: seeded random but valid blocks and the float32 values that the
ecosystem's (ggml) reference dequantizer produces for them. The decoding here is written from the published block
layouts (docs: gguf-schema section 2; ggml-common.h), vectorised with numpy and independent of the C++ code in
src/formats/quants/. Every step is a float32 operation in ggml's order (d * scale, then * code, then - dmin * min),
so the C++ decoders must match bit for bit.

Run with Debian's python3 + python3-numpy:  /usr/bin/python3 tools/quant_vectors/make_vectors.py
File format: see src/formats/quants/quant_test_vectors.h.
"""
import pathlib
import struct

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "tests" / "data" / "quants"
SEED = 20240611
N_BLOCKS = 64     # blocks per quantized type
N_PLAIN = 2048    # elements per plain (F32, F16, ...) type
MAX_FILE_BYTES = 100_000

F32 = np.float32

TYPE_IDS = {
    "F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8, "Q8_1": 9, "Q2_K": 10, "Q3_K": 11,
    "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "Q8_K": 15, "IQ4_NL": 20, "I8": 24, "I16": 25, "I32": 26, "I64": 27,
    "F64": 28, "BF16": 30, "MXFP4": 39,
}

IQ4NL_VALUES = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], dtype=np.int8)
# E2M1 values doubled so they are integers; the block scale is therefore 2^(e - 127) / 2.
MXFP4_VALUES = np.array([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12], dtype=np.int8)

# Half-precision bit patterns every fp16 scale field should meet at least once: +-0, smallest and largest
# subnormal, smallest normal, 1.0, largest finite, and negative versions.
EDGE_HALVES = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0xFBFF, 0x8001, 0xBC00]


def write_kat(name, n_blocks, blocks, expected):
    assert expected.dtype == F32
    data = b"BKAT" + struct.pack("<II", TYPE_IDS[name], n_blocks) + bytes(blocks) + expected.astype("<f4").tobytes()
    assert len(data) < MAX_FILE_BYTES, (name, len(data))
    (OUT_DIR / f"{name}.kat").write_bytes(data)
    print(f"{name}: {n_blocks} blocks, {len(data)} bytes")


# ---------------------------------------------------------------------------------------------------------------
# Random valid blocks.

def finite_halves(rng, n):
    """Random fp16 bit patterns over every bit, with exponent 31 (inf/NaN) replaced; the edge patterns come first."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32)
    infinite = ((bits >> 10) & 0x1F) == 0x1F
    bits[infinite] = (bits[infinite] & ~np.uint32(0x1F << 10)) | (rng.integers(0, 31, size=int(infinite.sum())) << 10)
    k = min(n, len(EDGE_HALVES))
    bits[:k] = EDGE_HALVES[:k]
    return bits.astype(np.uint16)


def nearby_halves(rng, reference_bits):
    """fp16 values of about the same magnitude as reference_bits, random sign: d * q and m then nearly cancel."""
    exponent = (reference_bits.astype(np.int32) >> 10) & 0x1F
    exponent = np.clip(exponent + rng.integers(-1, 2, size=len(exponent)), 0, 30)
    mantissa = rng.integers(0, 1 << 10, size=len(exponent))
    sign = rng.integers(0, 2, size=len(exponent)) << 15
    return (sign | (exponent << 10) | mantissa).astype(np.uint16)


def min_halves(rng, d_bits):
    """A second fp16 field (m, dmin): fully random for even blocks, close to d's magnitude for odd ones."""
    bits = finite_halves(rng, len(d_bits))
    bits[1::2] = nearby_halves(rng, d_bits[1::2])
    return bits


def random_blocks(rng, block_bytes):
    return rng.integers(0, 256, size=(N_BLOCKS, block_bytes), dtype=np.uint8)


def put_u16(blocks, offset, values):
    blocks[:, offset:offset + 2] = values.astype("<u2").view(np.uint8).reshape(-1, 2)


def get_half(blocks, offset):
    return blocks[:, offset:offset + 2].copy().view("<u2")[:, 0].view(np.float16).astype(F32)


def nibbles32(qs):
    """[n, 16] bytes -> [n, 32] codes: element j < 16 in the low nibble of byte j, element j + 16 in its high one."""
    return np.concatenate([qs & 0xF, qs >> 4], axis=1).astype(np.int32)


def fifth_bits32(qh):
    """[n, 4] bytes read as a little-endian u32 -> [n, 32]: bit j belongs to element j."""
    word = qh.copy().view("<u4")[:, 0:1].astype(np.int64)
    return ((word >> np.arange(32)) & 1).astype(np.int32)


# ---------------------------------------------------------------------------------------------------------------
# Plain types.

def int_to_float32(value):
    """Exact round-to-nearest-even of a Python int to float32 (no detour through float64 and its double rounding)."""
    if value == 0:
        return F32(0.0)
    magnitude = abs(value)
    shift = max(0, magnitude.bit_length() - 24)
    kept, rest = magnitude >> shift, magnitude & ((1 << shift) - 1)
    if shift and (rest > (1 << (shift - 1)) or (rest == (1 << (shift - 1)) and kept & 1)):
        kept += 1
    result = F32(float(kept << shift))  # at most 25 significant bits with a trailing zero: exact in float32
    return -result if value < 0 else result


def make_plain(rng):
    # F32: every bit random, plus the special values; decoding is a copy.
    f32_bits = rng.integers(0, 1 << 32, size=N_PLAIN, dtype=np.uint64).astype(np.uint32)
    f32_bits[:8] = [0x00000000, 0x80000000, 0x00000001, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x3F800000]
    write_kat("F32", N_PLAIN, f32_bits.astype("<u4").tobytes(), f32_bits.view(F32))

    # F16 and BF16: every bit pattern is a value (inf and NaN included).
    for name in ("F16", "BF16"):
        bits = rng.integers(0, 1 << 16, size=N_PLAIN, dtype=np.uint32)
        bits[:10] = [0x0000, 0x8000, 0x0001, 0x03FF, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0x3C00]
        if name == "F16":
            expected = bits.astype(np.uint16).view(np.float16).astype(F32)
        else:
            expected = (bits << 16).astype(np.uint32).view(F32)
        write_kat(name, N_PLAIN, bits.astype("<u2").tobytes(), expected)

    # F64: exponents around float32's range so that rounding, subnormal results and overflow to inf all occur.
    mantissa = rng.integers(0, 1 << 52, size=N_PLAIN, dtype=np.uint64)
    exponent = rng.integers(1023 - 160, 1023 + 140, size=N_PLAIN).astype(np.uint64)
    sign = rng.integers(0, 2, size=N_PLAIN).astype(np.uint64)
    f64 = ((sign << np.uint64(63)) | (exponent << np.uint64(52)) | mantissa).view(np.float64)
    f64[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 2.0 ** -149 * 0.5]
    with np.errstate(over="ignore", under="ignore"):
        write_kat("F64", N_PLAIN, f64.astype("<f8").tobytes(), f64.astype(F32))

    # Integers: full range; conversion rounds to nearest even above 2^24.
    for name, dtype, bits in (("I8", np.int8, 8), ("I16", np.int16, 16), ("I32", np.int32, 32), ("I64", np.int64, 64)):
        values = [int(v) for v in rng.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1, size=N_PLAIN, dtype=np.int64)]
        values = [v >> int(rng.integers(0, bits)) for v in values]  # also small magnitudes
        if bits >= 32:
            values[:6] = [-(1 << (bits - 1)), (1 << (bits - 1)) - 1, (1 << 24) + 1, (1 << 24) + 3, -(1 << 25) - 2, 0]
        if bits == 64:
            values = [int(v) << int(rng.integers(0, 32)) if abs(v) < (1 << 31) else v for v in values]
        expected = np.array([int_to_float32(v) for v in values], dtype=F32)
        write_kat(name, N_PLAIN, np.array(values, dtype=dtype).astype(np.dtype(dtype).newbyteorder("<")).tobytes(),
                  expected)


# ---------------------------------------------------------------------------------------------------------------
# 32-element block types.

def make_q8_0(rng):  # f16 d; i8 qs[32]
    blocks = random_blocks(rng, 34)
    put_u16(blocks, 0, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 0)
    qs = blocks[:, 2:34].view(np.int8).astype(F32)
    write_kat("Q8_0", N_BLOCKS, blocks, qs * d[:, None])


def make_q8_1(rng):  # f16 d; f16 s = d * sum(qs); i8 qs[32]
    blocks = random_blocks(rng, 36)
    put_u16(blocks, 0, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 0)
    qs = blocks[:, 4:36].view(np.int8)
    with np.errstate(over="ignore"):
        s = (qs.astype(np.int32).sum(axis=1).astype(F32) * d).astype(np.float16)  # may be inf, as ggml's would
    put_u16(blocks, 2, s.view(np.uint16))
    write_kat("Q8_1", N_BLOCKS, blocks, qs.astype(F32) * d[:, None])


def make_q4_0(rng):  # f16 d; u8 qs[16]
    blocks = random_blocks(rng, 18)
    put_u16(blocks, 0, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 0)
    codes = nibbles32(blocks[:, 2:18])
    write_kat("Q4_0", N_BLOCKS, blocks, (codes - 8).astype(F32) * d[:, None])


def make_q4_1(rng):  # f16 d; f16 m; u8 qs[16]
    blocks = random_blocks(rng, 20)
    d_bits = finite_halves(rng, N_BLOCKS)
    put_u16(blocks, 0, d_bits)
    put_u16(blocks, 2, min_halves(rng, d_bits))
    d, m = get_half(blocks, 0), get_half(blocks, 2)
    codes = nibbles32(blocks[:, 4:20])
    write_kat("Q4_1", N_BLOCKS, blocks, codes.astype(F32) * d[:, None] + m[:, None])


def make_q5_0(rng):  # f16 d; u8 qh[4]; u8 qs[16]
    blocks = random_blocks(rng, 22)
    put_u16(blocks, 0, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 0)
    codes = nibbles32(blocks[:, 6:22]) | (fifth_bits32(blocks[:, 2:6]) << 4)
    write_kat("Q5_0", N_BLOCKS, blocks, (codes - 16).astype(F32) * d[:, None])


def make_q5_1(rng):  # f16 d; f16 m; u8 qh[4]; u8 qs[16]
    blocks = random_blocks(rng, 24)
    d_bits = finite_halves(rng, N_BLOCKS)
    put_u16(blocks, 0, d_bits)
    put_u16(blocks, 2, min_halves(rng, d_bits))
    d, m = get_half(blocks, 0), get_half(blocks, 2)
    codes = nibbles32(blocks[:, 8:24]) | (fifth_bits32(blocks[:, 4:8]) << 4)
    write_kat("Q5_1", N_BLOCKS, blocks, codes.astype(F32) * d[:, None] + m[:, None])


def make_iq4_nl(rng):  # f16 d; u8 qs[16] (indices into IQ4NL_VALUES)
    blocks = random_blocks(rng, 18)
    put_u16(blocks, 0, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 0)
    values = IQ4NL_VALUES[nibbles32(blocks[:, 2:18])].astype(F32)
    write_kat("IQ4_NL", N_BLOCKS, blocks, d[:, None] * values)


def make_mxfp4(rng):  # u8 e (E8M0); u8 qs[16] (E2M1 codes)
    blocks = random_blocks(rng, 17)
    e = rng.integers(0, 255, size=N_BLOCKS)  # 255 is NaN in E8M0: not a valid block
    e[:6] = [0, 1, 2, 127, 253, 254]
    blocks[:, 0] = e
    scale = np.ldexp(F32(1.0), e.astype(np.int32) - 128).astype(F32)  # 2^(e-127) / 2, exact (subnormal for e < 2)
    values = MXFP4_VALUES[nibbles32(blocks[:, 1:17])].astype(F32)
    with np.errstate(over="ignore"):
        write_kat("MXFP4", N_BLOCKS, blocks, values * scale[:, None])


# ---------------------------------------------------------------------------------------------------------------
# K-quant super-blocks (256 elements). Index maps give, per element e, the byte and bit shift holding its code.

ELEMENTS = np.arange(256)
# 2-bit fields: each 128-element half has 32 bytes; element 128h + 32k + l sits in byte 32h + l at bits 2k.
TWO_BIT_BYTE = 32 * (ELEMENTS // 128) + ELEMENTS % 32
TWO_BIT_SHIFT = 2 * ((ELEMENTS % 128) // 32)
# One bit per element: byte e % 32, bit e // 32.
HIGH_BIT_BYTE = ELEMENTS % 32
HIGH_BIT_SHIFT = ELEMENTS // 32
# Q4_K / Q5_K nibbles: chunk c = e // 64 uses bytes 32c..32c+31, low nibbles first, then high.
NIBBLE_BYTE = 32 * (ELEMENTS // 64) + ELEMENTS % 32
NIBBLE_SHIFT = 4 * ((ELEMENTS % 64) // 32)


def field(bytes_, byte_index, shift, mask):
    return ((bytes_[:, byte_index].astype(np.int32) >> shift) & mask).astype(np.int32)


def k4_scale_min(scales):
    """Q4_K/Q5_K get_scale_min_k4: [n, 12] bytes -> ([n, 8] scales, [n, 8] mins), 6 bits each."""
    s = scales.astype(np.int32)
    sc = np.zeros((len(s), 8), dtype=np.int32)
    mn = np.zeros((len(s), 8), dtype=np.int32)
    for j in range(8):
        if j < 4:
            sc[:, j], mn[:, j] = s[:, j] & 63, s[:, j + 4] & 63
        else:
            sc[:, j] = (s[:, j + 4] & 0xF) | ((s[:, j - 4] >> 6) << 4)
            mn[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, mn


def make_q2_k(rng):  # u8 scales[16]; u8 qs[64]; f16 d; f16 dmin
    blocks = random_blocks(rng, 84)
    d_bits = finite_halves(rng, N_BLOCKS)
    put_u16(blocks, 80, d_bits)
    put_u16(blocks, 82, min_halves(rng, d_bits))
    d, dmin = get_half(blocks, 80), get_half(blocks, 82)
    scales = blocks[:, 0:16].astype(np.int32)[:, ELEMENTS // 16]
    dl = d[:, None] * (scales & 0xF).astype(F32)
    ml = dmin[:, None] * (scales >> 4).astype(F32)
    q = field(blocks[:, 16:80], TWO_BIT_BYTE, TWO_BIT_SHIFT, 3).astype(F32)
    write_kat("Q2_K", N_BLOCKS, blocks, dl * q - ml)


def make_q3_k(rng):  # u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d
    blocks = random_blocks(rng, 110)
    put_u16(blocks, 108, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 108)
    s = blocks[:, 96:108].astype(np.int32)
    codes = np.zeros((N_BLOCKS, 16), dtype=np.int32)
    for j in range(16):
        low = s[:, j] & 0xF if j < 8 else s[:, j - 8] >> 4
        high = (s[:, 8 + j % 4] >> (2 * (j // 4))) & 3
        codes[:, j] = low | (high << 4)
    dl = d[:, None] * (codes - 32).astype(F32)[:, ELEMENTS // 16]
    low2 = field(blocks[:, 32:96], TWO_BIT_BYTE, TWO_BIT_SHIFT, 3)
    high = field(blocks[:, 0:32], HIGH_BIT_BYTE, HIGH_BIT_SHIFT, 1)
    q = (low2 - np.where(high == 1, 0, 4)).astype(F32)
    write_kat("Q3_K", N_BLOCKS, blocks, dl * q)


def make_q4_k(rng):  # f16 d; f16 dmin; u8 scales[12]; u8 qs[128]
    blocks = random_blocks(rng, 144)
    d_bits = finite_halves(rng, N_BLOCKS)
    put_u16(blocks, 0, d_bits)
    put_u16(blocks, 2, min_halves(rng, d_bits))
    d, dmin = get_half(blocks, 0), get_half(blocks, 2)
    sc, mn = k4_scale_min(blocks[:, 4:16])
    dl = d[:, None] * sc.astype(F32)[:, ELEMENTS // 32]
    ml = dmin[:, None] * mn.astype(F32)[:, ELEMENTS // 32]
    q = field(blocks[:, 16:144], NIBBLE_BYTE, NIBBLE_SHIFT, 0xF).astype(F32)
    write_kat("Q4_K", N_BLOCKS, blocks, dl * q - ml)


def make_q5_k(rng):  # f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
    blocks = random_blocks(rng, 176)
    d_bits = finite_halves(rng, N_BLOCKS)
    put_u16(blocks, 0, d_bits)
    put_u16(blocks, 2, min_halves(rng, d_bits))
    d, dmin = get_half(blocks, 0), get_half(blocks, 2)
    sc, mn = k4_scale_min(blocks[:, 4:16])
    dl = d[:, None] * sc.astype(F32)[:, ELEMENTS // 32]
    ml = dmin[:, None] * mn.astype(F32)[:, ELEMENTS // 32]
    low = field(blocks[:, 48:176], NIBBLE_BYTE, NIBBLE_SHIFT, 0xF)
    high = field(blocks[:, 16:48], HIGH_BIT_BYTE, HIGH_BIT_SHIFT, 1)
    q = (low + 16 * high).astype(F32)
    write_kat("Q5_K", N_BLOCKS, blocks, dl * q - ml)


def make_q6_k(rng):  # u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d
    blocks = random_blocks(rng, 210)
    put_u16(blocks, 208, finite_halves(rng, N_BLOCKS))
    d = get_half(blocks, 208)
    ql, qh = blocks[:, 0:128].astype(np.int32), blocks[:, 128:192].astype(np.int32)
    scales = blocks[:, 192:208].view(np.int8).astype(F32)
    out = np.zeros((N_BLOCKS, 256), dtype=F32)
    # Schema section 2: half n uses ql[64n..], qh[32n..], scales[8n..]; l = 0..31, is = l // 16.
    for n in range(2):
        for l in range(32):
            is_ = l // 16
            h = qh[:, 32 * n + l]
            q1 = ((ql[:, 64 * n + l] & 0xF) | (((h >> 0) & 3) << 4)) - 32
            q2 = ((ql[:, 64 * n + l + 32] & 0xF) | (((h >> 2) & 3) << 4)) - 32
            q3 = ((ql[:, 64 * n + l] >> 4) | (((h >> 4) & 3) << 4)) - 32
            q4 = ((ql[:, 64 * n + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32
            for offset, q, s in ((0, q1, 0), (32, q2, 2), (64, q3, 4), (96, q4, 6)):
                out[:, 128 * n + l + offset] = (d * scales[:, 8 * n + is_ + s]) * q.astype(F32)
    write_kat("Q6_K", N_BLOCKS, blocks, out)


def make_q8_k(rng):  # f32 d; i8 qs[256]; i16 bsums[16] (sums of qs per 16)
    blocks = random_blocks(rng, 292)
    d_bits = rng.integers(0, 1 << 32, size=N_BLOCKS, dtype=np.uint64).astype(np.uint32)
    infinite = ((d_bits >> 23) & 0xFF) == 0xFF
    d_bits[infinite] &= ~np.uint32(1 << 30)  # any finite float: every bit but an all-ones exponent
    d_bits[::2] = (rng.standard_normal(N_BLOCKS // 2) * 1e-2).astype(F32).view(np.uint32)  # typical scales
    blocks[:, 0:4] = d_bits.astype("<u4").view(np.uint8).reshape(-1, 4)
    qs = blocks[:, 4:260].view(np.int8)
    bsums = qs.astype(np.int32).reshape(N_BLOCKS, 16, 16).sum(axis=2).astype("<i2")
    blocks[:, 260:292] = bsums.view(np.uint8).reshape(N_BLOCKS, 32)
    d = d_bits.view(F32)
    with np.errstate(over="ignore"):
        write_kat("Q8_K", N_BLOCKS, blocks, d[:, None] * qs.astype(F32))


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    make_plain(rng)
    for make in (make_q4_0, make_q4_1, make_q5_0, make_q5_1, make_q8_0, make_q8_1, make_iq4_nl, make_mxfp4,
                 make_q2_k, make_q3_k, make_q4_k, make_q5_k, make_q6_k, make_q8_k):
        make(rng)


if __name__ == "__main__":
    main()
