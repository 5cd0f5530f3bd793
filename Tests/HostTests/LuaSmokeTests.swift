import CLua
import XCTest

/// Lua 5.4 from liblua5.4-dev builds, links and runs (the host itself comes with the Lua issue).
final class LuaSmokeTests: XCTestCase {
    func testEvaluatesAnExpression() throws {
        let state = try XCTUnwrap(luaL_newstate())
        defer { lua_close(state) }
        luaL_openlibs(state)
        XCTAssertEqual(nrl_luaL_loadstring(state, "return string.format('%d', 6 * 7) .. _VERSION:sub(4)"), LUA_OK)
        XCTAssertEqual(nrl_lua_pcall(state, 0, 1, 0), LUA_OK)
        XCTAssertEqual(String(cString: nrl_lua_tostring(state, -1)), "42 5.4")
    }

    func testSyntaxErrorsAreReportedNotRaised() throws {
        let state = try XCTUnwrap(luaL_newstate())
        defer { lua_close(state) }
        XCTAssertEqual(nrl_luaL_loadstring(state, "return 1 +"), LUA_ERRSYNTAX)
        XCTAssertTrue(String(cString: nrl_lua_tostring(state, -1)).contains("unexpected symbol near <eof>"))
    }
}
