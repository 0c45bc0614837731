import Hummingbird

/// One route a controller serves. Controllers list their endpoints; `buildRouter` registers them
/// and derives the path -> methods table the error middleware uses to answer 405.
struct Endpoint<Context: RequestContext>: Sendable {
    var method: HTTPRequest.Method
    var path: String
    var handler: @Sendable (Request, Context) async throws -> Response
}
