#!/usr/bin/env bash
# q-status tmux plugin (TPM-compatible): replaces #{q_status} in status-left and status-right
# with the gauge of the active pane's directory.
#
#     set -g @plugin '<owner>/q-status'        # with TPM, or without it:
#     run-shell /path/to/q-status/tmux/q-status.tmux
#     set -g status-right '#{q_status} %H:%M'  # before the line above
#
# Options (tmux user options, read each time the bar refreshes, so they can change later):
#     @q_status_bin     the q-status program (default: q-status, looked up in PATH)
#     @q_status_format  a template such as '<pct>%' (default: q-status's own config)
#     @q_status_color   auto, always or never (default: auto)
#
# The inserted job passes every value through #{q:...}, tmux's own shell quoting, so paths and
# templates with spaces, quotes, '#', '%' or ')' need no escaping by hand.

set -u

interpolation='#(#{q:@q_status_bin} --shell tmux --dir #{q:pane_current_path}'
interpolation+='#{?@q_status_format, --format #{q:@q_status_format},}'
interpolation+='#{?@q_status_color, --color #{q:@q_status_color},})'

if [[ -z $(tmux show-option -gqv @q_status_bin) ]]; then
  tmux set-option -gq @q_status_bin q-status
fi

for side in status-left status-right; do
  value=$(tmux show-option -gqv "$side")
  # A quoted replacement: bash 5.2 would read a bare '&' in it as the matched text.
  new=${value//'#{q_status}'/"$interpolation"}
  if [[ $new != "$value" ]]; then
    tmux set-option -gq "$side" "$new"
  fi
done
