# Shared by the project's entry scripts: install what a fresh Debian machine lacks, quietly when
# everything is already there.

# The command each package provides, to tell without dpkg whether it is installed.
declare -A PACKAGE_COMMAND=(
  [gzip]=gzip [tar]=tar [coreutils]=sha256sum [util-linux]=setpriv [python3]=python3
  [pigz]=pigz [time]=/usr/bin/time [rclone]=rclone
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

# What the desktop app needs to build (Tauri 2 on WebKitGTK) and to run headless and under test.
APP_BUILD_PACKAGES=(libwebkit2gtk-4.1-dev build-essential file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config)
APP_TEST_PACKAGES=(xvfb xauth imagemagick webkit2gtk-driver xdotool python3-gi gir1.2-gtk-3.0 dbus python3-dbusmock python3-xlib)

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    ensure_debian_packages nodejs npm
  fi
}

# Installs the UI's npm packages when they are missing or the lock file changed since.
ensure_npm_packages() {
  ensure_node
  local stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "==> npm ci"
    npm ci --no-audit --no-fund
  fi
}

ensure_tauri_driver() {
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  if [ ! -x "$cargo_bin/tauri-driver" ] && ! command -v tauri-driver >/dev/null 2>&1; then
    echo "==> cargo install tauri-driver"
    cargo install tauri-driver --version "^2" --locked
  fi
}

# The UI is embedded into the app binary at compile time, so it is built first; the app, the
# CLI and the E2E crate then build in one cargo invocation so shared dependencies build once.
build_app() {
  echo "==> npm run build (UI)"
  npm run --silent build
  echo "==> cargo build --workspace --all-targets"
  cargo build --workspace --all-targets --locked
}

# moto's S3 server: the real S3 protocol on loopback for the S3 store's tests (tests/it/s3.rs
# starts and stops one per test on a free port; nothing talks to anything off this machine).
# s3s-fs: a Rust S3 server over a folder, the benchmark's stand-in for a real store (moto, a
# Python server, costs CPU the two cores need). 0.14.1 is the last release this toolchain builds.
ensure_s3s_fs() {
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  if [ ! -x "$cargo_bin/s3s-fs" ] && ! command -v s3s-fs >/dev/null 2>&1; then
    echo "==> cargo install s3s-fs"
    cargo install s3s-fs --version 0.14.1 --features binary --locked
  fi
}

ensure_moto_server() {
  if ! command -v moto_server >/dev/null 2>&1; then
    python3 -m pip --version >/dev/null 2>&1 || ensure_debian_packages python3-pip
    echo "==> pip install moto[server]"
    # Debian's own Python refuses pip installs outside a venv (PEP 668); this is a test tool.
    python3 -m pip install --quiet 'moto[server]>=5.1' ||
      python3 -m pip install --quiet --break-system-packages 'moto[server]>=5.1'
  fi
}
