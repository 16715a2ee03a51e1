//! The Lua libraries Redis embeds in its scripting engine: `cjson`,
//! `cmsgpack`, `bit` and `struct`, written in Rust to behave as Redis
//! 7.2's C versions do (same results, same error texts, same limits).
//!
//! Each library is a table of functions built by its own module; the
//! functions are C closures around Rust code (see [`native`]) so that
//! their errors are plain Lua strings and their argument errors name the
//! function as the script called it, exactly as C libraries report them.

mod bit;
mod cjson;
mod cjson_decode;
mod cmsgpack;
mod lua_struct;
mod native;

use mlua::{Lua, Table};

/// Largest output `cjson.encode` and `cmsgpack.pack` build (512 MB, the
/// largest string Redis stores): small inputs can describe huge outputs
/// (sparse arrays, tables referenced many times), so they are stopped
/// here instead of exhausting memory. Redis has no such limit.
const MAX_OUTPUT: usize = 512 * 1024 * 1024;

/// The error past [`MAX_OUTPUT`].
const OUTPUT_TOO_LARGE: &str = "Cannot serialise, output larger than 512 MB";

/// Adds the libraries Redis ships (cjson, cmsgpack, bit, struct) to `libs`,
/// by global name. The prelude exposes each entry as a read-only global;
/// settings a library keeps (cjson's) live on the Rust side, per state.
pub fn register(lua: &Lua, libs: &Table) -> mlua::Result<()> {
    libs.set("cjson", cjson::module(lua)?)?;
    libs.set("struct", lua_struct::module(lua)?)?;
    libs.set("cmsgpack", cmsgpack::module(lua)?)?;
    libs.set("bit", bit::module(lua)?)?;
    Ok(())
}
