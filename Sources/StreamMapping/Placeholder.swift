import AtomBase
