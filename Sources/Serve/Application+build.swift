import Hummingbird
import Logging
import Prometheus

typealias AppRequestContext = BasicRequestContext

/// The router for `model`: every controller's endpoints behind the OpenAI error middleware.
/// `metrics` is the registry the engine's metrics live in (served at /metrics).
func buildRouter(model: ServedModel, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry())
    -> Router<AppRequestContext>
{
    let endpoints: [Endpoint<AppRequestContext>] =
        HealthController().endpoints
        + ModelsController(model: model).endpoints
        + CompletionsController(model: model).endpoints
        + ChatCompletionsController(model: model).endpoints
        + TokenizeController(model: model).endpoints
        + MetricsController(registry: metrics).endpoints

    var methodsByPath: [String: [HTTPRequest.Method]] = [:]
    for endpoint in endpoints {
        methodsByPath[endpoint.path, default: []].append(endpoint.method)
        if endpoint.method == .get { methodsByPath[endpoint.path]!.append(.head) }
    }

    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Added before the routes: middleware only applies to routes registered after it.
    router.add(middleware: ErrorMiddleware(methodsByPath: methodsByPath))
    for endpoint in endpoints {
        router.on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler)
    }
    return router
}

/// The application serving `model`: the HTTP server and, when given, the engine as a service beside it (what
/// `serve` runs, and what tests run with `.live`). Run it with `runService()`: SIGTERM / SIGINT shut both down
/// gracefully (see `EngineService`). Without `engine` (fake engines in tests) only the HTTP side runs.
func buildApplication(
    model: ServedModel, engine: LlamaBatchEngine? = nil, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    host: String = "127.0.0.1", port: Int = 8080, logger: Logger? = nil
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(model: model, metrics: metrics),
        configuration: .init(address: .hostname(host, port: port), serverName: "swift-llm-serve"),
        services: engine.map { [EngineService(engine: $0)] } ?? [],
        logger: logger)
}
