using System.Globalization;
using System.Text;
using CortexBot.Core;

namespace CortexBot.Host.Benchmarks;

/// <summary>One task family: an instruction in a scene, run over many seeds.</summary>
public sealed record TaskFamily(string Name, string Scene, string Instruction);

/// <summary>A family's figures: the rate of episodes whose goal held at the end, robot time, and planner calls.</summary>
/// <param name="PlannerCallsPerTask">Calls of the planner (the slow path: first plans memory had none for, and replans) per episode.</param>
/// <param name="Refused">Why the task was refused before anything moved (then no episode ran), or null.</param>
/// <param name="Failures">The first failure reasons, with their seeds.</param>
public sealed record TaskFamilyResult(
    string Name, string Scene, string Instruction, int Episodes, int Successes, double SuccessRate, double MeanDurationS,
    double PlannerCallsPerTask, string? Refused, IReadOnlyList<string> Failures)
{
    /// <summary>Plans that were remembered plans grounded in the scene (the fast path).</summary>
    public int FastPlans { get; init; }

    /// <summary>Plans the planner made (the slow path).</summary>
    public int SlowPlans { get; init; }

    /// <summary>FastPlans over all plans (0 when there were none).</summary>
    public double FastShare => FastPlans + SlowPlans == 0 ? 0 : Math.Round(FastPlans / (double)(FastPlans + SlowPlans), 4);

    /// <summary>With <c>--compare-recall</c>: the same family on the same seeds with recall off (a memory of its own); else null.</summary>
    public TaskFamilyResult? WithoutRecall { get; init; }
}

public sealed record TaskBenchReport(int EpisodesPerFamily, int FirstSeed, bool Recall, IReadOnlyList<TaskFamilyResult> Families)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        bool compared = Families.Any(f => f.WithoutRecall is not null);
        string alsoOff = compared ? " (and off, same seeds)" : "";
        sb.AppendLine(CultureInfo.InvariantCulture, $"task families, {EpisodesPerFamily} episodes each from seed {FirstSeed}, recall {(Recall ? "on" : "off")}{alsoOff}");
        string withoutHeader = compared ? $" {"success w/o recall",19}" : "";
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{"family",-12} {"episodes",8} {"success",8} {"mean s",7} {"plans/task",10} {"fast",5} {"slow",5} {"fast %",7}{withoutHeader}  instruction");
        foreach (var f in Families)
        {
            string without = f.WithoutRecall is { } w ? string.Format(CultureInfo.InvariantCulture, " {0,19:P0}", w.SuccessRate)
                : compared ? $" {"-",19}" : "";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{f.Name,-12} {f.Episodes,8} {f.SuccessRate,8:P0} {f.MeanDurationS,7:F1} {f.PlannerCallsPerTask,10:F2} {f.FastPlans,5} {f.SlowPlans,5} {f.FastShare,7:P0}{without}  {f.Instruction}");
            if (f.Refused is not null) sb.AppendLine(CultureInfo.InvariantCulture, $"{"",12} refused: {f.Refused}");
            foreach (var why in f.Failures) sb.AppendLine(CultureInfo.InvariantCulture, $"{"",12} {why}");
            if (f.WithoutRecall is { } off)
                foreach (var why in off.Failures) sb.AppendLine(CultureInfo.InvariantCulture, $"{"",12} without recall: {why}");
        }
        return sb.ToString();
    }
}

/// <summary>
/// `cortexbot bench tasks`: each task family run as `run --fast` runs it (the same runner, the embedded simulator in
/// lockstep), on seeds the tests do not use, each family with a memory of its own so one family's episodes never feed
/// another's recall. Success is the episode's own verdict: every goal relation judged from the final physics.
/// </summary>
public static class TaskBenchmark
{
    /// <summary>Seeds the test suite does not use (tests stay below 1000).</summary>
    public const int DefaultFirstSeed = 7001;

    public static IReadOnlyList<TaskFamily> Families { get; } =
    [
        new("pick-place", "scene.xml", "put the red cube in the bin"),
        new("multi-place", "scene.xml", "put the red, green and blue cubes in the bin"),
        new("stack-2", "scene.xml", "stack the red cube on the blue cube"),
        new("stack-3", "scene.xml", "build a tower of the blue, green and red cubes"),
        new("sort", "sort.xml", "sort the cubes by colour into the matching bins"),
    ];

    /// <summary>The families named in <paramref name="names"/> (all when null or empty); unknown names are a configuration error.</summary>
    public static IReadOnlyList<TaskFamily> Select(IReadOnlyCollection<string>? names)
    {
        if (names is null || names.Count == 0) return Families;
        var unknown = names.Where(n => Families.All(f => f.Name != n)).ToList();
        if (unknown.Count > 0)
            throw new ConfigurationException($"unknown task famil{(unknown.Count == 1 ? "y" : "ies")} {string.Join(", ", unknown)}; known: {string.Join(", ", Families.Select(f => f.Name))}");
        return [.. Families.Where(f => names.Contains(f.Name))];
    }

    /// <param name="baseOptions">Options every family starts from (planner, rate); scene, memory and pacing are the benchmark's.</param>
    /// <param name="workDir">Where this run's folder for the families' memories goes (removed at the end).</param>
    /// <param name="progress">Called after each episode: family, episode index (1-based), its count.</param>
    /// <param name="compareRecall">Also run each family with recall off on the same seeds (<see cref="TaskFamilyResult.WithoutRecall"/>):
    /// whether the fast path costs success.</param>
    public static async Task<TaskBenchReport> RunAsync(IReadOnlyList<TaskFamily> families, int episodes, int firstSeed, bool recall,
        CortexBotOptions baseOptions, string workDir, Action<string, int, int>? progress = null, CancellationToken ct = default,
        bool compareRecall = false)
    {
        if (episodes is < 1 or > 10_000) throw new ConfigurationException($"--episodes must be between 1 and 10000, got {episodes}");
        if (compareRecall && !recall) throw new ConfigurationException("--compare-recall runs every family with recall on and off; leave out --no-recall");
        var dir = Path.Combine(workDir, $"cortexbot-tasks-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var results = new List<TaskFamilyResult>();
            foreach (var family in families)
            {
                var without = compareRecall
                    ? await RunFamilyAsync(family, episodes, firstSeed, recall: false, baseOptions, dir, progress, ct, suffix: "-no-recall")
                    : null;
                results.Add(await RunFamilyAsync(family, episodes, firstSeed, recall, baseOptions, dir, progress, ct) with { WithoutRecall = without });
            }
            return new TaskBenchReport(episodes, firstSeed, recall, results);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<TaskFamilyResult> RunFamilyAsync(TaskFamily family, int episodes, int firstSeed, bool recall,
        CortexBotOptions baseOptions, string dir, Action<string, int, int>? progress, CancellationToken ct, string suffix = "")
    {
        int done = 0;
        var options = baseOptions with
        {
            ScenePath = Path.IsPathRooted(family.Scene) ? family.Scene : Path.Combine(RepoPaths.Sim, family.Scene),
            MemoryPath = Path.Combine(dir, $"{family.Name}{suffix}.db"), // a memory of its own: no family recalls another's episodes
            Pacing = Cerebellum.Control.Pacing.Fast, RealtimePriority = false,
            Timeouts = baseOptions.Timeouts with { UseMemory = recall },
        };
        var run = await CortexBotRunner.RunAsync(options, family.Instruction, episodes, firstSeed, cancellationToken: ct,
            onEpisode: _ => progress?.Invoke(family.Name + suffix, ++done, episodes));
        if (run.Report is not { } r) return new(family.Name, family.Scene, family.Instruction, 0, 0, 0, 0, 0, run.Rejection, []);
        int ok = r.Episodes.Count(e => e.Success);
        return new(family.Name, family.Scene, family.Instruction, r.Episodes.Count, ok,
            Math.Round(ok / (double)r.Episodes.Count, 4),
            Math.Round(r.Episodes.Average(e => e.DurationS), 3),
            Math.Round(r.Cortex.SlowPlans / (double)r.Episodes.Count, 3), null,
            [.. r.Episodes.Where(e => !e.Success).Take(5).Select(e => $"seed {e.Seed}: {e.Failure}")])
            { FastPlans = r.Cortex.FastPlans, SlowPlans = r.Cortex.SlowPlans };
    }
}
