//! The sparse representation: the registers as a run-length sequence of
//! three opcodes, in register order.
//!
//! | opcode | bits                  | meaning                                  |
//! |--------|-----------------------|------------------------------------------|
//! | ZERO   | `00llllll`            | `l + 1` registers (1-64) at zero         |
//! | XZERO  | `01llllll llllllll`   | `l + 1` registers (1-16384) at zero      |
//! | VAL    | `1vvvvvll`            | `l + 1` registers (1-4) at value `v + 1` |
//!
//! A valid body covers exactly 16384 registers. Strings come from clients
//! (SET, RESTORE), so every decoder here checks each run against the
//! register count before using it, and reports [`Corrupt`] rather than
//! reading or writing out of bounds.

use super::{dense, Corrupt, REGISTERS};
use std::fmt::Write;

/// Largest run of a ZERO opcode.
pub(crate) const ZERO_MAX_RUN: usize = 64;
/// Largest value a VAL opcode holds; larger registers need the dense form.
pub(crate) const VAL_MAX_VALUE: u8 = 32;
/// Largest run of a VAL opcode.
pub(crate) const VAL_MAX_RUN: usize = 4;

/// One decoded opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// A run of zero registers in one byte.
    Zero(usize),
    /// A run of zero registers in two bytes.
    XZero(usize),
    /// A run of registers holding one value.
    Val {
        /// The registers' value (1-32).
        value: u8,
        /// How many registers (1-4).
        run: usize,
    },
}

impl Op {
    /// Reads the opcode at `pos` (which must be inside `data`). An XZERO
    /// cut off by the end of the string reads its missing byte as zero,
    /// as Redis does (it reads the string's terminating NUL).
    pub(crate) fn read(data: &[u8], pos: usize) -> Op {
        let b = data[pos];
        match b >> 6 {
            0 => Op::Zero((b & 0x3f) as usize + 1),
            1 => {
                let low = data.get(pos + 1).copied().unwrap_or(0) as usize;
                Op::XZero(((((b & 0x3f) as usize) << 8) | low) + 1)
            }
            _ => Op::Val {
                value: (b >> 2 & 0x1f) + 1,
                run: (b & 0x3) as usize + 1,
            },
        }
    }

    /// Bytes the opcode takes.
    pub(crate) fn size(self) -> usize {
        match self {
            Op::XZero(_) => 2,
            _ => 1,
        }
    }

    /// Registers the opcode covers.
    pub(crate) fn run(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) => n,
            Op::Val { run, .. } => run,
        }
    }

    /// Appends the encoding of a zero run (1-16384): ZERO when it fits,
    /// XZERO otherwise.
    pub(crate) fn push_zeros(out: &mut Vec<u8>, run: usize) {
        if run > ZERO_MAX_RUN {
            let l = run - 1;
            out.push(0x40 | (l >> 8) as u8);
            out.push(l as u8);
        } else {
            out.push((run - 1) as u8);
        }
    }

    /// The byte of a VAL opcode (`value` 1-32, `run` 1-4).
    pub(crate) fn val_byte(value: u8, run: usize) -> u8 {
        0x80 | (value - 1) << 2 | (run - 1) as u8
    }
}

/// The opcodes of a sparse body, in order.
pub(crate) fn ops(data: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let op = Op::read(data, pos);
        pos += op.size();
        Some(op)
    })
}

/// Calls `f(first_register, run, value)` for every VAL run of a sparse
/// body; `Err(Corrupt)` unless the runs cover exactly 16384 registers.
/// A run is checked before `f` sees it, so `f` may index registers freely.
fn for_each_val(data: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut next = 0usize;
    for op in ops(data) {
        let run = op.run();
        if next + run > REGISTERS {
            return Err(Corrupt);
        }
        if let Op::Val { value, run } = op {
            f(next, run, value);
        }
        next += run;
    }
    if next == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// The dense register area equivalent to a sparse body.
pub(crate) fn to_dense_registers(data: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut regs = vec![0u8; dense::DENSE_BYTES];
    for_each_val(data, |first, run, value| {
        for i in first..first + run {
            dense::set(&mut regs, i, value);
        }
    })?;
    Ok(regs)
}

/// How many registers hold each value.
pub(crate) fn histogram(data: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut hist = [0u32; 64];
    let mut nonzero = 0;
    for_each_val(data, |_, run, value| {
        hist[value as usize] += run as u32;
        nonzero += run as u32;
    })?;
    hist[0] = REGISTERS as u32 - nonzero;
    Ok(hist)
}

/// Folds the registers into `max`, keeping the larger value of each.
pub(crate) fn merge_into(max: &mut [u8; REGISTERS], data: &[u8]) -> Result<(), Corrupt> {
    for_each_val(data, |first, run, value| {
        for m in &mut max[first..first + run] {
            if value > *m {
                *m = value;
            }
        }
    })
}

/// The empty body: one XZERO covering every register.
pub(crate) fn empty_body() -> Vec<u8> {
    let mut out = Vec::with_capacity(2);
    Op::push_zeros(&mut out, REGISTERS);
    out
}

/// The opcodes as PFDEBUG DECODE prints them (`z:N`, `Z:N`, `v:V,N`,
/// space separated), without validating the runs.
pub fn decode_text(data: &[u8]) -> String {
    let mut out = String::new();
    for op in ops(data) {
        if !out.is_empty() {
            out.push(' ');
        }
        // Writing to a String cannot fail.
        let _ = match op {
            Op::Zero(n) => write!(out, "z:{n}"),
            Op::XZero(n) => write!(out, "Z:{n}"),
            Op::Val { value, run } => write!(out, "v:{value},{run}"),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Redis's documentation: registers 1000, 1020 and 1021
    /// set to 2, 3 and 3.
    fn example() -> Vec<u8> {
        let mut b = Vec::new();
        Op::push_zeros(&mut b, 1000);
        b.push(Op::val_byte(2, 1));
        Op::push_zeros(&mut b, 19);
        b.push(Op::val_byte(3, 2));
        Op::push_zeros(&mut b, 15362);
        b
    }

    #[test]
    fn opcodes_encode_and_decode() {
        let b = example();
        assert_eq!(b.len(), 7);
        assert_eq!(decode_text(&b), "Z:1000 v:2,1 z:19 v:3,2 Z:15362");
        assert_eq!(decode_text(&empty_body()), "Z:16384");
        assert_eq!(empty_body(), [0x7f, 0xff]);
    }

    #[test]
    fn decoders_agree() {
        let b = example();
        let regs = to_dense_registers(&b).unwrap();
        assert_eq!(dense::get(&regs, 1000), 2);
        assert_eq!(dense::get(&regs, 1001), 0);
        assert_eq!(dense::get(&regs, 1021), 3);
        let hist = histogram(&b).unwrap();
        assert_eq!((hist[0], hist[2], hist[3]), (16381, 1, 2));
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, &b).unwrap();
        assert_eq!((max[999], max[1000], max[1020], max[1022]), (0, 2, 3, 0));
    }

    #[test]
    fn wrong_register_counts_are_corrupt() {
        let mut short = example();
        short.pop();
        short.pop();
        assert_eq!(histogram(&short), Err(Corrupt));
        let mut long = example();
        long.push(Op::val_byte(1, 4));
        assert_eq!(to_dense_registers(&long), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &long), Err(Corrupt));
        // Runs far beyond the register count never reach a register.
        let huge: Vec<u8> = [0x7f, 0xff].repeat(200_000);
        assert_eq!(histogram(&huge), Err(Corrupt));
        // An XZERO cut off at the end reads its missing byte as zero.
        assert_eq!(decode_text(&[0x40]), "Z:1");
        assert_eq!(histogram(&[]), Err(Corrupt));
    }
}
