#!/usr/bin/env bash
# Regenerates OnnxSubset.g.cs from onnx_subset.proto with the protoc shipped in the Google.Protobuf.Tools NuGet package.
set -euo pipefail
cd "$(dirname "$0")"
PROTOC="${PROTOC:-$HOME/.nuget/packages/google.protobuf.tools/3.36.2/tools/linux_x64/protoc}"
"$PROTOC" --csharp_out=. --csharp_opt=file_extension=.g.cs onnx_subset.proto
