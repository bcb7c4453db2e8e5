// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// A C library that comes from the system (Debian `-dev` package) through pkg-config.
func systemLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, path: "Sources/CLibraries/\(name)", pkgConfig: pkgConfig, providers: [.apt(apt)])
}

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioLocks = Target.Dependency.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let nioFoundation = Target.Dependency.product(name: "NIOFoundationCompat", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

/// The services allocate through jemalloc (Debian `libjemalloc-dev` to build, `libjemalloc2` to run):
/// every request allocates and frees hundreds of small objects, often on another thread than
/// the one that allocated them, and glibc's allocator spent about a tenth of the gateway's CPU
/// on that (manifest/docs/benchmarks-reading.md). Linked, not preloaded, so every way of
/// starting a service gets it.
let allocator: [LinkerSetting] = [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]

let package = Package(
    name: "douyin-swift",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "douyin-gateway", targets: ["douyin-gateway"]),
        .executable(name: "douyin-auth", targets: ["douyin-auth"]),
        .executable(name: "douyin-user", targets: ["douyin-user"]),
        .executable(name: "douyin-video", targets: ["douyin-video"]),
        .executable(name: "douyin-chat", targets: ["douyin-chat"]),
        .executable(name: "douyin-hello", targets: ["douyin-hello"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C libraries, imported thinly.
        systemLibrary("CLibPQ", pkgConfig: "libpq", apt: ["libpq-dev"]),
        systemLibrary("CHiredis", pkgConfig: "hiredis", apt: ["libhiredis-dev"]),
        systemLibrary("COpenSSL", pkgConfig: "openssl", apt: ["libssl-dev"]),
        systemLibrary(
            "CFFmpeg", pkgConfig: "libavformat",
            apt: ["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libswresample-dev", "libavutil-dev"]
        ),

        // A bounded pool of blocking connections whose work runs off the event loops.
        .target(
            name: "DouyinPool",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Channel handlers shared by the NIO clients and servers.
        .target(
            name: "DouyinNIO",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Wrappers around the C libraries.
        .target(
            name: "DouyinPostgres",
            dependencies: [
                "CLibPQ", "DouyinPool", nioLocks,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DouyinRedis",
            dependencies: [
                "CHiredis", "DouyinPool", "DouyinNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DouyinCrypto",
            dependencies: ["COpenSSL"],
            swiftSettings: swiftSettings
        ),

        .target(name: "DouyinMedia", dependencies: ["CFFmpeg"], swiftSettings: swiftSettings),

        // Wire types and the system-wide error table.
        .target(name: "DouyinModels", dependencies: [httpTypes], swiftSettings: swiftSettings),

        // The shared core, one module per job (the graph is in manifest/docs/architecture.md;
        // Scripts/check-modules.sh fails when a module imports one above it).
        .target(
            name: "DouyinObservability",
            dependencies: [
                "DouyinModels", nioCore, nioPosix, nioLocks, nioFoundation, log, metrics, serviceLifecycle,
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "DouyinCaching", dependencies: [nioLocks, metrics], swiftSettings: swiftSettings),
        .target(
            name: "DouyinDiscovery",
            dependencies: ["DouyinModels", "DouyinRedis", "DouyinObservability", nioLocks, log, serviceLifecycle],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DouyinRPC",
            dependencies: [
                "DouyinModels", "DouyinNIO", "DouyinDiscovery", "DouyinObservability",
                nioCore, nioPosix, nioLocks, nioFoundation, httpTypes, log, metrics, serviceLifecycle,
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DouyinIdentity",
            dependencies: ["DouyinModels", "DouyinCrypto", "DouyinCaching", nioLocks, httpTypes, log],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DouyinHTTP",
            dependencies: [
                "DouyinModels", "DouyinCrypto", "DouyinObservability", "DouyinRPC", "DouyinIdentity", "DouyinCaching",
                hummingbird, hummingbirdCore, nioCore, nioLocks, nioFoundation, nioHTTP1, httpTypes, log, metrics,
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        // Clients of one service's contract that several services share (users, versions, keys).
        .target(
            name: "DouyinClients",
            dependencies: [
                "DouyinModels", "DouyinRedis", "DouyinCaching", "DouyinRPC", "DouyinIdentity", "DouyinHTTP", "DouyinNIO", nioCore, nioPosix,
                nioLocks, log,
            ],
            swiftSettings: swiftSettings
        ),
        // The one WebSocket server setup, for the gateway's proxy and the chat service.
        .target(
            name: "DouyinWebSocket",
            dependencies: [
                "DouyinHTTP", "DouyinHost", hummingbird, hummingbirdCore, nioCore,
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        // The thin host that composes the rest into one process.
        .target(
            name: "DouyinHost",
            dependencies: [
                "DouyinModels", "DouyinPool", "DouyinPostgres", "DouyinRedis", "DouyinObservability", "DouyinDiscovery", "DouyinCaching",
                "DouyinRPC", "DouyinIdentity", "DouyinHTTP", "DouyinClients",
                hummingbird, hummingbirdCore, nioCore, nioPosix, nioLocks, log, metrics, serviceLifecycle,
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),

        // One library per service, so its logic is testable without a process.
        .target(
            name: "AuthService",
            dependencies: [
                "DouyinHost", "DouyinHTTP", "DouyinRPC", "DouyinModels", "DouyinCrypto", "DouyinPostgres", "DouyinRedis",
                hummingbird, nioCore, nioPosix, nioLocks, httpTypes, log, serviceLifecycle,
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "UserService",
            dependencies: [
                "DouyinHost", "DouyinHTTP", "DouyinRPC", "DouyinClients", "DouyinCaching", "DouyinModels", "DouyinPostgres",
                hummingbird,
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VideoService",
            dependencies: [
                "DouyinHost", "DouyinHTTP", "DouyinRPC", "DouyinClients", "DouyinCaching", "DouyinObservability",
                "DouyinModels", "DouyinPostgres", "DouyinMedia", "DouyinCrypto",
                hummingbird, nioCore, nioPosix, nioLocks, nioHTTP1, httpTypes, log, metrics, serviceLifecycle,
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ChatService",
            dependencies: [
                "DouyinHost", "DouyinHTTP", "DouyinRPC", "DouyinClients", "DouyinModels", "DouyinPostgres", "DouyinRedis",
                "DouyinWebSocket", hummingbird, nioLocks, log, serviceLifecycle,
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "DouyinHost", "DouyinHTTP", "DouyinRPC", "DouyinDiscovery", "DouyinIdentity", "DouyinObservability",
                "DouyinModels", "DouyinCrypto", "DouyinWebSocket", "DouyinNIO", "DouyinClients", "DouyinCaching",
                .product(name: "Metrics", package: "swift-metrics"),
                hummingbird, hummingbirdCore, nioCore, nioPosix, nioLocks, nioHTTP1, httpTypes, log,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),

        // Thin executables: read config, start.
        .executableTarget(name: "douyin-gateway", dependencies: ["Gateway"], swiftSettings: swiftSettings, linkerSettings: allocator),
        .executableTarget(name: "douyin-auth", dependencies: ["AuthService"], swiftSettings: swiftSettings, linkerSettings: allocator),
        .executableTarget(name: "douyin-user", dependencies: ["UserService"], swiftSettings: swiftSettings, linkerSettings: allocator),
        .executableTarget(name: "douyin-video", dependencies: ["VideoService"], swiftSettings: swiftSettings, linkerSettings: allocator),
        .executableTarget(name: "douyin-chat", dependencies: ["ChatService"], swiftSettings: swiftSettings, linkerSettings: allocator),
        // The bare baseline that Scripts/bench.sh measures beside the stack.
        .executableTarget(
            name: "douyin-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/douyin-hello",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "DouyinPostgresTests", dependencies: ["DouyinPostgres", "DouyinTestSupport"]),
        .testTarget(name: "DouyinRedisTests", dependencies: ["DouyinRedis", "DouyinTestSupport"]),
        .testTarget(name: "DouyinCryptoTests", dependencies: ["DouyinCrypto"]),
        .testTarget(name: "DouyinMediaTests", dependencies: ["DouyinMedia"]),
        .testTarget(name: "DouyinPoolTests", dependencies: ["DouyinPool"]),
        .testTarget(
            name: "DouyinNIOTests",
            dependencies: ["DouyinNIO", .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(name: "DouyinModelsTests", dependencies: ["DouyinModels", "DouyinRPC", nioCore, httpTypes]),
        .testTarget(name: "DouyinObservabilityTests", dependencies: ["DouyinObservability", "DouyinModels", log, nioPosix]),
        .testTarget(
            name: "DouyinCachingTests", dependencies: ["DouyinCaching", "DouyinClients", "DouyinModels", "DouyinNIO", nioCore, nioPosix, nioLocks]
        ),
        .testTarget(
            name: "DouyinDiscoveryTests",
            dependencies: ["DouyinDiscovery", "DouyinModels", "DouyinRedis", "DouyinTestSupport", log, serviceLifecycle]
        ),
        .testTarget(
            name: "DouyinRPCTests",
            dependencies: [
                "DouyinRPC", "DouyinDiscovery", "DouyinHTTP", "DouyinIdentity", "DouyinModels", "DouyinObservability",
                hummingbird, nioCore, nioPosix, nioLocks, httpTypes, .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DouyinHTTPTests",
            dependencies: [
                "DouyinHTTP", "DouyinIdentity", "DouyinModels", "DouyinRPC", "DouyinObservability", "DouyinTestSupport",
                hummingbird, hummingbirdCore, nioCore, nioPosix, httpTypes, log,
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "DouyinHostTests",
            dependencies: ["DouyinHost", "DouyinModels", "DouyinPool", "DouyinPostgres", "DouyinTestSupport", nioCore, nioPosix, nioLocks, serviceLifecycle, log]
        ),
        .testTarget(
            name: "UserServiceTests",
            dependencies: [
                "UserService", "DouyinCaching", "DouyinClients", "DouyinHTTP", "DouyinModels", "DouyinTestSupport", log, nioLocks,
            ]
        ),
        .testTarget(name: "ChatServiceTests", dependencies: ["ChatService", "DouyinHTTP", "DouyinModels", "DouyinTestSupport", nioLocks]),
        .testTarget(name: "AuthServiceTests", dependencies: ["AuthService", "DouyinCrypto", "DouyinModels", "DouyinTestSupport", log, nioLocks]),
        .testTarget(name: "ServiceIntegrationTests", dependencies: ["AuthService", "ChatService", "UserService", "VideoService", "DouyinTestSupport"]),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "DouyinCrypto", "DouyinHTTP", "DouyinIdentity", "DouyinModels", "DouyinRPC", "DouyinTestSupport",
                "DouyinClients",
                hummingbird, nioCore, nioPosix, nioLocks, nioHTTP1, httpTypes, log,
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "VideoServiceTests",
            dependencies: [
                "VideoService", "DouyinTestSupport", "DouyinCaching", "DouyinClients", "DouyinHTTP", "DouyinModels", log, nioCore,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "DouyinTestSupport", "DouyinMedia",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .target(
            name: "DouyinTestSupport",
            dependencies: [
                "DouyinModels", "DouyinHost", "DouyinHTTP", "DouyinRPC", "DouyinClients", "DouyinPostgres", "DouyinRedis", "DouyinCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            path: "Tests/DouyinTestSupport"
        ),
    ]
)
