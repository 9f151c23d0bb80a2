//! A distribution of minutes in three numbers: the median and the quartiles around it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// How many values it is made of.
    pub count: usize,
    pub median: f64,
    /// The 25th and 75th percentiles (linear between the nearest values).
    pub p25: f64,
    pub p75: f64,
}

impl Spread {
    /// The spread of sorted values; `None` when there are none.
    pub fn of_sorted(values: &[i64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        debug_assert!(values.is_sorted());
        let at = |q: f64| {
            let pos = q * (values.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            let frac = pos - lo as f64;
            values[lo] as f64 * (1.0 - frac) + values[hi] as f64 * frac
        };
        Some(Spread {
            count: values.len(),
            median: at(0.5),
            p25: at(0.25),
            p75: at(0.75),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn quartiles_interpolate_between_values() {
        assert_eq!(Spread::of_sorted(&[]), None);
        let one = Spread::of_sorted(&[7]).unwrap();
        assert_eq!((one.median, one.p25, one.p75), (7.0, 7.0, 7.0));
        let s = Spread::of_sorted(&[1, 2, 3, 4, 100]).unwrap();
        assert_eq!((s.count, s.median, s.p25, s.p75), (5, 3.0, 2.0, 4.0));
        let even = Spread::of_sorted(&[10, 20, 30, 40]).unwrap();
        assert_eq!((even.median, even.p25, even.p75), (25.0, 17.5, 32.5));
    }
}
