//! `mien`: Mien's headless command line. Analyse images, folders and videos into timestamped attitude samples;
//! check the installation (`mien doctor`).
//!
//! Exit codes: 0 success; 1 some input could not be analysed (the others were); 2 usage error; 3 the set-up is
//! incomplete (ONNX Runtime or a model missing or broken).

mod analyze;
mod bench;
mod doctor;
mod eval;
mod npz;
mod record;
mod sessions;
mod setup;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "mien", version, about = "Facial-expression attitude analysis, on this machine only")]
struct Cli {
    #[command(flatten)]
    setup: setup::SetupArgs,
    #[command(flatten)]
    db: sessions::DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse images, folders of images and video files; one sample per image / sampled video frame.
    Analyze(analyze::AnalyzeArgs),
    /// Sessions stored with `analyze --save` (and by the app): list, show, export, delete, purge, policy, audit.
    Sessions {
        #[command(subcommand)]
        command: sessions::SessionsCommand,
    },
    /// Attitude accuracy of a model on labelled faces (.npz): accuracy, macro-F1, MCC, kappa, confusion matrix.
    Eval(eval::EvalArgs),
    /// Measure the per-frame path (decode, detect, crop, classify, smooth) on this machine.
    Bench(bench::BenchArgs),
    /// Show the ONNX Runtime, execution providers and models in use; exits non-zero when something is missing.
    Doctor(doctor::DoctorArgs),
}

/// Exit code for an incomplete set-up (runtime or models).
pub const EXIT_SETUP: u8 = 3;
/// Exit code when some inputs failed.
pub const EXIT_INPUT: u8 = 1;

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MIEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,ort=error"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(&cli.setup, &cli.db, &args),
        Command::Sessions { command } => sessions::run(&cli.db, &command),
        Command::Doctor(args) => doctor::run(&cli.setup, &args),
        Command::Eval(args) => eval::run(&cli.setup, &args),
        Command::Bench(args) => bench::run(&cli.setup, &args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mien: error: {e:#}");
            ExitCode::from(if is_setup_error(&e) { EXIT_SETUP } else { EXIT_INPUT })
        }
    }
}

/// Whether an error means the installation is incomplete (as opposed to a bad input).
fn is_setup_error(e: &anyhow::Error) -> bool {
    use mien_vision::VisionError as V;
    matches!(
        e.downcast_ref::<V>(),
        Some(
            V::RuntimeNotFound { .. }
                | V::RuntimeLoad { .. }
                | V::ModelMissing { .. }
                | V::ModelLoad { .. }
                | V::ModelContract { .. }
                | V::UnknownProvider(_)
        )
    )
}

/// Parse a duration like `200ms`, `1s`, `0.5s`, `2m` into milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("`{s}` is not a duration (examples: 200ms, 1s, 0.5s, 2m)"))?;
    let factor = match unit.trim() {
        "ms" => 1.0,
        "s" | "" => 1000.0,
        "m" | "min" => 60_000.0,
        other => return Err(format!("unknown unit `{other}` in `{s}` (ms, s or m)")),
    };
    let ms = value * factor;
    if !(0.0..=86_400_000.0).contains(&ms) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(ms.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("200ms"), Ok(200));
        assert_eq!(parse_duration_ms("1s"), Ok(1000));
        assert_eq!(parse_duration_ms("0.5s"), Ok(500));
        assert_eq!(parse_duration_ms("2m"), Ok(120_000));
        assert_eq!(parse_duration_ms("3"), Ok(3000));
        assert!(parse_duration_ms("fast").is_err());
        assert!(parse_duration_ms("10h").is_err());
        assert!(parse_duration_ms("-1s").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
