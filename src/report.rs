//! `q-status report`. (Being built: issue 5.)
use std::process::ExitCode;

use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {}

pub fn run(_s: &Settings, _args: &ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("report is not built yet")
}
