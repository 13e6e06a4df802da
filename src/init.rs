//! `q-status init`: shell, starship and tmux integration scripts. (Being built: issue 3.)
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// zsh, bash, fish, starship or tmux
    pub shell: String,
}

pub fn run(_args: &InitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("init is not built yet")
}
