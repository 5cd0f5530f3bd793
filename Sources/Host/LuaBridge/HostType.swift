import CLua
import CLuaShim

/// The first word of every host userdata: what the type checks compare. A plain enum, so the
/// per-call checks compare constants (no table, no reference counting).
enum HostTag: UInt32 {
    case vector = 0x6E72_6C01  // = NRL_TAG_VECTOR: vector.c checks it too
    case matrices = 0x6E72_6C02
    case pass = 0x6E72_6C03
    case rng = 0x6E72_6C04
}

/// A Swift class scripts hold as a userdata. Declaring one here (and its tag above) is all it takes
/// to add a type: the name scripts see in messages and `__name`, and its methods. `LuaState` makes
/// one locked metatable per type.
struct HostType: @unchecked Sendable {  // the methods are C function pointers to static code
    let tag: HostTag
    let name: String
    let methods: [(String, nrl_native_fn)]
    /// Vectors read and write elements in C (`vector.c`); the other types reach methods by `__index`.
    var indexedInC = false

    /// Every type a script state knows.
    static let all: [HostType] = [
        HostType(tag: .vector, name: "vector", methods: LuaVectorAPI.methods + LuaAlgebraAPI.vectorMethods, indexedInC: true),
        HostType(tag: .matrices, name: "matrices", methods: LuaMatricesAPI.methods + LuaAlgebraAPI.matricesMethods),
        HostType(tag: .pass, name: "pass", methods: LuaPassAPI.methods),
        HostType(tag: .rng, name: "rng", methods: LuaRandomAPI.methods),
    ]

    /// The name of the type with `tag`, for messages.
    static func name(of tag: HostTag) -> String { all.first { $0.tag == tag }!.name }
}
