# q-status: the context-window gauge of the Amazon Q / Kiro chat in this directory, in the fish
# prompt. Load it at the end of ~/.config/fish/config.fish, after anything defining a prompt:
#
#     q-status init fish | source                     # right prompt (fish_right_prompt)
#     q-status init fish --placement left | source    # before fish_prompt
#     q-status init fish --placement none | source    # only set $Q_STATUS_SEGMENT
#
# Before each prompt (the fish_prompt event) q-status runs once and its output goes to
# $Q_STATUS_SEGMENT, so repaints cost nothing. With `none`, print it from your own prompt:
#     function fish_right_prompt; printf '%s' $Q_STATUS_SEGMENT; end
#
# `q-status init fish` fills in the two quoted values below.

set -g _q_status_bin '::Q_STATUS_BIN::'
set -g _q_status_placement '::Q_STATUS_PLACEMENT::'

function _q_status_update --on-event fish_prompt
    set -g Q_STATUS_SEGMENT
    if test -x "$_q_status_bin"
        set -g Q_STATUS_SEGMENT ("$_q_status_bin" --shell fish 2>/dev/null)
        or set -g Q_STATUS_SEGMENT
    end
end

# Puts back the prompt function we wrapped on an earlier load (the user's is kept under $saved),
# so loading twice (or with another placement) never shows the gauge twice.
function _q_status_unwrap --argument-names prompt saved
    if functions -q $prompt; and string match -q '*_q_status_*' -- (functions $prompt)
        functions -e $prompt
        functions -q $saved; and functions -c $saved $prompt
    end
    functions -e $saved
end

# Keeps the user's prompt function, if any, under $saved.
function _q_status_keep --argument-names prompt saved
    functions -q $prompt; and functions -c $prompt $saved
end

_q_status_unwrap fish_prompt _q_status_user_prompt
_q_status_unwrap fish_right_prompt _q_status_user_right_prompt

# Sets $status for the next command, so a wrapped prompt still sees the last command's status.
function _q_status_return
    return $argv[1]
end

switch $_q_status_placement
    case right
        _q_status_keep fish_right_prompt _q_status_user_right_prompt
        function fish_right_prompt
            set -l last $status
            set -l user
            if functions -q _q_status_user_right_prompt
                set user (_q_status_return $last; _q_status_user_right_prompt)
            end
            printf '%s' $user
            test -n "$user"; and test -n "$Q_STATUS_SEGMENT"; and printf ' '
            printf '%s' $Q_STATUS_SEGMENT
        end
    case left
        _q_status_keep fish_prompt _q_status_user_prompt
        function fish_prompt
            set -l last $status
            test -n "$Q_STATUS_SEGMENT"; and printf '%s ' "$Q_STATUS_SEGMENT"
            if functions -q _q_status_user_prompt
                _q_status_return $last
                _q_status_user_prompt
            end
        end
end
