import XCTest
@testable import Tokenizer

/// JSON decoded straight into template values (object key order is not preserved, so fixture
/// contexts never iterate over objects).
struct JSONTemplateValue: Decodable {
    var value: JinjaValue

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            var dictionary = JinjaDictionary()
            for key in object.allKeys { dictionary[key.stringValue] = try object.decode(JSONTemplateValue.self, forKey: key).value }
            value = .dictionary(dictionary)
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JinjaValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONTemplateValue.self).value) }
            value = .list(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { value = .none }
        else if let flag = try? single.decode(Bool.self) { value = .boolean(flag) }
        else if let number = try? single.decode(Int.self) { value = .integer(number) }
        else if let number = try? single.decode(Double.self) { value = .float(number) }
        else { value = .string(try single.decode(String.self)) }
    }
}

final class ChatTemplateTests: XCTestCase {
    struct JinjaCase: Decodable {
        var name: String
        var template: String
        var context: [String: JSONTemplateValue]
        var rendered: String?
        var error: String?
    }

    func render(_ template: String, _ context: [String: JinjaValue] = [:]) throws -> String {
        try ChatTemplate(template).render(context: context)
    }

    /// Templates rendered by transformers' Jinja environment (scripts/make_tokenizer_fixtures.py).
    func testFixturesMatchJinja() throws {
        let cases = try loadFixture([JinjaCase].self, "tokenizer_jinja.json")
        XCTAssertGreaterThan(cases.count, 10)
        for testCase in cases {
            let context = testCase.context.mapValues(\.value)
            if let expected = testCase.rendered {
                XCTAssertEqual(try render(testCase.template, context), expected, testCase.name)
            } else {
                XCTAssertThrowsError(try render(testCase.template, context), testCase.name) { error in
                    XCTAssertEqual(error as? TokenizerError, .templateError(testCase.error ?? ""), testCase.name)
                }
            }
        }
    }

    func testOutputAndConcatenation() throws {
        XCTAssertEqual(try render("a{{ 'b' + 'c' }}{{ 1 ~ 'd' }}"), "abc1d")
        XCTAssertEqual(try render("{{ x.y }}-{{ x['y'] }}", ["x": .dictionary(["y": .string("z")])]), "z-z")
        XCTAssertEqual(try render("{{ true }} {{ none }} {{ [1, 'a'] }}"), "True None [1, 'a']")
    }

    func testLoopVariables() throws {
        let template = "{% for c in ['a', 'b', 'c'] %}{{ loop.index0 }}{{ loop.index }}{{ c }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %} {% endfor %}"
        XCTAssertEqual(try render(template), "01aF 12b 23cL ")
    }

    func testIfElifElse() throws {
        let template = "{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}"
        XCTAssertEqual(try render(template, ["n": .integer(1)]), "one")
        XCTAssertEqual(try render(template, ["n": .integer(2)]), "two")
        XCTAssertEqual(try render(template, ["n": .integer(5)]), "many")
    }

    func testWhitespaceControl() throws {
        XCTAssertEqual(try render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc")
        // trim_blocks drops the newline after a block tag; lstrip_blocks drops indentation before it.
        XCTAssertEqual(try render("x\n  {% if true %}\ny\n  {% endif %}\nz"), "x\ny\nz")
        XCTAssertEqual(try render("{{ 'a' }}\nb"), "a\nb", "expression tags keep their newline")
    }

    func testFiltersAndTests() throws {
        XCTAssertEqual(try render("{{ ' x ' | trim | upper }}{{ [1, 2] | length }}{{ 'AB' | lower }}"), "X2ab")
        XCTAssertEqual(try render("{{ x is defined }}{{ y is not defined }}{{ 'a' in ['a'] }}", ["x": .integer(1)]), "TrueTrueTrue")
    }

    func testSetAndNamespace() throws {
        XCTAssertEqual(try render("{% set a = 'v' %}{{ a }}"), "v")
        XCTAssertEqual(try render("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"), "6")
    }

    func testErrorsAreTemplateErrors() {
        let broken = [
            "{% for x in %}", "{{ 'unterminated }}", "{% if x %}no end", "{{ x | nosuchfilter }}",
            "{% macro m() %}{% endmacro %}", "{{ 1 + }}", "{% endfor %}", "{{ a.b.c }}", "{{ 'a' + 1 }}", "{{ @ }}",
            "{% break %}", "{{ 9223372036854775807 + 1 }}", "{{ range(9223372036854775807) }}", "{% set x.y = 1 %}",
        ]
        for template in broken {
            XCTAssertThrowsError(try render(template), template) { error in
                guard case TokenizerError.templateError = error else { return XCTFail("\(template): \(error)") }
            }
        }
        XCTAssertThrowsError(try render("{{ raise_exception('bad role') }}")) { error in
            XCTAssertEqual(error as? TokenizerError, .templateError("bad role"))
        }
    }
}

extension JinjaDictionary: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JinjaValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}
