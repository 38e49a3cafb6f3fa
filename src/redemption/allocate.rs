//! Money arithmetic of the decision: half-up percentages and exact proportional allocation.

/// `amount × percent / 100`, rounded half-up to the minor unit. Amounts are non-negative.
pub fn percent_of(amount: i64, percent: u8) -> i64 {
    let scaled = i128::from(amount) * i128::from(percent);
    // Fits: amount ≤ MAX_MINOR and percent ≤ 100.
    ((scaled + 50) / 100) as i64
}

/// Spreads `total` over `weights` in proportion, remainders to the largest fractions (earlier
/// first on ties), so the shares sum exactly to `total`. Needs `0 ≤ total ≤ Σ weights`; shares
/// then never exceed their weight.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut fractions: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total * i128::from(*w);
        shares.push((exact / sum) as i64);
        fractions.push((exact % sum, i));
    }
    let given: i128 = shares.iter().map(|s| i128::from(*s)).sum();
    let left = (total - given) as usize;
    fractions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in fractions.iter().take(left) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_half_up() {
        assert_eq!(percent_of(5, 10), 1); // 0.5 → 1
        assert_eq!(percent_of(4, 10), 0); // 0.4 → 0
        assert_eq!(percent_of(15, 10), 2); // 1.5 → 2
        assert_eq!(percent_of(12_345, 100), 12_345);
    }

    #[test]
    fn splits_by_largest_remainder() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(10, &[300, 700]), vec![3, 7]);
        assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
        assert_eq!(allocate(7, &[0, 10]), vec![0, 7]);
    }

    proptest! {
        #[test]
        fn shares_sum_to_total_and_stay_within_weights(
            weights in proptest::collection::vec(0i64..1_000_000_000_000, 1..40),
            fraction in 0.0f64..=1.0,
        ) {
            let sum: i64 = weights.iter().sum();
            let total = ((sum as f64) * fraction).floor() as i64;
            let total = total.clamp(0, sum);
            let shares = allocate(total, &weights);
            prop_assert_eq!(shares.iter().sum::<i64>(), total);
            for (s, w) in shares.iter().zip(&weights) {
                prop_assert!(*s >= 0 && s <= w);
            }
        }

        #[test]
        fn percent_is_half_up(amount in 0i64..1_000_000_000_000_000, percent in 1u8..=100) {
            let exact = amount as i128 * percent as i128;
            let got = percent_of(amount, percent) as i128;
            // got is the nearest integer to exact/100, halves going up.
            prop_assert!(got * 100 - exact <= 50 && exact - got * 100 < 50);
        }
    }
}
