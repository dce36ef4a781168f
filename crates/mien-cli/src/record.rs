//! Output formats of the CLI; the per-sample record itself lives in `mien_report::record`.

use std::io::Write;

pub use mien_report::record::{CSV_HEADER, Record};

/// Output of the report-like commands (`eval`, `bench`): text for people, one JSON object for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

/// Write one record in `format` (one line).
pub fn write(record: &Record<'_>, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, record)?;
            out.write_all(b"\n")
        }
        Format::Csv => writeln!(out, "{}", record.csv_row()),
    }
}
