//! Time-based smoothing of the attitude stream.
//!
//! An exponential moving average whose weight depends on the time elapsed since the previous face sample, not on
//! the number of samples: `alpha = 1 - exp(-dt / tau)`. The same stream sampled at 5 or at 30 frames/s therefore
//! settles to the same value over the same time. Samples without a face neither update nor receive a smoothed value
//! (no face is never neutral); after a gap longer than `reset_after_ms` the state starts afresh.

use serde::{Deserialize, Serialize};

use crate::{AttitudeProbs, Sample};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothingConfig {
    /// Time constant in milliseconds (63% of a step change is reached after `tau_ms`). 0 disables smoothing.
    pub tau_ms: f64,
    /// A gap between face samples longer than this resets the state (a new person or a new scene).
    pub reset_after_ms: u64,
}

impl Default for SmoothingConfig {
    fn default() -> Self {
        Self { tau_ms: 1000.0, reset_after_ms: 3000 }
    }
}

#[derive(Debug, Clone)]
pub struct AttitudeSmoother {
    config: SmoothingConfig,
    state: Option<(u64, [f64; 3])>,
}

impl AttitudeSmoother {
    pub fn new(config: SmoothingConfig) -> Self {
        Self { config, state: None }
    }

    pub fn config(&self) -> &SmoothingConfig {
        &self.config
    }

    pub fn reset(&mut self) {
        self.state = None;
    }

    /// Feed one observation at `t_ms`; returns the smoothed probabilities.
    pub fn update(&mut self, t_ms: u64, probs: &AttitudeProbs) -> AttitudeProbs {
        let x = probs.values().map(f64::from);
        let next = match self.state {
            Some((t0, s)) if t_ms >= t0 && t_ms - t0 <= self.config.reset_after_ms && self.config.tau_ms > 0.0 => {
                let dt = (t_ms - t0) as f64;
                let alpha = 1.0 - (-dt / self.config.tau_ms).exp();
                [s[0] + alpha * (x[0] - s[0]), s[1] + alpha * (x[1] - s[1]), s[2] + alpha * (x[2] - s[2])]
            }
            _ => x,
        };
        self.state = Some((t_ms, next));
        // A convex combination of probability vectors is one; renormalise away f64 -> f32 rounding.
        let sum: f64 = next.iter().sum();
        AttitudeProbs([(next[0] / sum) as f32, (next[1] / sum) as f32, (next[2] / sum) as f32])
    }

    /// Fill `smoothed` / `smoothed_label` of a sample (left `None` when the sample has no attitude).
    pub fn apply(&mut self, sample: &mut Sample) {
        match sample.attitude {
            Some(a) => {
                let s = self.update(sample.t_ms, &a);
                sample.smoothed = Some(s);
                sample.smoothed_label = Some(s.label());
            }
            None => {
                sample.smoothed = None;
                sample.smoothed_label = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Attitude;
    use proptest::prelude::*;

    fn a(n: f32, z: f32, p: f32) -> AttitudeProbs {
        AttitudeProbs::new(&[n, z, p]).expect("valid")
    }

    /// Run a step from neutral to positive at `fps` for `dur_ms`; return the final positive probability.
    fn step_response(fps: u64, dur_ms: u64) -> f32 {
        let mut s = AttitudeSmoother::new(SmoothingConfig::default());
        s.update(0, &a(0.0, 1.0, 0.0));
        let period = 1000 / fps;
        let mut last = 0.0;
        let mut t = period;
        while t <= dur_ms {
            last = s.update(t, &a(0.0, 0.0, 1.0)).get(Attitude::Positive);
            t += period;
        }
        last
    }

    #[test]
    fn same_behaviour_at_5_and_30_fps() {
        // 1 s after a step, both reach 1 - e^-1 = 0.632 (up to the sampling grid: 1000 ms is on both grids).
        let slow = step_response(5, 1000);
        let fast = step_response(40, 1000); // 25 ms period divides 1000 exactly
        assert!((slow - 0.6321).abs() < 1e-3, "{slow}");
        assert!((fast - 0.6321).abs() < 1e-3, "{fast}");
    }

    #[test]
    fn gap_resets_and_no_face_is_untouched() {
        let mut s = AttitudeSmoother::new(SmoothingConfig::default());
        s.update(0, &a(1.0, 0.0, 0.0));
        let after_gap = s.update(10_000, &a(0.0, 0.0, 1.0));
        assert_eq!(after_gap.label(), Attitude::Positive);
        assert!((after_gap.get(Attitude::Positive) - 1.0).abs() < 1e-6);

        let mut sample = Sample::no_face(10_100);
        s.apply(&mut sample);
        assert!(sample.smoothed.is_none() && sample.smoothed_label.is_none());
    }

    #[test]
    fn time_going_backwards_restarts() {
        let mut s = AttitudeSmoother::new(SmoothingConfig::default());
        s.update(5000, &a(1.0, 0.0, 0.0));
        let r = s.update(100, &a(0.0, 1.0, 0.0));
        assert_eq!(r.label(), Attitude::Neutral);
    }

    proptest! {
        #[test]
        fn output_is_a_distribution(steps in proptest::collection::vec((0u64..2000, 0.0f32..1.0, 0.0f32..1.0), 1..50)) {
            let mut s = AttitudeSmoother::new(SmoothingConfig::default());
            let mut t = 0;
            for (dt, u, v) in steps {
                t += dt;
                let (n, z) = (u * (1.0 - v), (1.0 - u) * (1.0 - v));
                let out = s.update(t, &a(n, z, v));
                let sum: f32 = out.values().iter().sum();
                prop_assert!((sum - 1.0).abs() < 1e-5);
                prop_assert!(out.values().iter().all(|x| (0.0..=1.0).contains(x)));
            }
        }
    }
}
