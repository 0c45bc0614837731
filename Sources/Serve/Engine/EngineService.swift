import ServiceLifecycle

/// The engine as a service of the server's graph (`buildApplication`): it runs as long as the HTTP server does. On
/// graceful shutdown (SIGTERM, SIGINT) new requests get a 503 at once, requests in flight go on for the engine's
/// `shutdownGracePeriod`, and whatever still runs then ends with an error event (`shutting_down`) — never a silent
/// cut, never a hang.
///
/// The HTTP server is shut down before the services listed with it, and it waits for its requests; so the grace
/// period starts from whichever hears of the shutdown first: this service, or a request in flight (`ChoiceStreams`
/// asks the engine to `beginShutdown` when its task is told to shut down).
struct EngineService: Service {
    let engine: LlamaBatchEngine

    func run() async throws {
        try? await gracefulShutdown()
        engine.beginShutdown()
        await engine.exited()
    }
}
