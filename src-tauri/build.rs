//! Declares every IPC command in the app manifest, so that each one gets an `allow-<command>` permission that
//! `capabilities/main.json` grants to the main window only (anything not granted is refused by Tauri's ACL).

include!("src/commands_list.rs");

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
