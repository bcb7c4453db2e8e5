import DouyinHTTP
import DouyinModels
import DouyinRPC
import Foundation
import Hummingbird
import Logging

/// `GET /douyin/openapi.yaml`: the public API as an OpenAPI document, so a client
/// developer can point a generator or a viewer at a running stack.
struct APIDescriptionRoute {
    /// The document's bytes; nil when it was not deployed beside the gateway.
    let document: ByteBuffer?

    /// Reads `openapi.yaml` from `directory` once, at start-up.
    init(directory: String, logger: Logger) {
        let path = "\(directory)/openapi.yaml"
        if let data = FileManager.default.contents(atPath: path) {
            document = ByteBuffer(bytes: data)
        } else {
            logger.warning("API description not found; /douyin/openapi.yaml answers 404", metadata: ["path": "\(path)"])
            document = nil
        }
    }

    func add(to router: Router<DouyinRequestContext>) {
        router.get(RouterPath(Endpoint.descriptionPath)) { [document] _, _ -> Response in
            guard let document else { throw DouyinError(.routeNotFound, "the API description is not deployed") }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: document))
        }
    }
}
