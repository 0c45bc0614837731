import Hummingbird

/// `GET /health`: 200 once the model is loaded (the server only listens after that).
struct HealthController<Context: RequestContext> {
    var endpoints: [Endpoint<Context>] {
        [Endpoint(method: .get, path: "/health") { _, _ in Response(status: .ok) }]
    }
}
