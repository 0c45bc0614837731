#!/usr/bin/env python3
"""Generate tokenizer golden fixtures from the Hugging Face reference implementation.

Run once from the repo root (needs `tokenizers`, `transformers`, `jinja2`; CI does not, the output is committed):

    /tmp/refvenv/bin/python scripts/make_tokenizer_fixtures.py [weights/smol-135m]

Writes:
  Tests/Fixtures/tokenizer_ids.json   [{text, ids, ids_no_special, decoded, decoded_skip_special}]
  Tests/Fixtures/tokenizer_chat.json  [{messages, add_generation_prompt, rendered}]
  Tests/Fixtures/tokenizer_jinja.json [{name, template, context, rendered | error}] rendered by transformers'
                                      Jinja environment (trim_blocks, lstrip_blocks) for the interpreter's tests
"""
import json
import os
import random
import sys

from tokenizers import Tokenizer
from transformers import AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = os.path.join(ROOT, sys.argv[1] if len(sys.argv) > 1 else "weights/smol-135m")
OUT = os.path.join(ROOT, "Tests", "Fixtures")


def strings():
    texts = [
        "",
        " ",
        "  ",
        "a",
        "Hello, world!",
        "Hello world",
        " Hello world",
        "  Hello   world  ",
        "The quick brown fox jumps over the lazy dog.",
        "It's a dog's life, isn't it? I'm sure you'll agree, we'd've known, they're here, we've gone.",
        "IT'S ISN'T I'M YOU'LL WE'D THEY'RE WE'VE",
        "It'S isN'T i'M you'Ll we'D they'Re we'vE",
        "'s 't 're 've 'm 'll 'd",
        "''s '''t 'sam 'tis 'reason",
        "rock 'n' roll",
        "don't\nwon't\tcan't",
        "line one\nline two\n\nline four\n",
        "windows\r\nline\r\nendings\r\n",
        "tabs\tand\t\tmore\t\t\ttabs",
        "\t\tindented with tabs",
        "    indented with spaces",
        "trailing spaces   ",
        "trailing newline\n",
        "\n\n\n",
        "   \n   \n",
        "a \n b",
        "a\u00a0b\u00a0\u00a0c",
        "em\u2003space and\u3000ideographic space",
        "zero\u200bwidth\u200bspace",
        "line\u2028separator\u2029paragraph",
        "mongolian\u180evowel",
        "nbsp at end\u00a0",
        "\u00a0leading nbsp",
        "12345",
        "3.14159265358979323846",
        "1,000,000 and 1.5e10 and -42",
        "The year 2024 had 366 days.",
        "phone: +1 (555) 123-4567",
        "123456789012345678901234567890",
        "v1.2.3-beta.4",
        "½ ¾ ² ³ ⅔ Ⅻ ① ٣ ४ ๕",
        "Arabic digits ٠١٢٣٤٥٦٧٨٩ and fullwidth １２３",
        "x=1+2*3/4-5",
        "def foo(bar, baz=None):\n    return bar + baz  # comment\n",
        "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "fn main() {\n\tprintln!(\"Hello, {}!\", name);\n}",
        "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)",
        "<html><body class=\"main\">Hi &amp; bye</body></html>",
        "SELECT * FROM users WHERE id = 42;",
        "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
        "https://example.com/path?query=1&other=two#frag",
        "user@example.com",
        "#!/bin/bash\necho $HOME && ls -la | grep foo",
        "    def method(self):\n        pass\n\n\n    # end",
        "a_b_c snake_case CamelCase kebab-case SCREAMING_CASE",
        "!!!???...,,,;;;:::",
        "... --- ***",
        "(parenthetical) [bracketed] {braced} <angled>",
        "\"quoted\" 'single' `backtick`",
        "日本語のテキストです。",
        "中文文本，包括标点符号。",
        "한국어 텍스트입니다.",
        "Mixed English and 日本語 text.",
        "Привет, мир! Как дела?",
        "Ελληνικά κείμενο",
        "مرحبا بالعالم",
        "שלום עולם",
        "العربية مع أرقام 123",
        "हिन्दी पाठ",
        "ภาษาไทย",
        "Tiếng Việt có dấu",
        "café naïve résumé façade",
        "cafe\u0301 nai\u0308ve",
        "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo",
        "e\u0301\u0302\u0303\u0304",
        "😀",
        "Hello 😀 world 🌍!",
        "👍🏽 👍🏿 👋🏻",
        "👨‍👩‍👧‍👦 family",
        "🏳️‍🌈 flag",
        "👩🏽‍💻 coder",
        "🇺🇸🇯🇵🇩🇪",
        "emoji😀without😀spaces",
        "❤️ ☺️ ✔️",
        "𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭",
        "𠜎𠜱𠝹𠱓",
        "\u0000null\u0001control\u007f",
        "bell\u0007 backspace\u0008 formfeed\u000c vtab\u000b",
        "\u00ad soft hyphen",
        "<|endoftext|>",
        "<|im_start|>",
        "<|im_end|>",
        "a<|im_end|>b",
        "a <|im_end|> b",
        "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|><|im_end|><|endoftext|>",
        "<|im_end",
        "<|im_end|",
        "<|im_end|>>",
        "<<|im_end|>",
        "<|unknown|>",
        "text<|endoftext|>more text<|endoftext|>",
        "<repo_name>foo<file_sep>bar<filename>baz",
        "<jupyter_code>print(1)<jupyter_output>1",
        "a" * 300,
        "supercalifragilisticexpialidocious",
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
        "x" * 100 + " " + "y" * 100,
        "ab" * 200,
        "1" * 200,
        " " * 50 + "word",
        "\n" * 20,
        "-" * 80,
        "=" * 40 + "\n" + "#" * 40,
        "😀" * 30,
        "日本" * 50,
        "Mr. O'Neil's book",
        "O'REILLY",
        "can't won't shouldn't wouldn't couldn't",
        "I've I'll I'd I'm you're",
        "\u2019s curly apostrophe don\u2019t",
        "$100.00 €50 £30 ¥1000 ₹500",
        "α β γ δ ∑ ∫ ∂ √ ∞ ≈ ≠ ≤ ≥",
        "→ ← ↑ ↓ ⇒ ⇔",
        "© ® ™ § ¶ † ‡",
        "“smart quotes” and ‘single’",
        "en–dash em—dash",
        "ﬁ ligature ﬀ",
        "ＦＵＬＬＷＩＤＴＨ",
        "ʰᵉˡˡᵒ modifier letters",
        "i̇stanbul İSTANBUL ı",
        "ß ẞ straße",
        " leading space",
        "  two leading spaces",
        "word  two  spaces",
        "word\t tab space",
        "word \ttab after space",
        "word \n newline",
        " \t \n mixed",
        "end with tab\t",
        "end with space and newline \n",
        "a\r\rb",
        "\r\n\r\n",
        "?!",
        " ?!",
        "  ?!",
        "a.b,c;d:e",
        "Q&A",
        "e.g. i.e. etc.",
        "3rd 21st 100th",
        "COVID-19",
        "GPT-4o",
        "x86_64",
        "0x1F600",
        "1e-5",
        "10:30 AM",
        "2024-01-15T10:30:00Z",
        "<s>not special here</s>",
        "[INST] hi [/INST]",
        "\\n literal backslash n",
        "back\\slash",
        "~tilde ^caret |pipe",
        "Ġ Ċ ĉ",
        "ĠĠĠ",
        "Ã© mojibake",
        "\ufeffBOM at start",
        "\ufffd replacement char",
        "private use \ue000",
        "variation selector ︎ \ufe0f",
        "tag chars \U000e0041",
    ]
    prose = (
        "Once upon a time, in a land far, far away, there lived a king who had three daughters. "
        "The youngest was so beautiful that the sun itself, which has seen so much, marvelled "
        "every time it shone on her face."
    )
    for i in range(0, len(prose), 37):
        texts.append(prose[i:i + 60])
    words = prose.split()
    for i in range(0, len(words), 5):
        texts.append(" ".join(words[i:i + 7]))
    # Seeded random mixes of the tricky pieces (contractions, special tokens, odd whitespace, marks).
    rng = random.Random(7)
    pool = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "'s", "'T", "'re", "'ll", "'",
            "a", "Z", "é", "ß", "日本", "한", "ش", "ש", "😀", "👍🏽", "\u200d", "\u0301", "\ufe0f", "1", "٣", "½", "Ⅻ",
            "!", "?", ".", ",", "-", "_", "<|im_end|>", "<|endoftext|>", "<|im", "|>", "{", "\\", "€", "word", "The",
            " the", "ing", "\x00", "\x1f", "\ufeff", "𝕳", "ǅ", "ʰ", "〇", "々"]
    for _ in range(150):
        texts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 30))))
    for n in [1, 2, 3, 4, 5, 7, 10]:
        texts.append(" " * n + "x")
        texts.append("x" + " " * n + "y")
        texts.append("\n" * n + "x")
        texts.append("x" + "\t" * n)
    return texts


def main():
    tok = Tokenizer.from_file(os.path.join(MODEL_DIR, "tokenizer.json"))
    cases = []
    for text in strings():
        ids = tok.encode(text, add_special_tokens=True).ids
        ids_plain = tok.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": ids,
            "ids_no_special": ids_plain,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    with open(os.path.join(OUT, "tokenizer_ids.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=True, indent=0)

    hf = AutoTokenizer.from_pretrained(MODEL_DIR)
    conversations = [
        [{"role": "user", "content": "Hello!"}],
        [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
        [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "And 3+3?"},
        ],
        [
            {"role": "system", "content": "Be nice."},
            {"role": "user", "content": "  spaces  \n\nand newlines\n"},
            {"role": "assistant", "content": "日本語 😀 <|im_end|> inside"},
        ],
        [{"role": "assistant", "content": "I start."}],
        [{"role": "user", "content": ""}],

    ]
    chats = []
    for messages in conversations:
        for add in (False, True):
            rendered = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=add)
            chats.append({"messages": messages, "add_generation_prompt": add, "rendered": rendered})
    with open(os.path.join(OUT, "tokenizer_chat.json"), "w", encoding="utf-8") as f:
        json.dump(chats, f, ensure_ascii=True, indent=1)
    from transformers.utils.chat_template_utils import _compile_jinja_template

    jinja_cases = []
    for name, template, context in jinja_templates():
        case = {"name": name, "template": template, "context": context}
        try:
            case["rendered"] = _compile_jinja_template(template).render(**context)
        except Exception as error:  # raise_exception and friends
            case["error"] = str(error)
        jinja_cases.append(case)
    with open(os.path.join(OUT, "tokenizer_jinja.json"), "w", encoding="utf-8") as f:
        json.dump(jinja_cases, f, ensure_ascii=True, indent=1)
    print(f"{len(cases)} id cases, {len(chats)} chat cases, {len(jinja_cases)} jinja cases")


CHAT = [
    {"role": "system", "content": "  Be brief.  "},
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "Tell me a joke."},
]
NO_SYSTEM = CHAT[1:]


def jinja_templates():
    """(name, template, context) triples covering the constructs real chat templates use."""
    zephyr = (
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
        "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
        "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
    )
    llama2 = (
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
        "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
        "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
        "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
        "{% else %}{% set content = message['content'] %}{% endif %}"
        "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
    )
    gemma = (
        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
        "{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
        "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
    )
    namespace = (
        "{%- set ns = namespace(system='', count=0) -%}\n"
        "{%- for m in messages -%}\n"
        "    {%- if m.role == 'system' -%}{%- set ns.system = m.content | trim -%}{%- endif -%}\n"
        "    {%- set ns.count = ns.count + 1 -%}\n"
        "{%- endfor -%}\n"
        "SYSTEM={{ ns.system }} COUNT={{ ns.count }}\n"
        "{% for m in messages if m.role != 'system' %}\n"
        "  {{ loop.index }}/{{ loop.length }} {{ m.role | upper }}: {{ m.content }}{% if not loop.last %},{% endif %}\n"
        "{% endfor %}\n"
    )
    whitespace = (
        "<start>\n"
        "    {% if true %}\n"
        "    indented line\n"
        "    {% endif %}\n"
        "  {# a comment #}\n"
        "  {{ 'expr' }}  \n"
        "{%- if true %}   stripped-left{% endif -%}   \n\n   tail\n"
        "{%+ if true %}plus{% endif %}\n"
        "end"
    )
    expressions = (
        "{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ 7 // 2 }}|{{ 7 % 3 }}|{{ -7 // 2 }}|{{ 'a' ~ 1 ~ true }}|"
        "{{ 'x' if flag else 'y' }}|{{ 'x' if not flag else 'y' }}|{{ 'abc'[1] }}|{{ 'abcdef'[1:4] }}|{{ items[-1] }}|"
        "{{ items[::-1] }}|{{ items | length }}|{{ items | join('-') }}|{{ 'Hi' | lower }}{{ 'hi' | upper }}|"
        "{{ '  pad  ' | trim }}|{{ 'b' in 'abc' }}|{{ 2 in items }}|{{ 5 not in items }}|{{ none }}|{{ undefined_name }}|"
        "{{ items }}|{{ {'k': 'v', 'n': 1} }}|{{ 3 > 2 and 2 >= 2 }}|{{ 1 == 1.0 }}|{{ 'a' != 'b' or false }}|"
        "{{ name is defined }}|{{ missing is defined }}|{{ missing is not defined }}|{{ none is none }}|{{ 4 is even }}|"
        "{{ 'hello world'.split() }}|{{ 'a,b'.split(',') }}|{{ 'Hello'.startswith('He') }}|{{ 'x'.endswith('y') }}|"
        "{{ 'aXbX'.replace('X', '-') }}|{{ '  s  '.lstrip() }}.|{{ '  s  '.rstrip() }}.|{{ 'hello' | capitalize }}|"
        "{{ missing | default('dflt') }}|{{ '' | default('empty', true) }}|{{ 1.5 }}|{{ 2.0 }}|{{ 10 / 4 }}|{{ \"dq\\\"s\" }}|"
        "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}|"
        "{% for x in [] %}x{% else %}empty{% endfor %}|"
        "{% for i in range(3) %}{{ i }}{{ ',' if not loop.last }}{% endfor %}|"
        "{{ {'a': [1, 'two', none, true]} | tojson }}|{{ 'ünï' | tojson }}|{{ items | first }}{{ items | last }}|"
        "{{ name | string | length }}|{{ [1, 2] + [3] }}|{{ 'ab' * 3 }}|{{ -7 % 3 }}|{{ 7 % -3 }}|{{ 7 // -2 }}|"
        "{{ [\"it's\", 'a\"b', 'x\\ny', 'p\\\\q'] }}|{{ {\"k'\": 1} }}|{{ 'a' < 'b' }}|{{ 2 <= 1 }}"
    )
    scoping = (
        "{% set x = 'outer' %}{% for i in [1, 2] %}{% set x = 'inner' ~ i %}{{ x }} {% endfor %}{{ x }}|"
        "{% if true %}{% set y = 'if-set' %}{% endif %}{{ y }}|"
        "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }} {% endfor %}"
    )
    loop_controls = (
        "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
        "{% if loop.index > 3 %}{% break %}{% endif %}[{{ m.role }}]{% endfor %}|"
        "{% for m in messages | selectattr('role', 'equalto', 'user') %}{{ m.content }};{% endfor %}|"
        "{{ messages | rejectattr('role', 'equalto', 'user') | list | length }}|"
        "{{ messages | selectattr('content') | list | length }}|{{ [0, 1, 2, 3] | select('odd') | list }}"
    )
    contexts = [
        ("loop_controls_and_selectattr", loop_controls, {"messages": CHAT + [{"role": "user", "content": ""}]}),
        ("chatml_generic",
         "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
         "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
         {"messages": CHAT, "add_generation_prompt": True}),
        ("zephyr", zephyr, {"messages": CHAT, "add_generation_prompt": True, "eos_token": "</s>"}),
        ("zephyr_no_prompt", zephyr, {"messages": NO_SYSTEM, "add_generation_prompt": False, "eos_token": "</s>"}),
        ("llama2_system", llama2, {"messages": CHAT, "bos_token": "<s>", "eos_token": "</s>"}),
        ("llama2_no_system", llama2, {"messages": NO_SYSTEM, "bos_token": "<s>", "eos_token": "</s>"}),
        ("llama2_bad_order", llama2, {"messages": [CHAT[2], CHAT[1]], "bos_token": "<s>", "eos_token": "</s>"}),
        ("gemma", gemma, {"messages": NO_SYSTEM, "add_generation_prompt": True, "bos_token": "<bos>"}),
        ("gemma_rejects_system", gemma, {"messages": CHAT, "add_generation_prompt": True, "bos_token": "<bos>"}),
        ("namespace_and_loop_filter", namespace, {"messages": CHAT}),
        ("whitespace_control", whitespace, {}),
        ("expressions", expressions, {"flag": True, "items": [1, 2, 3], "name": "smol"}),
        ("scoping", scoping, {}),
    ]
    return contexts


if __name__ == "__main__":
    main()
