# Shared by the project's entry scripts: install what a fresh Debian machine lacks, quietly when
# everything is already there.

# The command each package provides, to tell without dpkg whether it is installed.
declare -A PACKAGE_COMMAND=(
  [gzip]=gzip [tar]=tar [coreutils]=sha256sum [util-linux]=setpriv [python3]=python3
  [pigz]=pigz [time]=/usr/bin/time
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_debian_packages() {
  local missing=()
  for package in "$@"; do
    local probe="${PACKAGE_COMMAND[$package]:-}"
    if [ -n "$probe" ] && command -v "$probe" >/dev/null 2>&1; then continue; fi
    if dpkg -s "$package" >/dev/null 2>&1; then continue; fi
    missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

ensure_rust_components() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install Rust from rustup.rs, then run this again." >&2
    exit 1
  fi
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
}
