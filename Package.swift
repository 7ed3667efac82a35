// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "atom-shipper",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "atom-shipper", targets: ["atom-shipper"]),
        .library(name: "AtomSDK", targets: ["AtomSDK"]),
    ],
    targets: [
        // System libraries from Debian's -dev packages (scripts/setup.sh installs them).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CIsal", path: "Sources/CIsal"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CSystem", path: "Sources/CSystem"),
        // Not a library: SSE2 byte scanning in inline C, which Swift's SIMD types compile poorly.
        .systemLibrary(name: "CByteScan", path: "Sources/CByteScan"),

        .target(name: "AtomBase", dependencies: ["CSystem", "CByteScan"], swiftSettings: strict),
        .target(name: "AtomSDK", dependencies: ["AtomBase", "CCrypto", "CCurl", "CZlib"], swiftSettings: strict),
        .target(name: "LogTail", dependencies: ["AtomBase", "CIsal", "CSQLite", "CCrypto"], swiftSettings: strict),
        .target(name: "StreamMapping", dependencies: ["AtomBase", "CPCRE2", "CCrypto"], swiftSettings: strict),
        .target(
            name: "Shipper",
            dependencies: ["AtomBase", "AtomSDK", "LogTail", "StreamMapping", "CZlib"],
            swiftSettings: strict
        ),
        .executableTarget(name: "atom-shipper", dependencies: ["Shipper"], swiftSettings: strict),
        // Benchmarks/parsers.py runs it: one parser on one file, line bytes to encoded events.
        .executableTarget(
            name: "parser-bench", dependencies: ["Shipper", "LogTail", "StreamMapping", "AtomBase"],
            path: "Benchmarks/ParserBench", swiftSettings: strict
        ),
        .executableTarget(
            name: "atom-sdk-example", dependencies: ["AtomSDK"], path: "Examples/SDKExample",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "atom-sdk-bench", dependencies: ["AtomSDK", "AtomBase"], path: "Benchmarks/SDKBench",
            swiftSettings: strict
        ),

        .target(
            name: "TestSupport", dependencies: ["AtomBase", "CCrypto"], path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "AtomBaseTests", dependencies: ["AtomBase"], swiftSettings: strict),
        .testTarget(
            name: "AtomSDKTests", dependencies: ["AtomSDK", "TestSupport", "CZlib", "atom-sdk-example"],
            swiftSettings: strict
        ),
        .testTarget(name: "LogTailTests", dependencies: ["LogTail", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "StreamMappingTests", dependencies: ["StreamMapping", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ShipperTests",
            dependencies: ["Shipper", "TestSupport", "atom-shipper"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
