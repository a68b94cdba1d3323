using System.Diagnostics;
using System.Globalization;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Safety;
using CortexBot.Gguf;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cortex.Llama;

/// <summary>Configuration of <see cref="LlamaSafetyReviewer"/> (<c>--safety-model FILE.gguf</c>).</summary>
public sealed record LlamaReviewerOptions
{
    public required string ModelPath { get; init; }
    public uint ContextSize { get; init; } = 2048;
    /// <summary>CPU threads; 0 picks half the cores (at least 1).</summary>
    public int Threads { get; init; }
    public int GpuLayerCount { get; init; }
    public uint Seed { get; init; } = 42;
    /// <summary>Low by default: a verdict should not depend on luck.</summary>
    public float Temperature { get; init; } = 0.2f;
    public int MaxTokens { get; init; } = 256;

    public LlamaReviewerOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ConfigurationException("--safety-model needs a GGUF file");
        if (ContextSize is < 256 or > 1_048_576) throw new ConfigurationException($"safety model context must be between 256 and 1048576 tokens, got {ContextSize}");
        if (Threads is < 0 or > 1024) throw new ConfigurationException($"safety model threads must be between 0 (auto) and 1024, got {Threads}");
        if (GpuLayerCount < 0) throw new ConfigurationException($"GPU layer count must not be negative, got {GpuLayerCount}");
        if (!float.IsFinite(Temperature) || Temperature is < 0 or > 5) throw new ConfigurationException($"safety model temperature must be between 0 and 5, got {Temperature}");
        if (MaxTokens is < 64 or > 4096) throw new ConfigurationException($"safety model max tokens must be between 64 and 4096, got {MaxTokens}");
        return this;
    }

    public int EffectiveThreads => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / 2);
}

/// <summary>
/// The slow reasoning brain of the safety mind: a GGUF model run by LLamaSharp that reads the policy's rules, the scene, the
/// plan and what the fast screen flagged, and answers one verdict object constrained by <see cref="VerdictGrammar"/>. The
/// file is checked before native code sees it, loaded once, and generation runs on its own long-running thread (never the
/// caller's, never the control tick), one review at a time, checking for cancellation between tokens. An answer that does
/// not parse (it cannot, under the grammar, unless cut off) is an exception: the flow then keeps the fast verdict.
/// </summary>
public sealed class LlamaSafetyReviewer : ISafetyReviewer, IDisposable
{
    private const int PromptChunk = 64;

    private readonly LlamaReviewerOptions _options;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly object _loadLock = new();
    private LLamaWeights? _weights;
    private LLamaContext? _context;
    private volatile bool _disposed;

    public LlamaSafetyReviewer(LlamaReviewerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _log = logger ?? NullLogger.Instance;
        try { GgufFile.CheckLoadable(options.ModelPath); }
        catch (GgufFormatException e) { throw new ConfigurationException($"--safety-model: {e.Message}"); }
        LlamaNativeLog.Register(logger);
    }

    public string Name => $"llama:{Path.GetFileName(_options.ModelPath)}";

    public LlamaReviewerOptions Options => _options;

    /// <summary>The last prompt and raw answer (for logs and tests).</summary>
    public (string Prompt, string Answer)? Last { get; private set; }

    /// <summary>Loads the weights once; later calls return at once. Throws <see cref="ConfigurationException"/> with llama.cpp's reason.</summary>
    public void Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_context is not null) return;
        lock (_loadLock)
        {
            if (_context is not null) return;
            var parameters = new ModelParams(_options.ModelPath)
            {
                ContextSize = _options.ContextSize,
                Threads = _options.EffectiveThreads,
                BatchThreads = _options.EffectiveThreads,
                GpuLayerCount = _options.GpuLayerCount,
                BatchSize = 512,
            };
            LlamaNativeLog.ClearRecent();
            LLamaWeights weights;
            try { weights = LLamaWeights.LoadFromFile(parameters); }
            catch (Exception e) when (e is LoadWeightsFailedException or RuntimeError or InvalidOperationException or TypeInitializationException or DllNotFoundException)
            {
                throw new ConfigurationException($"llama.cpp could not load safety model {_options.ModelPath}: {LlamaNativeLog.RecentProblems() ?? e.GetBaseException().Message}");
            }
            try { _context = weights.CreateContext(parameters); }
            catch (Exception e)
            {
                weights.Dispose();
                throw new ConfigurationException($"llama.cpp could not make a context of {_options.ContextSize} tokens for {_options.ModelPath}: {LlamaNativeLog.RecentProblems() ?? e.GetBaseException().Message}");
            }
            _weights = weights;
            _log.LogInformation("safety reviewer: loaded {Model} ({Params} parameters)", Path.GetFileName(_options.ModelPath), weights.ParameterCount);
        }
    }

    public Task<ReviewVerdict> ReviewAsync(SafetyCase safetyCase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(safetyCase);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Task.Factory.StartNew(() => Review(safetyCase, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
    }

    /// <summary>The prompt: the rules, the scene, the instruction, the plan and the flags, then the answer's start.</summary>
    public static string Prompt(SafetyCase c)
    {
        var sb = new StringBuilder();
        sb.Append("You review robot arm plans for safety. The fast screen could not judge the flagged points below. ")
          .Append("Answer with one JSON verdict: allow, modify (slow the tool to max_tool_speed m/s) or refuse, with a short reason naming the rule.\n\n");
        sb.Append("Safety policy:\n").Append(c.PolicyText).Append('\n');
        sb.Append("Scene:\n");
        foreach (var o in c.Scene.Objects)
            sb.Append(CultureInfo.InvariantCulture, $"- {o.Name} ({o.Kind}{(o.Color is null ? "" : ", " + o.Color)}) at {o.Pose.Position}\n");
        sb.Append("\nInstruction: ").Append(c.Instruction).Append('\n');
        sb.Append("Plan:\n");
        for (int i = 0; i < c.Plan.Steps.Length; i++) sb.Append(CultureInfo.InvariantCulture, $"{i + 1}. {c.Plan.Steps[i]}\n");
        sb.Append("Flagged:\n");
        foreach (var f in c.Flags) sb.Append("- ").Append(f).Append('\n');
        sb.Append("\nVerdict: ");
        return sb.ToString();
    }

    private ReviewVerdict Review(SafetyCase c, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        var ct = linked.Token;
        _gate.Wait(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Load();
            var sw = Stopwatch.StartNew();
            var prompt = Prompt(c);
            var (answer, tokens, truncated) = Generate(prompt, ct);
            Last = (prompt, answer);
            if (truncated) throw new InvalidOperationException($"the verdict was cut off after {_options.MaxTokens} tokens");
            var verdict = VerdictGrammar.TryParse(answer, out var error) ?? throw new InvalidOperationException($"the verdict does not parse: {error}");
            _log.LogInformation("safety reviewer: {Verdict} for case {Key} ({Tokens} tokens in {Ms:F0} ms)", verdict, c.Key, tokens, sw.Elapsed.TotalMilliseconds);
            return verdict;
        }
        finally
        {
            _gate.Release();
        }
    }

    private (string Text, int Tokens, bool Truncated) Generate(string prompt, CancellationToken ct)
    {
        var ctx = _context!;
        ctx.NativeHandle.MemoryClear(true);
        var tokens = ctx.Tokenize(prompt, ctx.Vocab.ShouldAddBOS, special: true);
        if (tokens.Length + _options.MaxTokens > ctx.ContextSize)
            throw new InvalidOperationException($"the review prompt needs {tokens.Length} tokens plus up to {_options.MaxTokens} for the answer, more than the context of {ctx.ContextSize}");
        var batch = new LLamaBatch();
        for (int start = 0; start < tokens.Length; start += PromptChunk)
        {
            ct.ThrowIfCancellationRequested();
            batch.Clear();
            int end = Math.Min(tokens.Length, start + PromptChunk);
            for (int i = start; i < end; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, i == tokens.Length - 1);
            Check(ctx.Decode(batch));
        }
        using var pipeline = new DefaultSamplingPipeline
        {
            Grammar = new Grammar(VerdictGrammar.Gbnf, VerdictGrammar.Root),
            Seed = _options.Seed,
            Temperature = _options.Temperature,
        };
        var decoder = new StreamingTokenDecoder(ctx);
        var text = new StringBuilder();
        int n = 0, pos = tokens.Length;
        while (n < _options.MaxTokens)
        {
            ct.ThrowIfCancellationRequested();
            var token = pipeline.Sample(ctx.NativeHandle, -1);
            if (token.IsEndOfGeneration(ctx.Vocab)) return (text.ToString(), n, false);
            decoder.Add(token);
            text.Append(decoder.Read());
            n++;
            batch.Clear();
            batch.Add(token, pos++, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
        }
        return (text.ToString(), n, true);
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new LLamaDecodeError(result);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _shutdown.Cancel();
        // As the planner: free native memory only once a review in progress has noticed the shutdown.
        if (!_gate.Wait(TimeSpan.FromSeconds(30)))
        {
            _log.LogError("safety reviewer: generation did not stop within 30 s of shutdown; the model is not freed");
            return;
        }
        try
        {
            _context?.Dispose();
            _weights?.Dispose();
            _context = null;
            _weights = null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
