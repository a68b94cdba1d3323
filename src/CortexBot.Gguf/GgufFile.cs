using System.Text;

namespace CortexBot.Gguf;

/// <summary>A model file that is missing, not GGUF, truncated or unusable; the message says which and why.</summary>
public sealed class GgufFormatException(string message) : Exception(message);

/// <summary>One tensor's entry in a GGUF header.</summary>
public sealed record GgufTensorInfo(string Name, ulong[] Dims, uint Type, ulong Offset);

/// <summary>
/// What a GGUF file's header says: version, metadata, tensors, and the number of bytes its tensors need. Reading it
/// checks the file before native code sees it, so a missing, truncated or foreign file becomes a clear
/// <see cref="GgufFormatException"/> rather than a native abort.
/// </summary>
public sealed class GgufFile
{
    private const ulong MaxStringBytes = 1 << 24;
    private const ulong MaxArrayItems = 1 << 24;
    private const ulong MaxCount = 1 << 20;

    public required string Path { get; init; }
    public required uint Version { get; init; }
    public required long FileLength { get; init; }
    public required long DataOffset { get; init; }
    public required IReadOnlyDictionary<string, object> Metadata { get; init; }
    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }

    /// <summary>Bytes the tensor data needs after <see cref="DataOffset"/> (a lower bound where a tensor type is unknown here).</summary>
    public required ulong DataBytesNeeded { get; init; }

    public string? Architecture => Metadata.GetValueOrDefault("general.architecture") as string;
    public string? TokenizerModel => Metadata.GetValueOrDefault("tokenizer.ggml.model") as string;
    public IReadOnlyList<string>? Tokens => Metadata.GetValueOrDefault("tokenizer.ggml.tokens") as IReadOnlyList<string>;

    /// <summary>Reads the header of <paramref name="path"/> and checks it (see <see cref="CheckLoadable"/> for a full check).</summary>
    public static GgufFile Read(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new GgufFormatException("no model file given");
        if (Directory.Exists(path)) throw new GgufFormatException($"model file {path} is a directory, not a GGUF file");
        if (!File.Exists(path)) throw new GgufFormatException($"model file not found: {path}");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Read(stream, path);
        }
        catch (EndOfStreamException)
        {
            throw new GgufFormatException($"model file {path} is truncated: it ends inside its GGUF header ({new FileInfo(path).Length} bytes)");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new GgufFormatException($"model file {path} cannot be read: {e.Message}");
        }
        catch (IOException e)
        {
            throw new GgufFormatException($"model file {path} cannot be read: {e.Message}");
        }
    }

    private static GgufFile Read(Stream stream, string path)
    {
        long length = stream.Length;
        if (length < 24) throw new GgufFormatException($"model file {path} is not a GGUF file: only {length} bytes");
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        uint magic = r.ReadUInt32();
        if (magic != GgufWriter.Magic)
        {
            stream.Position = 0;
            var head = r.ReadBytes(4);
            throw new GgufFormatException($"model file {path} is not a GGUF file: it starts with {Describe(head)} instead of \"GGUF\"");
        }
        uint version = r.ReadUInt32();
        if (version is < 2 or > 3) throw new GgufFormatException($"model file {path} is GGUF version {version}; versions 2 and 3 are supported");
        ulong tensorCount = r.ReadUInt64();
        ulong kvCount = r.ReadUInt64();
        if (tensorCount > MaxCount || kvCount > MaxCount)
            throw new GgufFormatException($"model file {path} has a corrupt GGUF header ({tensorCount} tensors, {kvCount} metadata entries)");

        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(r, path);
            var type = (GgufValueType)r.ReadUInt32();
            metadata[key] = ReadValue(r, type, path, key);
        }

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = ReadString(r, path);
            uint nDims = r.ReadUInt32();
            if (nDims is 0 or > 4) throw new GgufFormatException($"model file {path}: tensor '{name}' has {nDims} dimensions");
            var dims = new ulong[nDims];
            for (int d = 0; d < nDims; d++) dims[d] = r.ReadUInt64();
            uint type = r.ReadUInt32();
            ulong offset = r.ReadUInt64();
            tensors.Add(new GgufTensorInfo(name, dims, type, offset));
        }

        ulong alignment = metadata.GetValueOrDefault("general.alignment") is uint a && a > 0 ? a : GgufWriter.Alignment;
        long dataOffset = (long)(((ulong)stream.Position + alignment - 1) / alignment * alignment);
        ulong needed = 0;
        foreach (var t in tensors)
        {
            ulong end = t.Offset + (TensorBytes(t) ?? 0);
            if (end > needed) needed = end;
        }
        return new GgufFile
        {
            Path = path, Version = version, FileLength = length, DataOffset = dataOffset,
            Metadata = metadata, Tensors = tensors, DataBytesNeeded = needed,
        };
    }

    /// <summary>
    /// Reads and checks everything llama.cpp needs before it is handed the file: the header, an architecture, tensors,
    /// that the file holds all tensor data, and (for SentencePiece vocabularies) the 256 byte tokens without which
    /// llama.cpp aborts the process on the first tokenization.
    /// </summary>
    public static GgufFile CheckLoadable(string path)
    {
        var file = Read(path);
        if (file.Architecture is null) throw new GgufFormatException($"model file {path} names no architecture (general.architecture)");
        if (file.Tensors.Count == 0) throw new GgufFormatException($"model file {path} holds no tensors");
        long needed = file.DataOffset + (long)file.DataBytesNeeded;
        if (file.FileLength < needed)
            throw new GgufFormatException($"model file {path} is truncated: its tensors need {needed} bytes, the file has {file.FileLength}");
        if (file.Tokens is not { Count: > 0 } tokens)
            throw new GgufFormatException($"model file {path} has no tokenizer vocabulary (tokenizer.ggml.tokens)");
        if (file.TokenizerModel == "llama")
        {
            var set = new HashSet<string>(tokens, StringComparer.Ordinal);
            for (int b = 0; b < 256; b++)
            {
                var piece = $"<0x{b:X2}>";
                if (!set.Contains(piece))
                    throw new GgufFormatException($"model file {path} has a SentencePiece vocabulary without the byte token {piece}; llama.cpp would abort on it");
            }
        }
        return file;
    }

    /// <summary>
    /// Checks a multimodal projector (mmproj) before llama.cpp's mtmd loader sees it: a GGUF of architecture "clip" with
    /// a vision encoder, all tensor data present, and the hyper-parameters whose absence the loader answers with an
    /// assertion that aborts the process (image mean and std among them). When the projector type is known here and
    /// <paramref name="textEmbeddingLength"/> is given, the projector's output width must match it.
    /// </summary>
    public static GgufFile CheckLoadableProjector(string path, int? textEmbeddingLength = null)
    {
        GgufFile file;
        try { file = Read(path); }
        catch (GgufFormatException e) { throw new GgufFormatException($"mmproj: {e.Message}"); }
        string Fail(string what) => $"mmproj file {path} {what}";
        if (file.Architecture != "clip")
            throw new GgufFormatException(Fail($"is not a multimodal projector: its architecture is '{file.Architecture ?? "(none)"}', not 'clip' (was a text model given as --mmproj?)"));
        if (file.Metadata.GetValueOrDefault("clip.has_vision_encoder") is not true)
            throw new GgufFormatException(Fail("has no vision encoder (clip.has_vision_encoder is not true)"));
        if (file.Tensors.Count == 0) throw new GgufFormatException(Fail("holds no tensors"));
        long needed = file.DataOffset + (long)file.DataBytesNeeded;
        if (file.FileLength < needed)
            throw new GgufFormatException(Fail($"is truncated: its tensors need {needed} bytes, the file has {file.FileLength}"));
        var projector = (file.Metadata.GetValueOrDefault("clip.projector_type") ?? file.Metadata.GetValueOrDefault("clip.vision.projector_type")) as string;
        if (string.IsNullOrEmpty(projector)) throw new GgufFormatException(Fail("names no projector type (clip.projector_type)"));
        foreach (var key in new[] { "clip.vision.embedding_length", "clip.vision.attention.head_count", "clip.vision.feed_forward_length",
                     "clip.vision.block_count", "clip.vision.image_size", "clip.vision.patch_size" })
        {
            if (file.Metadata.GetValueOrDefault(key) is not (uint or int) || Convert.ToInt64(file.Metadata[key]) <= 0)
                throw new GgufFormatException(Fail($"lacks a positive integer '{key}'"));
        }
        foreach (var key in new[] { "clip.vision.image_mean", "clip.vision.image_std" })
        {
            if (file.Metadata.GetValueOrDefault(key) is not object[] { Length: 3 } values || values.Any(v => v is not float))
                throw new GgufFormatException(Fail($"lacks '{key}' (3 floats); llama.cpp would abort on it"));
        }
        long embd = Convert.ToInt64(file.Metadata["clip.vision.embedding_length"]);
        long heads = Convert.ToInt64(file.Metadata["clip.vision.attention.head_count"]);
        if (embd % heads != 0) throw new GgufFormatException(Fail($"has an embedding length {embd} that its {heads} heads do not divide"));
        if (projector == "mlp")
        {
            // the LLaVA graph uses these without checking that the loader found them (a missing one crashes the process)
            int blocks = Convert.ToInt32(file.Metadata["clip.vision.block_count"]);
            var names = file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var required = new List<string> { "v.patch_embd.weight", "v.position_embd.weight", "mm.0.weight", "mm.0.bias" };
            for (int b = 0; b < blocks; b++) required.AddRange([$"v.blk.{b}.attn_q.weight", $"v.blk.{b}.attn_k.weight", $"v.blk.{b}.attn_v.weight"]);
            if (required.FirstOrDefault(n => !names.Contains(n)) is { } missing)
                throw new GgufFormatException(Fail($"is an 'mlp' projector without its tensor '{missing}'; llama.cpp would crash on it"));
        }
        if (textEmbeddingLength is int text && projector == "mlp")
        {
            var last = file.Tensors.FirstOrDefault(t => t.Name == "mm.2.weight") ?? file.Tensors.FirstOrDefault(t => t.Name == "mm.0.weight");
            if (last is null) throw new GgufFormatException(Fail("is an 'mlp' projector without its tensors mm.0.weight / mm.2.weight"));
            if (last.Dims.Length < 2 || (long)last.Dims[1] != text)
                throw new GgufFormatException(Fail($"projects images to {(last.Dims.Length < 2 ? 1 : (long)last.Dims[1])} dimensions, but the model's embedding length is {text}: they do not belong together"));
        }
        return file;
    }

    /// <summary>Bytes of a tensor's data, or null for a type this reader does not know.</summary>
    public static ulong? TensorBytes(GgufTensorInfo t)
    {
        if (!TypeSizes.TryGetValue(t.Type, out var s)) return null;
        ulong count = 1;
        foreach (var d in t.Dims) count = checked(count * d);
        return count / s.Block * s.Bytes;
    }

    /// <summary>(bytes per block, elements per block) of ggml types.</summary>
    private static readonly Dictionary<uint, (ulong Bytes, ulong Block)> TypeSizes = new()
    {
        [0] = (4, 1), [1] = (2, 1), [2] = (18, 32), [3] = (20, 32), [6] = (22, 32), [7] = (24, 32), [8] = (34, 32), [9] = (36, 32),
        [10] = (84, 256), [11] = (110, 256), [12] = (144, 256), [13] = (176, 256), [14] = (210, 256), [15] = (292, 256),
        [16] = (66, 256), [17] = (74, 256), [18] = (98, 256), [19] = (50, 256), [20] = (18, 32), [21] = (110, 256),
        [22] = (82, 256), [23] = (136, 256), [24] = (1, 1), [25] = (2, 1), [26] = (4, 1), [27] = (8, 1), [28] = (8, 1),
        [29] = (56, 256), [30] = (2, 1),
    };

    private static string ReadString(BinaryReader r, string path)
    {
        ulong n = r.ReadUInt64();
        if (n > MaxStringBytes || (long)n > r.BaseStream.Length - r.BaseStream.Position)
            throw new GgufFormatException($"model file {path} has a corrupt or truncated GGUF header (a string of {n} bytes)");
        return Encoding.UTF8.GetString(r.ReadBytes((int)n));
    }

    private static object ReadValue(BinaryReader r, GgufValueType type, string path, string key)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return r.ReadByte();
            case GgufValueType.Int8: return r.ReadSByte();
            case GgufValueType.UInt16: return r.ReadUInt16();
            case GgufValueType.Int16: return r.ReadInt16();
            case GgufValueType.UInt32: return r.ReadUInt32();
            case GgufValueType.Int32: return r.ReadInt32();
            case GgufValueType.Float32: return r.ReadSingle();
            case GgufValueType.Bool: return r.ReadByte() != 0;
            case GgufValueType.String: return ReadString(r, path);
            case GgufValueType.UInt64: return r.ReadUInt64();
            case GgufValueType.Int64: return r.ReadInt64();
            case GgufValueType.Float64: return r.ReadDouble();
            case GgufValueType.Array:
                var elementType = (GgufValueType)r.ReadUInt32();
                ulong n = r.ReadUInt64();
                if (n > MaxArrayItems || elementType == GgufValueType.Array)
                    throw new GgufFormatException($"model file {path}: metadata '{key}' is a corrupt array ({n} items of {elementType})");
                if (elementType == GgufValueType.String)
                {
                    var strings = new string[n];
                    for (ulong i = 0; i < n; i++) strings[i] = ReadString(r, path);
                    return strings;
                }
                var items = new object[n];
                for (ulong i = 0; i < n; i++) items[i] = ReadValue(r, elementType, path, key);
                return items;
            default:
                throw new GgufFormatException($"model file {path}: metadata '{key}' has unknown type {(uint)type}");
        }
    }

    private static string Describe(byte[] head) =>
        head.All(b => b is >= 0x20 and < 0x7f) ? $"\"{Encoding.ASCII.GetString(head)}\"" : "bytes " + Convert.ToHexString(head);
}
