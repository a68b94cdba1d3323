#!/usr/bin/env bash
# Installs what CortexBot needs on Debian 12 when it is missing.
#   install-deps.sh runtime   what `cortexbot` needs to build and run (make demo)
#   install-deps.sh test      runtime plus what the test suite needs (make test); the default
#   install-deps.sh --list runtime|test   prints the Debian packages of that set, one per line, and installs nothing
# The .NET 10 SDK cannot be fetched here; its absence is reported with what to do.
set -euo pipefail
list=0
if [[ "${1:-}" == "--list" ]]; then list=1; shift; fi
set_name="${1:-test}"
case "$set_name" in
  runtime|test) ;;
  *) echo "error: unknown dependency set '$set_name' (runtime or test)" >&2; exit 2 ;;
esac

# Runtime: packages `cortexbot` needs to build (the launcher builds it) and run.
runtime=(
  # MuJoCo 2.2.2 and a C compiler for the native shim
  libmujoco-dev gcc libc6-dev
  # headless camera images (MuJoCoCamera): EGL surfaceless with Mesa's software rasterizer, opened at run time
  libegl1 libegl-mesa0 libgl1-mesa-dri libegl-dev
  # ROS 2 link (CortexBot.Brainstem.Ros2): Cyclone DDS 0.10.2 with idlc (the shim is generated at build) and its runtime library
  cyclonedds-dev libddsc0debian
)
# Test: what only the tests and benchmarks use.
test_only=(
  # PostgreSQL server: the fleet memory store's tests start a private one (initdb + pg_ctl)
  postgresql
  # ddsperf: the ROS 2 round-trip benchmark's baseline and the two-process tests
  cyclonedds-tools
  # python3 + yaml: the launch package's static checks evaluate the launch files and read its YAML
  python3 python3-yaml
  # episode videos (memory video, run --video) need Debian's ffmpeg; the tests encode and ffprobe them
  ffmpeg
  # real SDF/URDF parsers (libsdformat 12 and liburdfdom): the launch package tests compile small checkers against them
  libsdformat-dev liburdfdom-dev g++ pkg-config
  # Foxglove's MCAP reader (npm @mcap/core), the independent check of our MCAP files
  nodejs npm
  # the live view's tests drive Debian's chromium headless (Playwright for .NET pointed at it)
  chromium
)
packages=("${runtime[@]}")
if [[ "$set_name" == test ]]; then packages+=("${test_only[@]}"); fi

if ((list)); then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

need=()
# Tools count as present when they are on PATH however they were installed (Node.js from NodeSource, say).
have() {
  case "$1" in
    nodejs) command -v node >/dev/null 2>&1 ;;
    npm|gcc|g++|pkg-config|python3|ffmpeg) command -v "$1" >/dev/null 2>&1 ;;
    python3-yaml) python3 -c "import yaml" >/dev/null 2>&1 ;;
    *) dpkg -s "$1" >/dev/null 2>&1 ;;
  esac
}
for p in "${packages[@]}"; do
  have "$p" || need+=("$p")
done
if ((${#need[@]})); then
  echo "installing Debian packages ($set_name): ${need[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ "$set_name" == test ]]; then
  MCAP_READER="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/CortexBot.Recording.Tests/reader"
  if [[ ! -d "$MCAP_READER/node_modules/@mcap/core" ]]; then
    echo "installing the MCAP reader (npm ci in tests/CortexBot.Recording.Tests/reader)" >&2
    npm ci --prefix "$MCAP_READER" --no-audit --no-fund --ignore-scripts >/dev/null
  fi
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is required (dotnet not found on PATH); install dotnet-sdk-10.0 and retry" >&2
  exit 1
fi
major=$(dotnet --version | cut -d. -f1)
if (( major < 10 )); then
  echo "error: .NET SDK 10 or newer is required, found $(dotnet --version)" >&2
  exit 1
fi
