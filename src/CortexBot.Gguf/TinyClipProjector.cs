namespace CortexBot.Gguf;

/// <summary>Shape of a generated vision projector (mmproj).</summary>
public sealed record TinyClipSpec
{
    /// <summary>The text model's embedding length: the projector's output must match it.</summary>
    public int TextEmbeddingLength { get; init; } = 64;
    public int EmbeddingLength { get; init; } = 32;
    public int BlockCount { get; init; } = 2;
    public int HeadCount { get; init; } = 4;
    public int FeedForwardLength { get; init; } = 64;
    public int ProjectorHiddenLength { get; init; } = 64;
    /// <summary>Images are resized to this square before patching: (ImageSize / PatchSize)^2 image tokens.</summary>
    public int ImageSize { get; init; } = 28;
    public int PatchSize { get; init; } = 14;
    public float WeightScale { get; init; } = 0.2f;
    /// <summary>Tensors left out (to test a loader's error path).</summary>
    public IReadOnlyCollection<string> OmitTensors { get; init; } = [];
}

/// <summary>
/// Writes tiny random CLIP vision encoders with a LLaVA-style two-layer MLP projector ("mlp"), in the layout
/// llama.cpp's mtmd loader reads (clip.* keys, v.* encoder tensors, mm.0 / mm.2 projector tensors). They carry no
/// knowledge: they exist so the image path of a planner runs for real in tests, without downloadable weights.
/// </summary>
public static class TinyClipProjector
{
    /// <summary>Image tokens one picture becomes.</summary>
    public static int ImageTokens(TinyClipSpec spec) => (spec.ImageSize / spec.PatchSize) * (spec.ImageSize / spec.PatchSize);

    public static GgufWriter Build(int seed, TinyClipSpec? spec = null)
    {
        spec ??= new TinyClipSpec();
        if (spec.EmbeddingLength % spec.HeadCount != 0) throw new ArgumentException("the embedding length must be a multiple of the head count");
        if (spec.ImageSize % spec.PatchSize != 0) throw new ArgumentException("the image size must be a multiple of the patch size");
        var rng = new TinyLlamaModel.SplitMix64((ulong)seed ^ 0xC11Bu);
        int nEmbd = spec.EmbeddingLength, nFf = spec.FeedForwardLength, p = spec.PatchSize;
        int nPos = ImageTokens(spec) + 1; // the class embedding takes position 0

        var w = new GgufWriter()
            .Add("general.architecture", "clip")
            .Add("general.name", $"cortexbot-tiny-clip-seed{seed}")
            .Add("general.alignment", (uint)GgufWriter.Alignment)
            .Add("general.file_type", 0u)
            .Add("clip.has_vision_encoder", true)
            .Add("clip.has_text_encoder", false)
            .Add("clip.projector_type", "mlp")
            .Add("clip.use_gelu", true)
            .Add("clip.vision.image_size", (uint)spec.ImageSize)
            .Add("clip.vision.patch_size", (uint)p)
            .Add("clip.vision.embedding_length", (uint)nEmbd)
            .Add("clip.vision.feed_forward_length", (uint)nFf)
            .Add("clip.vision.projection_dim", (uint)spec.TextEmbeddingLength)
            .Add("clip.vision.block_count", (uint)spec.BlockCount)
            .Add("clip.vision.attention.head_count", (uint)spec.HeadCount)
            .Add("clip.vision.attention.layer_norm_epsilon", 1e-5f)
            .Add("clip.vision.image_mean", [0.48145466f, 0.4578275f, 0.40821073f])
            .Add("clip.vision.image_std", [0.26862954f, 0.26130258f, 0.27577711f]);

        float[] Random(int n, float scale)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)rng.NextGaussian() * scale;
            return a;
        }
        static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        static float[] Zeros(int n) => new float[n];
        float s = spec.WeightScale;
        void Tensor(string name, ulong[] dims, float[] data, GgmlType type = GgmlType.F32)
        {
            if (!spec.OmitTensors.Contains(name)) w.AddTensor(name, dims, data, type);
        }
        ulong E = (ulong)nEmbd, F = (ulong)nFf, H = (ulong)spec.ProjectorHiddenLength, T = (ulong)spec.TextEmbeddingLength;

        // convolution kernel in ggml order: width, height, input channels, output channels (stored as F16, as converters do)
        Tensor("v.patch_embd.weight", [(ulong)p, (ulong)p, 3, E], Random(p * p * 3 * nEmbd, s), GgmlType.F16);
        Tensor("v.class_embd", [E], Random(nEmbd, s));
        Tensor("v.position_embd.weight", [E, (ulong)nPos], Random(nEmbd * nPos, s));
        Tensor("v.pre_ln.weight", [E], Ones(nEmbd));
        Tensor("v.pre_ln.bias", [E], Zeros(nEmbd));
        for (int b = 0; b < spec.BlockCount; b++)
        {
            Tensor($"v.blk.{b}.ln1.weight", [E], Ones(nEmbd));
            Tensor($"v.blk.{b}.ln1.bias", [E], Zeros(nEmbd));
            foreach (var n in new[] { "attn_q", "attn_k", "attn_v", "attn_out" })
            {
                Tensor($"v.blk.{b}.{n}.weight", [E, E], Random(nEmbd * nEmbd, s));
                Tensor($"v.blk.{b}.{n}.bias", [E], Zeros(nEmbd));
            }
            Tensor($"v.blk.{b}.ln2.weight", [E], Ones(nEmbd));
            Tensor($"v.blk.{b}.ln2.bias", [E], Zeros(nEmbd));
            Tensor($"v.blk.{b}.ffn_up.weight", [E, F], Random(nEmbd * nFf, s));
            Tensor($"v.blk.{b}.ffn_up.bias", [F], Zeros(nFf));
            Tensor($"v.blk.{b}.ffn_down.weight", [F, E], Random(nFf * nEmbd, s));
            Tensor($"v.blk.{b}.ffn_down.bias", [E], Zeros(nEmbd));
        }
        Tensor("mm.0.weight", [E, H], Random(nEmbd * spec.ProjectorHiddenLength, s));
        Tensor("mm.0.bias", [H], Zeros(spec.ProjectorHiddenLength));
        Tensor("mm.2.weight", [H, T], Random(spec.ProjectorHiddenLength * spec.TextEmbeddingLength, s));
        Tensor("mm.2.bias", [T], Zeros(spec.TextEmbeddingLength));
        return w;
    }

    /// <summary>Generates the projector and writes it to <paramref name="path"/>; returns the path.</summary>
    public static string Write(string path, int seed, TinyClipSpec? spec = null)
    {
        Build(seed, spec).WriteTo(path);
        return path;
    }
}
