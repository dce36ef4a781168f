//! Classification metrics over a confusion matrix: accuracy, per-class recall and F1, macro-F1, Matthews
//! correlation (multi-class, Gorodkin's R_K) and Cohen's kappa. Rows are the true class, columns the prediction.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub k: usize,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub n: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub mcc: f64,
    pub kappa: f64,
    pub recall: Vec<f64>,
    pub precision: Vec<f64>,
    pub f1: Vec<f64>,
    pub confusion: Vec<Vec<u64>>,
    /// Row-normalised confusion (each true class sums to 1; zero rows stay zero).
    pub confusion_normalised: Vec<Vec<f64>>,
}

impl Confusion {
    pub fn new(k: usize) -> Self {
        Self { k, counts: vec![vec![0; k]; k] }
    }

    /// Count one prediction; out-of-range classes are ignored and reported as `false`.
    pub fn add(&mut self, truth: usize, predicted: usize) -> bool {
        if truth >= self.k || predicted >= self.k {
            return false;
        }
        self.counts[truth][predicted] += 1;
        true
    }

    pub fn n(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn metrics(&self) -> Metrics {
        let k = self.k;
        let n = self.n() as f64;
        let row: Vec<f64> = (0..k).map(|i| self.counts[i].iter().sum::<u64>() as f64).collect();
        let col: Vec<f64> = (0..k).map(|j| (0..k).map(|i| self.counts[i][j]).sum::<u64>() as f64).collect();
        let diag: Vec<f64> = (0..k).map(|i| self.counts[i][i] as f64).collect();
        let correct: f64 = diag.iter().sum();
        let div = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let recall: Vec<f64> = (0..k).map(|i| div(diag[i], row[i])).collect();
        let precision: Vec<f64> = (0..k).map(|i| div(diag[i], col[i])).collect();
        let f1: Vec<f64> = (0..k).map(|i| div(2.0 * precision[i] * recall[i], precision[i] + recall[i])).collect();
        let accuracy = div(correct, n);
        // Cohen's kappa: (p_o - p_e) / (1 - p_e)
        let pe: f64 = (0..k).map(|i| row[i] * col[i]).sum::<f64>() / (n * n).max(1.0);
        let kappa = div(accuracy - pe, 1.0 - pe);
        // Gorodkin's multi-class MCC: (c*s - sum p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2))
        let pt: f64 = (0..k).map(|i| col[i] * row[i]).sum();
        let p2: f64 = col.iter().map(|v| v * v).sum();
        let t2: f64 = row.iter().map(|v| v * v).sum();
        let denom = ((n * n - p2) * (n * n - t2)).sqrt();
        let mcc = div(correct * n - pt, denom);
        Metrics {
            n: self.n(),
            accuracy,
            macro_f1: f1.iter().sum::<f64>() / k as f64,
            mcc,
            kappa,
            recall,
            precision,
            f1,
            confusion: self.counts.clone(),
            confusion_normalised: (0..k)
                .map(|i| (0..k).map(|j| div(self.counts[i][j] as f64, row[i])).collect())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_chance() {
        let mut c = Confusion::new(3);
        for i in 0..3 {
            for _ in 0..10 {
                c.add(i, i);
            }
        }
        let m = c.metrics();
        assert_eq!((m.accuracy, m.macro_f1, m.mcc, m.kappa), (1.0, 1.0, 1.0, 1.0));
        // always predicting class 0
        let mut c = Confusion::new(3);
        for i in 0..3 {
            for _ in 0..10 {
                c.add(i, 0);
            }
        }
        let m = c.metrics();
        assert!((m.accuracy - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((m.mcc, m.kappa), (0.0, 0.0));
        assert!(!c.add(3, 0));
    }

    #[test]
    fn matches_hand_computed_values() {
        // Binary case: MCC and kappa have closed forms. TP=40 FN=10 FP=5 TN=45 (class 1 = positive).
        let mut c = Confusion::new(2);
        c.counts = vec![vec![45, 5], vec![10, 40]];
        let m = c.metrics();
        let (tp, tn, fp, fn_) = (40.0f64, 45.0, 5.0, 10.0);
        let mcc = (tp * tn - fp * fn_) / ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
        assert!((m.mcc - mcc).abs() < 1e-12);
        let po = 0.85;
        let pe = (50.0 * 55.0 + 50.0 * 45.0) / 10_000.0;
        assert!((m.kappa - (po - pe) / (1.0 - pe)).abs() < 1e-12);
        assert!((m.recall[1] - 0.8).abs() < 1e-12);
        assert!((m.confusion_normalised[0][1] - 0.1).abs() < 1e-12);
    }
}
