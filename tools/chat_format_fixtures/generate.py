#!/usr/bin/env python3
"""Writes tests/data/chat_formats/deepseek-v3.2.fixtures.json and deepseek-v4.fixtures.json (tools/, Python).

Expected prompts come from formats.py, an independent Python rendering of DeepSeek's published V3.2 / V4 prompt
formats; src/text/chat_format/native_chat_test.cc checks that Baleen renders every case byte-identically.
Run: /usr/bin/python3 tools/chat_format_fixtures/generate.py
"""

import json
import pathlib

import formats

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "chat_formats"

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. 東京"},
        "days": {"type": "integer", "minimum": 1},
        "units": {"type": "string", "enum": ["metric", "imperial"]}},
        "required": ["city"]}}}
SEARCH = {"type": "function", "function": {
    "name": "search", "description": "Search the web.\nReturns \"snippets\".",
    "parameters": {"type": "object", "properties": {
        "query": {"type": "string"}, "filters": {"type": "object"}, "limit": {"type": "number", "default": 2.5}}}}}
TOOLS = [WEATHER, SEARCH]
SCHEMA = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {
    "type": "object", "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer"]}}}


def call(id_, name, arguments):
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}


SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
TWO_CALLS = {"role": "assistant", "content": "", "reasoning_content": "Need weather and a search.", "tool_calls": [
    call("call_1", "get_weather", json.dumps({"city": "東京", "days": 3, "units": "metric"}, ensure_ascii=False)),
    call("call_2", "search", {"query": "say \"hi\"\nplease", "filters": {"site": "example.org", "recent": True},
                              "limit": 1e20, "tags": ["a", 1.5, None, 1e-7, 100.0]})]}
RESULTS = [{"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\": 21}"},
           {"role": "tool", "tool_call_id": "call_2", "content": "snippet one\nsnippet two"}]
TOOL_TURN = [SYSTEM, {"role": "user", "content": "Weather in Tokyo, and search news?"}, TWO_CALLS, *RESULTS]
TOOL_DONE = TOOL_TURN + [{"role": "assistant", "content": "It is 21 °C.", "reasoning_content": "Results are in."}]
HISTORY = [
    SYSTEM,
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "4", "reasoning_content": "Simple sum."},
    {"role": "user", "content": "And times 3?"},
]

COMMON = [
    ("user_only", [{"role": "user", "content": "Hi"}], None, {}),
    ("user_only_thinking", [{"role": "user", "content": "Hi"}], None, {"thinking": True}),
    ("system_user", [SYSTEM, {"role": "user", "content": "Hello!"}], None, {}),
    ("two_systems", [{"role": "system", "content": "S1"}, {"role": "system", "content": "S2"},
                     {"role": "user", "content": "Q"}], None, {}),
    ("null_content", [{"role": "system", "content": None}, {"role": "user", "content": "Q"},
                      {"role": "assistant", "content": None}, {"role": "user"}], None, {}),
    ("multi_turn_chat", HISTORY, None, {}),
    ("multi_turn_thinking", HISTORY, None, {"thinking": True}),
    ("multi_turn_thinking_no_drop", HISTORY, None, {"thinking": True, "drop_thinking": False}),
    ("no_generation_prompt", HISTORY, None, {"add_generation_prompt": False}),
    ("no_generation_prompt_thinking", HISTORY, None, {"add_generation_prompt": False, "thinking": True}),
    ("ends_with_assistant", HISTORY[:3], None, {"add_generation_prompt": False}),
    ("ends_with_assistant_thinking", HISTORY[:3], None, {"thinking": True}),
    ("special_text", [{"role": "user", "content": "<think>not a tag</think> \"quotes\" \\ \u0001 ✓ 🎉"}], None, {}),
    ("tools_no_system", [{"role": "user", "content": "Weather?"}], TOOLS, {}),
    ("tools_with_system", [SYSTEM, {"role": "user", "content": "Weather?"}], TOOLS, {"thinking": True}),
    ("tool_call_pending", TOOL_TURN[:3], TOOLS, {"add_generation_prompt": False}),
    ("tool_results_chat", TOOL_TURN, TOOLS, {}),
    ("tool_results_thinking", TOOL_TURN, TOOLS, {"thinking": True}),
    ("tool_results_no_generation_prompt", TOOL_TURN, TOOLS, {"thinking": True, "add_generation_prompt": False}),
    ("tool_done_chat", TOOL_DONE, TOOLS, {"add_generation_prompt": False}),
    ("tool_done_thinking_next_user", TOOL_DONE + [{"role": "user", "content": "Thanks. Tomorrow?"}], TOOLS,
     {"thinking": True}),
    ("tool_call_with_content", [{"role": "user", "content": "Hi"}, {
        "role": "assistant", "content": "Let me check.", "reasoning_content": "r",
        "tool_calls": [call("c", "get_weather", "{\"city\": \"Paris\", \"days\": 0, \"flag\": false}")]},
        {"role": "tool", "tool_call_id": "c", "content": "sunny"}], TOOLS, {"thinking": True}),
    ("empty_arguments", [{"role": "user", "content": "Ping"}, {
        "role": "assistant", "content": None, "tool_calls": [call("p", "ping", "{}")]},
        {"role": "tool", "tool_call_id": "p", "content": "pong"}], None, {}),
    ("developer_message", [SYSTEM, {"role": "developer", "content": "Answer in French."},
                           {"role": "assistant", "content": "D'accord."},
                           {"role": "user", "content": "Hello"}], None, {}),
    ("developer_dropped_thinking", [SYSTEM, {"role": "developer", "content": "Answer in French."},
                                    {"role": "assistant", "content": "D'accord.", "reasoning_content": "ok"},
                                    {"role": "user", "content": "Hello"}], None, {"thinking": True}),
    ("response_format", [SYSTEM, {"role": "user", "content": "Capital of France?"}], None,
     {"response_format": SCHEMA}),
    ("response_format_and_tools", [{"role": "user", "content": "Capital of France?"}], TOOLS,
     {"response_format": SCHEMA, "thinking": True}),
    ("custom_bos", [{"role": "user", "content": "Hi"}], None, {"bos_token": ""}),
]

V4_ONLY = [
    ("consecutive_users", [{"role": "user", "content": "First."}, {"role": "user", "content": "Second."}], None, {}),
    ("tool_results_reordered", TOOL_TURN[:3] + [RESULTS[1], RESULTS[0]], TOOLS, {"thinking": True}),
    ("tool_results_then_user_text", TOOL_TURN + [{"role": "user", "content": "Summarize."}], TOOLS, {}),
    ("effort_max_thinking", HISTORY, None, {"thinking": True, "reasoning_effort": "max"}),
    ("effort_max_no_system", [{"role": "user", "content": "Prove it."}], None,
     {"thinking": True, "reasoning_effort": "max"}),
    ("effort_max_chat", HISTORY, None, {"reasoning_effort": "max"}),
    ("effort_high_thinking", HISTORY, None, {"thinking": True, "reasoning_effort": "high"}),
    ("effort_max_tools", [SYSTEM, {"role": "user", "content": "Weather?"}], TOOLS,
     {"thinking": True, "reasoning_effort": "max"}),
    ("history_with_tools_thinking", HISTORY, TOOLS, {"thinking": True}),
]


def build(name, render, cases):
    out = {"format": name,
           "generator": "tools/chat_format_fixtures/generate.py (expected prompts from formats.py)",
           "cases": []}
    for case_name, messages, tools, options in cases:
        kwargs = dict(options)
        if "bos_token" in kwargs:
            kwargs["bos"] = kwargs.pop("bos_token")
        expected = render(messages, tools=tools, **kwargs)
        out["cases"].append({"name": case_name, "messages": messages, "tools": tools, "options": options,
                             "expected": expected})
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    v32_cases = [c for c in COMMON if "reasoning_effort" not in c[3]]
    suites = {"deepseek-v3.2": build("deepseek-v3.2", formats.render_v32, v32_cases),
              "deepseek-v4": build("deepseek-v4", formats.render_v4, COMMON + V4_ONLY)}
    for name, suite in suites.items():
        path = OUT / f"{name}.fixtures.json"
        path.write_text(json.dumps(suite, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(suite['cases'])} cases")


if __name__ == "__main__":
    main()
