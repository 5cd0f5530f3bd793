// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "nrlhost",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nrlhost", targets: ["nrlhost"]),
        .library(name: "Host", targets: ["Host"]),
        .library(name: "BuiltinRules", targets: ["BuiltinRules"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Lua 5.4 from Debian's liblua5.4-dev, found through pkg-config.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        .target(name: "Host", dependencies: ["CLua"]),
        .target(name: "BuiltinRules", dependencies: ["Host"]),
        .executableTarget(
            name: "nrlhost",
            dependencies: [
                "Host", "BuiltinRules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Locates ../shared (golden data) for the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HostTests", dependencies: ["Host", "CLua", "TestSupport"]),
        .testTarget(name: "BuiltinRulesTests", dependencies: ["BuiltinRules", "Host", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["nrlhost", "Host", "TestSupport"]),
    ]
)
