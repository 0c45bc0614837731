import Hummingbird
import Prometheus

/// `GET /metrics`: everything registered in `registry` (the engine's metrics) in Prometheus' text format.
struct MetricsController<Context: RequestContext> {
    var registry: PrometheusCollectorRegistry

    var endpoints: [Endpoint<Context>] {
        [
            Endpoint(method: .get, path: "/metrics") { _, _ in
                var bytes: [UInt8] = []
                registry.emit(into: &bytes)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        ]
    }
}
