import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

@testable import Serve

/// 127.0.0.1:`port` as a socket address.
private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

/// A port on 127.0.0.1 that nothing listens on (the kernel's pick for a socket bound to port 0).
func freeLocalPort() -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls until a server accepts connections on `port` (up to a minute: a loaded machine starts slowly). Plain
/// sockets, because a TestClient that failed to connect stays failed.
func waitUntilListening(port: Int) async throws -> Bool {
    func acceptsConnections() -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
    for _ in 0..<1200 {
        if acceptsConnections() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}

/// What `serve` runs — `buildApplication` with the engine as a service, metrics included — started on a free local
/// port and listening. The test ends it with `group.triggerGracefulShutdown()`, then awaits `running`.
struct LocalServiceGraph {
    let port: Int
    let engine: LlamaBatchEngine
    let group: ServiceGroup
    let running: Task<Void, any Error>

    static func start(_ config: EngineConfig) async throws -> LocalServiceGraph {
        let registry = PrometheusCollectorRegistry()
        let (model, engine) = try ServedModel.load(
            name: "smol-135m", directory: RealModelTests.weights, engineConfig: config,
            metricsFactory: PrometheusMetricsFactory(registry: registry))
        let port = freeLocalPort()
        let app = buildApplication(model: model, engine: engine, metrics: registry, port: port)
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        #expect(try await waitUntilListening(port: port))
        return LocalServiceGraph(port: port, engine: engine, group: group, running: running)
    }
}
