#!/usr/bin/env python3
"""Builds Tests/Fixtures/grammar/conformance.json: JSON Schemas with valid and invalid instances for the grammar
engine (Sources/Grammar). Every label comes from Python `jsonschema` (Draft 2020-12, format checking on), not from
the engine: a case whose intended label disagrees with jsonschema stops the script.

Instances are compact JSON (no whitespace), properties in `properties` order, strings as json.dumps(ensure_ascii=False)
writes them: the one spelling the engine produces. Raw-text invalid instances (not JSON at all, or JSON the
engine's compact form excludes only because it is malformed) are given as {"raw": "..."} and labelled by
json.loads failing.

Run by a person (not CI):
    python3 -m venv /tmp/gvenv && /tmp/gvenv/bin/pip install jsonschema rfc3987 rfc3339-validator
    /tmp/gvenv/bin/python scripts/make_grammar_fixtures.py
"""
import json
import os
import sys

import jsonschema
from jsonschema import Draft202012Validator

CHECKER = Draft202012Validator.FORMAT_CHECKER
for needed in ("date", "time", "date-time", "email", "uuid", "uri"):
    assert needed in CHECKER.checkers, f"format {needed} is not checked: install rfc3987 and rfc3339-validator"

cases = []


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def case(name, schema, valid=(), invalid=()):
    validator = Draft202012Validator(schema, format_checker=CHECKER)
    Draft202012Validator.check_schema(schema)
    out_valid, out_invalid = [], []
    for value in valid:
        errors = list(validator.iter_errors(value))
        if errors:
            sys.exit(f"{name}: {dumps(value)} meant valid but jsonschema says: {errors[0].message}")
        out_valid.append(dumps(value))
    for value in invalid:
        if isinstance(value, dict) and set(value) == {"raw"}:
            try:
                json.loads(value["raw"])
            except ValueError:
                out_invalid.append(value["raw"])
                continue
            sys.exit(f"{name}: raw {value['raw']!r} parses as JSON")
        if validator.is_valid(value):
            sys.exit(f"{name}: {dumps(value)} meant invalid but jsonschema accepts it")
        out_invalid.append(dumps(value))
    cases.append({"name": name, "schema": json.dumps(schema), "valid": out_valid, "invalid": out_invalid})


def raw(text):
    return {"raw": text}


# --- types -------------------------------------------------------------------------------------------------------
samples = {"null": None, "boolean": True, "integer": 42, "number": -2.5, "string": "hi", "object": {}, "array": []}
for t in ["null", "boolean", "integer", "number", "string", "object", "array"]:
    valid = [v for k, v in samples.items() if k == t or (t == "number" and k == "integer")]
    invalid = [v for k, v in samples.items() if v not in valid and not (t == "number" and k == "integer")]
    case(f"type {t}", {"type": t}, valid, invalid)
for types in [["string", "null"], ["integer", "boolean"], ["array", "object"], ["number", "string", "null"]]:
    valid = [samples[t] for t in types]
    invalid = [v for k, v in samples.items() if k not in types and not ("number" in types and k == "integer")]
    case(f"types {types}", {"type": types}, valid, invalid)
case("empty schema", {}, [None, 1, -0.5, "x", [1, {"a": [None]}], {"k": {"l": []}}, True], [raw("01"), raw("[1,]"), raw('{"a" 1}')])
case("true schema", True, [None, [], {"x": "y"}], [raw("nul"), raw("'x'")])
case("booleans", {"type": "boolean"}, [True, False], [0, "true", None, raw("True")])

# --- numbers ------------------------------------------------------------------------------------------------------
for lo, hi in [(0, 9), (1, 100), (-5, 5), (-120, -7), (13, 87), (0, 0), (7, 7), (-1000, 1000), (99, 1001), (250, 2500), (-9, -9), (5, 123456)]:
    inside = sorted({lo, hi, (lo + hi) // 2, lo + 1 if lo < hi else lo, hi - 1 if hi > lo else hi})
    outside = [lo - 1, hi + 1, lo - 10, hi + 10, hi + 1000, lo * 10 - 1 if lo < 0 else -1 - lo]
    case(f"integer [{lo},{hi}]", {"type": "integer", "minimum": lo, "maximum": hi}, inside, outside + [1.5, "1"])
for lo in [-3, 0, 1, 17, 100]:
    case(f"integer exclusiveMinimum {lo}", {"type": "integer", "exclusiveMinimum": lo}, [lo + 1, lo + 2, lo + 1000, 10 ** 12], [lo, lo - 1, lo - 100])
    case(f"integer exclusiveMaximum {lo}", {"type": "integer", "exclusiveMaximum": lo}, [lo - 1, lo - 2, lo - 1000, -(10 ** 12)], [lo, lo + 1, lo + 100])
    case(f"integer minimum {lo}", {"type": "integer", "minimum": lo}, [lo, lo + 1, lo + 99999], [lo - 1, lo - 1000])
    case(f"integer maximum {lo}", {"type": "integer", "maximum": lo}, [lo, lo - 1, lo - 99999], [lo + 1, lo + 1000])
case("integer minimum 2.5", {"type": "integer", "minimum": 2.5, "maximum": 10.5}, [3, 10], [2, 11])
case("integer", {"type": "integer"}, [0, -1, 123456789012], [1.5, "1", raw("01"), raw("-"), raw("+1"), raw("1e5x")])
case("number", {"type": "number"}, [0, -1.25, 3e-05, 1.5e+300, 12345.678], ["1", None, raw("1."), raw(".5"), raw("01.5"), raw("1e"), raw("--1")])
for lo, hi, lo_ex, hi_ex in [(0, 1, False, False), (0, 10, True, False), (-5, 5, False, True), (-10, -2, True, True), (3, 3, False, False),
                             (-1, 0, False, False), (1, 1000, False, False), (-100, 100, True, True)]:
    schema = {"type": "number", ("exclusiveMinimum" if lo_ex else "minimum"): lo, ("exclusiveMaximum" if hi_ex else "maximum"): hi}
    candidates = [lo, hi, lo + 0.5, hi - 0.5, lo - 0.5, hi + 0.5, lo - 1, hi + 1, (lo + hi) / 2, lo + 0.001, hi - 0.001, lo - 0.001, hi + 0.001]
    valid = [c for c in candidates if Draft202012Validator(schema).is_valid(c) and c != -0.0 and not (c == 0 and isinstance(c, float) and str(c).startswith("-"))]
    invalid = [c for c in candidates if not Draft202012Validator(schema).is_valid(c)]
    case(f"number {schema}", schema, valid, invalid)
for lo in [0, 2, -7]:
    case(f"number minimum {lo}", {"type": "number", "minimum": lo}, [lo, lo + 0.25, lo + 1000], [lo - 0.25, lo - 1])
    case(f"number exclusiveMaximum {lo}", {"type": "number", "exclusiveMaximum": lo}, [lo - 0.25, lo - 1000], [lo, lo + 0.5])

# --- strings ------------------------------------------------------------------------------------------------------
case("string", {"type": "string"}, ["", "hi", 'q"uote', "back\\slash", "tab\there", "new\nline", "é ü 漢字 😀", "\u0001\u001f", "/"],
     [1, None, raw('"unterminated'), raw('"bad \\x escape"'), raw('"raw \n newline"'), raw("'single'")])
for lo, hi in [(0, 0), (1, 1), (0, 3), (2, 5), (3, None), (5, 8), (0, 10), (10, 12)]:
    schema = {"type": "string", "minLength": lo} if hi is None else {"type": "string", "minLength": lo, "maxLength": hi}
    words = ["", "a", "ab", "abc", "abcd", "héllo", "日本語テキスト", "😀😀", "abcdefghijk", "x" * 12, "y" * 13, "tab\t", "\"q\""]
    validator = Draft202012Validator(schema)
    case(f"string length {lo}..{hi}", schema, [w for w in words if validator.is_valid(w)], [w for w in words if not validator.is_valid(w)] + [7])
patterns = [
    ("^[a-z]+$", ["abc", "z"], ["", "abC", "a1", "ab c"]),
    ("^\\d{3}-\\d{4}$", ["555-1234"], ["5551234", "55-1234", "555-12345", "a55-1234"]),
    ("abc", ["abc", "xxabcxx", "abcabc"], ["ab", "acb", ""]),
    ("^abc", ["abc", "abcdef"], ["xabc", "ab"]),
    ("abc$", ["abc", "xyzabc"], ["abcx", "ab"]),
    ("^(cat|dog)s?$", ["cat", "dogs", "cats"], ["catss", "bird", "cat "]),
    ("^[A-Z][a-z]*( [A-Z][a-z]*)*$", ["Hello", "Hello World", "A B C"], ["hello", "Hello  World", "Hello world"]),
    ("^#[0-9a-fA-F]{6}$", ["#a0B1c2", "#FFFFFF"], ["#FFFFF", "a0B1c2", "#GGGGGG"]),
    ("^\\w+@\\w+\\.com$", ["joe@site.com", "a_1@b2.com"], ["joe@site.org", "@site.com", "joe site.com"]),
    ("^[^0-9]*$", ["abc", "", "é!?"], ["a1", "9"]),
    ("^a{2,3}$", ["aa", "aaa"], ["a", "aaaa"]),
    ("^a{2,}b?$", ["aa", "aaaab"], ["a", "ab", "aabb"]),
    ("^(ab)+$", ["ab", "abab"], ["", "aba", "ba"]),
    ("^\\s*x\\s*$", ["x", "  x\t", "\nx"], ["xx", " y "]),
    ("^[\\w.-]+$", ["a.b-c_d", "X"], ["a b", "a/b", ""]),
    ("^v\\d+(\\.\\d+){2}$", ["v1.2.3", "v10.0.22"], ["v1.2", "1.2.3", "v1.2.3.4"]),
    ("^.{3}$", ["abc", "é漢😀"], ["ab", "abcd"]),
    ("^\\$\\d+\\.\\d\\d$", ["$3.50", "$100.00"], ["3.50", "$3.5"]),
    ("^\\(\\d\\)$", ["(1)"], ["1", "(12)"]),
    ("^[\\u0041-\\u0043]+$", ["ABC", "CAB"], ["ABD", "abc"]),
    ("^(?:yes|no)$", ["yes", "no"], ["maybe", "yesno"]),
    ("^[a-c]*?d$", ["d", "abcd"], ["abc", "ad "]),
    ("^\"quoted\"$", ['"quoted"'], ["quoted"]),
    ("^\\\\path$", ["\\path"], ["path", "/path"]),
    ("x|^y$", ["y", "axb", "x"], ["yy", "z"]),
    ("^\\S+$", ["a-b", "x"], ["a b", ""]),
    ("^\\D\\W$", ["a!", "- "], ["1!", "ab"]),
    ("^[^\\s]{2}$", ["ab", "1é"], ["a ", "abc"]),
]
for index, (pattern, valid, invalid) in enumerate(patterns):
    case(f"pattern {pattern}", {"type": "string", "pattern": pattern}, valid, invalid + [None])
case("pattern with lengths", {"type": "string", "pattern": "^[a-z]*$", "minLength": 2, "maxLength": 4}, ["ab", "abcd"], ["a", "abcde", "AB"])
case("pattern with format", {"type": "string", "format": "date", "pattern": "^2024"}, ["2024-01-31"], ["2023-01-31", "2024-02-30"])

formats = {
    "date": (["2024-02-29", "2000-02-29", "1999-12-31", "0001-01-01", "2023-06-30", "1600-02-29"],
             ["2023-02-29", "1900-02-29", "2023-04-31", "2023-13-01", "2023-00-10", "2023-1-1", "20230101", "2023-01-32", "x"]),
    "time": (["12:30:00Z", "23:59:59+02:00", "00:00:00.123Z", "08:15:30-05:30"],
             ["24:00:00Z", "12:60:00Z", "12:30Z", "12:30:00", "12:30:00+2:00", "noon"]),
    "date-time": (["2024-02-29T12:30:00Z", "1999-12-31T23:59:59.5+01:00"],
                  ["2023-02-29T12:30:00Z", "2024-01-01 12:30:00Z", "2024-01-01T25:00:00Z", "2024-01-01T12:00:00"]),
    "email": (["joe@example.com", "first.last+tag@sub.example.org", "a@b"], ["joe.example.com", "", "no-at-sign"]),
    "uuid": (["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000", "ABCDEF01-2345-6789-ABCD-EF0123456789"],
             ["123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400", "g23e4567-e89b-12d3-a456-426614174000"]),
    "uri": (["https://example.com/a/b?x=1&y=2#frag", "mailto:joe@example.com", "urn:isbn:0451450523", "http://localhost:8080/", "file:///tmp/x"],
            ["not a uri", "//example.com/path", "http://exa mple.com", "example.com", ""]),
}
for name, (valid, invalid) in formats.items():
    case(f"format {name}", {"type": "string", "format": name}, valid, invalid + [12])
case("format date maxLength", {"type": "string", "format": "date", "maxLength": 10}, ["2024-01-01"], ["2024-02-30"])

# --- enum / const ---------------------------------------------------------------------------------------------------
case("enum strings", {"enum": ["red", "green", "blue"]}, ["red", "blue"], ["Red", "yellow", 1, None])
case("enum mixed", {"enum": ["a", 1, None, True, [1, 2], {"k": "v"}]}, ["a", 1, None, True, [1, 2], {"k": "v"}], ["b", 2, False, [2, 1], {"k": "w"}])
case("enum with type", {"type": "string", "enum": ["a", 1, "b"]}, ["a", "b"], [1, "c"])
case("enum with type list", {"type": ["integer", "null"], "enum": [1, "x", None, 2.5]}, [1, None], ["x", 2.5])
case("enum with maxLength", {"type": "string", "maxLength": 2, "enum": ["ab", "abc", "x"]}, ["ab", "x"], ["abc"])
case("enum unicode", {"enum": ["café", "naïve", "日本", 'q"t', "line\nbreak"]}, ["café", "日本", 'q"t', "line\nbreak"], ["cafe", "line break"])
case("const string", {"const": "fixed"}, ["fixed"], ["Fixed", "fixed "])
case("const object", {"const": {"a": 1, "b": [True, None]}}, [{"a": 1, "b": [True, None]}], [{"a": 1}, {"a": 1, "b": [True]}])
case("const number", {"const": 3}, [3], [4, "3"])
case("const and enum", {"enum": [1, 2, 3], "const": 2}, [2], [1, 3])
case("enum in property", {"type": "object", "properties": {"status": {"enum": ["open", "closed"]}}, "required": ["status"]},
     [{"status": "open"}], [{"status": "pending"}, {}])

# --- objects --------------------------------------------------------------------------------------------------------
person = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}, "email": {"type": "string", "format": "email"}},
          "required": ["name"]}
case("object person", person, [{"name": "Ann"}, {"name": "Ann", "age": 30}, {"name": "Bo", "age": 0, "email": "bo@x.io"}, {"name": "C", "email": "c@d.e"}],
     [{}, {"age": 30}, {"name": 1}, {"name": "Ann", "age": -1}, {"name": "Ann", "age": 1.5}, {"name": "A", "email": "nope"}, [], "x"])
person_strict = dict(person, additionalProperties=False)
case("object additionalProperties false", person_strict, [{"name": "Ann", "age": 30}], [{"name": "Ann", "extra": 1}, {"extra": 1}])
for n in range(1, 9):
    props = {f"p{i}": {"type": ["integer", "string", "boolean"][i % 3]} for i in range(n)}
    required = [f"p{i}" for i in range(n) if i % 2 == 0]
    schema = {"type": "object", "properties": props, "required": required}
    sample = {f"p{i}": [i, f"s{i}", i % 2 == 0][i % 3] for i in range(n)}
    minimal = {k: v for k, v in sample.items() if k in required}
    bad = dict(sample)
    bad["p0"] = "wrong"
    missing = {k: v for k, v in sample.items() if k != "p0"}
    case(f"object {n} properties", schema, [sample, minimal], [bad, missing, None])
    case(f"object {n} properties all required", dict(schema, required=list(props)), [sample], [minimal] if minimal != sample else [bad])
case("additionalProperties schema", {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"], "additionalProperties": {"type": "string"}},
     [{"id": 1}, {"id": 1, "x": "a"}, {"id": 1, "x": "a", "y": "b"}], [{"id": 1, "x": 2}, {"x": "a"}])
case("additionalProperties only", {"type": "object", "additionalProperties": {"type": "integer"}}, [{}, {"a": 1, "b": 2}, {"ключ": 3}], [{"a": "x"}, []])
case("additionalProperties true", {"type": "object", "properties": {"a": {"type": "null"}}, "additionalProperties": True},
     [{"a": None, "b": [1]}, {"c": {}}], [{"a": 1}])
case("required not in properties", {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a", "b"]},
     [{"a": 1, "b": "anything"}, {"a": 1, "b": [None]}], [{"a": 1}])
case("object without type", {"properties": {"a": {"type": "integer"}}, "required": ["a"]}, [{"a": 1}, 5, "s", None, [1]], [{"a": "x"}, {}])
case("empty object only", {"type": "object", "additionalProperties": False}, [{}], [{"a": 1}])
case("property names with escapes", {"type": "object", "properties": {'we"ird': {"type": "integer"}, "a/b": {"type": "integer"}, "ü": {"type": "integer"}},
                                     "required": ['we"ird', "a/b", "ü"]}, [{'we"ird': 1, "a/b": 2, "ü": 3}], [{'we"ird': 1, "a/b": 2}])
case("nested objects", {"type": "object", "properties": {"user": {"type": "object", "properties": {"id": {"type": "integer"},
                        "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["id"]}, "ok": {"type": "boolean"}}, "required": ["user", "ok"]},
     [{"user": {"id": 1}, "ok": True}, {"user": {"id": 1, "tags": ["a", "b"]}, "ok": False}],
     [{"user": {}, "ok": True}, {"user": {"id": 1, "tags": [1]}, "ok": True}, {"ok": True}])
deep = {"type": "integer"}
for level in range(6):
    deep = {"type": "object", "properties": {f"l{level}": deep}, "required": [f"l{level}"]}
value = 7
for level in range(6):
    value = {f"l{level}": value}
case("six levels deep", deep, [value], [json.loads(json.dumps(value).replace("7", '"7"'))])

# --- arrays ---------------------------------------------------------------------------------------------------------
case("array of integers", {"type": "array", "items": {"type": "integer"}}, [[], [1], [1, -2, 3]], [[1, "2"], [1.5], {}])
for lo, hi in [(0, 0), (1, 1), (1, 3), (2, 4), (0, 2), (3, None), (0, 5)]:
    schema = {"type": "array", "items": {"type": "string"}, "minItems": lo}
    if hi is not None:
        schema["maxItems"] = hi
    arrays = [["a"] * n for n in range(7)]
    validator = Draft202012Validator(schema)
    case(f"array items {lo}..{hi}", schema, [a for a in arrays if validator.is_valid(a)], [a for a in arrays if not validator.is_valid(a)] + [[1]])
case("prefixItems", {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}, [[], ["a"], ["a", 1], ["a", 1, None, {}]], [[1], ["a", "b"]])
case("prefixItems items false", {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
     [["a", 1], ["a"], []], [["a", 1, 2]])
case("prefixItems with items", {"type": "array", "prefixItems": [{"const": "id"}], "items": {"type": "number"}, "minItems": 2},
     [["id", 1], ["id", 1, 2.5]], [["id"], ["x", 1], ["id", "y"]])
case("tuple exact", {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "items": False, "minItems": 2},
     [[1, 2.5]], [[1], [1, 2, 3]])
case("array of objects", {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"]}, "maxItems": 3},
     [[], [{"x": 1, "y": 2}], [{"x": 1, "y": 2}, {"x": 3, "y": 4}]], [[{"x": 1}], [{"x": 1, "y": 2}] * 4])
case("array of arrays", {"type": "array", "items": {"type": "array", "items": {"type": "boolean"}, "minItems": 1}}, [[[True], [False, True]], []], [[[]], [[1]]])
case("array without items", {"type": "array", "maxItems": 2}, [[], [1, "a"], [[{}]]], [[1, 2, 3]])

# --- $ref / $defs / definitions -----------------------------------------------------------------------------------------
case("$defs ref", {"$defs": {"pos": {"type": "integer", "minimum": 1}}, "type": "object", "properties": {"a": {"$ref": "#/$defs/pos"}, "b": {"$ref": "#/$defs/pos"}}},
     [{"a": 1, "b": 2}, {}], [{"a": 0}])
case("definitions ref", {"definitions": {"name": {"type": "string", "minLength": 1}}, "type": "array", "items": {"$ref": "#/definitions/name"}},
     [["x", "y"]], [[""], [1]])
case("ref chain", {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/c"}, "c": {"type": "boolean"}}, "$ref": "#/$defs/a"}, [True], [1])
case("ref with sibling", {"$defs": {"base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
                          "$ref": "#/$defs/base", "properties": {"name": {"type": "string"}}},
     [{"id": 1}, {"id": 1, "name": "x"}], [{"name": "x"}, {"id": "1"}])
tree = {"$defs": {"node": {"type": "object", "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                           "required": ["value"]}}, "$ref": "#/$defs/node"}
case("recursive tree", tree, [{"value": 1}, {"value": 1, "children": []}, {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}, {"value": 4}]}],
     [{"children": []}, {"value": 1, "children": [{"value": "x"}]}, {"value": 1, "children": [{}]}])
linked = {"type": "object", "properties": {"v": {"type": "string"}, "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}, "required": ["v", "next"]}
case("recursive root list", linked, [{"v": "a", "next": None}, {"v": "a", "next": {"v": "b", "next": None}}],
     [{"v": "a"}, {"v": "a", "next": {"v": "b"}}, {"v": "a", "next": 1}])
case("mutual recursion", {"$defs": {"a": {"type": "array", "items": {"$ref": "#/$defs/b"}}, "b": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/a"}]}},
                          "$ref": "#/$defs/a"}, [[], [1, [2, [3, []]]]], [[1, ["x"]], {}])
expr = {"$defs": {"expr": {"anyOf": [{"type": "number"}, {"type": "object", "properties": {"op": {"enum": ["+", "*"]}, "args": {"type": "array", "items": {"$ref": "#/$defs/expr"}, "minItems": 2}},
                                                         "required": ["op", "args"], "additionalProperties": False}]}}, "$ref": "#/$defs/expr"}
case("recursive expression", expr, [1, {"op": "+", "args": [1, {"op": "*", "args": [2, 3]}]}], [{"op": "-", "args": [1, 2]}, {"op": "+", "args": [1]}])

# --- anyOf / oneOf / allOf ------------------------------------------------------------------------------------------------
case("anyOf scalars", {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string", "maxLength": 2}]}, [10, 99, "ab", ""], [9, "abc", None])
case("anyOf objects", {"anyOf": [{"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind", "x"]},
                                 {"type": "object", "properties": {"kind": {"const": "b"}, "y": {"type": "string"}}, "required": ["kind", "y"]}]},
     [{"kind": "a", "x": 1}, {"kind": "b", "y": "s"}], [{"kind": "a", "y": "s"}, {"kind": "c", "x": 1}])
case("oneOf disjoint", {"oneOf": [{"type": "integer"}, {"type": "boolean"}, {"type": "null"}]}, [1, True, None], ["x", 1.5])
case("anyOf with sibling", {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "anyOf": [{"required": ["a"]}, {"required": ["b"]}]},
     [{"a": 1}, {"b": 2}, {"a": 1, "b": 2}], [{}])
case("allOf merge", {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                               {"properties": {"b": {"type": "string"}}, "required": ["b"]}]},
     [{"a": 1, "b": "x"}], [{"a": 1}, {"b": "x"}, {"a": "1", "b": "x"}])
case("allOf bounds", {"allOf": [{"type": "integer", "minimum": 0}, {"maximum": 10}, {"minimum": 5}]}, [5, 10], [4, 11])
case("allOf refs", {"$defs": {"named": {"properties": {"name": {"type": "string"}}, "required": ["name"]},
                              "aged": {"properties": {"age": {"type": "integer"}}, "required": ["age"]}},
                    "type": "object", "allOf": [{"$ref": "#/$defs/named"}, {"$ref": "#/$defs/aged"}]},
     [{"name": "a", "age": 1}], [{"name": "a"}, {"age": 1}])
case("allOf same property", {"allOf": [{"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}, "required": ["n"]},
                                       {"properties": {"n": {"maximum": 3}}}]}, [{"n": 0}, {"n": 3}], [{"n": 4}, {"n": -1}])
case("allOf with additionalProperties false", {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False},
                                                        {"properties": {"b": {"type": "integer"}}}]}, [{"a": 1}, {}], [{"b": 1}, {"a": 1, "b": 2}])
case("annotations ignored", {"title": "T", "description": "D", "examples": [1], "$comment": "c", "default": 0, "deprecated": False, "readOnly": True,
                             "type": "integer", "$schema": "https://json-schema.org/draft/2020-12/schema"}, [1], ["1"])

# --- a realistic mix -------------------------------------------------------------------------------------------------------
event = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"},
    "title": {"type": "string", "minLength": 1, "maxLength": 40},
    "when": {"type": "string", "format": "date-time"},
    "day": {"type": "string", "format": "date"},
    "attendees": {"type": "array", "items": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}, "role": {"enum": ["host", "guest"]}},
                                            "required": ["email", "role"]}, "maxItems": 4},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
    "score": {"type": "number", "minimum": 0, "maximum": 100},
    "link": {"type": "string", "format": "uri"},
    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
    "meta": {"type": "object", "additionalProperties": {"type": ["string", "number", "null"]}},
}, "required": ["id", "title", "when"], "additionalProperties": False}
good_event = {"id": "123e4567-e89b-12d3-a456-426614174000", "title": "Standup", "when": "2024-03-01T09:00:00Z", "day": "2024-03-01",
              "attendees": [{"email": "a@b.co", "role": "host"}, {"email": "c@d.co", "role": "guest"}], "priority": 2, "score": 99.5,
              "link": "https://meet.example.com/x?y=1", "tags": ["daily", "team"], "meta": {"room": "4B", "floor": 3, "note": None}}
case("event", event, [good_event, {"id": good_event["id"], "title": "T", "when": "2024-03-01T09:00:00+01:00"}],
     [dict(good_event, priority=6), dict(good_event, id="nope"), dict(good_event, tags=["Bad"]), dict(good_event, score=100.5),
      dict(good_event, attendees=[{"email": "a@b.co", "role": "boss"}]), {"title": "T", "when": "2024-03-01T09:00:00Z"}, dict(good_event, meta={"x": True})])

# --- generated records: every mix of member types, each member required or optional -----------------------------------
MEMBER_TYPES = [
    ("s", {"type": "string", "maxLength": 8}, "abc", 5),
    ("i", {"type": "integer", "minimum": -5, "maximum": 50}, 42, 51),
    ("n", {"type": "number"}, 2.5, "2.5"),
    ("b", {"type": "boolean"}, True, "true"),
    ("e", {"enum": ["x", "y", 3]}, "y", "z"),
    ("a", {"type": "array", "items": {"type": "integer"}, "maxItems": 2}, [1, 2], [1, 2, 3]),
    ("o", {"type": "object", "properties": {"k": {"type": "null"}}, "required": ["k"]}, {"k": None}, {}),
    ("u", {"type": ["string", "null"]}, None, 0),
]
for size in range(1, 5):
    for start in range(len(MEMBER_TYPES)):
        members = [MEMBER_TYPES[(start + k * 3) % len(MEMBER_TYPES)] for k in range(size)]
        names = [f"{tag}{k}" for k, (tag, _, _, _) in enumerate(members)]
        required = [name for k, name in enumerate(names) if (start + k) % 2 == 0] or names[:1]
        schema = {"type": "object", "properties": {name: m[1] for name, m in zip(names, members)}, "required": required,
                  "additionalProperties": False}
        full = {name: m[2] for name, m in zip(names, members)}
        minimal = {name: full[name] for name in names if name in required}
        wrong = dict(full, **{names[-1]: members[-1][3]})
        missing = {name: full[name] for name in names if name != required[0]}
        case(f"record {size} from {start}", schema, [full, minimal], [wrong, missing, dict(full, extra=1), [full]])

# --- generated arrays: item type × length bounds -------------------------------------------------------------------------
for tag, item, good, bad in MEMBER_TYPES[:6]:
    for lo, hi in [(0, 1), (1, 2), (2, 3)]:
        schema = {"type": "array", "items": item, "minItems": lo, "maxItems": hi}
        case(f"array of {tag} {lo}..{hi}", schema, [[good] * lo, [good] * hi], [[good] * (hi + 1), [bad] * max(lo, 1)] + ([[good] * (lo - 1)] if lo else []))

# --- generated enums and nested anyOf ---------------------------------------------------------------------------------
for size in range(2, 8):
    values = [f"v{k}" for k in range(size)] + list(range(size))
    case(f"enum of {2 * size}", {"enum": values}, values[::3], [f"v{size}", size, None])
    case(f"anyOf {size} objects", {"anyOf": [{"type": "object", "properties": {"kind": {"const": f"k{k}"}, "v": {"type": "integer"}},
                                                "required": ["kind", "v"], "additionalProperties": False} for k in range(size)]},
         [{"kind": f"k{k}", "v": k} for k in range(0, size, 2)], [{"kind": f"k{size}", "v": 0}, {"kind": "k0"}, {"kind": "k0", "v": "1"}])

# --- keywords the output satisfies anyway (accepted, not refused) -------------------------------------------------------
case("patternProperties only: {}", {"type": "object", "patternProperties": {"^a": {"type": "integer"}}}, [{}], [{"a": "x"}, []])
case("propertyNames only: {}", {"type": "object", "propertyNames": {"maxLength": 2}}, [{}], [{"abc": 1}, 1])
case("maxProperties met by the listed", {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                         "maxProperties": 2}, [{"a": 1, "b": 2}, {}], [{"a": "x"}])
case("minProperties met by required", {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"], "minProperties": 1},
     [{"a": 1}], [{}])
case("dependentRequired on unlisted", {"type": "object", "properties": {"a": {"type": "integer"}}, "dependentRequired": {"z": ["a"]}},
     [{"a": 1}, {}], [{"a": "1"}])
case("uniqueItems false", {"type": "array", "items": {"type": "integer"}, "uniqueItems": False}, [[1, 1], []], [[1, "1"]])
case("uniqueItems with one item", {"type": "array", "items": {"type": "string"}, "maxItems": 1, "uniqueItems": True}, [["a"], []], [["a", "b"]])
case("multipleOf 1 on integers", {"type": "integer", "multipleOf": 1}, [0, 7, -3], [1.5])
case("array keyword on a string", {"type": "string", "uniqueItems": True, "minContains": 2}, ["x"], [["x"]])
case("non-keywords ignored", {"type": "object", "self": {"vendor": "v"}, "properties": {"a": {"type": "integer", "javaName": "A"}}, "required": ["a"]},
     [{"a": 1}], [{"a": "1"}])
case("non-standard format ignored", {"type": "integer", "format": "int64"}, [1, -9], ["1"])

# --- digit runs bounded at 16 (the engine's output is a subset: the longer ones below are valid but not produced) ---
case("16 digits", {"type": "integer"}, [1234567890123456, -1234567890123456, 0], [{"raw": "012"}, 1.5])
case("16 fraction digits", {"type": "number", "maximum": 10}, [0.1234567890123456, 9.5], [10.5, {"raw": "1."}])

os.makedirs("Tests/Fixtures/grammar", exist_ok=True)
with open("Tests/Fixtures/grammar/conformance.json", "w") as out:
    json.dump({"generator": "scripts/make_grammar_fixtures.py", "jsonschema": jsonschema.__version__ if hasattr(jsonschema, "__version__") else "",
               "cases": cases}, out, ensure_ascii=False, indent=1)
    out.write("\n")
print(f"{len(cases)} schemas, {sum(len(c['valid']) for c in cases)} valid and {sum(len(c['invalid']) for c in cases)} invalid instances")
