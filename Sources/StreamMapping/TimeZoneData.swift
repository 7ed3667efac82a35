import AtomBase
import Glibc

/// A time zone's UTC offsets over time, read from a TZif file of the system's zoneinfo (RFC
/// 8536), with the rule of its footer unrolled into transitions up to `lastYear`.
///
/// Immutable once read, so one zone may be shared by mappers on several threads.
final class TimeZoneData: Sendable {
    /// Transitions are unrolled from the footer's rule up to this year; later times keep the
    /// offset of the last transition.
    static let lastYear = 2200

    /// The zone's name, as the mapping gave it.
    let name: String
    /// When each transition happens (Unix seconds) and the offset (seconds east of UTC) in force
    /// from then on, in time order.
    let times: [Int64]
    let offsets: [Int32]
    /// The offset before the first transition.
    let initialOffset: Int32
    /// Per transition, the earliest local time (seconds since 1970 as if local were UTC) that
    /// takes its new offset: the transition's time in the larger of the two offsets around it,
    /// so that a local time in a gap or an overlap takes the offset before the change.
    private let localThresholds: [Int64]

    /// UTC.
    static let utc = TimeZoneData(name: "UTC", times: [], offsets: [], initialOffset: 0)

    init(name: String, times: [Int64], offsets: [Int32], initialOffset: Int32) {
        self.name = name
        self.times = times
        self.offsets = offsets
        self.initialOffset = initialOffset
        var thresholds: [Int64] = []
        thresholds.reserveCapacity(times.count)
        var before = initialOffset
        for (time, offset) in zip(times, offsets) {
            thresholds.append(time + Int64(max(before, offset)))
            before = offset
        }
        localThresholds = thresholds
    }

    /// The offset to subtract from `local` (seconds since 1970 as if local were UTC) to get UTC.
    /// A local time that a change skips or repeats takes the offset in force before the change.
    func offset(forLocal local: Int64) -> Int32 {
        let index = Self.lastIndex(in: localThresholds, notAfter: local)
        return index < 0 ? initialOffset : offsets[index]
    }

    /// The offset in force at `utc` (Unix seconds).
    func offset(forUTC utc: Int64) -> Int32 {
        let index = Self.lastIndex(in: times, notAfter: utc)
        return index < 0 ? initialOffset : offsets[index]
    }

    /// The index of the last element not after `value`, -1 when none is (a binary search).
    private static func lastIndex(in sorted: [Int64], notAfter value: Int64) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low - 1
    }

    /// The folder of zone files: `$TZDIR` when set, else `/usr/share/zoneinfo`.
    static var directory: String {
        guard let value = getenv("TZDIR") else { return "/usr/share/zoneinfo" }
        return String(cString: value)
    }

    /// The zone called `name`: `UTC` (also `Z`, `GMT`, `Etc/UTC`), or an IANA name such as
    /// `Europe/Berlin` read from `directory`.
    ///
    /// - Throws: `TimeZoneError` naming the file when the name is not a zone there or the file
    ///   is not one TZif can describe.
    static func named(
        _ name: String, directory: String = TimeZoneData.directory
    ) throws(TimeZoneError) -> TimeZoneData {
        if ["UTC", "Z", "GMT", "Etc/UTC", "Etc/GMT", "UCT", "Zulu"].contains(name) { return utc }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else {
            throw TimeZoneError("'\(name)' is not a time zone name such as Europe/Berlin or UTC")
        }
        let path = directory + "/" + name
        let bytes: [UInt8]
        do {
            bytes = try Sys.readFile(path)
        } catch {
            throw TimeZoneError("unknown time zone '\(name)' (\(path): \(error.message))")
        }
        do {
            return try TZifReader.read(bytes, name: name)
        } catch {
            throw TimeZoneError("\(path) is not a usable zone file: \(error.message)")
        }
    }
}

/// Why a time zone could not be used.
struct TimeZoneError: Error {
    let message: String

    init(_ message: String) { self.message = message }
}
