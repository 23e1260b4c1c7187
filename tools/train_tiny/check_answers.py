#!/usr/bin/env python3
"""End-to-end check of the bundled model through the engine (for CTest): `baleen serve` answers N held-out
problems (taken in turn from each task type) over /v1/chat/completions with greedy decoding; every answer must be
exactly right, with the reasoning in `reasoning_content`. Then `baleen run` with no model argument must pick the
bundled model by itself and answer one more. Python standard library only; a few seconds.

  /usr/bin/python3 tools/train_tiny/check_answers.py BALEEN_BIN MODEL.gguf [N]      (default N = 10)

Exit 0 when all N are right, 1 otherwise (each problem and the model's reply are printed).
"""
import collections
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import baleen_client  # noqa: E402
import make_data  # noqa: E402


def balanced(problems, n):
    """n problems taken round-robin over the task types, in held-out order."""
    queues = collections.OrderedDict()
    for p in problems:
        queues.setdefault(p["type"], collections.deque()).append(p)
    out = []
    while len(out) < n and any(queues.values()):
        for q in queues.values():
            if q and len(out) < n:
                out.append(q.popleft())
    return out


def run_without_model(baleen, problem):
    """`baleen run --json` with no MODEL (and no $BALEEN_MODEL): it must use the bundled model and answer."""
    env = {k: v for k, v in os.environ.items() if k != "BALEEN_MODEL"}
    out = subprocess.run([baleen, "run", "--json", "--temp", "0", "-t", "2", "-p", problem["prompt"]],
                         env=env, capture_output=True, text=True, timeout=120)
    reply = json.loads(out.stdout) if out.returncode == 0 else {}
    ok = reply.get("content", "").strip() == problem["answer"] and bool(reply.get("reasoning"))
    print(f"{'ok  ' if ok else 'FAIL'} baleen run (no model argument) {problem['prompt']} -> "
          f"{reply.get('content')!r} (expected {problem['answer']!r}; exit {out.returncode}: {out.stderr.strip()[-300:]})")
    return ok


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    baleen, model = argv[0], argv[1]
    n = int(argv[2]) if len(argv) == 3 else 10
    problems = balanced(make_data.heldout_problems(1, 10 * n), n)
    failures = 0
    with baleen_client.BaleenServer(baleen, model, parallel=2, threads=2) as server:
        for p in problems:
            choice = server.chat(p["prompt"])
            correct, _, _ = baleen_client.grade(p, choice)
            failures += not correct
            message = choice["message"]
            print(f"{'ok  ' if correct else 'FAIL'} [{p['type']}] {p['prompt']} -> {message.get('content')!r}"
                  f" (expected {p['answer']!r}, {len(message.get('reasoning_content') or '')} chars of reasoning, "
                  f"finish {choice.get('finish_reason')})")
    print(f"{n - failures}/{n} correct")
    failures += not run_without_model(baleen, make_data.heldout_problems(1, 10 * n + 1)[-1])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
