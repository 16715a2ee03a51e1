//! `lodestone-check-rdb <file>`: checks an RDB file as `redis-check-rdb`
//! does (see `lodestone_server::check_rdb`). Exit status 0 when the file
//! is sound, 1 otherwise.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let program = args.first().map_or("lodestone-check-rdb", String::as_str);
    match args.get(1).map(String::as_str) {
        Some("-v" | "--version") if args.len() == 2 => {
            println!("lodestone-check-rdb {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Some(_) if args.len() == 2 => {}
        _ => {
            eprintln!("Usage: {program} <rdb-file-name>");
            std::process::exit(1);
        }
    }
    let name = &args[1];
    let bytes = match std::fs::read(name) {
        Ok(b) => b,
        Err(e) => {
            println!("[offset 0] Checking RDB file {name}");
            eprintln!("Cannot open {name}: {e}");
            std::process::exit(1);
        }
    };
    let report =
        lodestone_server::check_rdb::check(name, &bytes, lodestone_server::server::unix_ms());
    print!("{}", report.text);
    std::process::exit(if report.ok { 0 } else { 1 });
}
