# shellcheck shell=bash
# q-status: the context-window gauge of the Amazon Q / Kiro chat in this directory, in the bash
# prompt. Load it from ~/.bashrc, after anything else that sets PS1 or PROMPT_COMMAND:
#
#     eval "$(q-status init bash)"                    # before PS1
#     eval "$(q-status init bash --placement none)"   # only set $Q_STATUS_SEGMENT
#
# Before each prompt (PROMPT_COMMAND, added after what is already there) q-status runs once; its
# output goes to $Q_STATUS_SEGMENT, escaped to be pasted into PS1 as it is (needs the default
# `shopt -s promptvars`). With `none`, place it yourself from your own PROMPT_COMMAND:
#     PS1="$Q_STATUS_SEGMENT \w \$ "
#
# `q-status init bash` fills in the two quoted values below.

_q_status_bin='::Q_STATUS_BIN::'
_q_status_placement='::Q_STATUS_PLACEMENT::'

# Loaded before? Put PS1 back as it was, so loading twice (or with another placement) never
# shows the gauge twice.
if [[ -n ${_q_status_built+set} && ${PS1-} == "$_q_status_built" ]]; then
  PS1=${_q_status_base-}
fi
# _q_status_base: PS1 without the gauge; _q_status_built: what we last set PS1 to (any other
# value means the user or another prompt tool changed it).
_q_status_base=${PS1-}
_q_status_built=$_q_status_base

_q_status_hook() {
  local rc=$? seg=
  if [[ -x $_q_status_bin ]]; then
    seg=$("$_q_status_bin" --shell bash 2>/dev/null) || seg=
  fi
  # shellcheck disable=SC2034 # read by the user's own PS1 with --placement none
  Q_STATUS_SEGMENT=$seg
  if [[ $_q_status_placement == left ]]; then
    [[ ${PS1-} == "$_q_status_built" ]] || _q_status_base=${PS1-}
    if [[ -n $seg ]]; then
      _q_status_built="$seg $_q_status_base"
    else
      _q_status_built=$_q_status_base
    fi
    PS1=$_q_status_built
  fi
  # Hand the last command's status on to PS1 and to what runs after us.
  return "$rc"
}

# PROMPT_COMMAND is a string, or an array since bash 5.1: append to whichever it is, once.
if [[ $(declare -p PROMPT_COMMAND 2>/dev/null) == "declare -a"* ]]; then
  case " ${PROMPT_COMMAND[*]} " in
    *" _q_status_hook "*) ;;
    *) PROMPT_COMMAND+=(_q_status_hook) ;;
  esac
else
  # shellcheck disable=SC2128,SC2178 # here PROMPT_COMMAND is a plain string
  case ${PROMPT_COMMAND-} in
    *_q_status_hook*) ;;
    '') PROMPT_COMMAND=_q_status_hook ;;
    *) PROMPT_COMMAND=${PROMPT_COMMAND}$'\n'_q_status_hook ;;
  esac
fi
