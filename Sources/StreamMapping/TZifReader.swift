import AtomBase

/// Reads a TZif file (RFC 8536, versions 1 to 4) into a `TimeZoneData`: its 64-bit transitions
/// (version 2 and later) or 32-bit ones (version 1), then the footer's POSIX rule unrolled to
/// `TimeZoneData.lastYear`.
enum TZifReader {
    /// Why a file is not usable.
    struct Failure: Error {
        let message: String
    }

    private struct Header {
        var version: UInt8
        var isUTCCount, isStandardCount, leapCount, timeCount, typeCount, charCount: Int

        /// The size of the data block after the header, with times of `timeSize` bytes.
        func blockSize(timeSize: Int) -> Int {
            timeCount * timeSize + timeCount + typeCount * 6 + charCount
                + leapCount * (timeSize + 4) + isStandardCount + isUTCCount
        }
    }

    static func read(_ bytes: [UInt8], name: String) throws(Failure) -> TimeZoneData {
        var header = try readHeader(bytes, at: 0)
        var offset = 44
        var timeSize = 4
        if header.version >= UInt8(ascii: "2") {
            // Skip the version 1 block: the second header and its 64-bit data follow.
            offset += header.blockSize(timeSize: 4)
            header = try readHeader(bytes, at: offset)
            offset += 44
            timeSize = 8
        }
        guard header.leapCount == 0 else {
            throw Failure(message: "it counts leap seconds (a right/ zone); use the zone without right/")
        }
        guard header.typeCount > 0 else { throw Failure(message: "it has no local time types") }
        let blockEnd = offset + header.blockSize(timeSize: timeSize)
        guard blockEnd <= bytes.count else { throw Failure(message: "it ends inside its data") }

        var times: [Int64] = []
        for index in 0..<header.timeCount {
            let at = offset + index * timeSize
            let raw = word(bytes, at, timeSize)
            times.append(timeSize == 8 ? Int64(bitPattern: raw) : Int64(Int32(bitPattern: UInt32(raw))))
        }
        let indexesStart = offset + header.timeCount * timeSize
        let typesStart = indexesStart + header.timeCount
        var typeOffsets: [Int32] = []
        for type in 0..<header.typeCount {
            typeOffsets.append(Int32(bitPattern: UInt32(word(bytes, typesStart + type * 6, 4))))
        }
        var offsets: [Int32] = []
        for index in 0..<header.timeCount {
            let type = Int(bytes[indexesStart + index])
            guard type < header.typeCount else { throw Failure(message: "a transition names a missing type") }
            offsets.append(typeOffsets[type])
        }
        for index in times.indices.dropFirst() where times[index] <= times[index - 1] {
            throw Failure(message: "its transitions are not in time order")
        }

        var rule: PosixTimeZoneRule?
        if timeSize == 8, blockEnd < bytes.count, bytes[blockEnd] == 0x0A {
            let footerStart = blockEnd + 1
            guard let end = bytes[footerStart...].firstIndex(of: 0x0A) else {
                throw Failure(message: "its footer has no closing newline")
            }
            let text = String(decoding: bytes[footerStart..<end], as: UTF8.self)
            if !text.isEmpty {
                guard let parsed = PosixTimeZoneRule(text) else {
                    throw Failure(message: "its footer '\(text)' is not a POSIX TZ rule")
                }
                rule = parsed
            }
        }
        if let rule {
            let startYear = times.last.map { CivilCalendar.date(days: $0 / 86400).year } ?? 1970
            // With no transition in the data, the rule's standard time is where it starts.
            var current = offsets.last ?? rule.standardOffset
            for (time, offset) in rule.transitions(fromYear: startYear, toYear: TimeZoneData.lastYear)
            where time > (times.last ?? Int64.min) && offset != current {
                times.append(time)
                offsets.append(offset)
                current = offset
            }
        }
        return TimeZoneData(name: name, times: times, offsets: offsets, initialOffset: typeOffsets[0])
    }

    private static func readHeader(_ bytes: [UInt8], at offset: Int) throws(Failure) -> Header {
        guard bytes.count >= offset + 4, bytes[offset..<(offset + 4)].elementsEqual("TZif".utf8) else {
            throw Failure(message: offset == 0 ? "it does not start with 'TZif'" : "its second header is missing")
        }
        guard offset + 44 <= bytes.count else { throw Failure(message: "it is too short for a TZif header") }
        func count(_ index: Int) -> Int { Int(word(bytes, offset + 20 + 4 * index, 4)) }
        return Header(
            version: bytes[offset + 4], isUTCCount: count(0), isStandardCount: count(1), leapCount: count(2),
            timeCount: count(3), typeCount: count(4), charCount: count(5)
        )
    }

    /// The big-endian unsigned number of `size` bytes at `offset`.
    private static func word(_ bytes: [UInt8], _ offset: Int, _ size: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<size { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }
}
