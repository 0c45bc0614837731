import Hummingbird

/// Turns every error leaving a handler (or the router's not-found responder) into an OpenAI-shaped
/// `APIError` response, so clients never see Hummingbird's plain-text errors.
///
/// The router answers a known path with the wrong method as "not found"; `methodsByPath` lets this
/// middleware tell that case apart and answer 405 with an `Allow` header instead.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    var methodsByPath: [String: [HTTPRequest.Method]]

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try apiError(for: error, request: request, context: context).response(from: request, context: context)
        }
    }

    private func apiError(for error: any Error, request: Request, context: Context) -> APIError {
        if let error = error as? APIError { return error }
        guard let error = error as? any HTTPResponseError else {
            context.logger.error("unhandled error: \(error)")
            return .server("Internal error: \(error)")
        }
        switch error.status {
        case .notFound:
            let path = request.uri.path
            if let allowed = methodsByPath[path] {
                return .methodNotAllowed(request.method, path, allowed: allowed)
            }
            return .routeNotFound(request.method, path)
        case .contentTooLarge:
            return .payloadTooLarge(limit: JSONBody.maxBytes)
        default:
            let message = (error as? HTTPError)?.body ?? "\(error.status.code) \(error.status.reasonPhrase)"
            let type = error.status.code >= 500 ? "server_error" : "invalid_request_error"
            return APIError(status: error.status, message: message, type: type)
        }
    }
}
