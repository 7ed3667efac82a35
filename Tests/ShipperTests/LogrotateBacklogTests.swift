import Foundation
import Glibc
import Testing
import TestSupport

/// Files that logrotate creates and deletes while the shipper is still busy with an older file
/// (a slow endpoint holds it back): each lives for seconds, so a follower that keeps discovering
/// files while it waits can open and hold them.
@Suite("Logrotate: files that come and go while the shipper is behind", .serialized)
struct LogrotateBacklogTests {
    @Test(
        "rotate 2: files created and deleted while the tailer waits on a slow endpoint are still read"
    )
    func filesBornAndDeletedWhileBehind() throws {
        // About 500 events a second for the first 120 requests: the first file (3000 lines)
        // keeps the tailer busy for about six seconds.
        let scenario = try LogrotateScenario(slowReceiver: true, delayedAnswers: 120, answerDelay: 0.2)
        let conf = try scenario.logrotateConfig("rotate2.conf", ["rotate 2", "create"])
        try scenario.start()
        scenario.write(3000, tag: "first")
        #expect(scenario.waitForEvents(50))

        // Four rotations a second apart (five rescan intervals): each new file lives two seconds
        // before logrotate deletes it, all while the shipper is still inside the first file.
        for round in 1...4 {
            try scenario.rotate(conf)
            scenario.write(50, tag: "late-to-renamed-\(round)")
            scenario.writer.reopen()
            scenario.write(200, tag: "after-rotation-\(round)")
            usleep(1_000_000)
        }

        #expect(scenario.finalNames == ["app.log", "app.log.1", "app.log.2"])
        let outcome = try scenario.finishAndVerify()
        // The first file (3000 + 50 lines) and the second (200 + 50) are only in the snapshots.
        #expect(outcome.deletedLines.count == 3300)
    }
}
