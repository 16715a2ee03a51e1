//! `lodestone-check-aof [--fix|--truncate-to-timestamp $timestamp]
//! <file.manifest|file.aof>`: checks (and repairs) an append-only file,
//! as `redis-check-aof` does. The work is in `lodestone_server::aof::check`.

fn main() {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| "lodestone-check-aof".into());
    let args: Vec<String> = args.collect();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout();
    let code = lodestone_server::aof::check::run(&program, &args, &mut out, &mut input);
    std::process::exit(code);
}
