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
    private MtmdWeights? _mtmd;
    private bool _chatTemplate;
    private int _imagelessPlansLogged;
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
        if (options.MmprojPath is not null)
        {
            // mtmd's loader asserts (aborting the process) on some missing keys: find those here, as a clear error
            int? textEmbd = ModelInfo.Metadata.GetValueOrDefault($"{ModelInfo.Architecture}.embedding_length") is { } e and (uint or int) ? Convert.ToInt32(e) : null;
            try { ProjectorInfo = GgufFile.CheckLoadableProjector(options.MmprojPath, textEmbd); }
            catch (GgufFormatException ex) { throw new ConfigurationException(ex.Message); }
        }
        LlamaNativeLog.Register(logger);
    }

    public string Name => PlannerName;

    public LlamaPlannerOptions Options => _options;

    /// <summary>The model file's header, read when the planner was made.</summary>
    public GgufFile ModelInfo { get; }

    /// <summary>The mmproj file's header, when one is configured.</summary>
    public GgufFile? ProjectorInfo { get; }

    public bool IsLoaded => _context is not null;

    /// <summary>True once a multimodal projector is loaded: camera frames in the planning context reach the model.</summary>
    public bool SeesImages => _mtmd is not null;

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
            LLamaContext context;
            try
            {
                context = weights.CreateContext(parameters);
            }
            catch (Exception e)
            {
                weights.Dispose();
                var detail = LlamaNativeLog.RecentProblems();
                throw new ConfigurationException($"llama.cpp could not make a context of {_options.ContextSize} tokens for {_options.ModelPath}: {detail ?? e.GetBaseException().Message}");
            }
            MtmdWeights? mtmd = null;
            if (_options.MmprojPath is not null)
            {
                try
                {
                    LlamaNativeLog.RegisterMtmd();
                    var mtmdParams = MtmdContextParams.Default();
                    mtmdParams.UseGpu = _options.GpuLayerCount > 0;
                    mtmdParams.NThreads = _options.EffectiveThreads;
                    mtmdParams.PrintTimings = false;
                    mtmd = MtmdWeights.LoadFromFile(_options.MmprojPath, weights, mtmdParams);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    context.Dispose();
                    weights.Dispose();
                    var detail = LlamaNativeLog.RecentProblems();
                    throw new ConfigurationException($"llama.cpp could not load mmproj {_options.MmprojPath} for {_options.ModelPath}: {detail ?? e.GetBaseException().Message}");
                }
                if (!mtmd.SupportsVision)
                {
                    mtmd.Dispose();
                    context.Dispose();
                    weights.Dispose();
                    throw new ConfigurationException($"mmproj {_options.MmprojPath} has no vision encoder; the planner needs images");
                }
            }
            _weights = weights;
            _mtmd = mtmd;
            _chatTemplate = weights.Metadata.ContainsKey("tokenizer.chat_template");
            // published last: IsLoaded and the unlocked fast path of Load read it
            _context = context;
            LoadTime = sw.Elapsed;
            _log.LogInformation("llama planner: loaded {Model} ({Params} parameters, {Vocab} tokens, context {Ctx}, {Threads} threads, chat template: {Chat}) in {Ms:F0} ms",
                Path.GetFileName(_options.ModelPath), weights.ParameterCount, weights.Vocab.Count, context.ContextSize, _options.EffectiveThreads,
                _chatTemplate ? "yes" : "no", LoadTime.TotalMilliseconds);
            if (mtmd is not null)
                _log.LogInformation("llama planner: mmproj {Mmproj} loaded; plans see the camera image of the scene with its description", Path.GetFileName(_options.MmprojPath));
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
        var image = _mtmd is not null ? context.Image : null;
        if (_mtmd is not null && image is null && Interlocked.Exchange(ref _imagelessPlansLogged, 1) == 0)
            _log.LogWarning("llama planner: an mmproj is loaded but the planning context carries no camera frame (no camera configured?); planning from the scene description alone");
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
                var user = _templates.RenderUser(context, feedback);
                // the marker is where mtmd splices the image's embeddings into the prompt
                if (image is not null) user = $"Camera image of the scene: {NativeApi.MtmdDefaultMarker()}\n{user}";
                var prompt = Compose(system, user);
                lastPrompt = prompt;
                var answer = image is null
                    ? Generate(prompt, grammar, _options.Seed + (uint)attempt, ct)
                    : GenerateWithImage(prompt, image, grammar, _options.Seed + (uint)attempt, ct);
                lastAnswer = answer.Text;
                promptTokens += answer.PromptTokens;
                generated += answer.Tokens;
                genTime += answer.Time;

                var plan = PlanJson.TryParse(answer.Text, out var parseError);
                string? reason = parseError
                    ?? (answer.Truncated ? $"the answer was cut off after {_options.MaxTokens} tokens" : null)
                    // the catalogue's preconditions, simulated step by step (held object, what rests on what)
                    ?? PlanValidator.Validate(plan!, context.Catalogue, context.Scene)
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
        ctx.NativeHandle.MemoryClear(true);
        var tokens = ctx.Tokenize(prompt, AddBos(prompt), special: true);
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
        return Sample(tokens.Length, grammar, seed, sw, ct);
    }

    /// <summary>
    /// As <see cref="Generate"/>, with the camera frame: mtmd splits the prompt at the image marker, encodes the image
    /// through the projector and decodes text and image embeddings into the context; sampling is the same.
    /// </summary>
    private Answer GenerateWithImage(string prompt, CameraFrame image, string grammar, uint seed, CancellationToken ct)
    {
        var ctx = _context!;
        var mtmd = _mtmd!;
        ctx.NativeHandle.MemoryClear(true);
        var sw = Stopwatch.StartNew();
        using var embed = SafeMtmdEmbed.FromRgbBytes((uint)image.Width, (uint)image.Height, image.Rgb)
            ?? throw new InvalidOperationException($"mtmd refused a {image.Width}x{image.Height} RGB frame");
        int rc = mtmd.Tokenize(prompt, AddBos(prompt), true, [embed], out var chunks);
        if (rc != 0 || chunks is null)
            throw new InvalidOperationException($"mtmd could not tokenize the prompt with one image (code {rc}): {LlamaNativeLog.RecentProblems() ?? "no detail"}");
        using (chunks)
        {
            long positions = (long)chunks.CountPositions();
            if (positions + _options.MaxTokens > ctx.ContextSize)
                throw new PromptTooLongException($"the prompt with its image needs {positions} positions plus up to {_options.MaxTokens} for the answer, more than the context of {ctx.ContextSize} (raise --ctx)");
            ct.ThrowIfCancellationRequested();
            int nPast = 0;
            rc = mtmd.EvaluateChunks(chunks, ctx.NativeHandle, ref nPast, 0, PromptChunk, true);
            if (rc != 0)
                throw new InvalidOperationException($"mtmd could not evaluate the prompt with its image (code {rc}): {LlamaNativeLog.RecentProblems() ?? "no detail"}");
            return Sample(nPast, grammar, seed, sw, ct);
        }
    }

    // A chat template may write the BOS token itself; do not add a second one.
    private bool AddBos(string prompt)
    {
        var vocab = _context!.Vocab;
        bool addBos = vocab.ShouldAddBOS;
        if (addBos && _chatTemplate && vocab.BOS is { } bos && vocab.LLamaTokenToString(bos, true) is { Length: > 0 } bosText && prompt.StartsWith(bosText, StringComparison.Ordinal))
            addBos = false;
        return addBos;
    }

    /// <summary>Samples the answer after a prompt of <paramref name="promptPositions"/> positions whose last logits are current.</summary>
    private Answer Sample(int promptPositions, string grammar, uint seed, Stopwatch sw, CancellationToken ct)
    {
        var ctx = _context!;
        var vocab = ctx.Vocab;
        using var pipeline = new DefaultSamplingPipeline
        {
            Grammar = new Grammar(grammar, PlanGrammar.Root),
            Seed = seed,
            Temperature = _options.Temperature,
        };
        var decoder = new StreamingTokenDecoder(ctx);
        var text = new StringBuilder();
        var batch = new LLamaBatch();
        var genStart = sw.Elapsed;
        int n = 0, pos = promptPositions;
        bool finished = false;
        while (n < _options.MaxTokens)
        {
            ct.ThrowIfCancellationRequested();
            // -1: the last logits computed, whichever batch (text or image chunk) computed them
            var token = pipeline.Sample(ctx.NativeHandle, -1);
            if (token.IsEndOfGeneration(vocab)) { finished = true; break; }
            decoder.Add(token);
            text.Append(decoder.Read());
            n++;
            batch.Clear();
            batch.Add(token, pos++, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
        }
        return new Answer(text.ToString(), promptPositions, n, !finished, sw.Elapsed - genStart);
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
            _mtmd?.Dispose();
            _context?.Dispose();
            _weights?.Dispose();
            _mtmd = null;
            _context = null;
            _weights = null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
