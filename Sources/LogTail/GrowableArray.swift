/// A reusable array of trivial values with stable storage between resets, so that the per-read
/// line tables cost no allocation after warm-up.
struct GrowableArray<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func free() { base.deallocate() }

    mutating func append(_ value: Element) {
        if count == capacity {
            let fresh = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            fresh.moveInitialize(from: base, count: count)
            base.deallocate()
            base = fresh
            capacity *= 2
        }
        (base + count).initialize(to: value)
        count += 1
    }

    mutating func removeAll() { count = 0 }
}
