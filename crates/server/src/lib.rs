//! The server layer of Lodestone: connections, the event loop, command
//! dispatch, and the server-level command families (transactions, Pub/Sub,
//! client-side caching, configuration, introspection).
//!
//! Architecture invariant: exactly one thread (the event loop) owns the
//! [`server::Server`]; the keyspace below it is never locked.

pub mod aof;
pub mod blocking;
pub mod check_rdb;
pub mod client;
pub mod config;
pub mod dispatch;
pub mod event_loop;
pub mod evict;
pub mod glob_cache;
pub mod handlers;
pub mod latency;
pub mod loading;
pub mod log;
pub mod memory;
pub mod pause;
pub mod persistence;
pub mod propagate;
pub mod pubsub;
pub mod replica_feed;
pub mod scripting;
pub mod server;
pub mod slowlog;
pub mod stats;
pub mod tracking;
pub mod wait_acks;

use config::Config;

/// Starts a server with `config` and runs it until shutdown.
pub fn run(config: Config) -> std::io::Result<()> {
    let mut server = server::Server::new(config)?;
    server.startup()?;
    server.run()
}

impl server::Server {
    /// Changes to the configured directory, binds, writes the pid file,
    /// loads the data set (serving clients with LOADING errors meanwhile,
    /// as Redis does) and logs that the server is ready.
    pub fn startup(&mut self) -> std::io::Result<()> {
        let dir = self.config.str("dir");
        if !dir.is_empty() {
            std::env::set_current_dir(&dir)?;
        }
        self.listen()?;
        self.register_signals()?;
        let pidfile = self.config.str("pidfile");
        if !pidfile.is_empty() {
            let _ = std::fs::write(&pidfile, format!("{}\n", std::process::id()));
        }
        self.log_notice("Server initialized");
        self.load_data_at_startup()?;
        self.log_notice(&format!(
            "Lodestone {} (Redis {} compatible) started, pid={}, port={}",
            env!("CARGO_PKG_VERSION"),
            handlers::connection::REDIS_VERSION,
            std::process::id(),
            self.port
        ));
        self.log_notice("Ready to accept connections tcp");
        Ok(())
    }
}
