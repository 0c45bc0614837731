import Foundation
import HummingbirdTesting
import Testing

@testable import Serve

/// One check of a request's tokens against the context (`RequestLimits`), reported with the field at fault.
@Suite struct RequestLimitsTests {
    let limits = RequestLimits(maxModelLen: 64)

    @Test func edgesOfTheContext() throws {
        #expect(throws: Never.self) { try limits.check(numPromptTokens: 63, maxTokens: 1) }
        #expect(throws: Never.self) { try limits.check(numPromptTokens: 64, maxTokens: 0) }  // echo, nothing generated
        #expect(throws: RequestLimitError.emptyPrompt) { try limits.check(numPromptTokens: 0, maxTokens: 1) }
        #expect(throws: RequestLimitError.promptTooLong(promptTokens: 64, maxModelLen: 64)) {
            try limits.check(numPromptTokens: 64, maxTokens: 1)
        }
        #expect(throws: RequestLimitError.promptTooLong(promptTokens: 65, maxModelLen: 64)) {
            try limits.check(numPromptTokens: 65, maxTokens: 0)
        }
        #expect(throws: RequestLimitError.contextLengthExceeded(promptTokens: 10, maxTokens: 55, maxModelLen: 64)) {
            try limits.check(numPromptTokens: 10, maxTokens: 55)
        }
        // No overflow for a huge budget.
        #expect(throws: RequestLimitError.contextLengthExceeded(promptTokens: 10, maxTokens: .max, maxModelLen: 64)) {
            try limits.check(numPromptTokens: 10, maxTokens: .max)
        }
        #expect(limits.defaultMaxTokens(numPromptTokens: 10) == 54)
        #expect(limits.defaultMaxTokens(numPromptTokens: 64) == 1)
    }

    /// Chat names max_completion_tokens when that is what the client sent, and messages when the prompt alone is too
    /// long; completions name max_tokens and prompt.
    @Test func errorsNameTheFieldTheClientSent() async throws {
        try await withTestClient { client in
            let long = String(repeating: "x", count: 80)
            for (uri, body, param) in [
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":60}"#, "max_completion_tokens"),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":60}"#, "max_tokens"),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"\#(long)"}]}"#, "messages"),
                ("/v1/completions", #"{"prompt":"hi","max_tokens":62}"#, "max_tokens"),
                ("/v1/completions", #"{"prompt":"\#(long)","max_tokens":1}"#, "prompt"),
            ] {
                let response = try await client.post(uri, json: body)
                let error = try expectAPIError(response, .badRequest, param: param)
                #expect(error["code"] as? String == "context_length_exceeded")
                #expect((error["message"] as? String)?.contains("64") == true)
            }
        }
    }
}
