// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Pedigree",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Pedigree", targets: ["Pedigree"]),
        .executable(name: "pedigree", targets: ["pedigree"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CGraphviz", pkgConfig: "libgvc", providers: [.apt(["libgraphviz-dev"])]),
        .target(name: "PedigreeModel", swiftSettings: strict),
        .target(name: "PedigreeStore", dependencies: ["CSQLite", "PedigreeModel"], swiftSettings: strict),
        .target(name: "PedigreeGraph", dependencies: ["PedigreeModel"], swiftSettings: strict),
        .target(name: "PedigreeQuery", dependencies: ["PedigreeModel", "PedigreeGraph"], swiftSettings: strict),
        .target(
            name: "PedigreeRender", dependencies: ["CGraphviz", "PedigreeModel", "PedigreeGraph", "PedigreeQuery"],
            swiftSettings: strict),
        .target(
            name: "Pedigree",
            dependencies: ["PedigreeModel", "PedigreeStore", "PedigreeGraph", "PedigreeQuery", "PedigreeRender"],
            swiftSettings: strict),
        .executableTarget(
            name: "pedigree",
            dependencies: ["Pedigree", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .testTarget(name: "PedigreeTests", dependencies: ["Pedigree"], exclude: ["Golden"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
