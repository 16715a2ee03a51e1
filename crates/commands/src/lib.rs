//! The command layer of Lodestone: the command table and one module per
//! command family, each a set of handlers over the storage layer.
//!
//! Architecture invariant: commands do no I/O. A handler gets a [`Ctx`]
//! (the engine, the selected database, a reply writer) and returns a typed
//! [`CmdError`] on failure; the server layer owns connections and turns
//! errors into Redis's text through [`CmdError::message`].

pub mod args;
pub mod ctx;
pub mod error;
pub mod family;
pub mod glob;
pub mod help;
pub mod long_double;
pub mod table;

pub use ctx::{BlockRequest, Ctx, Settings};
pub use error::{CmdError, CmdResult};

/// A keyspace command handler: arguments include the command name at 0.
pub type Handler = fn(&mut Ctx, &[&[u8]]) -> CmdResult;

/// Every keyspace command handler of every family, by full command name.
pub fn handlers() -> impl Iterator<Item = (&'static str, Handler)> {
    [
        family::string::COMMANDS,
        family::generic::COMMANDS,
        family::object::COMMANDS,
        family::hash::COMMANDS,
        family::sort::COMMANDS,
        family::list::COMMANDS,
        family::set::COMMANDS,
        family::zset::COMMANDS,
        family::geo::COMMANDS,
        family::hyperloglog::COMMANDS,
        family::bitmap::COMMANDS,
        family::stream::COMMANDS,
        family::dump::COMMANDS,
    ]
    .into_iter()
    .flat_map(|list| list.iter().copied())
}
