@testable import AtomSDK
import Glibc
import Testing

/// libcurl is loaded when HTTP is first used, not linked: the shipper runs without it when it
/// delivers to files, and says what to install when an endpoint needs it.
@Suite("libcurl loaded on demand")
struct CurlLibraryTests {
    @Test("the installed libcurl loads on first use")
    func loadsTheInstalledLibrary() {
        guard case .success = CurlLibrary.shared else {
            Issue.record("libcurl did not load: \(AtomHTTPTransport.unavailableReason ?? "")")
            return
        }
        #expect(AtomHTTPTransport.unavailableReason == nil)
        // RTLD_NOLOAD opens nothing new: it finds the library only if the process has it loaded.
        #expect(dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD) != nil)
    }

    @Test("a missing library is an error that names the package to install")
    func missingLibraryIsNamed() {
        let result = CurlLibrary.load(names: ["libcurl-that-does-not-exist.so.9"])
        guard case .failure(let error) = result else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(error.message.contains("libcurl4"))
        #expect(error.message.contains("libcurl-that-does-not-exist.so.9"))
    }
}
