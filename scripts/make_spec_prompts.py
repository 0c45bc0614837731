#!/usr/bin/env python3
"""Writes scripts/spec_prompts.json: extractive chat tasks for measuring speculative decoding.

Each task quotes, repeats or lightly edits a committed public-domain passage (US founding documents,
Lincoln, Dickens, Melville, Carroll, Shakespeare, Shelley, the King James Psalms) or fixes an obvious bug in
a small Python function. `original` is the
passage or code itself: what an OpenAI Predicted Outputs client would send as `prediction`.

  python3 scripts/make_spec_prompts.py            # rewrite scripts/spec_prompts.json
  python3 scripts/make_spec_prompts.py --check    # exit 1 if the committed file is stale

The phrasings are the ones SmolLM2-135M-Instruct copied most faithfully under greedy decoding (`copy` in
scripts/spec_bench.py's per-request lines): plain "Quote this passage ..." or "Repeat ..." prompts often got
a "revised version" or a summary instead, and so did Austen's opening, Frost's "The Road Not Taken" and a
JavaScript findMax (rewritten as Math.max) under every phrasing tried, so they are not in the set.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "spec_prompts.json")

SYSTEM = "You are a careful assistant. When asked to copy text, you reproduce it exactly, character for character."

PASSAGES = {
    "constitution": (
        "We the People of the United States, in Order to form a more perfect Union, establish Justice, insure "
        "domestic Tranquility, provide for the common defence, promote the general Welfare, and secure the "
        "Blessings of Liberty to ourselves and our Posterity, do ordain and establish this Constitution for the "
        "United States of America.\n\n"
        "All legislative Powers herein granted shall be vested in a Congress of the United States, which shall "
        "consist of a Senate and House of Representatives."),
    "gettysburg": (
        "Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in "
        "Liberty, and dedicated to the proposition that all men are created equal.\n\n"
        "Now we are engaged in a great civil war, testing whether that nation, or any nation so conceived and so "
        "dedicated, can long endure. We are met on a great battle-field of that war. We have come to dedicate a "
        "portion of that field, as a final resting place for those who here gave their lives that that nation "
        "might live. It is altogether fitting and proper that we should do this."),
    "two_cities": (
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it "
        "was the season of Darkness, it was the spring of hope, it was the winter of despair, we had everything "
        "before us, we had nothing before us, we were all going direct to Heaven, we were all going direct the "
        "other way - in short, the period was so far like the present period, that some of its noisiest "
        "authorities insisted on its being received, for good or for evil, in the superlative degree of "
        "comparison only."),
    "moby_dick": (
        "Call me Ishmael. Some years ago - never mind how long precisely - having little or no money in my purse, "
        "and nothing particular to interest me on shore, I thought I would sail about a little and see the "
        "watery part of the world. It is a way I have of driving off the spleen and regulating the circulation. "
        "Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; "
        "whenever I find myself involuntarily pausing before coffin warehouses, and bringing up the rear of every "
        "funeral I meet; then, I account it high time to get to sea as soon as I can."),
    "declaration": (
        "We hold these truths to be self-evident, that all men are created equal, that they are endowed by their "
        "Creator with certain unalienable Rights, that among these are Life, Liberty and the pursuit of "
        "Happiness. That to secure these rights, Governments are instituted among Men, deriving their just "
        "powers from the consent of the governed. That whenever any Form of Government becomes destructive of "
        "these ends, it is the Right of the People to alter or to abolish it, and to institute new Government, "
        "laying its foundation on such principles and organizing its powers in such form, as to them shall seem "
        "most likely to effect their Safety and Happiness."),
    "sonnet18": (
        "Shall I compare thee to a summer's day?\n"
        "Thou art more lovely and more temperate:\n"
        "Rough winds do shake the darling buds of May,\n"
        "And summer's lease hath all too short a date;\n"
        "Sometime too hot the eye of heaven shines,\n"
        "And often is his gold complexion dimm'd;\n"
        "And every fair from fair sometime declines,\n"
        "By chance or nature's changing course untrimm'd;\n"
        "But thy eternal summer shall not fade,\n"
        "Nor lose possession of that fair thou ow'st;\n"
        "Nor shall death brag thou wander'st in his shade,\n"
        "When in eternal lines to time thou grow'st:\n"
        "So long as men can breathe or eyes can see,\n"
        "So long lives this, and this gives life to thee."),
    "ozymandias": (
        "I met a traveller from an antique land,\n"
        "Who said: \"Two vast and trunkless legs of stone\n"
        "Stand in the desert. Near them, on the sand,\n"
        "Half sunk a shattered visage lies, whose frown,\n"
        "And wrinkled lip, and sneer of cold command,\n"
        "Tell that its sculptor well those passions read\n"
        "Which yet survive, stamped on these lifeless things,\n"
        "The hand that mocked them, and the heart that fed;\n"
        "And on the pedestal, these words appear:\n"
        "My name is Ozymandias, King of Kings;\n"
        "Look on my Works, ye Mighty, and despair!\n"
        "Nothing beside remains. Round the decay\n"
        "Of that colossal Wreck, boundless and bare\n"
        "The lone and level sands stretch far away.\""),
    "psalm23": (
        "The LORD is my shepherd; I shall not want.\n"
        "He maketh me to lie down in green pastures: he leadeth me beside the still waters.\n"
        "He restoreth my soul: he leadeth me in the paths of righteousness for his name's sake.\n"
        "Yea, though I walk through the valley of the shadow of death, I will fear no evil: for thou art with me; "
        "thy rod and thy staff they comfort me.\n"
        "Thou preparest a table before me in the presence of mine enemies: thou anointest my head with oil; my "
        "cup runneth over.\n"
        "Surely goodness and mercy shall follow me all the days of my life: and I will dwell in the house of the "
        "LORD for ever."),
    "alice": (
        "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: "
        "once or twice she had peeped into the book her sister was reading, but it had no pictures or "
        "conversations in it, \"and what is the use of a book,\" thought Alice, \"without pictures or "
        "conversations?\"\n\n"
        "So she was considering in her own mind (as well as she could, for the hot day made her feel very sleepy "
        "and stupid), whether the pleasure of making a daisy-chain would be worth the trouble of getting up and "
        "picking the daisies, when suddenly a White Rabbit with pink eyes ran close by her."),
}

CODE = {
    "binary_search": ("python", '''def binary_search(items, target):
    """Return the index of target in the sorted list items, or -1 if it is absent."""
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        elif items[mid] < target:
            lo = mid
        else:
            hi = mid - 1
    return -1'''),
    "average": ("python", '''def average(numbers):
    """Return the arithmetic mean of a non-empty list of numbers."""
    if not numbers:
        raise ValueError("average() of an empty list")
    total = 0
    for n in numbers:
        total += n
    return total / (len(numbers) - 1)'''),
    "count_words": ("python", '''def count_words(text):
    """Return a dict mapping each lower-cased word in text to how often it occurs."""
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,!?;:")
        if not word:
            continue
        if word in counts:
            counts[word] = 1
        else:
            counts[word] = 1
    return counts'''),
    "fizzbuzz": ("python", '''def fizzbuzz(n):
    """Return the FizzBuzz strings for the numbers 1 to n inclusive."""
    result = []
    for i in range(1, n):
        if i % 15 == 0:
            result.append("FizzBuzz")
        elif i % 3 == 0:
            result.append("Fizz")
        elif i % 5 == 0:
            result.append("Buzz")
        else:
            result.append(str(i))
    return result'''),
}

# Few-shot examples: one earlier exchange in which the assistant did the task exactly. SmolLM2-135M copies
# far more faithfully after one (a bare "Repeat the following text exactly" often gets a "revised version").
EXAMPLES = {
    "prose": "The quick brown fox jumps over the lazy dog. It was a bright cold day in April, and the clocks were striking.",
    "poem": "The quick brown fox jumps over the lazy dog.\nIt was a bright cold day in April,\nand the clocks were striking thirteen.",
    "code": 'def add(a, b):\n    """Return the sum of a and b."""\n    return a - b',
}
EXAMPLE_ANSWERS = {"code": '```python\ndef add(a, b):\n    """Return the sum of a and b."""\n    return a + b\n```'}

REPEAT = "Repeat the following text exactly, word for word.\n\n{text}"
FIX = "Fix the bug in this {lang} function and output the whole corrected function.\n\n```{lang}\n{text}\n```"
FIX_ONE_LINE = ("Fix the bug in this {lang} function. Change only the buggy line and output the complete function, "
                "with every other line unchanged.\n\n```{lang}\n{text}\n```")
REPLACE = 'Rewrite this text replacing "{a}" with "{b}". Change nothing else.\n\n{text}'

# (id, kind, source key, style, user-message template). Styles: "plain" (the user message alone, so the
# model's default system prompt), "system" (SYSTEM above first), "fewshot:<example>" (one example exchange
# first). {text} is the passage or code, {lang} the code's language. Each phrasing is the one that copied best
# in the measurements of 2026-11-29 (difflib ratio against the original, greedy; see the README).
TASKS = [
    ("repeat-constitution", "repeat", "constitution", "fewshot:prose", REPEAT),
    ("repeat-gettysburg", "repeat", "gettysburg", "fewshot:prose", REPEAT),
    ("repeat-two-cities", "repeat", "two_cities", "plain", "Copy this text:\n\n{text}"),
    ("repeat-moby-dick", "repeat", "moby_dick", "fewshot:prose", REPEAT),
    ("repeat-declaration", "repeat", "declaration", "fewshot:prose", REPEAT),
    ("repeat-sonnet18", "repeat", "sonnet18", "fewshot:poem", REPEAT),
    ("repeat-ozymandias", "repeat", "ozymandias", "fewshot:poem", REPEAT),
    ("repeat-psalm23", "repeat", "psalm23", "plain", REPEAT),
    ("edit-gettysburg", "edit", "gettysburg", "plain", REPLACE.replace("{a}", "nation").replace("{b}", "country")),
    ("edit-declaration", "edit", "declaration", "plain", REPLACE.replace("{a}", "Government").replace("{b}", "State")),
    ("edit-constitution", "edit", "constitution", "plain", REPLACE.replace("{a}", "Congress").replace("{b}", "Parliament")),
    ("edit-alice", "edit", "alice", "system", REPLACE.replace("{a}", "Alice").replace("{b}", "Clara")),
    ("fix-binary-search", "fix", "binary_search", "fewshot:code", FIX),
    ("fix-count-words", "fix", "count_words", "fewshot:code", FIX),
    ("fix-average", "fix", "average", "fewshot:code", FIX),
    ("fix-fizzbuzz", "fix", "fizzbuzz", "plain", FIX_ONE_LINE),
]


def build():
    entries = []
    for task_id, kind, key, style, template in TASKS:
        lang, text = CODE[key] if key in CODE else ("", PASSAGES[key])
        messages = []
        if style == "system":
            messages.append({"role": "system", "content": SYSTEM})
        elif style.startswith("fewshot:"):
            example = style.split(":", 1)[1]
            messages.append({"role": "user", "content": template.format(text=EXAMPLES[example], lang="python")})
            messages.append({"role": "assistant", "content": EXAMPLE_ANSWERS.get(example, EXAMPLES[example])})
        messages.append({"role": "user", "content": template.format(text=text, lang=lang)})
        entries.append({"id": task_id, "kind": kind, "messages": messages, "original": text})
    return entries


def main():
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        with open(OUT) as f:
            same = f.read() == text
        print("spec_prompts.json is " + ("up to date" if same else "stale: run scripts/make_spec_prompts.py"))
        return 0 if same else 1
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(TASKS)} tasks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
