using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus;
using Spectre.Console;

namespace CortexBot.Cli.Commands.Memory;

/// <summary>Tables (Spectre.Console) and JSON for the memory commands. Every cell is plain text, never markup.</summary>
internal static class MemoryRender
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Piped output has no terminal width; Spectre would assume 80 columns and wrap every cell. Use $COLUMNS, else 160.
    /// </summary>
    public static void FitWidth()
    {
        if (!Console.IsOutputRedirected)
            return;
        AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int c) && c >= 40 ? c : 160;
    }

    public static JsonObject EpisodeJson(EpisodeRecord e) => JsonNode.Parse(EpisodeJsonl.ToLine(e))!.AsObject();

    public static void EpisodeTable(IReadOnlyList<EpisodeRecord> episodes, IReadOnlyList<float>? scores, string caption)
    {
        FitWidth();
        var table = new Table().Border(TableBorder.Rounded).Caption(new TableTitle(Markup.Escape(caption)));
        table.AddColumn("id", c => c.RightAligned());
        if (scores is not null)
            table.AddColumn("score", c => c.RightAligned());
        table.AddColumn("started (UTC)");
        table.AddColumn("outcome");
        table.AddColumn("instruction");
        table.AddColumn("plan");
        table.AddColumn("failure");
        for (int i = 0; i < episodes.Count; i++)
        {
            var e = episodes[i];
            var cells = new List<Spectre.Console.Rendering.IRenderable> { T(e.Id.ToString(CultureInfo.InvariantCulture)) };
            if (scores is not null)
                cells.Add(T(scores[i].ToString("F3", CultureInfo.InvariantCulture)));
            cells.Add(T(Time(e.StartedAt)));
            cells.Add(Outcome(e.Success));
            cells.Add(T(e.Instruction));
            cells.Add(T(e.Plan.IsDefaultOrEmpty ? "" : string.Join(", ", e.Plan)));
            cells.Add(T(e.FailureReason ?? ""));
            table.AddRow(cells);
        }
        AnsiConsole.Write(table);
    }

    public static void EpisodeDetail(EpisodeRecord e, IReadOnlyList<Core.Safety.SafetyFact>? reviews = null)
    {
        FitWidth();
        var grid = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("field").AddColumn("value")
            .Title(new TableTitle(Markup.Escape($"episode {e.Id}")));
        void Row(string k, string v) => grid.AddRow(T(k), T(v));
        Row("task id", e.TaskId.ToString("D"));
        Row("instruction", e.Instruction);
        grid.AddRow(T("outcome"), Outcome(e.Success));
        if (e.FailureReason is not null)
            Row("failure", e.FailureReason);
        Row("goal", e.Goal.IsDefaultOrEmpty ? "(none recorded)" : string.Join(", ", e.Goal));
        if (!e.Goal.IsDefaultOrEmpty)
            Row("unmet", e.Unmet.IsDefaultOrEmpty ? "(none: every relation held)" : string.Join(", ", e.Unmet));
        Row("started", e.StartedAt.ToString("O", CultureInfo.InvariantCulture));
        Row("duration", Num(e.DurationS, "F3") + " s robot time");
        Row("seed", e.Seed.ToString(CultureInfo.InvariantCulture));
        Row("planner", $"{e.Planner} ({Num(e.PlanLatencyMs, "F2")} ms)");
        Row("plan", e.Plan.IsDefaultOrEmpty ? "(none)" : string.Join(", ", e.Plan));
        Row("anomalies", e.Anomalies.IsDefaultOrEmpty ? "(none)" : string.Join("; ", e.Anomalies));
        Row("controller", e.ControllerVersion);
        Row("policy", e.Policy is { } policy ? $"{policy.File} ({policy.Id})" : "(none)");
        Row("trace", e.Trace is { } trace
            ? FormattableString.Invariant($"{trace.Count} samples at {1 / trace.SamplePeriodS:F0} Hz over {trace.DurationS:F2} s ({trace.EncodedLength} bytes)")
            : "(none)");
        Row("perturbations", e.Perturbations.IsDefaultOrEmpty ? "(none recorded)" : string.Join("; ", e.Perturbations.Select(p => p.ToString())));
        Row("scene at start", Scene(e.SceneAtStart));
        Row("scene at end", Scene(e.SceneAtEnd));
        AnsiConsole.Write(grid);

        if (!e.AnomalyEvents.IsDefaultOrEmpty)
        {
            var anomalies = new Table().Border(TableBorder.Rounded).Title(new TableTitle("anomalies"));
            anomalies.AddColumn("robot time s", c => c.RightAligned());
            anomalies.AddColumn("step", c => c.RightAligned());
            anomalies.AddColumn("kind");
            anomalies.AddColumn("evidence");
            foreach (var a in e.AnomalyEvents)
                anomalies.AddRow(T(Num(a.RobotTimeS, "F3")), T(a.Step?.ToString(CultureInfo.InvariantCulture) ?? "-"), T(a.Kind), T(a.Detail));
            AnsiConsole.Write(anomalies);
        }

        var steps = new Table().Border(TableBorder.Rounded).Title(new TableTitle("steps"));
        steps.AddColumn("#", c => c.RightAligned());
        steps.AddColumn("skill");
        steps.AddColumn("outcome");
        steps.AddColumn("start s", c => c.RightAligned());
        steps.AddColumn("duration s", c => c.RightAligned());
        steps.AddColumn("parameters");
        steps.AddColumn("detail");
        foreach (var s in e.Steps)
        {
            steps.AddRow(T(s.Index.ToString(CultureInfo.InvariantCulture)), T(s.Skill),
                s.Outcome == SkillOutcome.Succeeded ? new Markup("[green]Succeeded[/]") : new Markup($"[red]{s.Outcome}[/]"),
                T(Num(s.StartedAtS, "F3")), T(Num(s.DurationS, "F3")), T(s.Parameters ?? "(defaults)"), T(s.Detail ?? ""));
        }
        AnsiConsole.Write(steps);

        if (e.Tree is { } tree)
            AnsiConsole.Write(TreeView(tree));

        if (reviews is { Count: > 0 })
        {
            var table = new Table().Border(TableBorder.Rounded).Title(new TableTitle("safety reviews"));
            table.AddColumn("verdict");
            table.AddColumn("reason");
            table.AddColumn("flags");
            table.AddColumn("reviewer");
            table.AddColumn("review ms", c => c.RightAligned());
            table.AddColumn("case");
            foreach (var r in reviews)
                table.AddRow(T(r.Verdict.MaxToolSpeed is { } cap ? $"{r.Verdict.Verdict} (tool speed <= {Num(cap, "0.###")} m/s)" : r.Verdict.Verdict),
                    T(r.Verdict.Reason), T(string.Join("; ", r.Flags)), T(r.Reviewer), T(Num(r.ReviewMs, "F1")), T(r.CaseKey));
            AnsiConsole.Write(table);
        }
    }

    /// <summary>A remembered safety review in `memory show --json` (<c>safety_reviews</c>).</summary>
    public static JsonObject SafetyReviewJson(Core.Safety.SafetyFact f) => new()
    {
        ["case_key"] = f.CaseKey,
        ["policy_version"] = f.PolicyVersion,
        ["verdict"] = f.Verdict.Verdict,
        ["reason"] = f.Verdict.Reason,
        ["max_tool_speed"] = f.Verdict.MaxToolSpeed,
        ["flags"] = new JsonArray([.. f.Flags.Select(x => (JsonNode?)JsonValue.Create(x))]),
        ["case"] = f.Case,
        ["reviewer"] = f.Reviewer,
        ["review_ms"] = f.ReviewMs,
        ["decided_at"] = f.DecidedAt.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>The execution tree: task, subgoals, skills, each with its status and robot times (plain text).</summary>
    public static Tree TreeView(ExecutionTree tree)
    {
        static string Span(double? start, double? end) =>
            start is null ? "" : $" {Num(start.Value, "F3")}-{(end is { } e ? Num(e, "F3") : "...")} s";
        var root = new Tree(T($"execution tree: {tree.Task} [{tree.Status}]{Span(tree.StartS, tree.EndS)}")).Guide(TreeGuide.Line);
        foreach (var g in tree.Subgoals)
        {
            var repairs = g.Repairs switch { 0 => "", 1 => ", 1 repair", var n => $", {n} repairs" };
            var check = g.Check is null ? "" : $", check: {g.Check}";
            var node = root.AddNode(T($"{g.Relation ?? "(no relation)"} [{g.Status}{repairs}]{Span(g.StartS, g.EndS)}{check}"));
            foreach (var k in g.Skills)
                node.AddNode(T($"{k.Skill} [{k.Status}]{Span(k.StartS, k.EndS)}{(k.Step is { } i ? $" (step {i})" : "")}"));
        }
        return root;
    }

    public static void StatsTable(MemoryStats s)
    {
        FitWidth();
        var grid = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("what").AddColumn("value", c => c.RightAligned())
            .Title(new TableTitle(Markup.Escape(s.Location)));
        void Row(string k, string v) => grid.AddRow(T(k), T(v));
        Row("episodes", s.Episodes.ToString(CultureInfo.InvariantCulture));
        Row("successes", s.Successes.ToString(CultureInfo.InvariantCulture));
        Row("failures", s.Failures.ToString(CultureInfo.InvariantCulture));
        Row("success rate", s.Episodes == 0 ? "-" : s.SuccessRate.ToString("P1", CultureInfo.InvariantCulture));
        Row("steps", s.Steps.ToString(CultureInfo.InvariantCulture));
        Row("first episode", s.FirstStarted is { } f ? Time(f) : "-");
        Row("last episode", s.LastStarted is { } l ? Time(l) : "-");
        Row("semantic facts", s.Facts.ToString(CultureInfo.InvariantCulture));
        Row("embeddings", $"{s.Embeddings} ({s.EmbeddingModel})");
        Row("schema version", s.SchemaVersion.ToString(CultureInfo.InvariantCulture));
        Row("file size", $"{s.FileBytes / 1024.0:F1} KiB");
        AnsiConsole.Write(grid);
        if (s.TopTasks.Count == 0)
            return;
        var tasks = new Table().Border(TableBorder.Rounded).Title(new TableTitle("most frequent tasks"));
        tasks.AddColumn("instruction");
        tasks.AddColumn("episodes", c => c.RightAligned());
        tasks.AddColumn("success rate", c => c.RightAligned());
        foreach (var t in s.TopTasks)
            tasks.AddRow(T(t.Instruction), T(t.Episodes.ToString(CultureInfo.InvariantCulture)),
                T(((double)t.Successes / t.Episodes).ToString("P0", CultureInfo.InvariantCulture)));
        AnsiConsole.Write(tasks);
    }

    public static void FactsTable(IReadOnlyList<SemanticFact> facts)
    {
        FitWidth();
        var table = new Table().Border(TableBorder.Rounded).Caption(new TableTitle($"{facts.Count} fact(s)"));
        table.AddColumn("object");
        table.AddColumn("skill");
        table.AddColumn("tuning");
        table.AddColumn("ok", c => c.RightAligned());
        table.AddColumn("failed", c => c.RightAligned());
        table.AddColumn("aborted", c => c.RightAligned());
        table.AddColumn("success rate", c => c.RightAligned());
        table.AddColumn("last seen (UTC)");
        table.AddColumn("last failure (UTC)");
        table.AddColumn("latest failure reasons");
        foreach (var f in facts)
        {
            table.AddRow(T(f.Object), T(f.Skill), T(f.Tuning.Length == 0 ? "default" : f.Tuning), T(f.Successes.ToString(CultureInfo.InvariantCulture)),
                T(f.Failures.ToString(CultureInfo.InvariantCulture)), T(f.Aborts.ToString(CultureInfo.InvariantCulture)),
                T(f.SuccessRate.ToString("P0", CultureInfo.InvariantCulture)), T(Time(f.LastSeen)),
                T(f.LastFailure is { } lf ? Time(lf) : "-"), T(string.Join("; ", f.RecentFailureReasons)));
        }
        AnsiConsole.Write(table);
    }

    private static string Scene(System.Collections.Immutable.ImmutableArray<ObjectPlacement> scene) => scene.IsDefaultOrEmpty
        ? "(not recorded)"
        : string.Join("; ", scene.Select(o => FormattableString.Invariant($"{o.Name} ({o.X:F3}, {o.Y:F3}, {o.Z:F3}) yaw {o.Yaw:F2}")));

    private static Text T(string s) => new(s);

    private static Markup Outcome(bool success) => success ? new Markup("[green]success[/]") : new Markup("[red]failure[/]");

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Num(double d, string format) => double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "-";
}
