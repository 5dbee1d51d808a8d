// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so the root stays light; always build them in release.
let package = Package(
    name: "PedigreeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Pedigree", path: "..")],
    targets: [
        .executableTarget(
            name: "PedigreeBenchmarks",
            dependencies: [
                .product(name: "Pedigree", package: "Pedigree"), .product(name: "PedigreeFixtures", package: "Pedigree"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
