using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CortexBot.Core.Messages;

namespace CortexBot.Hippocampus;

/// <summary>
/// The memory's exchange format: one JSON object per line per episode (snake_case fields; missing numbers are null).
/// <c>id</c> is informative on export and ignored on import (the target store assigns its own).
/// </summary>
public static class EpisodeJsonl
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // readable files; never embedded in HTML
    };

    public static string ToLine(EpisodeRecord e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var dto = new EpisodeLine
        {
            Id = e.Id,
            TaskId = e.TaskId,
            Instruction = e.Instruction,
            Seed = e.Seed,
            StartedAt = e.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            DurationS = Num(e.DurationS),
            Success = e.Success,
            FailureReason = e.FailureReason,
            Planner = e.Planner,
            Plan = e.Plan.IsDefault ? [] : [.. e.Plan],
            Steps = e.Steps.IsDefault ? [] : [.. e.Steps.Select(s => new StepLine
            {
                Index = s.Index,
                Skill = s.Skill,
                Outcome = s.Outcome.ToString(),
                Detail = s.Detail,
                StartedAtS = Num(s.StartedAtS),
                DurationS = Num(s.DurationS),
                Parameters = s.Parameters,
            })],
            Anomalies = e.Anomalies.IsDefault ? [] : [.. e.Anomalies],
            PlanLatencyMs = Num(e.PlanLatencyMs),
            ControllerVersion = e.ControllerVersion,
            SceneAtStart = e.SceneAtStart.IsDefault ? [] : [.. e.SceneAtStart],
            SceneAtEnd = e.SceneAtEnd.IsDefault ? [] : [.. e.SceneAtEnd],
            AnomalyEvents = e.AnomalyEvents.IsDefault ? [] : [.. e.AnomalyEvents],
            Policy = e.Policy,
            Trace = e.Trace is null ? null : Convert.ToBase64String(e.Trace.Encode()),
            Perturbations = e.Perturbations.IsDefault ? [] : [.. e.Perturbations],
            Goal = e.Goal.IsDefault ? [] : [.. e.Goal],
            Unmet = e.Unmet.IsDefault ? [] : [.. e.Unmet],
            Tree = e.Tree,
            Interrupted = e.Interrupted,
        };
        return JsonSerializer.Serialize(dto, Options);
    }

    /// <summary>Parses a whole file; every malformed line is reported (1-based line numbers). Blank lines are skipped.</summary>
    public static (List<EpisodeRecord> Episodes, List<string> Errors) Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var episodes = new List<EpisodeRecord>();
        var errors = new List<string>();
        int lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                episodes.Add(FromLine(line));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidDataException)
            {
                errors.Add($"line {lineNo}: {ex.Message}");
            }
        }
        return (episodes, errors);
    }

    public static EpisodeRecord FromLine(string line)
    {
        var dto = JsonSerializer.Deserialize<EpisodeLine>(line, Options) ?? throw new InvalidDataException("null instead of an episode");
        if (dto.TaskId is not { } taskId || taskId == Guid.Empty)
            throw new InvalidDataException("task_id is missing");
        if (string.IsNullOrWhiteSpace(dto.Instruction))
            throw new InvalidDataException("instruction is missing");
        if (dto.StartedAt is null || !DateTimeOffset.TryParse(dto.StartedAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var started))
            throw new InvalidDataException($"started_at '{dto.StartedAt}' is not an ISO 8601 time");
        if (dto.Success is not { } success)
            throw new InvalidDataException("success is missing");
        var steps = ImmutableArray.CreateBuilder<StepRecord>();
        foreach (var s in dto.Steps ?? [])
        {
            if (s is null)
                throw new InvalidDataException("a step is null");
            if (string.IsNullOrWhiteSpace(s.Skill))
                throw new InvalidDataException("a step has no skill");
            if (!Enum.TryParse<SkillOutcome>(s.Outcome, ignoreCase: false, out var outcome) || !Enum.IsDefined(outcome) ||
                int.TryParse(s.Outcome, out _))
                throw new InvalidDataException($"step outcome '{s.Outcome}' is not one of {string.Join(", ", Enum.GetNames<SkillOutcome>())}");
            steps.Add(new StepRecord(s.Index, s.Skill, outcome, s.Detail, s.StartedAtS ?? double.NaN, s.DurationS ?? double.NaN,
                s.Parameters));
        }
        if (dto.Policy is { } policy && (policy.File is null || policy.Id is null))
            throw new InvalidDataException("policy needs both file and id");
        var perturbations = NoNulls(dto.Perturbations, "perturbations");
        foreach (var p in perturbations)
            if (EpisodeDetails.PerturbationProblem(p) is { } problem)
                throw new InvalidDataException($"a perturbation {problem}");
        if (dto.Tree is { } tree && EpisodeDetails.TreeProblem(tree) is { } treeProblem)
            throw new InvalidDataException($"tree {treeProblem}");
        EpisodeTrace? trace = null;
        if (dto.Trace is not null)
        {
            try
            {
                trace = EpisodeTrace.Decode(Convert.FromBase64String(dto.Trace));
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"trace is not base64: {ex.Message}");
            }
        }
        return new EpisodeRecord(
            taskId, dto.Instruction, dto.Seed, started, dto.DurationS ?? double.NaN, success, dto.FailureReason,
            dto.Planner ?? "", [.. dto.Plan ?? []], steps.ToImmutable(), [.. dto.Anomalies ?? []],
            dto.PlanLatencyMs ?? double.NaN, dto.ControllerVersion ?? "")
        {
            SceneAtStart = NoNulls(dto.SceneAtStart, "scene_at_start"),
            SceneAtEnd = NoNulls(dto.SceneAtEnd, "scene_at_end"),
            AnomalyEvents = NoNulls(dto.AnomalyEvents, "anomaly_events"),
            Policy = dto.Policy,
            Trace = trace,
            Perturbations = perturbations,
            Goal = NoNullStrings(dto.Goal, "goal"),
            Unmet = NoNullStrings(dto.Unmet, "unmet"),
            Tree = dto.Tree,
            Interrupted = dto.Interrupted ?? false,
        };
    }

    private static double? Num(double d) => double.IsFinite(d) ? d : null;

    private static ImmutableArray<string> NoNullStrings(string[]? items, string field) =>
        items is null ? [] : items.Any(i => i is null) ? throw new InvalidDataException($"{field} holds null") : [.. items];

    private static ImmutableArray<T> NoNulls<T>(T[]? items, string field) where T : class =>
        items is null ? [] : items.Any(i => i is null) ? throw new InvalidDataException($"{field} holds null") : [.. items];

    private sealed class EpisodeLine
    {
        public long Id { get; set; }
        public Guid? TaskId { get; set; }
        public string? Instruction { get; set; }
        public int Seed { get; set; }
        public string? StartedAt { get; set; }
        public double? DurationS { get; set; }
        public bool? Success { get; set; }
        public string? FailureReason { get; set; }
        public string? Planner { get; set; }
        public string[]? Plan { get; set; }
        public StepLine[]? Steps { get; set; }
        public string[]? Anomalies { get; set; }
        public double? PlanLatencyMs { get; set; }
        public string? ControllerVersion { get; set; }
        public ObjectPlacement[]? SceneAtStart { get; set; }
        public ObjectPlacement[]? SceneAtEnd { get; set; }
        public AnomalyEvent[]? AnomalyEvents { get; set; }
        public PolicyIdentity? Policy { get; set; }
        /// <summary>The <see cref="EpisodeTrace"/> blob, base64.</summary>
        public string? Trace { get; set; }
        public AppliedPerturbation[]? Perturbations { get; set; }
        /// <summary>The task's relations and those unmet at the end; absent in lines written before they were stored.</summary>
        public string[]? Goal { get; set; }
        public string[]? Unmet { get; set; }
        /// <summary>The execution tree; absent or null in lines written before it was stored, or when no plan was made.</summary>
        public ExecutionTree? Tree { get; set; }
        /// <summary>The episode's brain vanished mid-way (schema 7); absent in lines written before it was exported, which import as false.</summary>
        public bool? Interrupted { get; set; }
    }

    private sealed class StepLine
    {
        public int Index { get; set; }
        public string? Skill { get; set; }
        public string? Outcome { get; set; }
        public string? Detail { get; set; }
        public double? StartedAtS { get; set; }
        public double? DurationS { get; set; }
        public string? Parameters { get; set; }
    }
}
