//! PFSELFTEST: the checks Redis runs on its own HyperLogLog code, run on
//! ours. Register packing must round-trip random values without touching
//! neighbours, and adding up to ten million distinct elements must keep a
//! sparse and a dense HLL in agreement and within six standard errors of
//! the truth at every power of ten.

use super::{add, count, dense, header, murmur, Encoding, DENSE_LEN, HEADER_LEN, REGISTERS};

/// Rounds of the register packing test.
const PACKING_ROUNDS: usize = 1000;
/// Elements added in the accuracy test.
const ELEMENTS: u64 = 10_000_000;

/// Runs the self test; `Err` carries Redis's failure text
/// (`TESTFAILED ...`).
pub fn run(sparse_max: usize) -> Result<(), String> {
    let mut rng = fastrand::Rng::new();
    check_packing(&mut rng)?;
    check_accuracy(&mut rng, sparse_max)
}

/// Sets every register to a random value and reads them all back.
fn check_packing(rng: &mut fastrand::Rng) -> Result<(), String> {
    let mut regs = vec![0u8; dense::DENSE_BYTES];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..PACKING_ROUNDS {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = rng.u8(..=super::REGISTER_MAX);
            dense::set(&mut regs, i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense::get(&regs, i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }
    Ok(())
}

/// Adds distinct elements to a dense and a sparse HLL, checking both at
/// 1, 10, 100, ... elements.
fn check_accuracy(rng: &mut fastrand::Rng, sparse_max: usize) -> Result<(), String> {
    let mut dense_hll = vec![0u8; DENSE_LEN];
    header::write_new(&mut dense_hll, Encoding::Dense);
    let mut sparse_hll = super::new_sparse();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rng.u64(..);
    let mut checkpoint = 1u64;
    for j in 1..=ELEMENTS {
        let element = (j ^ seed).to_le_bytes();
        let (index, value) = murmur::register_and_count(&element);
        dense::raise(&mut dense_hll[HEADER_LEN..], index, value);
        if add(&mut sparse_hll, &element, sparse_max).is_err() {
            return Err("TESTFAILED sparse HLL reported corrupt".into());
        }
        if j != checkpoint {
            continue;
        }
        let sparse_now = header::check(&sparse_hll) == Ok(Encoding::Sparse);
        if (j as usize) < sparse_max / 2 && !sparse_now {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = count(&dense_hll).unwrap_or(0);
        if count(&sparse_hll) != Ok(estimate) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abs_err = checkpoint.abs_diff(estimate);
        let max_err = if j == 10 {
            // Collisions make a larger error at 10 statistically likely.
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abs_err > max_err {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abs_err}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        assert_eq!(check_packing(&mut fastrand::Rng::with_seed(1)), Ok(()));
    }
}
