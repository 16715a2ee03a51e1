//! The append-only file: writing, loading, rewriting, the manifest, crash
//! safety, and files exchanged with redis-server both ways.

mod common;

mod aof {
    pub mod harness;

    mod basics;
    mod check;
    mod compat;
    mod crash;
    mod rewrite;
}
