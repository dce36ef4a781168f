//! `mien eval`: attitude accuracy of a classifier on labelled 48x48 faces (`.npz`: `images`, `label7`, optional
//! `ferplus_votes`, `split_code`, `row_exact`, `exact_dup`), through the same classifier code the app uses: each
//! image is the face crop (gray expanded to RGB), resized and normalised by the model's own spec.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use image::RgbImage;
use mien_core::{
    Attitude,
    metrics::{Confusion, Metrics},
};
use mien_vision::ClassifierChoice;
use serde::Serialize;

use crate::{npz::Npz, record::ReportFormat, setup::SetupArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Labels {
    /// The original FER2013 label, bucketed (happy -> positive, neutral -> neutral, others -> negative).
    Fer2013,
    /// The FER+ plurality vote (contempt -> negative); rows whose plurality is unknown / not a face, or whose votes
    /// are not exactly aligned (`row_exact` false), are left out.
    Ferplus,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The labelled data (.npz).
    pub npz: PathBuf,
    /// Only rows with this `split_code` (FER2013: 0 Training, 1 PublicTest, 2 PrivateTest), or its name.
    #[arg(long, value_parser = parse_split)]
    pub split: Option<u8>,
    #[arg(long, value_enum, default_value = "fer2013")]
    pub labels: Labels,
    /// mien (default), mini-xception, faceapi or ensemble.
    #[arg(long, default_value = "mien")]
    pub model: ClassifierChoice,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Write the confusion matrices as PNG images into this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Evaluate only the first N selected rows (quick checks).
    #[arg(long)]
    pub limit: Option<usize>,
}

fn parse_split(s: &str) -> Result<u8, String> {
    match s.to_ascii_lowercase().as_str() {
        "training" | "train" => Ok(0),
        "publictest" | "public" => Ok(1),
        "privatetest" | "private" => Ok(2),
        n => n.parse().map_err(|_| format!("unknown split `{s}` (0/training, 1/publictest, 2/privatetest)")),
    }
}

/// FER2013 label7 order: angry, disgust, fear, happy, sad, surprise, neutral.
pub fn fer2013_attitude(label7: i64) -> Option<Attitude> {
    match label7 {
        3 => Some(Attitude::Positive),
        6 => Some(Attitude::Neutral),
        0 | 1 | 2 | 4 | 5 => Some(Attitude::Negative),
        _ => None,
    }
}

/// FER+ votes order: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
/// Plurality = first maximum (as numpy's argmax); unknown / NF / no votes -> `None`.
pub fn ferplus_attitude(votes: &[i64]) -> Option<Attitude> {
    let mut best = 0;
    for (i, &v) in votes.iter().enumerate() {
        if v > votes[best] {
            best = i;
        }
    }
    if votes.get(best).copied().unwrap_or(0) == 0 {
        return None;
    }
    match best {
        0 => Some(Attitude::Neutral),
        1 => Some(Attitude::Positive),
        2..=7 => Some(Attitude::Negative),
        _ => None,
    }
}

#[derive(Debug, Serialize)]
struct Report {
    model: String,
    labels: Labels,
    split: Option<u8>,
    classes: [&'static str; 3],
    /// n, accuracy, macro_f1, mcc, kappa, recall, precision, f1, confusion, confusion_normalised (top level in JSON)
    #[serde(flatten)]
    all: Metrics,
    /// The same on rows without an exact duplicate anywhere in the file (`exact_dup` false).
    dedup: Option<Metrics>,
}

pub fn run(setup: &SetupArgs, args: &EvalArgs) -> Result<u8> {
    let mut npz = Npz::open(&args.npz)?;
    let images = npz.array("images")?;
    if images.shape.len() != 3 || images.shape[1] != 48 || images.shape[2] != 48 {
        bail!("`images` must be (N, 48, 48) uint8, found {:?}", images.shape);
    }
    let n = images.shape[0];
    let optional = |npz: &mut Npz, name: &str| -> Result<Option<Vec<i64>>> {
        if npz.has(name) { Ok(Some(npz.array(name)?.data)) } else { Ok(None) }
    };
    let label7 = npz.array("label7")?.data;
    let split = optional(&mut npz, "split_code")?;
    let votes = optional(&mut npz, "ferplus_votes")?;
    let row_exact = optional(&mut npz, "row_exact")?;
    let exact_dup = optional(&mut npz, "exact_dup")?;
    if label7.len() != n {
        bail!("`label7` has {} rows, `images` {n}", label7.len());
    }
    if args.split.is_some() && split.is_none() {
        bail!("--split needs a `split_code` array");
    }
    if args.labels == Labels::Ferplus && votes.is_none() {
        bail!("--labels ferplus needs a `ferplus_votes` array");
    }

    let mut rows: Vec<(usize, Attitude)> = Vec::new();
    for i in 0..n {
        if let (Some(want), Some(codes)) = (args.split, &split)
            && codes[i] != i64::from(want)
        {
            continue;
        }
        let truth = match args.labels {
            Labels::Fer2013 => fer2013_attitude(label7[i]),
            Labels::Ferplus => {
                if row_exact.as_ref().is_some_and(|r| r[i] == 0) {
                    continue;
                }
                votes.as_ref().and_then(|v| ferplus_attitude(&v[i * 10..i * 10 + 10]))
            }
        };
        if let Some(t) = truth {
            rows.push((i, t));
        }
    }
    if let Some(limit) = args.limit {
        rows.truncate(limit);
    }
    if rows.is_empty() {
        bail!("no rows selected");
    }

    let loaded = setup.load()?;
    let mut classifier = loaded.store.classifier(&loaded.runtime, args.model)?;
    let mut all = Confusion::new(3);
    let mut dedup = Confusion::new(3);
    for &(i, truth) in &rows {
        let px = &images.data[i * 48 * 48..(i + 1) * 48 * 48];
        let crop = RgbImage::from_fn(48, 48, |x, y| {
            let v = px[(y * 48 + x) as usize] as u8;
            image::Rgb([v, v, v])
        });
        let predicted = classifier.classify(&crop).with_context(|| format!("row {i}"))?.attitude().label();
        all.add(truth.index(), predicted.index());
        if exact_dup.as_ref().is_some_and(|d| d[i] == 0) {
            dedup.add(truth.index(), predicted.index());
        }
    }
    let report = Report {
        model: classifier.id().to_string(),
        labels: args.labels,
        split: args.split,
        classes: ["negative", "neutral", "positive"],
        all: all.metrics(),
        dedup: exact_dup.is_some().then(|| dedup.metrics()),
    };
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let stem = format!("confusion_{}_{:?}", report.model.replace(['(', ')', ','], "_"), args.labels).to_lowercase();
        write_confusion_png(&report.all, &dir.join(format!("{stem}.png")))?;
        if let Some(d) = &report.dedup {
            write_confusion_png(d, &dir.join(format!("{stem}_dedup.png")))?;
        }
    }
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ReportFormat::Text => print_text(&report),
    }
    Ok(0)
}

fn print_text(r: &Report) {
    let m = &r.all;
    println!("model {}  labels {:?}  split {:?}", r.model, r.labels, r.split);
    let line = |name: &str, m: &Metrics| {
        println!(
            "{name:<8} n {:>5}  accuracy {:.4}  macro-F1 {:.4}  MCC {:.4}  kappa {:.4}  recall neg/neu/pos {:.3}/{:.3}/{:.3}",
            m.n, m.accuracy, m.macro_f1, m.mcc, m.kappa, m.recall[0], m.recall[1], m.recall[2]
        )
    };
    line("all", m);
    if let Some(d) = &r.dedup {
        line("dedup", d);
    }
    println!("confusion (rows = truth negative/neutral/positive, columns = predicted; counts | row share)");
    for (i, name) in r.classes.iter().enumerate() {
        println!(
            "  {name:<8} {:>6} {:>6} {:>6} | {:.3} {:.3} {:.3}",
            m.confusion[i][0],
            m.confusion[i][1],
            m.confusion[i][2],
            m.confusion_normalised[i][0],
            m.confusion_normalised[i][1],
            m.confusion_normalised[i][2]
        );
    }
}

/// 3x5 bitmap glyphs for digits and '.', enough to print shares in the cells.
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '.' => [0, 0, 0, 0, 2],
        _ => [0; 5],
    }
}

/// A 3x3 heat map of the row-normalised confusion (darker = larger share), each cell labelled with its share.
/// Rows: true negative / neutral / positive (top to bottom); columns: predicted, same order.
fn write_confusion_png(m: &Metrics, path: &Path) -> Result<()> {
    const CELL: u32 = 120;
    const SCALE: u32 = 6;
    let mut img = RgbImage::from_pixel(CELL * 3, CELL * 3, image::Rgb([255, 255, 255]));
    for (i, row) in m.confusion_normalised.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let shade = (255.0 - v * 200.0) as u8;
            let colour = image::Rgb([shade, shade, 255]);
            for y in 0..CELL - 2 {
                for x in 0..CELL - 2 {
                    img.put_pixel(j as u32 * CELL + x, i as u32 * CELL + y, colour);
                }
            }
            let text = format!("{v:.2}");
            let ink = if v > 0.5 { image::Rgb([255, 255, 255]) } else { image::Rgb([0, 0, 60]) };
            let (x0, y0) = (j as u32 * CELL + 20, i as u32 * CELL + 45);
            for (k, c) in text.chars().enumerate() {
                for (gy, bits) in glyph(c).iter().enumerate() {
                    for gx in 0..3u32 {
                        if bits & (4 >> gx) != 0 {
                            for dy in 0..SCALE {
                                for dx in 0..SCALE {
                                    let x = x0 + k as u32 * 4 * SCALE + gx * SCALE + dx;
                                    let y = y0 + gy as u32 * SCALE + dy;
                                    if x < img.width() && y < img.height() {
                                        img.put_pixel(x, y, ink);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    img.save(path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_mappings() {
        assert_eq!(fer2013_attitude(3), Some(Attitude::Positive));
        assert_eq!(fer2013_attitude(6), Some(Attitude::Neutral));
        assert_eq!(fer2013_attitude(1), Some(Attitude::Negative));
        assert_eq!(fer2013_attitude(7), None);
        assert_eq!(ferplus_attitude(&[0, 6, 2, 0, 0, 0, 0, 2, 0, 0]), Some(Attitude::Positive));
        assert_eq!(ferplus_attitude(&[0, 0, 0, 0, 0, 0, 0, 9, 1, 0]), Some(Attitude::Negative), "contempt");
        assert_eq!(ferplus_attitude(&[4, 4, 0, 0, 0, 0, 0, 0, 2, 0]), Some(Attitude::Neutral), "tie: first");
        assert_eq!(ferplus_attitude(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 9]), None, "not a face");
        assert_eq!(ferplus_attitude(&[0; 10]), None);
    }
}
