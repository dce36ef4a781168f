//! Placeholder for Mien's desktop app (Tauri 2). It is deliberately empty: the app is the subject of its own issue
//! and will be a thin adapter from IPC to `mien-vision` (and the session store). It exists so the workspace has the
//! shape of the design card. It does nothing but say so.

fn main() -> std::process::ExitCode {
    eprintln!("The Mien desktop app is not built yet. Use the `mien` command line (see README.md).");
    std::process::ExitCode::from(2)
}
