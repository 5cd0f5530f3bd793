// swift-tools-version:6.0
import PackageDescription

// Layers, each depending only on those below it (docs/architecture.md):
//   nrlhost (CLI) → NRLTools → LuaBridge → NRLCore;  BuiltinRules → NRLCore
// NRLCore imports neither Lua nor SQLite, so another package can train networks with it alone.
let package = Package(
    name: "nrlhost",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nrlhost", targets: ["nrlhost"]),
        .library(name: "NRLCore", targets: ["NRLCore"]),
        .library(name: "NRLBuiltinRules", targets: ["BuiltinRules"]),
        .library(name: "NRLLuaBridge", targets: ["LuaBridge"]),
        .library(name: "NRLTools", targets: ["NRLTools"]),
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
        // NRL's step for runs in SIMD lanes, compiled for AVX-512 and AVX2 by function attributes
        // (package-wide -march flags would bar NRLCore from being a dependency); chosen at run time.
        .target(name: "CLaneKernels", path: "Sources/Host/LaneKernels"),
        // Numerics, networks, environments, the rule contract and registries, the trainer.
        .target(name: "NRLCore", dependencies: ["CLaneKernels"], path: "Sources/Host/Core"),
        // The native rules.
        .target(name: "BuiltinRules", dependencies: ["NRLCore"]),
        // A sandboxed Lua machine and the API that lets scripts be rules and environments.
        .target(name: "LuaBridge", dependencies: ["NRLCore", "CLua", "CLuaShim"], path: "Sources/Host/LuaBridge"),
        // The shared-memory step channel to a Python worker (atomics and futex(2), which Swift cannot reach).
        .target(name: "CWorkerChannel", path: "Sources/Host/WorkerChannel"),
        // Results store, experiments and sweeps, reports, coursework, benchmark, the Python bridge.
        .target(
            name: "NRLTools",
            dependencies: ["NRLCore", "LuaBridge", "CWorkerChannel", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/Host/Tools"
        ),
        // The command line: argument parsing and exit codes only.
        .executableTarget(
            name: "nrlhost",
            dependencies: [
                "NRLCore", "BuiltinRules", "LuaBridge", "NRLTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Finds the reference data (Tests/Golden, plus NRL_SHARED's golden/) for the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // GRDB too: a test that imports NRLTools needs its C module in view.
        .testTarget(
            name: "HostTests",
            dependencies: ["NRLCore", "BuiltinRules", "LuaBridge", "NRLTools", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "BuiltinRulesTests", dependencies: ["BuiltinRules", "NRLCore", "LuaBridge", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["nrlhost", "TestSupport"]),
    ]
)
