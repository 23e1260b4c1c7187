"""DeepSeek-V3.2 and V4 prompt formats, written from the published format (DeepSeek's encoding_dsv32.py /
encoding_dsv4.py semantics) as an independent reference for Baleen's native renderers (tools/, Python).

Shares no code with src/text/chat_format/. Input conventions are the C++ API's: OpenAI-shaped messages, tools
beside them (attached to a leading system message, or to an inserted empty one), content null -> "".
"""

import json

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
THINK, END_THINK = "<think>", "</think>"
DSML = "｜DSML｜"


def dumps(value):
    return json.dumps(value, ensure_ascii=False)


def dsml_parameters(arguments):
    if isinstance(arguments, str):
        arguments = json.loads(arguments)
    lines = []
    for key, value in arguments.items():
        if isinstance(value, str):
            lines.append(f'<{DSML}parameter name="{key}" string="true">{value}</{DSML}parameter>')
        else:
            lines.append(f'<{DSML}parameter name="{key}" string="false">{dumps(value)}</{DSML}parameter>')
    return "\n".join(lines)


def dsml_block(tool_calls, block):
    if not tool_calls:
        return ""
    invokes = []
    for call in tool_calls:
        fn = call["function"]
        invokes.append(f'<{DSML}invoke name="{fn["name"]}">\n{dsml_parameters(fn["arguments"])}\n</{DSML}invoke>')
    return f"\n\n<{DSML}{block}>\n" + "\n".join(invokes) + f"\n</{DSML}{block}>"


def text(message, key="content"):
    value = message.get(key)
    return "" if value is None else value


def attach(messages, tools, response_format):
    """Puts tools / response_format on the first message if it is a system one, else on a new empty system."""
    messages = [dict(m) for m in messages]
    if not tools and not response_format:
        return messages
    if not messages or messages[0]["role"] != "system":
        messages.insert(0, {"role": "system", "content": ""})
    if tools:
        messages[0]["tools"] = [t["function"] for t in tools]
    if response_format:
        messages[0]["response_format"] = response_format
    return messages


def last_user(messages):
    found = -1
    for i, m in enumerate(messages):
        if m["role"] in ("user", "developer"):
            found = i
    return found


V32_TOOLS = (
    "## Tools\n\nYou have access to a set of tools you can use to answer the user's question.\n"
    f'You can invoke functions by writing a "<{DSML}function_calls>" block like the following as part of your reply '
    f"to the user:\n<{DSML}function_calls>\n<{DSML}invoke name=\"$FUNCTION_NAME\">\n"
    f'<{DSML}parameter name="$PARAMETER_NAME" string="true|false">$PARAMETER_VALUE</{DSML}parameter>\n...\n'
    f'</{DSML}invoke>\n<{DSML}invoke name="$FUNCTION_NAME2">\n...\n</{DSML}invoke>\n</{DSML}function_calls>\n\n'
    "String and scalar parameters should be specified as is without any escaping or quotes, while lists and objects "
    'should use JSON format. The "string" attribute should be set to "true" for string type parameters and "false" '
    "for other types (numbers, booleans, arrays, objects).\n\n"
    "If the thinking_mode is enabled, then after function results you should strongly consider outputting a thinking "
    f"block. Here is an example:\n\n<{DSML}function_calls>\n...\n</{DSML}function_calls>\n\n<function_results>\n...\n"
    f"</function_results>\n\n{THINK}...thinking about results{END_THINK}\n\n"
    "Here are the functions available in JSONSchema format:\n<functions>\n{schemas}\n</functions>\n"
)

V4_TOOLS = (
    "## Tools\n\nYou have access to a set of tools to help answer the user's question. You can invoke tools by "
    f'writing a "<{DSML}tool_calls>" block like the following:\n\n<{DSML}tool_calls>\n'
    f'<{DSML}invoke name="$TOOL_NAME">\n'
    f'<{DSML}parameter name="$PARAMETER_NAME" string="true|false">$PARAMETER_VALUE</{DSML}parameter>\n...\n'
    f'</{DSML}invoke>\n<{DSML}invoke name="$TOOL_NAME2">\n...\n</{DSML}invoke>\n</{DSML}tool_calls>\n\n'
    'String parameters should be specified as is and set `string="true"`. For all other types (numbers, booleans, '
    'arrays, objects), pass the value in JSON format and set `string="false"`.\n\n'
    f"If thinking_mode is enabled (triggered by {THINK}), you MUST output your complete reasoning inside "
    f"{THINK}...{END_THINK} BEFORE any tool calls or final response.\n\n"
    f"Otherwise, output directly after {END_THINK} with tool calls or final response.\n\n"
    "### Available Tool Schemas\n\n{schemas}\n\n"
    "You MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n"
)

RESPONSE_FORMAT = "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n"

EFFORT_MAX = (
    "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
    "You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve the root cause, "
    "rigorously stress-testing your logic against all potential paths, edge cases, and adversarial scenarios.\n"
    "Explicitly write out your entire deliberation process, documenting every intermediate step, considered "
    "alternative, and rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n"
)


def extras(message, tools_text):
    out = ""
    if message.get("tools"):
        out += "\n\n" + tools_text.replace("{schemas}", "\n".join(dumps(f) for f in message["tools"]))
    if message.get("response_format"):
        out += "\n\n" + RESPONSE_FORMAT + dumps(message["response_format"])
    return out


def render_v32(messages, tools=None, add_generation_prompt=True, thinking=False, drop_thinking=True,
               response_format=None, bos=BOS):
    msgs = attach(messages, tools, response_format)
    if thinking and drop_thinking:
        lu = last_user(msgs)
        msgs = [m for i, m in enumerate(msgs) if not (m["role"] == "developer" and i < lu)]
    lu = last_user(msgs)
    out, opener = [bos], ""
    for i, m in enumerate(msgs):
        out.append(opener)
        opener = ""
        role = m["role"]
        think_tok = THINK if (thinking and i == lu) else END_THINK
        if role == "system":
            out.append(text(m) + extras(m, V32_TOOLS))
        elif role in ("user", "developer"):
            body = text(m) if role == "user" else extras(m, V32_TOOLS) + "\n\n# The user's message is: " + text(m)
            out.append(USER + body)
            opener = ASSISTANT + think_tok
        elif role == "tool":
            j = i - 1
            while j >= 0 and msgs[j]["role"] == "tool":
                j -= 1
            calls = msgs[j].get("tool_calls") or []
            k = i - j
            assert msgs[j]["role"] == "assistant" and len(calls) >= k
            out.append(("\n\n<function_results>" if k == 1 else "") + "\n<result>" + text(m) + "</result>")
            if k == len(calls):
                out.append("\n</function_results>")
                opener = "\n\n" + (THINK if thinking and i >= lu else END_THINK)
        else:
            reasoning = ""
            if thinking and i > lu:
                assert m.get("reasoning_content") or m.get("tool_calls")
                reasoning = text(m, "reasoning_content") + END_THINK
            out.append(reasoning + text(m) + dsml_block(m.get("tool_calls"), "function_calls") + EOS)
    if add_generation_prompt:
        out.append(opener)
    return "".join(out)


def v4_turns(msgs):
    """Tool results and user texts join the user turn before them; results follow the latest call order."""
    turns = []
    for m in msgs:
        if m["role"] in ("user", "tool"):
            part = ("tool", text(m), m.get("tool_call_id") or "") if m["role"] == "tool" else ("text", text(m), "")
            if turns and turns[-1]["role"] == "user":
                turns[-1]["parts"].append(part)
            else:
                turns.append({"role": "user", "parts": [part]})
        else:
            turns.append(m)
    order = {}
    for t in turns:
        if t["role"] == "assistant" and t.get("tool_calls"):
            order = {}
            for n, c in enumerate(t["tool_calls"]):
                cid = c.get("id") or c["function"].get("id") or ""
                if cid:
                    order[cid] = n
        elif t["role"] == "user" and order:
            results = [p for p in t["parts"] if p[0] == "tool"]
            if len(results) > 1:
                results.sort(key=lambda p: order.get(p[2], 0))
                it = iter(results)
                t["parts"] = [next(it) if p[0] == "tool" else p for p in t["parts"]]
    return turns


def render_v4(messages, tools=None, add_generation_prompt=True, thinking=False, drop_thinking=True,
              reasoning_effort="", response_format=None, bos=BOS):
    assert reasoning_effort in ("", "high", "max")
    turns = v4_turns(attach(messages, tools, response_format))
    drop = drop_thinking and not any(t.get("tools") for t in turns)
    if thinking and drop:
        lu = last_user(turns)
        turns = [t for i, t in enumerate(turns) if not (t["role"] == "developer" and i < lu)]
    lu = last_user(turns)
    out = [bos]
    for i, t in enumerate(turns):
        if i == 0 and thinking and reasoning_effort == "max":
            out.append(EFFORT_MAX)
        role = t["role"]
        if role == "system":
            out.append(text(t) + extras(t, V4_TOOLS))
        elif role == "developer":
            out.append(USER + text(t) + extras(t, V4_TOOLS))
        elif role == "user":
            out.append(USER + "\n\n".join(p[1] if p[0] == "text" else f"<tool_result>{p[1]}</tool_result>"
                                          for p in t["parts"]))
        else:
            reasoning = text(t, "reasoning_content") + END_THINK if thinking and (not drop or i > lu) else ""
            out.append(reasoning + text(t) + dsml_block(t.get("tool_calls"), "tool_calls") + EOS)
        last = i + 1 == len(turns)
        if role in ("user", "developer") and (last or turns[i + 1]["role"] == "assistant"):
            if not last or add_generation_prompt:
                out.append(ASSISTANT + (THINK if thinking and (not drop or i >= lu) else END_THINK))
    return "".join(out)
