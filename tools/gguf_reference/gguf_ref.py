#!/usr/bin/env python3
"""An independent GGUF v3 reader/writer written from the published format spec (no Baleen code), used to check
that Baleen's reader and writer agree with the ecosystem byte for byte.

  gguf_ref.py write-sample OUT.gguf      write a file exercising every metadata type, nested arrays, alignment 64
  gguf_ref.py dump FILE.gguf             print the file's metadata and tensor infos as JSON
  gguf_ref.py rewrite IN.gguf OUT.gguf   re-serialize a parsed file (must reproduce the input bytes exactly)
"""
import json
import struct
import sys

# Value type ids and struct formats from the GGUF spec.
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9
# Block geometry (elements, bytes) of the tensor types used in the sample.
TYPE_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
               10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
               16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
               22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
               29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17)}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def scalar(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self):
        return self.take(self.scalar("<Q")).decode("utf-8", errors="surrogateescape")

    def value(self, vtype):
        if vtype in SCALARS:
            return self.scalar(SCALARS[vtype])
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            etype = self.scalar("<I")
            count = self.scalar("<Q")
            return {"array_of": etype, "items": [self.value(etype) for _ in range(count)]}
        raise ValueError(f"bad value type {vtype}")


def parse(data):
    r = Reader(data)
    assert r.take(4) == b"GGUF", "bad magic"
    version = r.scalar("<I")
    n_tensors, n_kv = r.scalar("<Q"), r.scalar("<Q")
    kvs = []
    for _ in range(n_kv):
        key = r.string()
        vtype = r.scalar("<I")
        kvs.append((key, vtype, r.value(vtype)))
    alignment = next((v for k, t, v in kvs if k == "general.alignment"), 32)
    tensors = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.scalar("<I")
        dims = [r.scalar("<Q") for _ in range(n_dims)]
        ttype = r.scalar("<I")
        offset = r.scalar("<Q")
        tensors.append({"name": name, "dims": dims, "type": ttype, "offset": offset})
    data_start = (r.pos + alignment - 1) // alignment * alignment
    for t in tensors:
        elems, nbytes = TYPE_BLOCKS[t["type"]]
        count = 1
        for d in t["dims"]:
            count *= d
        t["size"] = count // elems * nbytes
        t["data"] = data[data_start + t["offset"]:data_start + t["offset"] + t["size"]]
    return {"version": version, "alignment": alignment, "kvs": kvs, "tensors": tensors}


class Writer:
    def __init__(self):
        self.out = bytearray()

    def scalar(self, fmt, v):
        self.out += struct.pack(fmt, v)

    def string(self, s):
        b = s.encode("utf-8", errors="surrogateescape")
        self.scalar("<Q", len(b))
        self.out += b

    def value(self, vtype, v):
        if vtype in SCALARS:
            self.scalar(SCALARS[vtype], v)
        elif vtype == STRING:
            self.string(v)
        else:
            self.scalar("<I", v["array_of"])
            self.scalar("<Q", len(v["items"]))
            for item in v["items"]:
                self.value(v["array_of"], item)


def serialize(model):
    w = Writer()
    w.out += b"GGUF"
    w.scalar("<I", 3)
    w.scalar("<Q", len(model["tensors"]))
    w.scalar("<Q", len(model["kvs"]))
    for key, vtype, v in model["kvs"]:
        w.string(key)
        w.scalar("<I", vtype)
        w.value(vtype, v)
    align = model["alignment"]
    offset = 0
    for t in model["tensors"]:
        w.string(t["name"])
        w.scalar("<I", len(t["dims"]))
        for d in t["dims"]:
            w.scalar("<Q", d)
        w.scalar("<I", t["type"])
        w.scalar("<Q", offset)
        offset += (len(t["data"]) + align - 1) // align * align
    w.out += b"\0" * (-len(w.out) % align)
    for t in model["tensors"]:
        w.out += t["data"] + b"\0" * (-len(t["data"]) % align)
    return bytes(w.out)


def sample():
    """Every value type, nested arrays, unicode, alignment 64 and tensors of several types."""
    kvs = [
        ("general.architecture", STRING, "llama"),
        ("general.alignment", 4, 64),
        ("test.u8", 0, 255), ("test.i8", 1, -128), ("test.u16", 2, 65535), ("test.i16", 3, -32768),
        ("test.u32", 4, 4294967295), ("test.i32", 5, -2147483648), ("test.f32", 6, 0.5), ("test.bool", 7, True),
        ("test.string", STRING, "héllo ✓ <｜User｜>"), ("test.u64", 10, 2**64 - 1), ("test.i64", 11, -2**63),
        ("test.f64", 12, -1.25e300),
        ("test.array.i32", ARRAY, {"array_of": 5, "items": [1, -2, 3]}),
        ("test.array.str", ARRAY, {"array_of": STRING, "items": ["a", "", "Ġthe", "日本"]}),
        ("test.array.nested", ARRAY, {"array_of": ARRAY, "items": [
            {"array_of": 4, "items": [1, 2]}, {"array_of": STRING, "items": ["x"]}, {"array_of": 6, "items": []}]}),
        ("test.array.empty", ARRAY, {"array_of": 7, "items": []}),
        ("test.array.bool", ARRAY, {"array_of": 7, "items": [True, False, True]}),
    ]
    tensors = []
    for name, dims, ttype in [("a.weight", [8, 3], 0), ("b.weight", [5], 1), ("c.weight", [64, 2], 8),
                              ("d.weight", [256], 12), ("e.weight", [3, 2, 2], 30), ("f.weight", [7], 26)]:
        elems, nbytes = TYPE_BLOCKS[ttype]
        count = 1
        for d in dims:
            count *= d
        size = count // elems * nbytes
        tensors.append({"name": name, "dims": dims, "type": ttype,
                        "data": bytes((i * 37 + len(name)) % 251 for i in range(size))})
    return {"alignment": 64, "kvs": kvs, "tensors": tensors}


def to_json(model):
    def clean(v):
        if isinstance(v, dict):
            return {"array_of": v["array_of"], "items": [clean(x) for x in v["items"]]}
        return v
    return {"version": model["version"], "alignment": model["alignment"],
            "kvs": [[k, t, clean(v)] for k, t, v in model["kvs"]],
            "tensors": [{"name": t["name"], "dims": t["dims"], "type": t["type"], "offset": t["offset"],
                         "data_sum": sum(t["data"]) % 65521} for t in model["tensors"]]}


def main(argv):
    if len(argv) == 3 and argv[1] == "write-sample":
        with open(argv[2], "wb") as f:
            f.write(serialize(sample()))
    elif len(argv) == 3 and argv[1] == "dump":
        with open(argv[2], "rb") as f:
            print(json.dumps(to_json(parse(f.read())), ensure_ascii=False, indent=1))
    elif len(argv) == 4 and argv[1] == "rewrite":
        with open(argv[2], "rb") as f:
            data = f.read()
        out = serialize(parse(data))
        with open(argv[3], "wb") as f:
            f.write(out)
        if out != data:
            print("rewrite differs from input", file=sys.stderr)
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
