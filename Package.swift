// swift-tools-version:5.9
import PackageDescription

// The training step passes random generators held by classes `inout`; Swift's run-time exclusivity
// checks on those accesses cost ~5% of an NRL step. Our own code is the only caller (scripts never
// reach these), so the checks are compiled out of the numeric targets.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

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
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Lua 5.4 from Debian's liblua5.4-dev, found through pkg-config.
        .systemLibrary(
            name: "CLua",
            path: "Sources/CLua/System",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // The C shim between Lua and Swift: allocator and limits, the trampoline, the sandbox functions.
        .target(name: "CLuaShim", dependencies: ["CLua"], path: "Sources/CLua/Shim"),
        .target(name: "Host", dependencies: ["CLua", "CLuaShim", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: hotPath),
        .target(name: "BuiltinRules", dependencies: ["Host"], swiftSettings: hotPath),
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
