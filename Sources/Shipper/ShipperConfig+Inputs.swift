extension ShipperConfig {
    /// The input called `name`, or the only input when `name` is nil: the one a command that maps
    /// lines outside the inputs' own files (`run --stdin`, `preview`) applies.
    ///
    /// - Throws: `ShipperError` naming the inputs there are, when there is no such input or
    ///   several to choose from.
    func input(named name: String?, for use: String) throws(ShipperError) -> Input {
        let names = inputs.map(\.name).joined(separator: ", ")
        if let name {
            guard let input = inputs.first(where: { $0.name == name }) else {
                throw ShipperError("--input \(name): the config has no such input (it has \(names))")
            }
            return input
        }
        guard inputs.count == 1, let only = inputs.first else {
            throw ShipperError("the config has \(inputs.count) inputs (\(names)); "
                               + "name the one \(use) with --input NAME")
        }
        return only
    }
}
