import Testing

@testable import Serve

/// `StopStringMatcher` with literal values: hold-back, matches across chunks, earliest match wins.
@Suite struct EngineStopStringTests {
    @Test func noStopStringsPassesThrough() {
        var matcher = StopStringMatcher(stopStrings: [])
        #expect(matcher.append("Hello") == ("Hello", false))
        #expect(matcher.flush() == "")
    }

    @Test func holdsBackAPossiblePrefix() {
        var matcher = StopStringMatcher(stopStrings: ["\n\n"])
        #expect(matcher.append("Hello\n") == ("Hello", false))
        #expect(matcher.append("world") == ("\nworld", false))
        #expect(matcher.append("!\n") == ("!", false))
        #expect(matcher.flush() == "\n")
    }

    @Test func matchAcrossChunks() {
        var matcher = StopStringMatcher(stopStrings: ["STOP"])
        #expect(matcher.append("abc ST") == ("abc ", false))
        #expect(matcher.append("O") == ("", false))
        #expect(matcher.append("Pxyz") == ("", true))
    }

    @Test func matchInsideOneChunkCutsBeforeIt() {
        var matcher = StopStringMatcher(stopStrings: ["lo"])
        #expect(matcher.append("Hello world") == ("Hel", true))
    }

    @Test func earliestOfSeveralStopStrings() {
        var matcher = StopStringMatcher(stopStrings: ["world", "o w", ""])
        #expect(matcher.append("Hello world") == ("Hell", true))
    }

    @Test func longestHeldPrefixAmongSeveral() {
        var matcher = StopStringMatcher(stopStrings: ["ab", "xabc"])
        // "xab" could still become "xabc"; "ab" already matched inside it.
        #expect(matcher.append("1xa") == ("1", false))
        #expect(matcher.append("b") == ("x", true))
    }

    @Test func multiByteCharactersAreNeverSplit() {
        var matcher = StopStringMatcher(stopStrings: ["é!"])
        #expect(matcher.append("café") == ("caf", false))
        #expect(matcher.append("?") == ("é?", false))
        #expect(matcher.append("é") == ("", false))
        #expect(matcher.append("!") == ("", true))
    }
}
