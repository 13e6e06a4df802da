# q-status: the context-window gauge of the Amazon Q / Kiro chat in this directory, in the zsh
# prompt. Load it from ~/.zshrc, after any theme:
#
#     eval "$(q-status init zsh)"                     # right prompt (RPROMPT)
#     eval "$(q-status init zsh --placement left)"    # before PROMPT
#     eval "$(q-status init zsh --placement none)"    # only set $Q_STATUS_SEGMENT
#
# Before each prompt (precmd) q-status runs once; its output, already escaped for prompt
# expansion, goes to $Q_STATUS_SEGMENT. With `none`, place it yourself:
#     setopt prompt_subst; RPROMPT='${Q_STATUS_SEGMENT}'
#
# `q-status init zsh` fills in the two quoted values below.

typeset -g _q_status_bin='::Q_STATUS_BIN::'
typeset -g _q_status_placement='::Q_STATUS_PLACEMENT::'

# Loaded before? Put the prompt back as it was, so loading twice (or with another placement)
# never shows the gauge twice.
if [[ -n ${_q_status_target-} && ${(P)_q_status_target-} == "${_q_status_built-}" ]]; then
  typeset -g "${_q_status_target}=${_q_status_base-}"
fi

# _q_status_target: the prompt parameter we edit; _q_status_base: its value without the gauge;
# _q_status_built: what we last set it to (any other value means the user or a theme changed it).
typeset -g _q_status_target= _q_status_base= _q_status_built=
case $_q_status_placement in
  right) _q_status_target=RPROMPT ;;
  left) _q_status_target=PROMPT ;;
esac
if [[ -n $_q_status_target ]]; then
  _q_status_base=${(P)_q_status_target-}
  _q_status_built=$_q_status_base
fi

_q_status_precmd() {
  local subst=0
  [[ -o prompt_subst ]] && subst=1
  emulate -L zsh

  local seg=
  if [[ -x $_q_status_bin ]]; then
    seg=$("$_q_status_bin" --shell zsh 2>/dev/null) || seg=
  fi
  typeset -g Q_STATUS_SEGMENT=$seg
  [[ -n $_q_status_target ]] || return 0

  local current=${(P)_q_status_target-}
  [[ $current == "$_q_status_built" ]] || _q_status_base=$current

  # With prompt_subst the prompt text is expanded again, and the gauge may carry text from the
  # chat database (a model name): refer to the variable rather than pasting its value.
  local part=$seg
  (( subst )) && part='${Q_STATUS_SEGMENT}'

  local built=$_q_status_base
  if [[ -n $seg ]]; then
    if [[ $_q_status_target == PROMPT ]]; then
      built="$part $_q_status_base"
    else
      built="$_q_status_base${_q_status_base:+ }$part"
    fi
  fi
  typeset -g "${_q_status_target}=${built}"
  _q_status_built=$built
}

autoload -Uz add-zsh-hook
add-zsh-hook precmd _q_status_precmd
