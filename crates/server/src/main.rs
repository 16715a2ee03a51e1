//! `lodestone-server`: command line compatible with `redis-server`:
//! `lodestone-server [/path/to/lodestone.conf] [--port 6379] [--any-config-name value ...]`.

use lodestone_server::config::Config;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn usage() {
    eprintln!("Usage: ./lodestone-server [/path/to/lodestone.conf] [options] [-]");
    eprintln!("       ./lodestone-server - (read config from stdin)");
    eprintln!("       ./lodestone-server -v or --version");
    eprintln!("       ./lodestone-server -h or --help");
    eprintln!();
    eprintln!("Examples:");
    eprintln!("       ./lodestone-server (run the server with default conf)");
    eprintln!("       ./lodestone-server /etc/lodestone/6379.conf");
    eprintln!("       ./lodestone-server --port 7777");
    eprintln!("       ./lodestone-server /etc/mylodestone.conf --loglevel verbose");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!(
                "Lodestone server v={} (Redis {} compatible)",
                env!("CARGO_PKG_VERSION"),
                lodestone_server::handlers::connection::REDIS_VERSION
            );
            return;
        }
        Some("-h" | "--help") => {
            usage();
            return;
        }
        _ => {}
    }
    // `-` (first or last) also reads the configuration from stdin.
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = lodestone_server::run(config) {
        eprintln!("Fatal: {e}");
        std::process::exit(1);
    }
}
