import Foundation
import Hummingbird

/// Reads a request body as JSON into a typed request, turning every way it can go wrong into a
/// 4xx `APIError` that names the offending field.
enum JSONBody {
    /// Largest accepted request body (8 MiB).
    static let maxBytes = 8 * 1024 * 1024
    /// Deepest accepted nesting of arrays and objects; no request needs more than a few levels.
    static let maxDepth = 64

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try await decodeWithBody(type, from: request).value
    }

    /// `decode`, also returning the body's bytes (for a field whose exact text matters, see `RawJSON`).
    static func decodeWithBody<T: Decodable>(_ type: T.Type, from request: Request) async throws -> (value: T, body: Data) {
        try checkContentType(request.headers[.contentType])
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: maxBytes)
        }
        guard buffer.readableBytes > 0 else {
            throw APIError.invalidRequest("Request body is empty; expected a JSON object.")
        }
        let data = Data(buffer.readableBytesView)
        // JSON text is UTF-8 (RFC 8259); Foundation would quietly turn bad bytes inside strings into U+FFFD.
        guard String(validating: data, as: UTF8.self) != nil else {
            throw APIError.invalidRequest("Request body is not valid UTF-8.")
        }
        try checkNesting(data)
        do {
            return (try JSONDecoder().decode(T.self, from: data), data)
        } catch let error as DecodingError {
            // Foundation reports a fractional or out-of-range number for an integer field as
            // "not valid JSON" without a coding path; say what is actually wrong.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
            {
                throw APIError.invalidRequest(
                    "Request body has a number that does not fit its field: integer fields "
                        + "(max_tokens, token ids) must be whole numbers within 64-bit range.")
            }
            throw apiError(for: error)
        }
    }

    /// 400 when arrays and objects nest deeper than `maxDepth`, checked before parsing so a hostile body
    /// cannot make the parser recurse deeply. Brackets inside strings do not count.
    static func checkNesting(_ data: Data) throws(APIError) {
        var depth = 0
        var isInString = false
        var isEscaped = false
        for byte in data {
            if isInString {
                if isEscaped {
                    isEscaped = false
                } else if byte == UInt8(ascii: "\\") {
                    isEscaped = true
                } else if byte == UInt8(ascii: "\"") {
                    isInString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): isInString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= maxDepth else {
                    throw APIError.invalidRequest("Request body nests arrays and objects deeper than \(maxDepth) levels.")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }

    /// Accepts JSON, and no Content-Type at all. `application/x-www-form-urlencoded` is accepted too
    /// because it is what `curl -d` sends by default; the body is still parsed as JSON.
    static func checkContentType(_ contentType: String?) throws {
        guard let contentType else { return }
        let mediaType = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        let accepted =
            mediaType == "application/json" || mediaType.hasSuffix("+json")
            || mediaType == "application/x-www-form-urlencoded"
        guard accepted else { throw APIError.unsupportedMediaType(contentType) }
    }

    static func apiError(for error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            let param = fieldPath(context.codingPath + [key])
            return .invalidRequest("Missing required parameter '\(param)'.", param: param)
        case .typeMismatch(_, let context):
            if context.codingPath.isEmpty {
                return .invalidRequest("Request body must be a JSON object.")
            }
            let param = fieldPath(context.codingPath)
            return .invalidRequest("Invalid type for '\(param)': \(context.debugDescription)", param: param)
        case .valueNotFound(_, let context):
            let param = fieldPath(context.codingPath)
            return .invalidRequest("Parameter '\(param)' must not be null.", param: param)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .invalidRequest("Request body is not valid JSON.")
            }
            let param = fieldPath(context.codingPath)
            return .invalidRequest("Invalid value for '\(param)': \(context.debugDescription)", param: param)
        @unknown default:
            return .invalidRequest("Invalid request body: \(error)")
        }
    }

    /// `["prompt", 3]` -> "prompt[3]".
    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

extension JSONEncoder {
    /// The encoder of every response body. Keys sorted: Foundation's order is otherwise arbitrary, even from one
    /// chunk of a stream to the next, which makes `curl -N` output hard to read and responses impossible to diff.
    static func forResponses() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}

extension Encodable {
    /// This value as a JSON response.
    func jsonResponse(status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder.forResponses().encode(self)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
