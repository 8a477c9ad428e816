//! Median, min and max of a handful of samples, and the JSON shape they are written in.

use serde_json::{json, Value};

/// Samples of one measurement, in the unit the caller chose (ms, MB, …).
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    pub fn push(&mut self, v: f64) {
        self.0.push(v);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The middle sample (the mean of the two middle ones for an even count); NaN when empty.
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `median (min–max)` with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        if self.is_empty() {
            return "n/a".into();
        }
        format!("{:.digits$} ({:.digits$}–{:.digits$})", self.median(), self.min(), self.max())
    }

    pub fn to_json(&self) -> Value {
        json!({ "median": self.median(), "min": self.min(), "max": self.max(), "samples": self.0 })
    }
}

/// `a / b` as `1.23×`, or `n/a` when either side is missing.
pub fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "n/a".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(Samples(vec![4.0, 1.0, 3.0, 2.0]).median(), 2.5);
        assert_eq!(Samples(vec![5.0, 1.0, 3.0]).median(), 3.0, "odd count: the middle sample");
    }

    #[test]
    fn empty_samples_show_as_not_available_rather_than_zero() {
        assert_eq!(Samples::default().show(1), "n/a");
        assert_eq!(ratio(f64::NAN, 2.0), "n/a");
        assert_eq!(ratio(3.0, 2.0), "1.50×");
    }
}
