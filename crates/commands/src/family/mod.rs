//! Command families, one module per data type or concern, as Redis's
//! `t_string.c`, `db.c`, `object.c`.

pub mod generic;
pub mod object;
pub mod string;
