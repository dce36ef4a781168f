//! Expressions (7 classes, one canonical order) and attitudes (negative / neutral / positive).
//!
//! The canonical expression order is FER2013's: angry, disgust, fear, happy, sad, surprise, neutral. Every
//! classifier's output is reordered into it before anything else looks at it. The attitude of a face is the bucket
//! sum: happy -> positive, neutral -> neutral, the five others -> negative.

use serde::{Deserialize, Serialize};

/// One of the seven basic expressions, in canonical (FER2013) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Expression {
    Angry,
    Disgust,
    Fear,
    Happy,
    Sad,
    Surprise,
    Neutral,
}

impl Expression {
    /// All expressions in canonical order (index = position in [`ExpressionProbs`]).
    pub const ALL: [Expression; 7] = [
        Expression::Angry,
        Expression::Disgust,
        Expression::Fear,
        Expression::Happy,
        Expression::Sad,
        Expression::Surprise,
        Expression::Neutral,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Expression::Angry => "angry",
            Expression::Disgust => "disgust",
            Expression::Fear => "fear",
            Expression::Happy => "happy",
            Expression::Sad => "sad",
            Expression::Surprise => "surprise",
            Expression::Neutral => "neutral",
        }
    }

    /// The attitude bucket this expression counts towards.
    pub fn attitude(self) -> Attitude {
        match self {
            Expression::Happy => Attitude::Positive,
            Expression::Neutral => Attitude::Neutral,
            _ => Attitude::Negative,
        }
    }
}

/// The attitude shown by a face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Attitude {
    Negative,
    Neutral,
    Positive,
}

impl Attitude {
    /// Index order of [`AttitudeProbs`]: negative, neutral, positive.
    pub const ALL: [Attitude; 3] = [Attitude::Negative, Attitude::Neutral, Attitude::Positive];

    pub fn name(self) -> &'static str {
        match self {
            Attitude::Negative => "negative",
            Attitude::Neutral => "neutral",
            Attitude::Positive => "positive",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Attitude {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Attitude {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Attitude::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown attitude `{s}` (expected negative, neutral or positive)"))
    }
}

/// Why a model output cannot be used as a probability vector.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProbabilityError {
    #[error("expected {expected} values, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("value {index} is not finite ({value})")]
    NotFinite { index: usize, value: f32 },
    #[error("value {index} is outside [0, 1] ({value})")]
    OutOfRange { index: usize, value: f32 },
    #[error("values sum to {sum}, not 1")]
    NotNormalised { sum: f32 },
}

/// Tolerance on the sum of a softmax output (f32 rounding of 7 terms stays far below this).
const SUM_TOLERANCE: f32 = 1e-3;

fn validate(values: &[f32], expected: usize) -> Result<(), ProbabilityError> {
    if values.len() != expected {
        return Err(ProbabilityError::WrongLength { expected, got: values.len() });
    }
    for (index, &value) in values.iter().enumerate() {
        if !value.is_finite() {
            return Err(ProbabilityError::NotFinite { index, value });
        }
        if !(0.0..=1.0 + SUM_TOLERANCE).contains(&value) {
            return Err(ProbabilityError::OutOfRange { index, value });
        }
    }
    let sum: f32 = values.iter().sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        return Err(ProbabilityError::NotNormalised { sum });
    }
    Ok(())
}

fn argmax(values: &[f32]) -> usize {
    // First maximum wins on ties, so the result is deterministic.
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Seven expression probabilities in canonical order. Always finite, in [0, 1], summing to 1 (checked on creation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExpressionProbs([f32; 7]);

impl ExpressionProbs {
    /// Validate a canonical-order probability vector (e.g. a model's softmax already reordered).
    pub fn new(values: &[f32]) -> Result<Self, ProbabilityError> {
        validate(values, 7)?;
        let mut out = [0.0; 7];
        out.copy_from_slice(values);
        Ok(Self(out))
    }

    /// Reorder a model's output into canonical order: `canonical[i] = model[map[i]]`, then validate.
    pub fn from_model_order(model: &[f32], map: &[usize; 7]) -> Result<Self, ProbabilityError> {
        validate(model, 7)?;
        let mut out = [0.0; 7];
        for (o, &m) in out.iter_mut().zip(map) {
            *o = model[m];
        }
        Ok(Self(out))
    }

    /// Element-wise mean of several probability vectors (a simple ensemble). `None` for an empty slice.
    pub fn mean(all: &[ExpressionProbs]) -> Option<Self> {
        if all.is_empty() {
            return None;
        }
        let mut out = [0.0f32; 7];
        for p in all {
            for (o, v) in out.iter_mut().zip(p.0) {
                *o += v;
            }
        }
        let n = all.len() as f32;
        for o in &mut out {
            *o /= n;
        }
        Some(Self(out))
    }

    pub fn values(&self) -> &[f32; 7] {
        &self.0
    }

    pub fn get(&self, e: Expression) -> f32 {
        self.0[e as usize]
    }

    pub fn top(&self) -> Expression {
        Expression::ALL[argmax(&self.0)]
    }

    /// Bucket sums: negative = ((((angry + disgust) + fear) + sad) + surprise), neutral, positive = happy.
    /// The summation order is fixed so results are bit-for-bit reproducible.
    pub fn attitude(&self) -> AttitudeProbs {
        let p = &self.0;
        let negative = (((p[0] + p[1]) + p[2]) + p[4]) + p[5];
        AttitudeProbs([negative, p[6], p[3]])
    }
}

/// Attitude probabilities, order negative, neutral, positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AttitudeProbs(pub(crate) [f32; 3]);

impl AttitudeProbs {
    pub fn new(values: &[f32]) -> Result<Self, ProbabilityError> {
        validate(values, 3)?;
        Ok(Self([values[0], values[1], values[2]]))
    }

    pub fn values(&self) -> &[f32; 3] {
        &self.0
    }

    pub fn get(&self, a: Attitude) -> f32 {
        self.0[a.index()]
    }

    /// The most probable attitude (first on ties: negative before neutral before positive).
    pub fn label(&self) -> Attitude {
        Attitude::ALL[argmax(&self.0)]
    }

    /// Probability of the most probable attitude.
    pub fn confidence(&self) -> f32 {
        self.0[argmax(&self.0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_product_mapping() {
        for e in Expression::ALL {
            let mut v = [0.0; 7];
            v[e as usize] = 1.0;
            let p = ExpressionProbs::new(&v).expect("valid");
            assert_eq!(p.attitude().label(), e.attitude(), "{e:?}");
            assert_eq!(p.top(), e);
        }
    }

    #[test]
    fn faceapi_order_is_reordered_to_canonical() {
        // face-api order: neutral, happy, sad, angry, fearful, disgusted, surprised
        let map = [3, 5, 4, 1, 2, 6, 0];
        let model = [0.5, 0.2, 0.1, 0.05, 0.05, 0.04, 0.06];
        let p = ExpressionProbs::from_model_order(&model, &map).expect("valid");
        assert_eq!(p.get(Expression::Neutral), 0.5);
        assert_eq!(p.get(Expression::Happy), 0.2);
        assert_eq!(p.get(Expression::Sad), 0.1);
        assert_eq!(p.get(Expression::Angry), 0.05);
        assert_eq!(p.get(Expression::Surprise), 0.06);
        let a = p.attitude();
        assert!((a.get(Attitude::Negative) - 0.3).abs() < 1e-6);
        assert_eq!(a.label(), Attitude::Neutral);
    }

    #[test]
    fn malformed_outputs_are_rejected() {
        assert!(matches!(ExpressionProbs::new(&[0.5; 6]), Err(ProbabilityError::WrongLength { .. })));
        let mut nan = [1.0 / 7.0; 7];
        nan[2] = f32::NAN;
        assert!(matches!(ExpressionProbs::new(&nan), Err(ProbabilityError::NotFinite { index: 2, .. })));
        let mut neg = [0.2; 7];
        neg[0] = -0.2;
        assert!(matches!(ExpressionProbs::new(&neg), Err(ProbabilityError::OutOfRange { .. })));
        assert!(matches!(ExpressionProbs::new(&[0.5; 7]), Err(ProbabilityError::NotNormalised { .. })));
        assert!(AttitudeProbs::new(&[f32::INFINITY, 0.0, 0.0]).is_err());
    }

    #[test]
    fn mean_is_elementwise() {
        let a = ExpressionProbs::new(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]).expect("valid");
        let b = ExpressionProbs::new(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]).expect("valid");
        let m = ExpressionProbs::mean(&[a, b]).expect("non-empty");
        assert_eq!(m.values(), &[0.5, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0]);
        assert!(ExpressionProbs::mean(&[]).is_none());
    }

    #[test]
    fn attitude_names_round_trip() {
        for a in Attitude::ALL {
            assert_eq!(a.name().parse::<Attitude>(), Ok(a));
            assert_eq!(serde_json::to_string(&a).expect("ser"), format!("\"{}\"", a.name()));
        }
        assert!("happy".parse::<Attitude>().is_err());
    }
}
