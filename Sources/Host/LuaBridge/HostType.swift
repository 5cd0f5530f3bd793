import CLua
import CLuaShim

/// A Swift class scripts hold as a userdata. Declaring one here is all it takes to add a type: its
/// tag (the first word of the userdata, which the C side checks), the name scripts see in messages
/// and `__name`, and its methods. `LuaState` makes one locked metatable per type.
struct HostType: @unchecked Sendable {  // the methods are C function pointers to static code
    let tag: UInt32
    let name: String
    let methods: [(String, nrl_native_fn)]
    /// Vectors read and write elements in C (`vector.c`); the other types reach methods by `__index`.
    var indexedInC = false

    static let vector = HostType(tag: UInt32(NRL_TAG_VECTOR), name: "vector", methods: LuaVectorAPI.methods, indexedInC: true)
    static let matrices = HostType(tag: 0x6E72_6C02, name: "matrices", methods: LuaMatricesAPI.methods)
    static let pass = HostType(tag: 0x6E72_6C03, name: "pass", methods: LuaPassAPI.methods)
    static let rng = HostType(tag: 0x6E72_6C04, name: "rng", methods: LuaRandomAPI.methods)

    /// Every type a script state knows.
    static let all: [HostType] = [.vector, .matrices, .pass, .rng]

    /// The type with `tag`, for messages.
    static func named(tag: UInt32) -> HostType? { all.first { $0.tag == tag } }
}
