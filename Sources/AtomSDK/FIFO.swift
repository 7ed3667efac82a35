/// A first-in first-out queue: a growing array read from a moving head, compacted as it drains,
/// so that neither end costs more than amortised O(1).
struct FIFO<Element> {
    private var items: [Element?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    var count: Int { items.count - head }

    /// The oldest element, left in place.
    var first: Element? { head < items.count ? items[head] : nil }

    mutating func push(_ element: Element) {
        items.append(element)
    }

    mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }
}
