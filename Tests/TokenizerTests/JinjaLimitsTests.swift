import Foundation
import XCTest
@testable import Tokenizer

/// Every bound in `JinjaLimits` turns a runaway template into a `TokenizerError.templateError` naming the limit.
final class JinjaLimitsTests: XCTestCase {
    private func render(_ source: String, messages: [ChatMessage] = []) throws -> String {
        try ChatTemplate(source).render(messages: messages, addGenerationPrompt: false, specialTokens: [:])
    }

    /// Asserts that parsing or rendering `source` throws a template error containing `message`.
    private func assertLimit(_ source: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try render(source), file: file, line: line) { error in
            guard case .templateError(let text) = error as? TokenizerError else {
                return XCTFail("not a template error: \(error)", file: file, line: line)
            }
            XCTAssertTrue(text.contains(message), "\(text)", file: file, line: line)
        }
    }

    func testNestingDepth() throws {
        let limit = JinjaLimits.maxNestingDepth
        assertLimit("{{ " + String(repeating: "(", count: limit) + "1" + String(repeating: ")", count: limit) + " }}",
                    "limit of \(limit) levels of nested blocks and expressions")
        // 10,000 parentheses (20 KB) overflowed the 8 MB stack before the limit; now parsing stops at the limit.
        assertLimit("{{ " + String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000) + " }}", "levels of nested blocks")
        // Long operator chains nest the tree as deeply as parentheses do (and used to overflow the stack).
        assertLimit("{{ 1" + String(repeating: " + 1", count: 100_000) + " }}", "levels of nested blocks")
        assertLimit("{{ x" + String(repeating: "|trim", count: 1_000) + " }}", "levels of nested blocks")
        assertLimit("{{ " + String(repeating: "not ", count: 1_000) + "x }}", "levels of nested blocks")
        assertLimit(String(repeating: "{% if true %}", count: limit) + String(repeating: "{% endif %}", count: limit), "levels of nested blocks")
        // Well inside the limit, and SmolLM2's template, still work.
        XCTAssertEqual(try render("{{ " + String(repeating: "(", count: 20) + "1" + String(repeating: ")", count: 20) + " }}"), "1")
        XCTAssertEqual(try render("{{ 1" + String(repeating: " + 1", count: 40) + " }}"), "41")
    }

    func testLoopIterations() throws {
        assertLimit("{% for i in range(100000) %}{% for j in range(2) %}{% endfor %}{% endfor %}",
                    "limit of \(JinjaLimits.maxLoopIterations) loop iterations")
        assertLimit("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
                    "loop iterations")
    }

    func testEvaluationSteps() throws {
        assertLimit("{% for i in range(50000) %}{{ i" + String(repeating: " + i", count: 20) + " }}{% endfor %}",
                    "limit of \(JinjaLimits.maxSteps) evaluation steps")
    }

    func testStringRepetitionIsCheckedBeforeBuilding() throws {
        assertLimit("{{ 'a' * 1000000000 }}", "string repetition of 1 bytes × 1000000000 exceeds the limit of \(JinjaLimits.maxStringBytes) bytes")
        assertLimit("{{ 'ab' * 9223372036854775807 }}", "string repetition")
        XCTAssertEqual(try render("{{ 'ab' * 3 }}{{ 'x' * -2 }}"), "ababab")
    }

    func testRangeSize() throws {
        assertLimit("{{ range(1000001) | length }}", "exceeds the limit of \(JinjaLimits.maxListItems) items in a list")
        assertLimit("{{ range(-9223372036854775807, 9223372036854775807) }}", "items in a list")
        // Steps that would carry past Int.max end the range instead of trapping.
        XCTAssertEqual(try render("{{ range(9223372036854775806, 9223372036854775807, 4611686018427387904) }}"), "[9223372036854775806]")
        XCTAssertEqual(try render("{{ range(5, 0, -2) }}|{{ range(3) }}|{{ range(2, 2) }}"), "[5, 3, 1]|[0, 1, 2]|[]")
    }

    func testStringSizeFromDoublingAndConcatenation() throws {
        assertLimit("{{ ('a' * 10000000) ~ ('a' * 10000000) }}", "limit of \(JinjaLimits.maxStringBytes) bytes in a string")
        assertLimit("{{ ('a' * 10000000) + ('a' * 10000000) }}", "bytes in a string")
        // Doubling in a loop runs into the string or the work limit, whichever comes first.
        assertLimit("{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "exceeds the limit of")
    }

    func testOutputSize() throws {
        assertLimit("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "bytes in a string")
    }

    func testReplaceJoinAndSplitAreCheckedBeforeBuilding() throws {
        assertLimit("{{ ('a' * 100000).replace('a', 'b' * 100000) }}", "bytes in a string")
        assertLimit("{{ range(100000) | join('x' * 100000) }}", "bytes in a string")
        assertLimit("{{ ('a,' * 1000001).split(',') | length }}", "items in a list")
        assertLimit("{{ 'abc'.split('') }}", "split() separator cannot be empty")
        XCTAssertEqual(try render("{{ 'a-b'.replace('-', '--') }}|{{ ['a', 'b'] | join(', ') }}|{{ 'a,b'.split(',') }}"), "a--b|a, b|['a', 'b']")
    }

    func testBytesProcessed() throws {
        // Each iteration compares two 1 MB strings: cheap to write, 2 MB of work each time.
        assertLimit("{% set a = 'x' * 1000000 %}{% set b = 'x' * 1000000 %}{% for i in range(1000) %}{% if a == b %}{% endif %}{% endfor %}",
                    "limit of \(JinjaLimits.maxBytesProcessed) bytes of strings and lists processed")
        // Iterating a string splits all of it, however early the loop breaks.
        assertLimit("{% set a = 'x' * 1000000 %}{% for i in range(1000) %}{% for c in a %}{% break %}{% endfor %}{% endfor %}",
                    "bytes of strings and lists processed")
        // Indexing a string walks it.
        assertLimit("{% set a = 'x' * 1000000 %}{% for i in range(1000) %}{{ a[i] }}{% endfor %}", "bytes of strings and lists processed")
        // A list holding one long string many times prints as the sum of them.
        assertLimit("{% set a = 'x' * 10000000 %}{{ [a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a] }}",
                    "bytes of strings and lists processed")
    }

    func testValueDepth() throws {
        assertLimit("{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
                    "limit of \(JinjaLimits.maxValueDepth) levels of nested lists, dictionaries and namespaces")
        assertLimit("{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = {'k': ns.x} %}{% endfor %}", "levels of nested lists")
    }

    /// Chains of namespaces would be freed recursively, one stack frame per link, and cycles never: a namespace
    /// may not hold one, however it is put there.
    func testNamespacesCannotHoldNamespaces() throws {
        let message = "a namespace attribute cannot hold a namespace"
        assertLimit("{% set ns = namespace(x=none) %}{% for i in range(100000) %}{% set ns.x = namespace(next=ns.x) %}{% endfor %}", message)
        assertLimit("{% set ns = namespace() %}{% set ns.me = ns %}", message)
        assertLimit("{% set ns = namespace() %}{% set ns.items = [1, {'a': ns}] %}", message)
        assertLimit("{% set head = namespace() %}{% set ns = namespace(tail=head) %}", message)
        // Namespaces in lists, and plain values in namespaces, are fine.
        XCTAssertEqual(try render("{% set a = namespace(n=1) %}{% set ns = namespace(l=[1, 'x']) %}{% set ns.l = ns.l + [2] %}{{ ns.l }}{{ [a, a]|length }}"),
                       "[1, 'x', 2]2")
    }

    /// Lists that share one sublist many times over grow exponentially in size, not in memory: measuring them
    /// stops at the budget instead of walking 2^40 paths.
    func testSharedSublistsAreMeasuredWithinTheBudget() throws {
        assertLimit("{% set ns = namespace(x=[1]) %}{% for i in range(40) %}{% set ns.x = [ns.x, ns.x, ns.x, ns.x] %}{% endfor %}",
                    "bytes of strings and lists processed")
    }

    func testTojsonIndent() throws {
        assertLimit("{{ [1] | tojson(1000000000) }}", "tojson indent 1000000000 exceeds the limit of 64")
        // Python's json.dumps treats a negative indent as 0 (this used to trap on a negative repeat count).
        XCTAssertEqual(try render("{{ [1, 2] | tojson(-1) }}"), "[\n1,\n2\n]")
    }

    func testIntegerEdgeCasesDoNotTrap() throws {
        XCTAssertEqual(try render("{{ (-9223372036854775807 - 1) is divisibleby(-1) }}"), "True")
        assertLimit("{{ 9223372036854775807 + 1 }}", "integer overflow")
        assertLimit("{{ (-9223372036854775807 - 1) // -1 }}", "integer overflow")
        XCTAssertEqual(try render("{{ (-9223372036854775807 - 1) % -1 }}|{{ -7 // 2 }}|{{ -7 % 2 }}"), "0|-4|1")
    }

    /// `strftime_now` formats the clock once per render (it cost tens of µs per `%` code per call, so a loop over a
    /// long format could run for minutes inside every other bound).
    func testStrftimeNowIsCheapAndCorrect() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM"
        XCTAssertEqual(try render("{{ strftime_now('%Y-%m') }}|{{ strftime_now('%% %Q 100%') }}"), formatter.string(from: Date()) + "|% %Q 100%")
        let start = Date()
        XCTAssertThrowsError(try render("{% set f = '%d' * 2000 %}{% for i in range(100000) %}{{ strftime_now(f) }}{% endfor %}"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    /// SmolLM2's template over a long conversation stays far inside every bound.
    func testRealTemplateOverALongConversation() throws {
        let tokenizer = try loadRealTokenizer()
        let messages = (0..<2_000).map { ChatMessage(role: $0 % 2 == 0 ? "user" : "assistant", content: String(repeating: "word ", count: 200)) }
        let text = try tokenizer.applyChatTemplate(messages, addGenerationPrompt: true)
        XCTAssertGreaterThan(text.utf8.count, 2_000_000)
    }
}
