# Sourced by the scripts/gpu/verify-*.sh wrappers: what every GPU check needs around its Python script.
# run_gpu_check SCRIPT DEFAULT_OUT [OUT dir] [script options]: from the repository root, with python/ on PYTHONPATH,
# offline Hugging Face and unbuffered output, runs scripts/gpu/SCRIPT --out OUT (OUT: the first argument, else $OUT,
# else DEFAULT_OUT) with the remaining options.
run_gpu_check() {
  local script="$1" default_out="$2"
  shift 2
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  local out="${1:-${OUT:-$default_out}}"
  mkdir -p "$out"
  export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
  export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
  python3 "scripts/gpu/$script" --out "$out" "${@:2}"
}
