"""GGUF read/write, dequantization (F32/F16/BF16/Q8_0/Q4_K) and Q8_0/Q4_K quantizers in numpy only (no torch).

Parsing and serialization are delegated to tools/gguf_reference/gguf_ref.py (an independent GGUF implementation);
this module adds the tensor payload codecs. Block layouts follow ggml (gguf-schema section 2):
  Q8_0: 32 elements in 34 bytes, f16 d; i8 qs[32];                    x = d * q
  Q4_K: 256 elements in 144 bytes, f16 d; f16 dmin; u8 scales[12]; u8 qs[128];
        x = (d * sc_j) * q - (dmin * m_j) for sub-block j of 32 elements, all float32 operations in that order.
Every quantizer returns the bytes *and* the float32 values its own arithmetic expects them to decode to, so a caller
can assert that the independent decoder below reproduces them bit for bit.

Self-test:  /usr/bin/python3 tools/reference/gguf_io.py
"""
import hashlib
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "gguf_reference"))
import gguf_ref  # noqa: E402  (path set up above)

F32 = np.float32

# ggml_type ids (gguf-schema section 1.1).
GGML_F32, GGML_F16, GGML_Q8_0, GGML_Q4_K, GGML_BF16 = 0, 1, 8, 12, 30
TYPE_NAMES = {GGML_F32: "F32", GGML_F16: "F16", GGML_Q8_0: "Q8_0", GGML_Q4_K: "Q4_K", GGML_BF16: "BF16"}
BLOCK_ELEMS = {GGML_F32: 1, GGML_F16: 1, GGML_BF16: 1, GGML_Q8_0: 32, GGML_Q4_K: 256}

# GGUF metadata value type ids.
VT_U32, VT_I32, VT_F32, VT_BOOL, VT_STRING, VT_ARRAY = 4, 5, 6, 7, 8, 9


# ---------------------------------------------------------------------------------------------------------------
# Metadata helpers: (key, value type, value) triples as gguf_ref expects them.

def kv_u32(key, v):
    return (key, VT_U32, int(v))


def kv_f32(key, v):
    return (key, VT_F32, float(v))


def kv_bool(key, v):
    return (key, VT_BOOL, bool(v))


def kv_str(key, v):
    return (key, VT_STRING, str(v))


def kv_array(key, elem_type, items):
    return (key, VT_ARRAY, {"array_of": elem_type, "items": list(items)})


# ---------------------------------------------------------------------------------------------------------------
# Half-precision helpers (explicit little-endian so the bytes do not depend on the host).

def f16_bits(values):
    """float32 -> IEEE half (round to nearest even) as little-endian u16."""
    return np.asarray(values, dtype=F32).astype(np.float16).view(np.uint16).astype("<u2")


def half_at(blocks, offset):
    """Read the f16 field at byte `offset` of every row of a [n, block_bytes] u8 array, as float32."""
    return np.ascontiguousarray(blocks[:, offset:offset + 2]).view("<u2")[:, 0].view(np.float16).astype(F32)


# ---------------------------------------------------------------------------------------------------------------
# Quantizers. Input: float32 array whose last axis is ne0 (a multiple of the block size).

def quantize_q8_0(x):
    """ggml's reference Q8_0 scheme: d = amax/127, q = round(x/d). Returns (bytes, decoded float32 of x's shape)."""
    x = np.asarray(x, dtype=F32)
    blocks = x.reshape(-1, 32)
    amax = np.abs(blocks).max(axis=1)
    d = amax / F32(127)
    inv = np.zeros_like(d)
    np.divide(F32(1), d, out=inv, where=d > 0)
    q = np.clip(np.rint(blocks * inv[:, None]), -127, 127).astype(np.int8)
    d_bits = f16_bits(d)
    out = np.empty((len(blocks), 34), dtype=np.uint8)
    out[:, 0:2] = d_bits.view(np.uint8).reshape(-1, 2)
    out[:, 2:34] = q.view(np.uint8)
    # What a decoder must produce: the *stored* (f16-rounded) d times the code, in float32.
    decoded = d_bits.view(np.float16).astype(F32)[:, None] * q.astype(F32)
    return out.tobytes(), decoded.reshape(x.shape)


def _pack_k4_scales(sc, mn):
    """Inverse of ggml's get_scale_min_k4: 8 six-bit scales and mins per row -> [n, 12] bytes."""
    s = np.zeros((len(sc), 12), dtype=np.uint8)
    for j in range(4):
        # j < 4: low 6 bits of bytes j / j+4; their top 2 bits carry the high bits of sub-block j+4.
        s[:, j] = (sc[:, j] & 63) | ((sc[:, j + 4] >> 4) << 6)
        s[:, j + 4] = (mn[:, j] & 63) | ((mn[:, j + 4] >> 4) << 6)
        # j >= 4: low nibbles of scale and min share byte j+8.
        s[:, j + 8] = (sc[:, j + 4] & 0xF) | ((mn[:, j + 4] & 0xF) << 4)
    return s


def quantize_q4_k(x):
    """A simple valid Q4_K encoder: per 32-element sub-block an affine min/max fit, 6-bit scales/mins relative to
    f16 super-scales d = max(scale)/63 and dmin = max(min)/63. Returns (bytes, decoded float32 of x's shape)."""
    x = np.asarray(x, dtype=F32)
    sub = x.reshape(-1, 8, 32)
    n = len(sub)
    lo = np.minimum(sub.min(axis=2), F32(0))          # Q4_K only subtracts (dmin * m >= 0), so the floor is <= 0
    hi = sub.max(axis=2)
    scale = (hi - lo) / F32(15)
    mins = -lo
    d_bits = f16_bits(scale.max(axis=1) / F32(63))
    dmin_bits = f16_bits(mins.max(axis=1) / F32(63))
    d = d_bits.view(np.float16).astype(F32)
    dmin = dmin_bits.view(np.float16).astype(F32)

    def six_bit(values, unit):
        r = np.zeros_like(values)
        np.divide(values, unit[:, None], out=r, where=unit[:, None] > 0)
        return np.clip(np.rint(r), 0, 63).astype(np.uint8)

    sc = six_bit(scale, d)
    mn = six_bit(mins, dmin)
    # Effective sub-block scale and offset exactly as the decoder forms them (float32, d * sc then dmin * m).
    ds = d[:, None] * sc.astype(F32)
    dm = dmin[:, None] * mn.astype(F32)
    r = np.zeros_like(sub)
    np.divide(sub + dm[:, :, None], ds[:, :, None], out=r, where=ds[:, :, None] > 0)
    q = np.clip(np.rint(r), 0, 15).astype(np.uint8)
    decoded = ds[:, :, None] * q.astype(F32) - dm[:, :, None]

    out = np.empty((n, 144), dtype=np.uint8)
    out[:, 0:2] = d_bits.view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = dmin_bits.view(np.uint8).reshape(-1, 2)
    out[:, 4:16] = _pack_k4_scales(sc, mn)
    # Chunk c (64 elements) uses bytes 32c..32c+31: sub-block 2c in the low nibbles, 2c+1 in the high nibbles.
    qc = q.reshape(n, 4, 2, 32)
    out[:, 16:144] = (qc[:, :, 0, :] | (qc[:, :, 1, :] << 4)).reshape(n, 128)
    return out.tobytes(), decoded.reshape(x.shape)


def quantize(x, ggml_type):
    """Encode float32 `x` (last axis = ne0) as ggml_type. Returns (bytes, decoded float32 values)."""
    x = np.asarray(x, dtype=F32)
    if ggml_type == GGML_F32:
        return x.astype("<f4").tobytes(), x.copy()
    if ggml_type == GGML_F16:
        h = x.astype(np.float16)
        return h.astype("<f2").tobytes(), h.astype(F32)
    if ggml_type == GGML_Q8_0:
        return quantize_q8_0(x)
    if ggml_type == GGML_Q4_K:
        return quantize_q4_k(x)
    raise ValueError(f"no quantizer for ggml type {ggml_type}")


def fallback_type(requested, ne0):
    """llama-quantize-like choice (as this project specifies it): the requested type when its block divides the row
    length ne0, else Q8_0 when 32 divides it, else F32."""
    if ne0 % BLOCK_ELEMS[requested] == 0:
        return requested
    if ne0 % 32 == 0:
        return GGML_Q8_0
    return GGML_F32


# ---------------------------------------------------------------------------------------------------------------
# Dequantizers (written from the block layouts, independently of the encoders above).

def dequantize(data, ggml_type, dims):
    """Decode a tensor payload to float32 with numpy shape reversed(dims) (ne0 last)."""
    shape = tuple(reversed([int(d) for d in dims]))
    count = int(np.prod(shape)) if shape else 1
    raw = np.frombuffer(data, dtype=np.uint8)
    if ggml_type == GGML_F32:
        out = raw.view("<f4").astype(F32)
    elif ggml_type == GGML_F16:
        out = raw.view("<f2").astype(F32)
    elif ggml_type == GGML_BF16:
        out = (raw.view("<u2").astype(np.uint32) << 16).view(F32)
    elif ggml_type == GGML_Q8_0:
        blocks = raw.reshape(-1, 34)
        out = half_at(blocks, 0)[:, None] * blocks[:, 2:34].view(np.int8).astype(F32)
    elif ggml_type == GGML_Q4_K:
        blocks = raw.reshape(-1, 144)
        d, dmin = half_at(blocks, 0), half_at(blocks, 2)
        s = blocks[:, 4:16].astype(np.int32)
        sc = np.empty((len(blocks), 8), dtype=np.int32)
        mn = np.empty((len(blocks), 8), dtype=np.int32)
        for i in range(8):  # get_scale_min_k4
            if i < 4:
                sc[:, i], mn[:, i] = s[:, i] & 63, s[:, i + 4] & 63
            else:
                sc[:, i] = (s[:, i + 4] & 0xF) | ((s[:, i - 4] >> 6) << 4)
                mn[:, i] = (s[:, i + 4] >> 4) | ((s[:, i] >> 6) << 4)
        qs = blocks[:, 16:144].reshape(-1, 4, 32)
        q = np.stack([qs & 0xF, qs >> 4], axis=2).reshape(-1, 8, 32).astype(F32)  # [chunk][lo/hi] = sub-block
        dl = d[:, None] * sc.astype(F32)
        ml = dmin[:, None] * mn.astype(F32)
        out = dl[:, :, None] * q - ml[:, :, None]
    else:
        raise ValueError(f"unsupported ggml type {ggml_type} ({TYPE_NAMES.get(ggml_type, '?')})")
    out = out.reshape(-1)
    if out.size != count:
        raise ValueError(f"payload holds {out.size} values, dims {dims} need {count}")
    return out.reshape(shape)


# ---------------------------------------------------------------------------------------------------------------
# Files.

class GGUFFile:
    """A parsed GGUF: `meta` maps key -> plain Python value (arrays as lists), `infos` maps tensor name ->
    {dims, type, data}; tensor(name) dequantizes to float32 with numpy shape reversed(dims)."""

    def __init__(self, path):
        self.path = str(path)
        raw = pathlib.Path(path).read_bytes()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        parsed = gguf_ref.parse(raw)
        self.meta = {k: _plain(v) for k, _, v in parsed["kvs"]}
        self.infos = {t["name"]: t for t in parsed["tensors"]}

    def tensor(self, name):
        t = self.infos[name]
        return dequantize(t["data"], t["type"], t["dims"])

    def has(self, name):
        return name in self.infos

    def type_of(self, name):
        return self.infos[name]["type"]


def _plain(v):
    if isinstance(v, dict):
        return [_plain(x) for x in v["items"]]
    return v


def read_gguf(path):
    return GGUFFile(path)


def build_gguf(kvs, tensors):
    """Serialize a GGUF v3 (alignment 32). tensors: list of (name, dims ne0-first, ggml type, payload bytes)."""
    model = {"alignment": 32, "kvs": list(kvs),
             "tensors": [{"name": n, "dims": [int(d) for d in dims], "type": t, "data": data}
                         for n, dims, t, data in tensors]}
    return gguf_ref.serialize(model)


# ---------------------------------------------------------------------------------------------------------------
# Self-test: codec round trips, plus a cross-check of the Q8_0/Q4_K decoders against tools/quant_vectors.

def _self_test():
    rs = np.random.RandomState(7)
    x = (rs.standard_normal((6, 512)) * 0.3).astype(F32)
    x[0, :32] = 0          # an all-zero block / sub-block
    x[1, :256] = np.abs(x[1, :256])  # an all-positive super-block (min clamps to 0)
    for t in (GGML_F32, GGML_F16, GGML_Q8_0, GGML_Q4_K):
        data, decoded = quantize(x, t)
        back = dequantize(data, t, [512, 6])
        assert np.array_equal(back.view(np.uint32), decoded.view(np.uint32)), TYPE_NAMES[t]
        err = np.abs(back - x).max()
        print(f"{TYPE_NAMES[t]}: {len(data)} bytes, decode == encoder's expectation, max |error| {err:.3g}")
    bf = np.frombuffer((x.view(np.uint32) >> 16).astype("<u2").tobytes(), dtype=np.uint8)
    assert np.array_equal(dequantize(bf.tobytes(), GGML_BF16, [512, 6]).view(np.uint32),
                          x.view(np.uint32) & 0xFFFF0000)

    # The known-answer generator's numpy decoders are a second, separately written reading of the layouts.
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "quant_vectors"))
    import make_vectors as mv
    data, _ = quantize_q4_k(x)
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(-1, 144)
    d, dmin = mv.get_half(blocks, 0), mv.get_half(blocks, 2)
    sc, mn = mv.k4_scale_min(blocks[:, 4:16])
    dl = d[:, None] * sc.astype(F32)[:, mv.ELEMENTS // 32]
    ml = dmin[:, None] * mn.astype(F32)[:, mv.ELEMENTS // 32]
    q = mv.field(blocks[:, 16:144], mv.NIBBLE_BYTE, mv.NIBBLE_SHIFT, 0xF).astype(F32)
    assert np.array_equal(dl * q - ml, dequantize(data, GGML_Q4_K, [512, 6]).reshape(-1, 256))
    data, _ = quantize_q8_0(x)
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(-1, 34)
    ref = mv.get_half(blocks, 0)[:, None] * blocks[:, 2:34].view(np.int8).astype(F32)
    assert np.array_equal(ref, dequantize(data, GGML_Q8_0, [512, 6]).reshape(-1, 32))
    print("Q4_K/Q8_0 decoders agree with tools/quant_vectors/make_vectors.py")


if __name__ == "__main__":
    _self_test()
