#!/usr/bin/env bash
# Installs what CortexBot needs on Debian 12 when it is missing: MuJoCo 2.2.2 and a C compiler for the native shim.
# The .NET 10 SDK cannot be fetched here; its absence is reported with what to do.
set -euo pipefail
need=()
dpkg -s libmujoco-dev >/dev/null 2>&1 || need+=(libmujoco-dev)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
dpkg -s libc6-dev >/dev/null 2>&1 || need+=(libc6-dev)
if ((${#need[@]})); then
  echo "installing Debian packages: ${need[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
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
