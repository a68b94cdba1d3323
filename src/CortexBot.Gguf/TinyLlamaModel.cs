namespace CortexBot.Gguf;

/// <summary>Shape of a generated model.</summary>
public sealed record TinyLlamaSpec
{
    public int EmbeddingLength { get; init; } = 64;
    public int BlockCount { get; init; } = 2;
    public int HeadCount { get; init; } = 4;
    public int FeedForwardLength { get; init; } = 128;
    public int ContextLength { get; init; } = 4096;
    /// <summary>Standard deviation of the random weights.</summary>
    public float WeightScale { get; init; } = 0.3f;
    /// <summary>Extra whole-word pieces for the vocabulary (besides the built-in English and JSON pieces).</summary>
    public IReadOnlyList<string> ExtraWords { get; init; } = [];
    /// <summary>Tensors to leave out (to make deliberately broken models for tests of the loader's errors).</summary>
    public IReadOnlyCollection<string> OmitTensors { get; init; } = [];
    /// <summary>A Jinja chat template to store as <c>tokenizer.chat_template</c> (none by default).</summary>
    public string? ChatTemplate { get; init; }
}

/// <summary>
/// Generates a tiny llama-architecture GGUF model with random weights, deterministic from a seed, with a real
/// SentencePiece-style vocabulary: <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> (control tokens), the 256 byte tokens
/// <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c> so any text tokenizes, printable characters, and common words and JSON pieces.
/// It knows nothing about planning: it is noise in a real model's shape, so whatever it writes must be constrained and
/// validated by the caller. Used by the tests and by <c>cortexbot model tiny</c>.
/// </summary>
public static class TinyLlamaModel
{
    public const string SpaceMarker = "\u2581"; // SentencePiece's '▁'

    private const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeByte = 6;

    private static readonly string[] DefaultWords =
    [
        "the", "a", "in", "on", "put", "pick", "place", "move", "open", "close", "home", "above", "up", "into", "and", "then",
        "red", "green", "blue", "yellow", "cube", "bin", "box", "gripper", "skill", "skills", "args", "steps", "plan", "object",
        "target", "task", "scene", "open_gripper", "close_gripper", "move_home", "move_above", "red_cube", "green_cube", "blue_cube",
        "yellow_cube", "failed", "success", "anomaly", "memory", "instruction", "JSON", "true", "false", "null",
    ];

    private static readonly string[] DefaultPieces =
    [
        "{\"", "\":", "\",", "\"}", "\"]", "[\"", "\", \"", "{\"skill\":", "\"skill\"", "\"args\"", "\"steps\"", "{\"steps\":",
        "\"args\":", "\"skill\":", "\"steps\":", "[]", "[{", "}]", "},", "}, ", ", ", "\": ", "\":\"", "\": \"",
    ];

    /// <summary>The vocabulary (pieces, scores, token types) for <paramref name="spec"/>.</summary>
    public static (List<string> Tokens, List<float> Scores, List<int> Types) Vocabulary(TinyLlamaSpec spec)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { TypeUnknown, TypeControl, TypeControl };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            types.Add(TypeByte);
            scores.Add(0);
        }
        var seen = new HashSet<string>(tokens, StringComparer.Ordinal);
        void Piece(string p)
        {
            if (p.Length == 0 || !seen.Add(p)) return;
            tokens.Add(p);
            types.Add(TypeNormal);
            // SentencePiece merges the highest-scoring pair first: prefer longer pieces.
            scores.Add(-1000f + p.Length);
        }
        Piece(SpaceMarker);
        for (char c = ' '; c <= '~'; c++)
            if (c != ' ') Piece(c.ToString());
        foreach (var p in DefaultPieces) Piece(p);
        foreach (var w in DefaultWords.Concat(spec.ExtraWords))
        {
            if (string.IsNullOrWhiteSpace(w)) continue;
            Piece(w);
            Piece(SpaceMarker + w);
            Piece("\"" + w + "\"");
            // Build prefixes so SentencePiece's pairwise merges can reach the whole word.
            for (int n = 2; n < w.Length; n++) Piece(w[..n]);
            for (int n = 2; n < w.Length; n++) Piece(SpaceMarker + w[..n]);
        }
        return (tokens, scores, types);
    }

    /// <summary>Builds the model in memory.</summary>
    public static GgufWriter Build(int seed, TinyLlamaSpec? spec = null)
    {
        spec ??= new TinyLlamaSpec();
        if (spec.EmbeddingLength % spec.HeadCount != 0) throw new ArgumentException("the embedding length must be a multiple of the head count");
        var (tokens, scores, types) = Vocabulary(spec);
        int nVocab = tokens.Count, nEmbd = spec.EmbeddingLength, nFf = spec.FeedForwardLength;
        var rng = new SplitMix64((ulong)seed);

        var w = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.name", $"cortexbot-tiny-llama-seed{seed}")
            .Add("general.alignment", (uint)GgufWriter.Alignment)
            .Add("llama.context_length", (uint)spec.ContextLength)
            .Add("llama.embedding_length", (uint)nEmbd)
            .Add("llama.block_count", (uint)spec.BlockCount)
            .Add("llama.feed_forward_length", (uint)nFf)
            .Add("llama.attention.head_count", (uint)spec.HeadCount)
            .Add("llama.attention.head_count_kv", (uint)spec.HeadCount)
            .Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
            .Add("llama.rope.dimension_count", (uint)(nEmbd / spec.HeadCount))
            .Add("llama.vocab_size", (uint)nVocab)
            .Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.tokens", tokens)
            .Add("tokenizer.ggml.scores", scores)
            .Add("tokenizer.ggml.token_type", types)
            .Add("tokenizer.ggml.unknown_token_id", 0u)
            .Add("tokenizer.ggml.bos_token_id", 1u)
            .Add("tokenizer.ggml.eos_token_id", 2u)
            .Add("tokenizer.ggml.add_bos_token", true)
            .Add("tokenizer.ggml.add_eos_token", false);

        if (spec.ChatTemplate is not null) w.Add("tokenizer.chat_template", spec.ChatTemplate);

        float[] Random(int n, float scale)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)rng.NextGaussian() * scale;
            return a;
        }
        static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        float s = spec.WeightScale;
        void Tensor(string name, ulong[] dims, float[] data)
        {
            if (!spec.OmitTensors.Contains(name)) w.AddTensor(name, dims, data);
        }
        ulong E = (ulong)nEmbd, V = (ulong)nVocab, F = (ulong)nFf;

        Tensor("token_embd.weight", [E, V], Random(nEmbd * nVocab, 1f));
        Tensor("output_norm.weight", [E], Ones(nEmbd));
        Tensor("output.weight", [E, V], Random(nEmbd * nVocab, s));
        for (int b = 0; b < spec.BlockCount; b++)
        {
            Tensor($"blk.{b}.attn_norm.weight", [E], Ones(nEmbd));
            Tensor($"blk.{b}.attn_q.weight", [E, E], Random(nEmbd * nEmbd, s));
            Tensor($"blk.{b}.attn_k.weight", [E, E], Random(nEmbd * nEmbd, s));
            Tensor($"blk.{b}.attn_v.weight", [E, E], Random(nEmbd * nEmbd, s));
            Tensor($"blk.{b}.attn_output.weight", [E, E], Random(nEmbd * nEmbd, s));
            Tensor($"blk.{b}.ffn_norm.weight", [E], Ones(nEmbd));
            Tensor($"blk.{b}.ffn_gate.weight", [E, F], Random(nEmbd * nFf, s));
            Tensor($"blk.{b}.ffn_up.weight", [E, F], Random(nEmbd * nFf, s));
            Tensor($"blk.{b}.ffn_down.weight", [F, E], Random(nFf * nEmbd, s));
        }
        return w;
    }

    /// <summary>Generates the model and writes it to <paramref name="path"/>; returns the path.</summary>
    public static string Write(string path, int seed, TinyLlamaSpec? spec = null)
    {
        Build(seed, spec).WriteTo(path);
        return path;
    }

    /// <summary>A small, fast, seedable generator (SplitMix64) so a seed gives the same model on every runtime.</summary>
    internal sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        public double NextGaussian()
        {
            double u1 = 1.0 - NextDouble(), u2 = NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }
}
