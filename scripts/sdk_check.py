#!/usr/bin/env python3
"""The official `openai` Python SDK against our server (pip install openai; not needed by CI).

  python3 scripts/sdk_check.py --base-url http://127.0.0.1:8080/v1
"""
import argparse
import sys

from openai import OpenAI


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--model", default="smol-135m")
    args = parser.parse_args()
    client = OpenAI(base_url=args.base_url, api_key="unused")
    failures = []

    def check(name, condition, detail):
        print(f"{'ok  ' if condition else 'FAIL'} {name}: {detail}")
        if not condition:
            failures.append(name)

    models = client.models.list()
    check("models.list", any(m.id == args.model for m in models.data), [m.id for m in models.data])

    completion = client.completions.create(model=args.model, prompt="The capital of France is", max_tokens=8,
                                           temperature=0, logprobs=3)
    choice = completion.choices[0]
    check("completions + logprobs", "Paris" in choice.text and len(choice.logprobs.tokens) == len(choice.logprobs.token_logprobs)
          and len(choice.logprobs.top_logprobs[0]) == 3, repr(choice.text))

    stream = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "What is 2+2?"}],
                                            max_tokens=20, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    pieces, usage, roles = [], None, []
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            if c.delta.role:
                roles.append(c.delta.role)
            if c.delta.content:
                pieces.append(c.delta.content)
    streamed = "".join(pieces)
    whole = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "What is 2+2?"}],
                                           max_tokens=20, temperature=0).choices[0].message.content
    check("chat streaming + include_usage", usage is not None and usage.completion_tokens > 0 and roles[:1] == ["assistant"]
          and streamed == whole, f"{streamed!r}, usage {usage}")

    seeded = [client.completions.create(model=args.model, prompt="Once upon a time", max_tokens=16, temperature=1.0,
                                        seed=1234).choices[0].text for _ in range(2)]
    other = client.completions.create(model=args.model, prompt="Once upon a time", max_tokens=16, temperature=1.0,
                                      seed=999).choices[0].text
    check("seeded sampling reproducible", seeded[0] == seeded[1] and seeded[0] != other, repr(seeded[0]))

    stopped = client.completions.create(model=args.model, prompt="Count: 1, 2, 3,", max_tokens=24, temperature=0,
                                        stop=[" 6"])
    text = stopped.choices[0].text
    check("stop sequences", " 6" not in text and stopped.choices[0].finish_reason == "stop", repr(text))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
