//! `mien doctor`: what this installation would run with, and whether it can.

use anyhow::Result;
use clap::Args;
use mien_vision::{
    ClassifierChoice, DetectorMode, ModelStore, Runtime,
    models::{ModelCheck, locate_models_dir},
};
use serde::Serialize;

use crate::{EXIT_SETUP, setup::SetupArgs};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
struct Report {
    ok: bool,
    runtime: Option<RuntimeReport>,
    runtime_error: Option<String>,
    models_dir: Option<String>,
    models: Vec<ModelReport>,
    models_error: Option<String>,
    /// Loading every model on the requested provider (this is when a GPU provider can still fail).
    load_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct RuntimeReport {
    library: String,
    found_via: String,
    version: String,
    available_providers: Vec<String>,
    requested_provider: String,
    active_provider: String,
    fallback_reason: Option<String>,
}

#[derive(Debug, Serialize)]
struct ModelReport {
    id: String,
    path: String,
    sha256: Option<String>,
    expected_sha256: String,
    ok: bool,
}

impl From<ModelCheck> for ModelReport {
    fn from(c: ModelCheck) -> Self {
        Self {
            ok: c.ok(),
            id: c.id,
            path: c.path.display().to_string(),
            sha256: c.actual_sha256,
            expected_sha256: c.expected_sha256,
        }
    }
}

fn runtime_report(rt: &Runtime) -> RuntimeReport {
    let st = rt.provider_status();
    RuntimeReport {
        library: rt.library().path.display().to_string(),
        found_via: rt.library().source.to_string(),
        version: rt.version().to_string(),
        available_providers: rt.available_providers().iter().map(|p| p.name().to_string()).collect(),
        requested_provider: st.requested.name().into(),
        active_provider: st.active.name().into(),
        fallback_reason: st.fallback_reason,
    }
}

pub fn run(setup: &SetupArgs, args: &DoctorArgs) -> Result<u8> {
    let mut r = Report::default();
    let runtime = Runtime::load(&setup.runtime_config()).map_err(|e| r.runtime_error = Some(e.to_string())).ok();
    let store = locate_models_dir(setup.models.as_deref(), &[])
        .and_then(|d| ModelStore::open(&d))
        .map_err(|e| r.models_error = Some(e.to_string()))
        .ok();
    if let Some(store) = &store {
        r.models_dir = Some(store.dir().display().to_string());
        r.models = store.verify().into_iter().map(ModelReport::from).collect();
    }
    if let (Some(rt), Some(store)) = (&runtime, &store) {
        // Creating the sessions is what really decides the active provider.
        if let Err(e) = store
            .detector(rt, DetectorMode::Auto)
            .and_then(|_| store.classifier(rt, ClassifierChoice::Mien))
            .and_then(|_| store.classifier(rt, ClassifierChoice::Ensemble))
        {
            r.load_error = Some(e.to_string());
        }
        r.runtime = Some(runtime_report(rt));
    }
    r.ok = r.runtime_error.is_none()
        && r.models_error.is_none()
        && r.load_error.is_none()
        && !r.models.is_empty()
        && r.models.iter().all(|m| m.ok);

    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_text(&r);
    }
    Ok(if r.ok { 0 } else { EXIT_SETUP })
}

fn print_text(r: &Report) {
    match (&r.runtime, &r.runtime_error) {
        (Some(rt), _) => {
            println!("ONNX Runtime   {} ({})", rt.version, rt.library);
            println!("  found via    {}", rt.found_via);
            println!("  providers    available: {}", rt.available_providers.join(", "));
            println!("  provider     requested {}, active {}", rt.requested_provider, rt.active_provider);
            if let Some(reason) = &rt.fallback_reason {
                println!("  fallback     {reason}");
            }
        }
        (None, Some(e)) => println!("ONNX Runtime   MISSING: {e}"),
        (None, None) => println!("ONNX Runtime   not checked"),
    }
    match (&r.models_dir, &r.models_error) {
        (Some(dir), _) => println!("Models         {dir}"),
        (None, Some(e)) => println!("Models         MISSING: {e}"),
        (None, None) => {}
    }
    for m in &r.models {
        let state = match (&m.sha256, m.ok) {
            (None, _) => "MISSING ".to_string(),
            (Some(_), true) => "ok      ".to_string(),
            (Some(_), false) => "MODIFIED".to_string(),
        };
        println!("  {state} {:<16} sha256 {}", m.id, m.sha256.as_deref().unwrap_or("-"));
    }
    if let Some(e) = &r.load_error {
        println!("Loading models FAILED: {e}");
    }
    println!("{}", if r.ok { "Everything needed is in place." } else { "Something is missing: see above." });
}
