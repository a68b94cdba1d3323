using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CortexBot.Cortex;
using CortexBot.Cortex.Llama;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Skills;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Recall;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging;
using CortexBot.Core.Json;

namespace CortexBot.Cli.Commands;

/// <summary>What `cortexbot plan --json` prints.</summary>
internal sealed record PlanReport(
    string Task,
    int Seed,
    string Planner,
    IReadOnlyList<string> Scene,
    IReadOnlyList<string>? Plan,
    IReadOnlyList<PlanStepReport>? Steps,
    string? Refusal,
    double LatencyMs,
    string? Image,
    IReadOnlyList<string> Memories,
    ModelPlanReport? Model)
{
    /// <summary>The relations the task asks for, as a run judges them (e.g. <c>in(red_cube, bin)</c>); null when the instruction names none.</summary>
    public IReadOnlyList<string>? Goal { get; init; }

    /// <summary>The safety screen's verdict on the plan (null when the planner gave none).</summary>
    public SafetyReport? Safety { get; init; }
}

internal sealed record PlanStepReport(string Skill, IReadOnlyList<string> Args);

internal sealed record ModelPlanReport(
    string Path,
    double LoadMs,
    int Attempts,
    int PromptTokens,
    int GeneratedTokens,
    [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
    IReadOnlyList<string> Rejections);

/// <summary>`cortexbot plan`: a dry run of the cortex. Resets the simulated scene from the seed to ground objects, plans, prints; nothing moves.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "The instruction, e.g. \"put the red cube in the bin\"", Required = true };
        var seed = new Option<int>("--seed") { Description = "Scene seed (objects and their places)", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout and nothing else" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log planner activity to stderr" };
        var scene = CommonOptions.SceneOption();
        var memory = new Option<string?>("--memory") { Description = "Episode memory (SQLite file) whose similar episodes go into the planner's context, read-only (default: the per-user memory when it exists)" };
        var recall = new Option<int>("--recall") { Description = "Similar past episodes given to the planner (0: none)", DefaultValueFactory = _ => 3 };
        var planners = new PlannerCliOptions();
        var safety = new SafetyCliOptions();
        var cmd = new Command("plan", "Print the plan the cortex makes for a task in the scene of a seed, without moving the robot.") { task, seed, json, verbose, scene, memory, recall };
        foreach (var o in planners.All) cmd.Options.Add(o);
        foreach (var o in safety.All) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            var instruction = parse.GetValue(task)!;
            if (string.IsNullOrWhiteSpace(instruction)) throw new ConfigurationException("--task is empty");
            var options = safety.Apply(parse, planners.Apply(parse, new CortexBotOptions
            {
                ScenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene),
            })).Validate();
            var screener = new Core.Safety.PlanScreener(options.SafetyPolicy(), options.AllowUnreviewed);
            var memoryOption = parse.GetValue(memory);
            int sceneSeed = parse.GetValue(seed);
            var catalogue = SkillCatalogue.Load(options.SkillCataloguePath);

            SceneSnapshot snapshot;
            CameraFrame? frame = null;
            using (var world = new MuJoCoWorld(options.ScenePath))
            {
                world.ResetScene(sceneSeed);
                snapshot = world.Snapshot();
                if (options.MmprojPath is not null)
                {
                    using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = options.CameraWidth, Height = options.CameraHeight });
                    frame = await camera.CaptureAsync(ct);
                }
            }

            using var loggers = PlannerCliOptions.StderrLoggers(GlobalOptions.Level(parse, verbose));
            using var model = PlannerCliOptions.CreateModelPlanner(options, loggers);
            using var reviewer = SafetyCliOptions.CreateReviewer(options, loggers);
            var planner = PlannerCliOptions.Port(model);
            var memories = RecallMemories(memoryOption, instruction, parse.GetValue(recall));
            // the goal the run would judge by, which the model planner is told
            var context = new PlanningContext(instruction, snapshot, catalogue, memories, null, frame)
                { Goal = Core.Instructions.InstructionReader.Read(instruction, snapshot).Goal };

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.PlanTimeout);
            var sw = Stopwatch.StartNew();
            PlanResult result;
            try
            {
                result = await planner.PlanAsync(context, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                result = PlanResult.Refuse($"planner timed out after {options.PlanTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
            }
            var latency = sw.Elapsed;
            // The same check the cortex applies before anything reaches the cerebellum.
            if (result.Plan is { } p && PlanValidator.Validate(p, catalogue, snapshot) is { } invalid)
                result = PlanResult.Refuse($"invalid plan from planner '{planner.Name}': {invalid}");
            // ... and the safety screen the cortex applies next, escalating a flagged plan as the cortex does (a case the
            // memory remembers is answered from it; a dry run remembers nothing new)
            var flow = new Core.Safety.SafetyReviewFlow(screener, reviewer);
            var verdict = result.Plan is { } valid ? flow.Screen(valid, snapshot, instruction) : null;
            if (verdict is not null && reviewer is not null && Core.Safety.SafetyReviewFlow.Reviewable(verdict))
            {
                var safetyCase = flow.CaseOf(result.Plan!, snapshot, instruction, verdict);
                try
                {
                    verdict = flow.Recall(safetyCase, RememberedReviews(memoryOption))
                        ?? (await flow.ReviewAsync(safetyCase, Guid.NewGuid(), timeout.Token)).Verdict;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    verdict = verdict with { Escalated = true, Reasons = [.. verdict.Reasons, $"review: the safety review timed out (planning and review share --plan-timeout {options.PlanTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s)"] };
                }
            }

            ModelPlanReport? modelReport = null;
            if (model?.LastStats is { } s)
                modelReport = new ModelPlanReport(model.Options.ModelPath, Math.Round(model.LoadTime.TotalMilliseconds, 1), s.Attempts, s.PromptTokens,
                    s.GeneratedTokens, Math.Round(s.TokensPerSecond, 1), s.Rejections);
            var report = new PlanReport(instruction, sceneSeed, planner.Name, [.. snapshot.Objects.Select(o => o.Name)],
                result.Plan?.Describe(), result.Plan?.Steps.Select(st => new PlanStepReport(st.Skill, st.Args.IsDefault ? [] : st.Args)).ToList(),
                result.Refusal, Math.Round(latency.TotalMilliseconds, 2), model?.SeesImages == true && frame is not null ? $"{frame.Width}x{frame.Height}" : null,
                [.. memories.Select(Describe)], modelReport) { Safety = verdict is null ? null : SafetyCliOptions.Report(verdict) };

            report = report with { Goal = context.Goal?.Describe() };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else if (result.Plan is not null) Print(report);
            if (result.Plan is null)
            {
                // a refused task is bad input, as in `run`: one line, exit 2
                Console.Error.WriteLine($"error: {result.Refusal}");
                return RunContract.BadInput;
            }
            if (verdict is { Refused: true })
            {
                // nothing would move: one line naming the rule, the exit code of refused input
                Console.Error.WriteLine($"error: safety: {verdict}");
                return RunContract.BadInput;
            }
            return RunContract.AllSucceeded;
        });
        return cmd;
    }

    /// <summary>
    /// What the cortex would recall in a run: the stored episodes most similar to the instruction (the hippocampus's
    /// default embedder, exact search). A memory that does not exist yet recalls nothing; an unreadable one named with
    /// --memory is an error, the default one a warning.
    /// </summary>
    internal static System.Collections.Immutable.ImmutableArray<EpisodeSummary> RecallMemories(string? option, string instruction, int k)
    {
        if (k < 0) throw new ConfigurationException($"--recall must not be negative, got {k}");
        var path = option ?? SqliteEpisodeStore.DefaultPath;
        if (k == 0 || !File.Exists(path))
        {
            if (option is not null && !File.Exists(path)) throw new ConfigurationException($"memory file not found: {path}");
            return [];
        }
        try
        {
            using var store = new SqliteEpisodeStore(path, readOnly: true);
            var embedder = new HashingEpisodeEmbedder();
            var query = new float[embedder.Dimension];
            embedder.EmbedQuery(instruction, query);
            var found = System.Collections.Immutable.ImmutableArray.CreateBuilder<EpisodeSummary>();
            foreach (var hit in store.LoadIndex().Search(query, k))
                if (store.Get(hit.Id) is { } e)
                    found.Add(HippocampusActor.Summarise(e));
            return found.ToImmutable();
        }
        catch (EpisodeStoreException e) when (option is null)
        {
            // The default memory is only consulted, never required: plan without it rather than refuse.
            Console.Error.WriteLine($"warning: planning without memories: {e.Message}");
            return [];
        }
        catch (EpisodeStoreException e)
        {
            throw new ConfigurationException($"cannot read the memory {path}: {e.Message}");
        }
    }

    /// <summary>The safety reviews the memory remembers (read-only; none when it does not exist or cannot be read, with a warning).</summary>
    private static IReadOnlyList<Core.Safety.SafetyFact> RememberedReviews(string? option)
    {
        var path = option ?? SqliteEpisodeStore.DefaultPath;
        if (!File.Exists(path)) return [];
        try
        {
            using var store = new SqliteEpisodeStore(path, readOnly: true);
            return store.SafetyFacts();
        }
        catch (EpisodeStoreException e)
        {
            Console.Error.WriteLine($"warning: reviewing without remembered safety reviews: {e.Message}");
            return [];
        }
    }

    private static string Describe(EpisodeSummary m) =>
        $"#{m.Id} \"{m.Instruction}\": {(m.Success ? "succeeded" : "failed")} with [{m.Plan}]" + (m.FailureReason is null ? "" : $" ({m.FailureReason})");

    private static void Print(PlanReport r)
    {
        Console.WriteLine($"task: {r.Task}");
        Console.WriteLine($"scene (seed {r.Seed}): {string.Join(", ", r.Scene)}");
        if (r.Plan is not null)
        {
            Console.WriteLine($"plan from '{r.Planner}' in {r.LatencyMs:F1} ms:");
            for (int i = 0; i < r.Plan.Count; i++) Console.WriteLine($"  {i + 1}. {r.Plan[i]}");
        }
        if (r.Goal is { Count: > 0 } goal) Console.WriteLine($"goal: {string.Join(", ", goal)}");
        else Console.WriteLine($"refused by '{r.Planner}' after {r.LatencyMs:F1} ms: {r.Refusal}");
        if (r.Safety is { } s)
            Console.WriteLine($"safety: {s.Verdict}" + (s.Reasons.Count == 0 ? "" : $": {string.Join("; ", s.Reasons)}") + (s.Modification is null ? "" : $" ({s.Modification})"));
        if (r.Image is not null) Console.WriteLine($"camera image {r.Image} passed to the model");
        if (r.Memories.Count > 0)
        {
            Console.WriteLine($"recalled {r.Memories.Count} similar episode(s):");
            foreach (var line in r.Memories) Console.WriteLine($"  {line}");
        }
        if (r.Model is { } m)
            Console.WriteLine($"model: {m.Attempts} attempt(s), {m.PromptTokens} prompt + {m.GeneratedTokens} generated tokens, {m.TokensPerSecond:F0} tokens/s, loaded in {m.LoadMs:F0} ms");
    }
}
