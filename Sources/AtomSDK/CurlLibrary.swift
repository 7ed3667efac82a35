import CCurl
import Glibc

/// libcurl, loaded with `dlopen` the first time an HTTP transport needs it rather than linked.
///
/// A shipper that delivers to files then starts without libcurl and the TLS libraries it brings
/// (several megabytes resident, and a few milliseconds of loading); a host without libcurl gets a
/// clear error the moment it configures an endpoint.
struct CurlLibrary: @unchecked Sendable {
    // Safe: function pointers into a library that stays loaded for the life of the process.
    let globalInit: @convention(c) (Int) -> CURLcode
    let easyInit: @convention(c) () -> UnsafeMutableRawPointer?
    let easyCleanup: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let easyPerform: @convention(c) (UnsafeMutableRawPointer?) -> CURLcode
    let easyStrerror: @convention(c) (CURLcode) -> UnsafePointer<CChar>?
    let slistAppend: @convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?)
        -> UnsafeMutablePointer<curl_slist>?
    let slistFreeAll: @convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void
    /// `curl_easy_setopt` and `curl_easy_getinfo`, variadic: called through the shim's wrappers.
    let setopt: UnsafeMutableRawPointer
    let getinfo: UnsafeMutableRawPointer

    /// The names tried, the Debian runtime package's first.
    static let names = ["libcurl.so.4", "libcurl.so"]

    /// The loaded library with `curl_global_init` done, or why it could not be loaded.
    static let shared: Result<CurlLibrary, CurlLoadError> = load()

    /// Loads the first of `names` that opens (tests name one that does not exist).
    static func load(names: [String] = names) -> Result<CurlLibrary, CurlLoadError> {
        var reasons: [String] = []
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(dlerror().map { String(cString: $0) } ?? name)
                continue
            }
            func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }
            guard let globalInit = symbol("curl_global_init"), let easyInit = symbol("curl_easy_init"),
                  let easyCleanup = symbol("curl_easy_cleanup"), let easyPerform = symbol("curl_easy_perform"),
                  let easyStrerror = symbol("curl_easy_strerror"), let slistAppend = symbol("curl_slist_append"),
                  let slistFreeAll = symbol("curl_slist_free_all"), let setopt = symbol("curl_easy_setopt"),
                  let getinfo = symbol("curl_easy_getinfo")
            else {
                return .failure(CurlLoadError(message: "\(name) lacks a libcurl function this program calls"))
            }
            let library = CurlLibrary(
                globalInit: unsafeBitCast(globalInit, to: (@convention(c) (Int) -> CURLcode).self),
                easyInit: unsafeBitCast(easyInit, to: (@convention(c) () -> UnsafeMutableRawPointer?).self),
                easyCleanup: unsafeBitCast(easyCleanup, to: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self),
                easyPerform: unsafeBitCast(easyPerform,
                                           to: (@convention(c) (UnsafeMutableRawPointer?) -> CURLcode).self),
                easyStrerror: unsafeBitCast(easyStrerror,
                                            to: (@convention(c) (CURLcode) -> UnsafePointer<CChar>?).self),
                slistAppend: unsafeBitCast(slistAppend, to: (@convention(c) (
                    UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?
                ) -> UnsafeMutablePointer<curl_slist>?).self),
                slistFreeAll: unsafeBitCast(slistFreeAll,
                                            to: (@convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void).self),
                setopt: setopt, getinfo: getinfo)
            guard library.globalInit(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK else {
                return .failure(CurlLoadError(message: "curl_global_init failed in \(name)"))
            }
            return .success(library)
        }
        let detail = reasons.joined(separator: "; ")
        return .failure(CurlLoadError(message: "HTTP delivery needs libcurl (Debian package libcurl4): \(detail)"))
    }

    // MARK: - The variadic calls, typed

    @discardableResult
    func setopt(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) -> CURLcode {
        atom_curl_setopt_long_with(setopt, easy, option, value)
    }

    @discardableResult
    func setopt(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeRawPointer?) -> CURLcode {
        atom_curl_setopt_ptr_with(setopt, easy, option, pointer)
    }

    @discardableResult
    func setopt(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, string: String?) -> CURLcode {
        guard let string else { return atom_curl_setopt_string_with(setopt, easy, option, nil) }
        return atom_curl_setopt_string_with(setopt, easy, option, string)
    }

    @discardableResult
    func setopt(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, offset: curl_off_t) -> CURLcode {
        atom_curl_setopt_off_with(setopt, easy, option, offset)
    }

    @discardableResult
    func setopt(_ easy: UnsafeMutableRawPointer, _ option: CURLoption,
                list: UnsafeMutablePointer<curl_slist>?) -> CURLcode {
        atom_curl_setopt_slist_with(setopt, easy, option, list)
    }

    typealias DataCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int

    @discardableResult
    func setWriteFunction(_ easy: UnsafeMutableRawPointer, _ callback: DataCallback) -> CURLcode {
        atom_curl_setopt_write_with(setopt, easy, callback)
    }

    @discardableResult
    func setHeaderFunction(_ easy: UnsafeMutableRawPointer, _ callback: DataCallback) -> CURLcode {
        atom_curl_setopt_header_with(setopt, easy, callback)
    }

    func getinfo(_ easy: UnsafeMutableRawPointer, _ info: CURLINFO, _ value: inout Int) {
        _ = atom_curl_getinfo_long_with(getinfo, easy, info, &value)
    }
}

/// libcurl could not be loaded; the message says what to install.
struct CurlLoadError: Error, Sendable {
    var message: String
}
