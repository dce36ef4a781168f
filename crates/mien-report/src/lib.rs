//! Session reports as files, the same for the desktop app and the CLI:
//! - **JSON**: the whole [`SessionExport`] (session, consent record, markers, notes, summary, samples, limits);
//! - **CSV**: one row per sample ([`record::CSV_HEADER`]);
//! - **PDF**: a readable report (summary, timeline chart with markers, segments, data quality, notes and the limits
//!   of the method), written by the small PDF writer in [`pdf`] (no dependency, standard fonts only).
//!
//! Exports hold figures only: frames and face crops are never stored, so they cannot be exported.

pub mod pdf;
pub mod record;

use std::fmt::Write as _;

use mien_store::{SessionExport, SessionInfo};

/// The file formats a session can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
    Pdf,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [Self::Json, Self::Csv, Self::Pdf];

    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Pdf => "pdf",
        }
    }

    /// The file extension (without the dot).
    pub fn extension(self) -> &'static str {
        self.name()
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown export format `{s}` (json, csv or pdf)"))
    }
}

/// The export as bytes in `format`.
pub fn render(export: &SessionExport, format: ExportFormat) -> Vec<u8> {
    match format {
        ExportFormat::Json => json(export).into_bytes(),
        ExportFormat::Csv => csv(export).into_bytes(),
        ExportFormat::Pdf => pdf::report(export),
    }
}

/// Pretty-printed JSON with a trailing newline.
pub fn json(export: &SessionExport) -> String {
    // Serialising plain data (no maps with non-string keys, no failing Serialize impls) cannot fail.
    let mut s = serde_json::to_string_pretty(export).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// A header line and one row per sample; the `source` column is `session:<id>`.
pub fn csv(export: &SessionExport) -> String {
    let source = format!("session:{}", export.session.id);
    let mut out = String::with_capacity(64 * (export.samples.len() + 1));
    let _ = writeln!(out, "{}", record::CSV_HEADER);
    for s in &export.samples {
        let _ = writeln!(out, "{}", record::Record::new(&source, s).csv_row());
    }
    out
}

/// A suggested file name: `mien-session-<id>-<yyyymmdd>.<ext>` (no candidate name in it).
pub fn file_name(session: &SessionInfo, format: ExportFormat) -> String {
    format!("mien-session-{}-{}.{}", session.id, session.started_at.format("%Y%m%d"), format.extension())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mien_store::{NewSession, SourceKind, Store};

    /// A real session in an in-memory store: 2 minutes at 5 samples/s with a marker and a note.
    pub fn sample_export() -> SessionExport {
        let mut store = Store::open_in_memory().expect("store");
        let mut new = NewSession::practice(SourceKind::Video, "mien", "cpu");
        new.source_name = Some("clip (1).mp4".into());
        let id = store.create_session(&new, "test").expect("create");
        let samples: Vec<_> = (0..600u64)
            .map(|i| {
                let t = i * 200;
                if i % 50 == 7 {
                    mien_core::Sample::no_face(t)
                } else {
                    // canonical order: angry, disgust, fear, happy, sad, surprise, neutral
                    let p = match (i / 100) % 3 {
                        0 => [0.05, 0.0, 0.05, 0.2, 0.0, 0.0, 0.7],
                        1 => [0.05, 0.0, 0.05, 0.7, 0.0, 0.0, 0.2],
                        _ => [0.3, 0.1, 0.1, 0.1, 0.1, 0.0, 0.3],
                    };
                    let face = mien_core::FaceObservation {
                        bbox: mien_core::FaceBox::new(100.0, 80.0, 260.0, 240.0),
                        score: 0.9,
                    };
                    let probs = mien_core::ExpressionProbs::new(&p).expect("probs");
                    mien_core::Sample::with_face(t, 1, face, probs, (640, 480), &Default::default())
                }
            })
            .collect();
        store.append_samples(id, &samples).expect("samples");
        store.add_marker(id, 40_000, "Question 2: salary (é)").expect("marker");
        store.add_note(id, Some(50_000), "Asked for a break (\\ and ) in text)").expect("note");
        store.finish_session(id).expect("finish");
        store.export(id, "test", "json").expect("export")
    }

    #[test]
    fn csv_has_a_row_per_sample_and_the_header_columns() {
        let e = sample_export();
        let text = csv(&e);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), e.samples.len() + 1);
        let cols = lines[0].split(',').count();
        assert!(lines[1..].iter().all(|l| l.split(',').count() == cols), "ragged CSV");
        assert!(lines[1].starts_with(&format!("session:{},0,", e.session.id)));
    }

    #[test]
    fn json_round_trips() {
        let e = sample_export();
        let back: SessionExport = serde_json::from_str(&json(&e)).expect("parse");
        assert_eq!(back, e);
    }

    #[test]
    fn file_names_carry_no_personal_data() {
        let e = sample_export();
        let name = file_name(&e.session, ExportFormat::Pdf);
        assert!(name.starts_with("mien-session-") && name.ends_with(".pdf"), "{name}");
        assert!("PDF".parse::<ExportFormat>().is_ok() && "xml".parse::<ExportFormat>().is_err());
    }
}
