import Foundation

/// Executables the package builds, found beside the running test bundle.
public enum BuiltProduct {
    /// `.build/<config>/<name>`: the folder of the test bundle (`<name>PackageTests.xctest`, a file
    /// on Linux) or the nearest one above it that holds an executable of that name.
    public static func path(_ name: String) -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }
}
