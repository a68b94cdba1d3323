#!/usr/bin/env bash
# Installs what CortexBot needs on Debian 12 when it is missing: MuJoCo 2.2.2 and a C compiler for the native shim.
# The .NET 10 SDK cannot be fetched here; its absence is reported with what to do.
set -euo pipefail
need=()
dpkg -s libmujoco-dev >/dev/null 2>&1 || need+=(libmujoco-dev)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
dpkg -s libc6-dev >/dev/null 2>&1 || need+=(libc6-dev)
# Headless camera images (MuJoCoCamera): EGL surfaceless with Mesa's software rasterizer, opened at run time
dpkg -s libegl1 >/dev/null 2>&1 || need+=(libegl1)
dpkg -s libegl-mesa0 >/dev/null 2>&1 || need+=(libegl-mesa0)
dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || need+=(libgl1-mesa-dri)
dpkg -s libegl-dev >/dev/null 2>&1 || need+=(libegl-dev)
# PostgreSQL server: the fleet memory store's tests start a private one (initdb + pg_ctl).
dpkg -s postgresql >/dev/null 2>&1 || need+=(postgresql)
# ROS 2 link (CortexBot.Brainstem.Ros2): Cyclone DDS 0.10.2 with idlc, ddsperf (benchmark baseline), the runtime library;
# python3 + yaml for the launch package's static checks
dpkg -s cyclonedds-dev >/dev/null 2>&1 || need+=(cyclonedds-dev)
dpkg -s cyclonedds-tools >/dev/null 2>&1 || need+=(cyclonedds-tools)
dpkg -s libddsc0debian >/dev/null 2>&1 || need+=(libddsc0debian)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# Episode videos (memory video, run --video): Debian's ffmpeg encodes H.264, ffprobe checks it in the tests
dpkg -s ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
python3 -c "import yaml" >/dev/null 2>&1 || need+=(python3-yaml)
# test-only: real SDF/URDF parsers (libsdformat 12 and liburdfdom; the launch package tests compile small checkers against them)
dpkg -s libsdformat-dev >/dev/null 2>&1 || need+=(libsdformat-dev)
dpkg -s liburdfdom-dev >/dev/null 2>&1 || need+=(liburdfdom-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ((${#need[@]})); then
  echo "installing Debian packages: ${need[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# test-only: Foxglove's MCAP reader (npm @mcap/core), the independent check of our MCAP files; node is Debian's nodejs
command -v node >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
MCAP_READER="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/CortexBot.Recording.Tests/reader"
if [[ ! -d "$MCAP_READER/node_modules/@mcap/core" ]]; then
  echo "installing the MCAP reader (npm ci in tests/CortexBot.Recording.Tests/reader)" >&2
  npm ci --prefix "$MCAP_READER" --no-audit --no-fund --ignore-scripts >/dev/null
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
