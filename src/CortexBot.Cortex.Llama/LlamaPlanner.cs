using System.Diagnostics;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Gguf;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using LLama.Sampling;
using LLama.Transformers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cortex.Llama;

/// <summary>Counters of one planning call, for logs and benchmarks.</summary>
public sealed record LlamaPlanStats(int Attempts, int PromptTokens, int GeneratedTokens, TimeSpan Elapsed, TimeSpan GenerationTime,
    IReadOnlyList<string> Rejections, string? LastPrompt, string? LastAnswer)
{
    public double TokensPerSecond => GenerationTime.TotalSeconds > 0 ? GeneratedTokens / GenerationTime.TotalSeconds : 0;
}

/// <summary>
/// The cortex's local model planner: a GGUF model run by LLamaSharp (llama.cpp), whose answer is constrained by a
/// grammar built from the skill catalogue and the objects in the scene (<see cref="PlanGrammar"/>), parsed
/// (<see cref="PlanJson"/>), checked by <see cref="PlanValidator"/>, and retried a bounded number of times with the
/// reason fed back; then a clear refusal.
/// The model file is checked before native code sees it (<see cref="GgufFile.CheckLoadable"/>), loaded once (at
/// <see cref="Load"/> or on first use), and generation runs on its own long-running thread, one plan at a time,
/// checking for cancellation between tokens.
/// </summary>
public sealed class LlamaPlanner : IPlanner, IDisposable
{
    public const string PlannerName = "llama";

    /// <summary>Prompt tokens decoded per native call; small so cancellation is noticed quickly during long prompts.</summary>
    private const int PromptChunk = 64;

    private readonly LlamaPlannerOptions _options;
    private readonly PromptTemplates _templates;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly object _loadLock = new();
    private LLamaWeights? _weights;
    private LLamaContext? _context;
    private bool _chatTemplate;
    private volatile bool _disposed;

    /// <summary>
    /// Checks the options, the prompt templates and the model file's header (not yet loading it); throws
    /// <see cref="ConfigurationException"/> with the reason.
    /// </summary>
    public LlamaPlanner(LlamaPlannerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _log = logger ?? NullLogger.Instance;
        _templates = PromptTemplates.Load(options.PromptsDirectory);
        try { ModelInfo = GgufFile.CheckLoadable(options.ModelPath); }
        catch (GgufFormatException e) { throw new ConfigurationException(e.Message); }
        LlamaNativeLog.Register(logger);
    }

    public string Name => PlannerName;

    public LlamaPlannerOptions Options => _options;

    /// <summary>The model file's header, read when the planner was made.</summary>
    public GgufFile ModelInfo { get; }

    public bool IsLoaded => _context is not null;

    /// <summary>Counters of the most recent <see cref="PlanAsync"/> call.</summary>
    public LlamaPlanStats? LastStats { get; private set; }

    /// <summary>How long loading the weights took (zero until loaded).</summary>
    public TimeSpan LoadTime { get; private set; }

    /// <summary>Loads the weights and makes the context, once; later calls return at once. Throws <see cref="ConfigurationException"/> with llama.cpp's reason.</summary>
    public void Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_context is not null) return;
        lock (_loadLock)
        {
            if (_context is not null) return;
            var sw = Stopwatch.StartNew();
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
            try
            {
                weights = LLamaWeights.LoadFromFile(parameters);
            }
            catch (Exception e) when (e is LoadWeightsFailedException or RuntimeError or InvalidOperationException or TypeInitializationException or DllNotFoundException)
            {
                var detail = LlamaNativeLog.RecentProblems();
                throw new ConfigurationException($"llama.cpp could not load model {_options.ModelPath}: {detail ?? e.GetBaseException().Message}");
            }
            try
            {
                _context = weights.CreateContext(parameters);
            }
            catch (Exception e)
            {
                weights.Dispose();
                var detail = LlamaNativeLog.RecentProblems();
                throw new ConfigurationException($"llama.cpp could not make a context of {_options.ContextSize} tokens for {_options.ModelPath}: {detail ?? e.GetBaseException().Message}");
            }
            _weights = weights;
            _chatTemplate = weights.Metadata.ContainsKey("tokenizer.chat_template");
            LoadTime = sw.Elapsed;
            _log.LogInformation("llama planner: loaded {Model} ({Params} parameters, {Vocab} tokens, context {Ctx}, {Threads} threads, chat template: {Chat}) in {Ms:F0} ms",
                Path.GetFileName(_options.ModelPath), weights.ParameterCount, weights.Vocab.Count, _context.ContextSize, _options.EffectiveThreads,
                _chatTemplate ? "yes" : "no", LoadTime.TotalMilliseconds);
            if (_options.MmprojPath is not null)
                _log.LogWarning("llama planner: an mmproj is configured but images are not passed to the model in this version; planning from the scene description alone");
            else
                _log.LogInformation("llama planner: no mmproj configured; planning from the scene description alone");
        }
    }

    /// <summary>
    /// Plans on a dedicated thread (never the caller's): loads on first use, then up to 1 + MaxRetries attempts.
    /// Cancellation stops generation between tokens and surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Task.Factory.StartNew(() => Plan(context, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
    }

    private PlanResult Plan(PlanningContext context, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        var ct = linked.Token;
        _gate.Wait(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Load();
            return PlanLoaded(context, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private PlanResult PlanLoaded(PlanningContext context, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var grammar = PlanGrammar.Build(context.Catalogue, context.Scene, _options.MaxSteps, out var ungroundable, _options.TrackHeldObject);
        if (grammar is null) return PlanResult.Refuse(ungroundable!);

        var system = _templates.RenderSystem(context.Catalogue);
        string? feedback = null;
        var rejections = new List<string>();
        int promptTokens = 0, generated = 0;
        var genTime = TimeSpan.Zero;
        int attempts = 0;
        string? lastPrompt = null, lastAnswer = null;
        try
        {
            for (int attempt = 0; attempt <= _options.MaxRetries; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                attempts++;
                var prompt = Compose(system, _templates.RenderUser(context, feedback));
                lastPrompt = prompt;
                var answer = Generate(prompt, grammar, _options.Seed + (uint)attempt, ct);
                lastAnswer = answer.Text;
                promptTokens += answer.PromptTokens;
                generated += answer.Tokens;
                genTime += answer.Time;

                var plan = PlanJson.TryParse(answer.Text, out var parseError);
                string? reason = parseError
                    ?? (answer.Truncated ? $"the answer was cut off after {_options.MaxTokens} tokens" : null)
                    ?? PlanValidator.Validate(plan!, context.Catalogue, context.Scene)
                    ?? PlanGrammar.CheckHeldObjects(plan!, context.Catalogue, context.Scene)
                    ?? (_options.TrackHeldObject ? PlanGrammar.CheckHeldSequence(plan!, context.Catalogue) : null)
                    ?? _options.AdditionalCheck?.Invoke(plan!, context);
                if (reason is null)
                {
                    _log.LogInformation("llama planner: plan [{Plan}] after {Attempts} attempt(s), {Tokens} tokens in {Ms:F0} ms",
                        string.Join(", ", plan!.Describe()), attempts, generated, sw.Elapsed.TotalMilliseconds);
                    return PlanResult.Of(plan!);
                }
                rejections.Add(reason);
                _log.LogWarning("llama planner: attempt {Attempt} rejected: {Reason} (answer: {Answer})", attempt + 1, reason, Shorten(answer.Text));
                feedback = _templates.RenderRetry(Shorten(answer.Text), reason);
            }
            return PlanResult.Refuse($"the model planner gave no valid plan in {attempts} attempt(s); last reason: {rejections[^1]}");
        }
        catch (PromptTooLongException e)
        {
            return PlanResult.Refuse(e.Message);
        }
        finally
        {
            LastStats = new LlamaPlanStats(attempts, promptTokens, generated, sw.Elapsed, genTime, rejections, lastPrompt, lastAnswer);
        }
    }

    private string Compose(string system, string user)
    {
        if (_chatTemplate)
        {
            var template = new LLamaTemplate(_weights!) { AddAssistant = true };
            template.Add("system", system);
            template.Add("user", user);
            return PromptTemplateTransformer.ToModelPrompt(template);
        }
        return $"{system}\n\n{user}\n\nPlan: ";
    }

    private sealed class PromptTooLongException(string message) : Exception(message);

    private readonly record struct Answer(string Text, int PromptTokens, int Tokens, bool Truncated, TimeSpan Time);

    /// <summary>One grammar-constrained generation from a clean context.</summary>
    private Answer Generate(string prompt, string grammar, uint seed, CancellationToken ct)
    {
        var ctx = _context!;
        var vocab = ctx.Vocab;
        ctx.NativeHandle.MemoryClear(true);
        // A chat template may write the BOS token itself; do not add a second one.
        bool addBos = vocab.ShouldAddBOS;
        if (addBos && _chatTemplate && vocab.BOS is { } bos && vocab.LLamaTokenToString(bos, true) is { Length: > 0 } bosText && prompt.StartsWith(bosText, StringComparison.Ordinal))
            addBos = false;
        var tokens = ctx.Tokenize(prompt, addBos, special: true);
        if (tokens.Length + _options.MaxTokens > ctx.ContextSize)
            throw new PromptTooLongException($"the prompt needs {tokens.Length} tokens plus up to {_options.MaxTokens} for the answer, more than the context of {ctx.ContextSize} (raise --ctx)");

        var sw = Stopwatch.StartNew();
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
            Grammar = new Grammar(grammar, PlanGrammar.Root),
            Seed = seed,
            Temperature = _options.Temperature,
        };
        var decoder = new StreamingTokenDecoder(ctx);
        var text = new StringBuilder();
        var genStart = sw.Elapsed;
        int n = 0, pos = tokens.Length;
        bool finished = false;
        while (n < _options.MaxTokens)
        {
            ct.ThrowIfCancellationRequested();
            var token = pipeline.Sample(ctx.NativeHandle, batch.TokenCount - 1);
            if (token.IsEndOfGeneration(vocab)) { finished = true; break; }
            decoder.Add(token);
            text.Append(decoder.Read());
            n++;
            batch.Clear();
            batch.Add(token, pos++, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
        }
        return new Answer(text.ToString(), tokens.Length, n, !finished, sw.Elapsed - genStart);
    }

    private static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new LLamaDecodeError(result);
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "...";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _shutdown.Cancel();
        // Wait for a plan in progress to notice (it checks between tokens) before freeing native memory under it;
        // if it never does, leak the model rather than free memory native code may still be using.
        if (!_gate.Wait(TimeSpan.FromSeconds(30)))
        {
            _log.LogError("llama planner: generation did not stop within 30 s of shutdown; the model is not freed");
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
