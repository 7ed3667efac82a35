import AtomBase
import Glibc
import LogTail

/// SIGHUP: read the config again and start, stop or restart the inputs that changed.
extension Shipper {
    /// Reloads the config file. An input whose settings are unchanged keeps running untouched; a
    /// removed one is stopped (its checkpoints stay in the database); a changed one is stopped, its
    /// events in flight are given up to `shutdownTimeout` to settle and are committed, and it
    /// starts again from its checkpoints; a new one starts. A config with problems is rejected,
    /// each problem logged, and the running config stays. Settings outside `inputs` take effect
    /// at the next restart only.
    ///
    /// Runs on the thread that runs the shipper (the one that takes the signals).
    func reload() {
        logger.info("SIGHUP: reloading the config", ["config": config.file])
        let next: ShipperConfig
        do {
            next = try ConfigLoader.load(path: config.file)
        } catch {
            for problem in error.problems {
                logger.error("config reload rejected; the running config stays",
                             ["config": error.file, "key": problem.keyPath, "problem": problem.message])
            }
            return
        }
        guard next.inputs.count <= InputSlot.maxSlots else {
            logger.error("config reload rejected; the running config stays",
                         ["config": config.file, "key": "inputs",
                          "problem": "at most \(InputSlot.maxSlots) inputs are supported"])
            return
        }
        for warning in next.warnings {
            logger.warning("config warning", ["config": config.file, "key": warning.keyPath,
                                               "problem": warning.message])
        }
        if next.settings != config.settings {
            logger.warning("settings outside inputs changed; they take effect at the next restart",
                           ["config": config.file])
        }

        let running = commitLock.withLock { slots }
        let wanted = Dictionary(next.inputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var stopping: [(slot: InputSlot, changed: Bool)] = []
        for slot in running {
            if let input = wanted[slot.input.name] {
                if input.source != slot.input.source { stopping.append((slot, true)) }
            } else {
                stopping.append((slot, false))
            }
        }
        let kept = Set(running.map(\.input.name)).subtracting(stopping.map(\.slot.input.name))
        let starting = next.inputs.enumerated().filter { !kept.contains($0.element.name) }

        stop(stopping)
        var started = 0
        for (configIndex, input) in starting {
            guard let index = freeSlot() else {
                logger.error("input not started: every slot is held by inputs still settling",
                             ["input": input.name])
                continue
            }
            do {
                let slot = try makeSlot(input, index: index, configIndex: configIndex)
                commitLock.withLock { slots.append(slot) }
                router.attach(slot)
                start(slot, once: false)
                started += 1
            } catch {
                logger.error("input not started", ["input": input.name, "error": error.description])
            }
        }
        commitLock.withLock {
            config.inputs = slots.map(\.input)
        }
        logger.info("config reloaded", [
            "config": config.file, "unchanged": String(kept.count),
            "changed": String(stopping.filter(\.changed).count),
            "removed": String(stopping.filter { !$0.changed }.count), "started": String(started),
        ])
    }

    /// Stops the inputs, gives their events in flight up to `shutdownTimeout` to settle, and
    /// commits their checkpoints. An input that did not settle in time stays attached (as
    /// `retired`) so its late acknowledgements still reach it: a removed input goes on committing
    /// them; a changed input stops committing, since its new tailer owns its checkpoints now (its
    /// unsettled lines are read again: repeats, never loss).
    private func stop(_ inputs: [(slot: InputSlot, changed: Bool)]) {
        guard !inputs.isEmpty else { return }
        for (slot, _) in inputs { slot.tailer.stop() }
        for (slot, _) in inputs {
            slot.done.wait()
            slot.pipeline.submitAll()
        }
        tracker.flush()
        let deadline = Clock.nanos() &+ UInt64(config.shutdownTimeout * 1e9)
        while Clock.nanos() < deadline && !inputs.allSatisfy({ $0.slot.tailer.isSettled }) {
            usleep(20_000)
        }
        commitLock.withLock {
            for (slot, changed) in inputs {
                slot.tailer.commit()
                slots.removeAll { $0 === slot }
                if slot.tailer.isSettled {
                    router.detach(slot)
                } else {
                    slot.commits = !changed
                    retired.append(slot)
                    logger.warning("stopped input still has events in flight; their lines may be read again",
                                   ["input": slot.input.name])
                }
                logger.info(changed ? "input changed; restarting it" : "input removed",
                            ["input": slot.input.name])
            }
        }
    }

    /// A slot number no running input uses and no stopped input still waits on. Stopped inputs
    /// that have settled since are committed and let go here.
    func freeSlot() -> Int? {
        commitLock.withLock {
            for slot in retired where slot.tailer.isSettled {
                if slot.commits { slot.tailer.commit() }
                router.detach(slot)
            }
            retired.removeAll { $0.tailer.isSettled }
            let used = Set(slots.map(\.index) + retired.map(\.index))
            return (0..<InputSlot.maxSlots).first { !used.contains($0) }
        }
    }
}
