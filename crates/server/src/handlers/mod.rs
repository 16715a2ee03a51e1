//! Handlers of the commands that need the server rather than just the
//! keyspace: connection state, transactions, Pub/Sub, introspection,
//! configuration. Each module is one family, like `commands`' families.

pub mod client;
pub mod cluster;
pub mod command;
pub mod config;
pub mod connection;
pub mod debug;
pub mod function;
pub mod info;
pub mod latency;
pub mod memory;
pub mod module;
pub mod monitor;
pub mod multi;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod shutdown;
pub mod slowlog;
pub mod tracking;

use crate::server::Server;
use lodestone_commands::CmdResult;

/// A server-level handler: runs with the whole server and the client's
/// slab key; arguments include the command name.
pub type ServerHandler = fn(&mut Server, usize, &[&[u8]]) -> CmdResult;

/// How a command is run.
#[derive(Clone, Copy)]
pub enum Handler {
    /// A keyspace command from the commands crate.
    Keyspace(lodestone_commands::Handler),
    /// A command implemented by the server layer.
    Server(ServerHandler),
}

/// Every implemented command with its handler.
pub fn all() -> Vec<(&'static str, Handler)> {
    let mut v: Vec<(&'static str, Handler)> = lodestone_commands::handlers()
        .map(|(n, h)| (n, Handler::Keyspace(h)))
        .collect();
    for list in [
        connection::COMMANDS,
        config::COMMANDS,
        multi::COMMANDS,
        pubsub::COMMANDS,
        scripting::COMMANDS,
        monitor::COMMANDS,
        shutdown::COMMANDS,
        function::COMMANDS,
        client::COMMANDS,
        cluster::COMMANDS,
        tracking::COMMANDS,
        info::COMMANDS,
        command::COMMANDS,
        debug::COMMANDS,
        slowlog::COMMANDS,
        latency::COMMANDS,
        memory::COMMANDS,
        module::COMMANDS,
        persistence::COMMANDS,
        replication::COMMANDS,
    ] {
        v.extend(list.iter().map(|&(n, h)| (n, Handler::Server(h))));
    }
    v
}

/// Writes a reply through a closure (the reply borrows the client's buffer).
pub fn reply(server: &mut Server, key: usize, f: impl FnOnce(&mut lodestone_protocol::Reply)) {
    if let Some(c) = server.clients.get_mut(key) {
        let mut r = lodestone_protocol::Reply::new(&mut c.out, c.resp);
        f(&mut r);
    }
}
