//! Command families, one module per data type or concern, as Redis's
//! `t_string.c`, `db.c`, `object.c`.

pub mod bitmap;
pub mod dump;
pub mod generic;
pub mod geo;
pub mod hash;
pub mod hyperloglog;
pub mod list;
pub mod mpop;
pub mod object;
pub mod random_pick;
pub mod scan;
pub mod set;
pub mod sort;
pub mod stream;
pub mod string;
pub mod zset;
