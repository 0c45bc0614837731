import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Serve

/// Runs `test` against the router of an app serving `model`, without sockets.
func withTestClient(
    model: ServedModel = .fake(), _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let app = buildApplication(model: model)
    try await app.test(.router, test)
}

extension TestClientProtocol {
    /// POST `json` (a literal string, sent as is) with a JSON content type.
    func post(_ uri: String, json: String, contentType: String = "application/json") async throws -> TestResponse {
        try await execute(
            uri: uri, method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: json))
    }
}

extension TestResponse {
    /// The body parsed as a JSON object.
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8))
        return try #require(object as? [String: Any], "body is not a JSON object: \(String(buffer: body))")
    }
}

/// A `usage` object's counts, nested details flattened: "prompt_tokens_details.cached_tokens".
func usageCounts(_ usage: Any?) -> [String: Int]? {
    guard let usage = usage as? [String: Any] else { return nil }
    var counts: [String: Int] = [:]
    for (key, value) in usage {
        if let details = value as? [String: Int] {
            for (detail, count) in details { counts[key + "." + detail] = count }
        } else if let count = value as? Int {
            counts[key] = count
        } else {
            return nil
        }
    }
    return counts
}

/// Asserts `response` is an OpenAI-shaped error with `status`; returns its `error` object.
@discardableResult
func expectAPIError(
    _ response: TestResponse, _ status: HTTPResponse.Status, param: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [String: Any] {
    #expect(response.status == status, "body: \(String(buffer: response.body))", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let json = try response.json()
    let error = try #require(json["error"] as? [String: Any], sourceLocation: sourceLocation)
    #expect(Set(error.keys) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
    let message = try #require(error["message"] as? String, sourceLocation: sourceLocation)
    #expect(!message.isEmpty, sourceLocation: sourceLocation)
    #expect(error["type"] is String, sourceLocation: sourceLocation)
    if let param {
        #expect(error["param"] as? String == param, "error: \(error)", sourceLocation: sourceLocation)
    }
    return error
}

extension TestResponse {
    /// The JSON objects of a server-sent-events body, after checking its framing: 200,
    /// `text/event-stream`, every event `data: {json}\n\n`, the last one `data: [DONE]\n\n`.
    func sseEvents(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        #expect(status == .ok, "body: \(String(buffer: body))", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "text/event-stream", sourceLocation: sourceLocation)
        #expect(headers[.cacheControl] == "no-cache", sourceLocation: sourceLocation)
        let text = String(buffer: body)
        #expect(text.hasSuffix("data: [DONE]\n\n"), "body: \(text)", sourceLocation: sourceLocation)
        var parts = text.components(separatedBy: "\n\n")
        #expect(parts.last == "", sourceLocation: sourceLocation)
        parts.removeLast()
        #expect(parts.last == "data: [DONE]", sourceLocation: sourceLocation)
        parts.removeLast()
        return try parts.map { part in
            #expect(part.hasPrefix("data: {"), "event: \(part)", sourceLocation: sourceLocation)
            let object = try JSONSerialization.jsonObject(with: Data(part.dropFirst(6).utf8))
            return try #require(object as? [String: Any], sourceLocation: sourceLocation)
        }
    }
}

/// `json` with the response's choices (there must be some).
func choices(_ json: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    try #require(json["choices"] as? [[String: Any]], "json: \(json)", sourceLocation: sourceLocation)
}

extension EngineConfig {
    /// The defaults with a lazily mapped KV pool: dozens of engines start in parallel here, and mapping each one's
    /// whole pool up front (the default, KVCacheTests and ServiceGraphTests cover it) only slows them down.
    static var forTests: EngineConfig {
        var config = EngineConfig()
        config.kvCachePrefault = false
        return config
    }
}
