//! Compiles the small C helper for long double arithmetic (see
//! csrc/long_double.c for why it exists).

fn main() {
    println!("cargo:rerun-if-changed=csrc/long_double.c");
    cc::Build::new()
        .file("csrc/long_double.c")
        .opt_level(2)
        .compile("lodestone_long_double");
}
