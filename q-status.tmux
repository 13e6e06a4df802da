#!/usr/bin/env bash
# TPM runs the *.tmux files at the top of a plugin's repository: the plugin is tmux/q-status.tmux.
exec "$(dirname "${BASH_SOURCE[0]}")/tmux/q-status.tmux" "$@"
