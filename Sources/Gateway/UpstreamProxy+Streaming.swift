import AsyncHTTPClient
import DouyinDiscovery
import DouyinHTTP
import DouyinModels
import DouyinRPC
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// The streaming paths: one instance, one attempt, since a body stream that has
/// started cannot be sent again.
///
/// The client's request body is an iterator over its connection: it has exactly
/// one reader at a time, and none once the request is answered, because
/// Hummingbird then reads on to drain it. The HTTP client is never handed that
/// body: uploads go through a `BodyRelay` fed by a child task of the request;
/// media requests send no body at all.
extension UpstreamProxy {
    /// How long an answered upload waits for its reader to stop: the reader stops at
    /// the client's next chunk. A client that stalls mid-body longer than this has
    /// its read cancelled, and its connection ends after the answer.
    static let readerGrace: Duration = .seconds(2)

    /// `POST /douyin/publish/action/`: the body flows through as it arrives; the answer
    /// (small JSON) is read whole before the request is answered.
    func upload(
        _ request: Request, to service: ServiceName, identity: GatewayIdentity, context: DouyinRequestContext
    ) async throws -> Response {
        let (balancer, instance) = try await pick(service)
        let relay = BodyRelay()
        let length = request.declaredContentLength
        var upstream = upstreamRequest(request, instance: instance, headers: forwardedHeaders(request, identity: identity, context: context))
        upstream.body = .stream(relay, length: length.map { .known(Int64($0)) } ?? .unknown)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Self.read(request.body, declaredLength: length, into: relay) }
            let answer: Result<Response, any Error>
            do {
                answer = .success(try await exchangeWhole(upstream, balancer: balancer, instance: instance, relay: relay, context: context))
            } catch {
                answer = .failure(error)
            }
            // Nothing more goes upstream; the reader gives the body back before we answer.
            relay.abandon()
            group.addTask { try? await Task.sleep(for: Self.readerGrace) }
            _ = try await group.next()
            group.cancelAll()
            return try answer.get()
        }
    }

    /// `GET`/`HEAD` of a media file: no request body goes upstream (the client's, if
    /// any, is drained after the answer); the file streams back.
    func media(_ request: Request, context: DouyinRequestContext) async throws -> Response {
        let (balancer, instance) = try await pick(.video)
        var headers = forwardedHeaders(request, identity: .anonymous, context: context)
        headers.removeAll { Self.bodyHeaders.contains($0.name) }
        let upstream = upstreamRequest(request, instance: instance, headers: headers)
        balancer.begin(instance.id)
        defer { balancer.end(instance.id) }
        do {
            let response = try await client.execute(upstream, deadline: deadline(), logger: context.logger)
            balancer.succeeded(instance.id)
            return Response(
                status: .init(code: Int(response.status.code)),
                headers: Self.responseHeaders(response.headers),
                body: ResponseBody(asyncSequence: response.body)
            )
        } catch {
            throw upstreamFailure(error, balancer: balancer, instance: instance, context: context)
        }
    }

    /// Reads the client's body into the relay until its end, or until nobody wants it.
    private static func read(_ body: RequestBody, declaredLength: Int?, into relay: BodyRelay) async {
        var received = 0
        do {
            for try await chunk in body {
                received += chunk.readableBytes
                guard await relay.send(chunk) else { return }
            }
            // A cut connection ends the body early without an error.
            if let declaredLength, received < declaredLength {
                relay.fail(DouyinError.bodyCutShort)
            } else {
                relay.finish()
            }
        } catch {
            relay.fail(error)
        }
    }

    private func exchangeWhole(
        _ upstream: HTTPClientRequest, balancer: LoadBalancer, instance: ServiceInstance, relay: BodyRelay, context: DouyinRequestContext
    ) async throws -> Response {
        balancer.begin(instance.id)
        defer { balancer.end(instance.id) }
        do {
            let response = try await client.execute(upstream, deadline: deadline(), logger: context.logger)
            let body = try await response.body.collect(upTo: Self.maxBufferedBody)
            balancer.succeeded(instance.id)
            return Response(
                status: .init(code: Int(response.status.code)),
                headers: Self.responseHeaders(response.headers),
                body: ResponseBody(byteBuffer: body)
            )
        } catch {
            // The client went away mid-body: not the instance's fault, and nobody reads the answer.
            if relay.readerFailed { throw DouyinError.bodyCutShort }
            throw upstreamFailure(error, balancer: balancer, instance: instance, context: context)
        }
    }

    private func pick(_ service: ServiceName) async throws -> (LoadBalancer, ServiceInstance) {
        guard let balancer = services[service]?.balancer, let instance = await balancer.pick() else {
            throw DouyinError(.serviceUnavailable, "\(service.rawValue) service unavailable")
        }
        return (balancer, instance)
    }

    private func upstreamRequest(_ request: Request, instance: ServiceInstance, headers: HTTPFields) -> HTTPClientRequest {
        var upstream = HTTPClientRequest(url: "http://\(instance.host):\(instance.httpPort)\(request.uri.string)")
        upstream.method = .init(rawValue: request.method.rawValue)
        upstream.headers = HTTPHeaders(headers.map { ($0.name.rawName, $0.value) })
        return upstream
    }

    private func deadline() -> NIODeadline {
        .now() + .nanoseconds(Int64(streamingTimeout.components.seconds) * 1_000_000_000)
    }

    private func upstreamFailure(_ error: any Error, balancer: LoadBalancer, instance: ServiceInstance, context: DouyinRequestContext) -> DouyinError {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return DouyinError(.deadlineExceeded)
        }
        let service = balancer.service.rawValue
        balancer.eject(instance.id)
        context.logger.warning("upstream failed", metadata: ["service": "\(service)", "error": "\(error)"])
        return DouyinError(.serviceUnavailable, "\(service) service unavailable")
    }

    private static let bodyHeaders: Set<HTTPField.Name> = [.contentLength, .contentType, .contentEncoding]
}
