import Foundation
import Hummingbird

/// An error returned to the client in OpenAI's shape:
/// `{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`.
struct APIError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    /// The request field the error is about, when there is one (e.g. "max_tokens").
    var param: String?
    var code: String?
    var headers: HTTPFields = [:]

    init(
        status: HTTPResponse.Status, message: String, type: String = "invalid_request_error",
        param: String? = nil, code: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = try JSONEncoder.forResponses().encode(Envelope(error: self))
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }

    static func modelNotFound(_ requested: String, served: String) -> APIError {
        APIError(
            status: .notFound,
            message: "The model '\(requested)' does not exist; this server serves '\(served)'.",
            param: "model", code: "model_not_found")
    }

    static func routeNotFound(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        APIError(status: .notFound, message: "No route for \(method.rawValue) \(path).", code: "not_found")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String, allowed: [HTTPRequest.Method]) -> APIError {
        let names = allowed.map(\.rawValue).sorted()
        var error = APIError(
            status: .methodNotAllowed,
            message: "Method \(method.rawValue) is not allowed on \(path); use \(names.joined(separator: " or ")).",
            code: "method_not_allowed")
        error.headers[.allow] = names.joined(separator: ", ")
        return error
    }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, message: "Request body exceeds the limit of \(limit) bytes.",
            code: "payload_too_large")
    }

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(
            status: .unsupportedMediaType,
            message: "Content-Type '\(contentType)' is not supported; send 'application/json'.",
            code: "unsupported_media_type")
    }

    static func server(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error")
    }
}

extension APIError {
    /// `{"error": {...}}`: the response body, and the last event of a stream that failed.
    var body: some Encodable { Envelope(error: self) }

    /// The JSON body; `param` and `code` are written as explicit nulls, as OpenAI does.
    private struct Envelope: Encodable {
        var error: APIError

        enum CodingKeys: String, CodingKey { case error }
        enum ErrorKeys: String, CodingKey { case message, type, param, code }

        func encode(to encoder: any Encoder) throws {
            var outer = encoder.container(keyedBy: CodingKeys.self)
            var inner = outer.nestedContainer(keyedBy: ErrorKeys.self, forKey: .error)
            try inner.encode(error.message, forKey: .message)
            try inner.encode(error.type, forKey: .type)
            try inner.encode(error.param, forKey: .param)
            try inner.encode(error.code, forKey: .code)
        }
    }
}
