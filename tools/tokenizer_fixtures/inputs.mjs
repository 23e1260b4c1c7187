// Fixture inputs for Baleen's tokenizer tests: prose in many scripts, code, numbers, whitespace, emoji, special
// tokens inside text, NFC cases, seeded random Unicode, UTF-8 edge cases. Shared by all models; generate.mjs adds
// each model's own added tokens.

// Deterministic PRNG (mulberry32) so that regenerating the fixtures gives the same inputs.
export function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const prose = [
  "The quick brown fox jumps over the lazy dog.",
  "Hello, world! How are you doing today? I'm fine, thanks.",
  "It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
  "They'll say we'd've done it; you're right, he's wrong, and I've no idea what they'RE talking about. DON'T!",
  "In 1969, Apollo 11 landed on the Moon. Neil Armstrong said: \"That's one small step for [a] man.\"",
  "E-mail me at john.doe@example.com or visit https://example.org/path?query=1&x=2#frag.",
  "Mr. O'Neil's dog—a so-called 'super-dog'—barked... twice?!",
  "我们今天去公园散步，天气非常好。人工智能正在改变世界。",
  "深度求索（DeepSeek）发布了新的大语言模型，支持128K上下文。",
  "「これは日本語の文章です。」東京は日本の首都です。カタカナとひらがなを混ぜます。",
  "한국어 문장입니다. 서울은 대한민국의 수도입니다. 안녕하세요!",
  "مرحبا بالعالم. هذه جملة باللغة العربية، وفيها أرقام ١٢٣٤.",
  "नमस्ते दुनिया। यह हिंदी में एक वाक्य है। संख्या १२३ है।",
  "Привет, мир! Это предложение на русском языке. Ёлка и щука.",
  "สวัสดีชาวโลก นี่คือประโยคภาษาไทย ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
  "שלום עולם! זהו משפט בעברית עם ניקוד: שָׁלוֹם.",
  "Γειά σου Κόσμε! Αυτή είναι μια ελληνική πρόταση.",
  "Tiếng Việt có nhiều dấu: Đà Nẵng, Hà Nội, Thành phố Hồ Chí Minh.",
  "Zażółć gęślą jaźń. Straße, Größe, Äpfel, Öl, Übermut. Ça va? Où êtes-vous? ¿Qué tal? ¡Hola!",
  "Türkçe: İstanbul, ığdır, şeker, çiçek. Română: știință, țară.",
  "Ελληνικά, Русский, 中文, 日本語, 한국어, العربية, हिन्दी mixed in one line.",
  "Emoji in prose 😀 are common 🎉, like ❤️ and 👍🏽 and 🇫🇷.",
  "Math: ∀x∈ℝ, x² ≥ 0; ∑ᵢ aᵢ = ∞; √2 ≈ 1.41421; α+β=γ; ½ + ¼ = ¾.",
  "Currency: $100, €50, £30, ¥1000, ₹500, ₿0.5 — prices vary.",
];

const code = [
  "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
  "#include <iostream>\n\nint main() {\n\tstd::cout << \"Hello\\n\";\n\treturn 0;\n}\n",
  "const add = (a, b) => a + b;\nconsole.log(`sum=${add(1, 2)}`); // 3\n",
  "fn main() {\n    let v: Vec<i32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}\n",
  "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
  "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
  "<!DOCTYPE html>\n<html><body><div class=\"a b\">Hi &amp; bye</div></body></html>",
  "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\\u00e9\"}}",
  "#!/bin/bash\nfor f in *.txt; do\n  echo \"$f\" | sed 's/a/b/g' >> out.log 2>&1\ndone\n",
  "\\begin{equation}\n  E = mc^2 \\quad \\frac{a}{b} \\sum_{i=0}^{n} x_i\n\\end{equation}",
  "# Title\n\n- item one\n- item **two**\n\n```python\nprint('x')\n```\n",
  "x=1;y=2;z=x+y;if(z>2){z--;}else{z++;}while(!done&&i<10)i++;",
  "    \n\t\tindented();\n\n\n    return;\n  }\n",
  "a_b_c __init__ __name__ == '__main__' self.__dict__",
  "git commit -m \"fix: handle edge-case (#1234)\" && git push origin main --force-with-lease",
];

const numbers = [
  "0", "7", "42", "123", "1234", "12345", "123456", "1234567", "12345678901234567890",
  "3.14159265358979", "1,000,000", "1.000.000,00", "-273.15", "+1 (555) 123-4567", "0x1F2E3D", "1e-10",
  "2024-01-15T12:34:56Z", "v1.2.3-rc.4", "١٢٣٤٥٦٧", "१२३४५", "௧௨௩", "１２３４５", "Ⅻ ⅻ ↂ", "½ ¾ ⅓ ²³¹ ⁴⁵",
  "a1b22c333d4444e55555", "99 bottles of beer", "3000000000000000000000000000000000000",
];

const whitespace = [
  " ", "  ", "   ", "    ", "        ", " a", "  a", "a ", "a  ", "a   b", "a\tb", "a\t\tb", "\t", "\t\t\t",
  "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r", "a\nb", "a\n\nb", "a \n b", "a  \n  b", " \n \n ",
  "\t \n  \t\n", "trailing spaces   ", "   leading spaces", "  both  ", "line1\nline2\r\nline3\rline4",
  "x\u00a0y", "x\u00a0\u00a0y", "x\u3000y", "x\u2028y", "x\u2029y", "x\u2003\u2003y", "\u000b\u000c",
  "word \n\n\n   next", "end.\n", "end.\n\n", "!!!\n\n", "?? \n", " \t\r\n", "a" + " ".repeat(17) + "b",
  "tab\tseparated\tvalues\n1\t2\t3\n", "   \n   \n   ",
];

const emoji = [
  "👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🏴‍☠️", "🇺🇸🇯🇵🇨🇳🇩🇪", "1️⃣#️⃣*️⃣", "❤️", "♥", "🫠",
  "👩🏾‍💻 coding", "🧑‍🤝‍🧑", "😀😃😄😁😆😅😂🤣", "a😀b", "😀 😀  😀", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "✌🏿", "🙇‍♀️",
];

const combining = [
  "e\u0301", "é", "cafe\u0301", "café", "a\u0308\u0304", "A\u030a", "\u212b", "\u2126", "\u00c5\u0301",
  "a\u0323\u0307", "a\u0307\u0323", "q\u0307\u0323", "\u1100\u1161\u11a8", "\u1100\u1161", "\uac00\u11a8",
  "\u0344", "\u0958", "ﬁ", "Ａ", "\u0041\u030a\u0301\u0323", "n\u0303o\u0303", "Z\u0351\u036b\u0343\u036a\u0302a\u0362l",
  "Tie\u0302\u0301ng Vie\u0323\u0302t", "\u05e9\u05c1\u05b8", "\u0915\u093c", "\u0b47\u0b3e", "\u09c7\u09be",
  "\u0301leading mark", "x\u0301\u0301\u0301\u0301\u0301", "\u1e9b\u0323", "\u0f73", "\u0340\u0341",
];

const utf8Edges = [
  "\u0000", "\u0001\u001f", "\u007f", "\u0080", "\u009f", "\u00ad", "\u07ff", "\u0800", "\ufffd", "\ufffe\uffff",
  "\ud7ff", "\ue000", "\uf8ff", "\u{10000}", "\u{1d11e}", "\u{10ffff}", "\u{f0000}", "\u{e0001}", "\u200b\u200c\u200d",
  "\u200e\u200f", "\u2060", "\u00a0", "<", "<<", "<|", "</", "'", "''", "'s", "'S", "'ll", "'LL", "x's", "'re'", "''s",
];

// Random strings. Code points are drawn from blocks fully assigned by Unicode 14 (the version PCRE2 10.42 and
// Oniguruma 6.9.8 use) so that character classes agree with Node's newer Unicode; U+0085, U+180E and U+FEFF are
// left out because JavaScript's \s disagrees with Hugging Face's Oniguruma \s on them.
const ranges = [
  [0x20, 0x7e, 30], [0x09, 0x0d, 4], [0xa0, 0x24f, 6], [0x300, 0x36f, 4], [0x370, 0x3ff, 2], [0x400, 0x4ff, 3],
  [0x590, 0x5ff, 1], [0x600, 0x6ff, 2], [0x900, 0x97f, 2], [0xe00, 0xe7f, 2], [0x1100, 0x11ff, 1],
  [0x2000, 0x206f, 2], [0x2070, 0x209c, 1], [0x20a0, 0x20bf, 1], [0x2100, 0x214f, 1], [0x2190, 0x23ff, 1],
  [0x2500, 0x27bf, 1], [0x3000, 0x303f, 2], [0x3040, 0x30ff, 3], [0x4e00, 0x9fa5, 6], [0xac00, 0xd7a3, 3],
  [0xff00, 0xffef, 2], [0x1f300, 0x1f5ff, 2], [0x1f600, 0x1f64f, 2], [0x1f900, 0x1f9ff, 1], [0x1d400, 0x1d7ff, 1],
];
const excluded = new Set([0x85, 0x180e, 0xfeff]);

export function randomStrings(count, seed) {
  const rng = makeRng(seed);
  const total = ranges.reduce((s, r) => s + r[2], 0);
  const pick = () => {
    for (;;) {
      let x = rng() * total;
      let r = ranges[0];
      for (const candidate of ranges) {
        if (x < candidate[2]) { r = candidate; break; }
        x -= candidate[2];
      }
      const cp = r[0] + Math.floor(rng() * (r[1] - r[0] + 1));
      const s = String.fromCodePoint(cp);
      if (excluded.has(cp) || /\p{Cn}|\p{Cs}/u.test(s)) continue;
      return s;
    }
  };
  const out = [];
  for (let i = 0; i < count; ++i) {
    const length = 1 + Math.floor(rng() * 40);
    let s = "";
    for (let j = 0; j < length; ++j) s += pick();
    out.push(s);
  }
  return out;
}

function longInputs() {
  const rng = makeRng(7);
  let mixed = "";
  const pool = [...prose, ...code];
  while (mixed.length < 6000) mixed += pool[Math.floor(rng() * pool.length)] + (rng() < 0.3 ? "\n\n" : " ");
  return [
    mixed,
    " ".repeat(300),
    "\n".repeat(100),
    "\t ".repeat(64) + "x",
    "9".repeat(500),
    "a".repeat(1000),
    "ab".repeat(300),
    "中".repeat(200),
    "😀".repeat(100),
    "-".repeat(120) + "\n" + "=".repeat(80),
  ];
}

export function sharedInputs() {
  return [
    ...prose.map((text) => ["prose", text]),
    ...code.map((text) => ["code", text]),
    ...numbers.map((text) => ["numbers", text]),
    ...whitespace.map((text) => ["whitespace", text]),
    ...emoji.map((text) => ["emoji", text]),
    ...combining.map((text) => ["nfc", text]),
    ...utf8Edges.map((text) => ["utf8", text]),
    ...randomStrings(250, 12345).map((text) => ["random", text]),
    ...longInputs().map((text) => ["long", text]),
  ];
}
