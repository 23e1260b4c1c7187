#!/usr/bin/python3
"""Renders every chat template in src/text/templates on a fixed set of conversations, exactly the way
Hugging Face transformers' `apply_chat_template` does, and writes <name>.fixtures.json beside each template,
plus language_cases.json (one small template per Jinja construct, from language_cases.py).

Tools layer: fixture generator for src/text/jinja (the C++ interpreter must reproduce these bytes). The
<name>.jinja files are the inputs: verbatim tokenizer_config.json chat templates, provenance in
src/text/templates/SOURCES.md. To add a model, drop its template there and add a row to TEMPLATES.
Run with Debian's interpreter, which has python3-jinja2:  /usr/bin/python3 tools/template_fixtures/generate.py

The environment mirrors transformers/utils/chat_template_utils.py (_compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]) with HF's own
`tojson` (json.dumps, ensure_ascii=False), `raise_exception` and `strftime_now` globals; render() receives
messages, tools (None when absent), documents=None, add_generation_prompt, the special tokens, and extra kwargs.
strftime_now is pinned to FIXED_NOW so fixtures are reproducible (the C++ test injects the same time).
"""

import copy
import datetime
import json
import os
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE_DIR = os.path.join(REPO, "src", "text", "templates")  # inputs: the built-in chat templates
FIXTURE_DIR = os.path.join(REPO, "tests", "data", "templates")  # outputs: expected renderings
FIXED_NOW = datetime.datetime(2025, 3, 7, 14, 5, 9)

DEEPSEEK_TOKENS = {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"}
QWEN_TOKENS = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
LLAMA_TOKENS = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}

# name -> (special tokens, list of extra-kwarg variants). Provenance of each template: SOURCES.md.
TEMPLATES = {
    "deepseek-v2": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-v2.5": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-v3": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-r1-2501": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-r1": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-r1-0528": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-r1-distill-qwen": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-r1-distill-llama-2501": (DEEPSEEK_TOKENS, [{}]),
    "deepseek-v3.1": (DEEPSEEK_TOKENS, [{}, {"thinking": True}, {"thinking": False}]),
    "qwen2.5": (QWEN_TOKENS, [{}]),
    "qwen3": (QWEN_TOKENS, [{}, {"enable_thinking": False}, {"enable_thinking": True}]),
    "llama3": (LLAMA_TOKENS, [{}]),
    "llama3.1": (LLAMA_TOKENS, [{}, {"tools_in_user_message": False}]),
    "llama3.2": (LLAMA_TOKENS, [{}, {"date_string": "01 Jan 2025"}]),
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Paris\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time — in 24h format.",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": []},
    },
}


def call(name, arguments, call_id):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def conversations():
    """Yields (name, messages, tools). Arguments appear both as JSON strings and as objects."""
    yield "user_only", [{"role": "user", "content": "Hi"}], None
    yield "system_user", [{"role": "system", "content": "You are a helpful assistant."},
                          {"role": "user", "content": "What is 2+2?"}], None
    yield "two_systems", [{"role": "system", "content": "S1"}, {"role": "system", "content": "S2"},
                          {"role": "user", "content": "Q1"}], None
    yield "multi_turn", [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello!"},
        {"role": "assistant", "content": "Hi. How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "Why did the chicken cross the road?"},
        {"role": "user", "content": "Why?"},
    ], None
    yield "think_in_content", [
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "<think>\nreason one\n</think>\n\nA1"},
        {"role": "user", "content": "Q2"},
    ], None
    yield "reasoning_content", [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris.", "reasoning_content": "The user asks about France."},
        {"role": "user", "content": "And Germany?"},
    ], None
    yield "last_assistant_with_think", [
        {"role": "user", "content": "Solve x+1=3"},
        {"role": "assistant", "content": "<think>\nx = 3 - 1\n</think>\n\nx = 2"},
    ], None
    yield "tools_defined", [
        {"role": "system", "content": "You can use tools."},
        {"role": "user", "content": "Weather in Paris?"},
    ], [WEATHER_TOOL, TIME_TOOL]
    yield "tool_call_string_args", [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", "{\"city\": \"Paris\"}", "call_1")]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 18, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 18°C and clear in Paris."},
        {"role": "user", "content": "Thanks"},
    ], [WEATHER_TOOL]
    yield "tool_calls_parallel", [
        {"role": "system", "content": "Use tools when useful."},
        {"role": "user", "content": "Weather in Paris and the time in Tokyo?"},
        {"role": "assistant", "content": "Let me check both.",
         "tool_calls": [call("get_weather", "{\"city\": \"Paris\", \"unit\": \"celsius\"}", "c1"),
                        call("get_time", "{\"tz\": \"Asia/Tokyo\"}", "c2")]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "tool_call_id": "c2", "content": "22:15"},
    ], [WEATHER_TOOL, TIME_TOOL]
    yield "tool_call_object_args", [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", {"city": "Oslo", "unit": "celsius", "days": 2, "ok": True,
                                             "ratio": 0.5, "tags": ["a", "ü"], "none": None}, "c9")]},
        {"role": "tool", "tool_call_id": "c9", "content": "-3C"},
        {"role": "assistant", "content": "It is -3°C in Oslo."},
    ], [WEATHER_TOOL]
    yield "tool_call_object_args_empty_content", [
        {"role": "system", "content": "Tools available."},
        {"role": "user", "content": "Weather in Lima, then Quito?"},
        {"role": "assistant", "content": "",
         "tool_calls": [call("get_weather", {"city": "Lima", "unit": "celsius"}, "o1")]},
        {"role": "tool", "tool_call_id": "o1", "content": {"temp": 21, "sky": "cloudy"}},
        {"role": "assistant", "content": "Lima is 21C.",
         "tool_calls": [call("get_weather", {"city": "Quito"}, "o2")]},
        {"role": "tool", "tool_call_id": "o2", "content": "[\"14C\"]"},
        {"role": "assistant", "content": "Quito is 14C."},
    ], [WEATHER_TOOL]
    yield "tool_result_last", [
        {"role": "user", "content": "Time?"},
        {"role": "assistant", "content": "", "tool_calls": [call("get_time", "{}", "t1")]},
        {"role": "tool", "tool_call_id": "t1", "content": "09:00"},
    ], [TIME_TOOL]
    yield "multi_step_tools", [
        {"role": "user", "content": "Plan my day."},
        {"role": "assistant", "content": "<think>\nNeed the time first.\n</think>\n\n",
         "tool_calls": [call("get_time", "{\"tz\": \"UTC\"}", "a")]},
        {"role": "tool", "tool_call_id": "a", "content": "08:00"},
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", "{\"city\": \"Rome\"}", "b")]},
        {"role": "tool", "tool_call_id": "b", "content": "sunny"},
        {"role": "assistant", "content": "<think>\nAll set.\n</think>\n\nMorning walk, it's sunny."},
        {"role": "user", "content": "Great, and tomorrow?"},
    ], [WEATHER_TOOL, TIME_TOOL]
    yield "unicode", [
        {"role": "system", "content": "用中文回答。 Réponds en français. ✓"},
        {"role": "user", "content": "こんにちは 👋🏽 — «quotes» \"double\" 'single' \\backslash\\ {{ not a tag }} {% raw %}"},
        {"role": "assistant", "content": "Привет! مرحبا 🇫🇷 e\u0301 \u2028 tab\there"},
        {"role": "user", "content": "  spaced out  \n\n"},
    ], None
    yield "empty_contents", [
        {"role": "system", "content": ""},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "ok"},
    ], None
    yield "prefix_continuation", [
        {"role": "user", "content": "Write a haiku."},
        {"role": "assistant", "content": "Autumn", "prefix": True},
    ], None
    yield "qwen_tool_response_user", [
        {"role": "user", "content": "Look it up."},
        {"role": "assistant", "content": "", "tool_calls": [call("get_time", "{}", "q")]},
        {"role": "user", "content": "<tool_response>\n12:00\n</tool_response>"},
    ], [TIME_TOOL]


def compile_like_hf(source):
    """Mirrors transformers.utils.chat_template_utils._compile_jinja_template (minus AssistantTracker)."""

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def render_case(template, context):
    """context holds exactly what apply_chat_template passes to render(): messages, tools (None when absent),
    documents=None, add_generation_prompt, the special tokens and the extra kwargs."""
    try:
        return {"expected": template.render(**copy.deepcopy(context))}
    except jinja2.exceptions.TemplateError as e:  # raise_exception, undefined access, sandbox violations
        return {"error": f"{type(e).__name__}: {e}"}
    except Exception as e:  # Python-level TypeError etc. (e.g. str + dict); the C++ side only checks failure
        return {"error": f"{type(e).__name__}: {e}"}


def write_language_cases():
    """tests/data/templates/language_cases.json: one small template per construct, rendered on a shared context."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import language_cases

    cases = []
    for source in language_cases.CASES:
        case = {"template": source}
        try:
            template = compile_like_hf(source)
        except Exception as e:  # syntax errors surface at compile time, as in apply_chat_template
            case["error"] = f"{type(e).__name__}: {e}"
        else:
            case.update(render_case(template, language_cases.CONTEXT))
        cases.append(case)
    out = os.path.join(FIXTURE_DIR, "language_cases.json")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        json.dump({"now": FIXED_NOW.isoformat(), "context": language_cases.CONTEXT, "cases": cases}, f,
                  ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum(1 for c in cases if "error" in c)
    print(f"language_cases: {len(cases)} cases ({errors} expected errors)")


def main():
    """Each <name>.fixtures.json holds the conversations once and a list of cases; a case's render context is
    {messages, tools, documents: None} of its conversation plus its kwargs."""
    convs = {name: {"messages": messages, "tools": tools} for name, messages, tools in conversations()}
    total = 0
    for name, (tokens, variants) in TEMPLATES.items():
        with open(os.path.join(TEMPLATE_DIR, name + ".jinja"), encoding="utf-8", newline="") as f:
            template = compile_like_hf(f.read())
        cases = []
        for conv_name, conv in convs.items():
            for variant in variants:
                for add_generation_prompt in (True, False):
                    kwargs = {"add_generation_prompt": add_generation_prompt}
                    kwargs.update(tokens)
                    kwargs.update(variant)
                    context = {"messages": conv["messages"], "tools": conv["tools"], "documents": None}
                    context.update(kwargs)
                    case = {"conversation": conv_name, "kwargs": kwargs}
                    case.update(render_case(template, context))
                    cases.append(case)
        out = os.path.join(FIXTURE_DIR, name + ".fixtures.json")
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            json.dump({"template": name + ".jinja", "now": FIXED_NOW.isoformat(), "conversations": convs,
                       "cases": cases}, f, ensure_ascii=False, indent=1)
            f.write("\n")
        errors = sum(1 for c in cases if "error" in c)
        print(f"{name}: {len(cases)} cases ({errors} expected errors)")
        total += len(cases)
    print(f"total: {total}")
    write_language_cases()
    return 0


if __name__ == "__main__":
    sys.exit(main())
