#!/usr/bin/env bash
# Baleen against its peers on the same GGUF files and threads: `baleen bench --json` and each peer's
# `llama-bench -o json`, run one after the other per file so a change in machine load hits all alike, then one
# table of tokens/s and ratios (Baleen / the faster peer). Bench layer; bash + python3 (stdlib) only.
#
#   bench/compare.sh [--baleen PATH] [--llama BUILD_DIR] [--ik BUILD_DIR] [-p 512] [-n 128] [-t 2] [-r 3] [-d 0]
#                    [--peer-args "ARGS"] [--out DIR] FILE.gguf...
#
# --llama / --ik name a llama.cpp / ik_llama.cpp build folder (its bin/llama-bench is run); either may be left
# out, and with neither only Baleen runs. -d N measures after N tokens of context (llama-bench's -d; ik_llama.cpp's
# llama-bench has no -d, so there only tg is measured at depth, with its -gp N,n, and pp is left out). --peer-args
# adds options to every llama-bench call (for instance "-ctk f32 -ctv f32" to match Baleen's F32 cache). --out
# keeps the raw JSON of every run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
baleen="$here/../build/release/tools/baleen"
declare -a peer_names=() peer_bins=() peer_kinds=() files=()
p=512 n=128 t=2 r=3 d=0 peer_args="" out=""

usage() {
  sed -n '6,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

add_peer() {  # NAME KIND BUILD_DIR
  local bin="$3/bin/llama-bench"
  [[ -x "$bin" ]] || { echo "compare.sh: no llama-bench in $3/bin" >&2; exit 2; }
  peer_names+=("$1")
  peer_kinds+=("$2")
  peer_bins+=("$bin")
}

# The llama-bench options of peer KIND for the tests asked: llama.cpp has -d, ik_llama.cpp times tg after a prompt
# of N tokens with -gp N,n.
test_args() {
  if ((d == 0)); then
    echo "-p $p -n $n"
  elif [[ $1 == llama ]]; then
    echo "-p $p -n $n -d $d"
  else
    echo "-p 0 -n 0 -gp $d,$n"
  fi
}

while (($#)); do
  case "$1" in
    --baleen) baleen=$2; shift 2 ;;
    --llama) add_peer llama.cpp llama "$2"; shift 2 ;;
    --ik) add_peer ik_llama.cpp ik "$2"; shift 2 ;;
    -p) p=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -t) t=$2; shift 2 ;;
    -r) r=$2; shift 2 ;;
    -d) d=$2; shift 2 ;;
    --peer-args) peer_args=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "compare.sh: unknown option $1" >&2; usage ;;
    *) files+=("$1"); shift ;;
  esac
done
((${#files[@]})) || usage
[[ -x "$baleen" ]] || { echo "compare.sh: no baleen binary at $baleen (use --baleen PATH)" >&2; exit 2; }

if [[ -z "$out" ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

# One JSON file per (file, engine); a line per run in runs.tsv: file, engine, path of its JSON.
runs="$out/runs.tsv"
: > "$runs"
for i in "${!files[@]}"; do
  f=${files[$i]}
  json="$out/$i-baleen.json"
  echo "compare.sh: baleen on $(basename "$f")" >&2
  "$baleen" bench "$f" -p "$p" -n "$n" -t "$t" -r "$r" --ctx-depth "$d" --json > "$json"
  printf '%s\t%s\t%s\n' "$f" baleen "$json" >> "$runs"
  for k in "${!peer_names[@]}"; do
    json="$out/$i-peer$k.json"
    echo "compare.sh: ${peer_names[$k]} on $(basename "$f")" >&2
    # shellcheck disable=SC2046,SC2086  # option lists, split on purpose
    # Each peer finds its own shared libraries first (llama.cpp's sit beside llama-bench, without an rpath).
    LD_LIBRARY_PATH="$(dirname "${peer_bins[$k]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      "${peer_bins[$k]}" -m "$f" $(test_args "${peer_kinds[$k]}") -t "$t" -r "$r" $peer_args -o json > "$json"
    printf '%s\t%s\t%s\n' "$f" "${peer_names[$k]}" "$json" >> "$runs"
  done
done

python3 - "$runs" "$p" "$n" "$d" "${peer_names[@]}" <<'EOF'
"""Reads the runs' JSON and prints the comparison as a Markdown table."""
import json
import os
import re
import sys

runs_path, p, n, d, peers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
suffix = f" @ d{d}" if d else ""
tests = [t for t, count in (("pp", p), ("tg", n)) if count > 0]


def baleen_rates(doc):
    return {t: doc.get(f"{t}_tokens_per_s") for t in tests}, doc


def peer_rates(doc):
    """llama-bench prints one entry per test: pp has n_gen 0; tg (and ik_llama.cpp's -gp) n_gen > 0."""
    rates = {}
    for entry in doc:
        kind = "tg" if entry.get("n_gen", 0) > 0 else "pp"
        rates[kind] = entry.get("avg_ts")
    return rates


def load(json_path):
    """The JSON a run printed. ik_llama.cpp's llama-bench can print warnings on stdout inside its JSON
    ("WARNING: ..."); JSON lines never start with a letter, so those lines are dropped."""
    with open(json_path, encoding="utf-8") as f:
        return json.loads("\n".join(l for l in f.read().splitlines() if not re.match(r"[A-Za-z]", l)))


results = {}  # file -> engine -> {test: t/s}; "baleen_doc" -> Baleen's whole JSON
for line in open(runs_path, encoding="utf-8"):
    path, engine, json_path = line.rstrip("\n").split("\t")
    doc = load(json_path)
    entry = results.setdefault(path, {})
    if engine == "baleen":
        entry["baleen"], entry["baleen_doc"] = baleen_rates(doc)
    else:
        entry[engine] = peer_rates(doc)


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


header = ["file", "test", "Baleen t/s"] + [f"{peer} t/s" for peer in peers] + ["Baleen / best peer",
                                                                                  "bound t/s", "Baleen % of bound"]
print("| " + " | ".join(header) + " |")
print("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
for path, entry in results.items():
    doc = entry["baleen_doc"]
    for t in tests:
        ours = entry["baleen"].get(t)
        theirs = [entry.get(peer, {}).get(t) for peer in peers]
        best = max((x for x in theirs if x), default=None)
        ratio = ours / best if ours and best else None
        bound = doc.get("tg_bound_tokens_per_s") if t == "tg" else None
        share = 100.0 * ours / bound if ours and bound else None
        row = [os.path.basename(path), t + str(p if t == "pp" else n) + suffix, fmt(ours)] + \
              [fmt(x) for x in theirs] + [fmt(ratio), fmt(bound), fmt(share, 0)]
        print("| " + " | ".join(row) + " |")
isas = sorted({e["baleen_doc"].get("isa") or "unknown" for e in results.values()})
print(f"\nBaleen's kernels ran at ISA level {', '.join(isas)} (the CPU's, or as BALEEN_ISA capped it)")
bandwidths = {round(e["baleen_doc"]["read_bandwidth_gb_per_s"], 1) for e in results.values()
              if e["baleen_doc"].get("read_bandwidth_gb_per_s")}
if bandwidths:
    print(f"\nmemory read bandwidth measured by baleen bench: {', '.join(f'{b} GB/s' for b in sorted(bandwidths))}")
EOF
