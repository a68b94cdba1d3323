using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Postgres;
using CortexBot.Host.Replay;
using Spectre.Console;

namespace CortexBot.Cli.Commands.Memory;

/// <summary>
/// `cortexbot memory replay ID`: re-runs a remembered episode through the current cerebellum in the embedded simulator and
/// reports where the motion diverges from its recorded trace. Exit 0 when it matches, 1 when it diverges or the outcome
/// differs, 2 for a problem with the request (unknown id, no trace, lost skills).
/// </summary>
internal static class MemoryReplay
{
    public static Command Create()
    {
        var id = new Argument<long>("ID") { Description = "Episode id (as listed)" };
        var memory = new Option<string?>("--memory") { Description = $"Memory store (SQLite file or postgres:// URL; default {SqliteEpisodeStore.DefaultPath})" };
        var tolerance = new Option<double>("--tolerance")
            { Description = "A joint differing by more than this many radians from the recording is a divergence", DefaultValueFactory = _ => 0.05 };
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout instead of tables" };
        var policy = new Option<string?>("--policy") { Description = "Policy for learned skills (default: policies/pick_place.onnx when present)" };
        var scene = CommonOptions.SceneOption();
        var cmd = new Command("replay",
            "Re-run a stored episode's steps through the current cerebellum in the simulator (same seed, fast mode) and report where it diverges from the recorded trace.")
            { id, memory, tolerance, policy, scene, json };
        cmd.SetAction(async (parse, ct) =>
        {
            double tol = parse.GetValue(tolerance);
            if (!(tol > 0 && double.IsFinite(tol)))
                throw new ConfigurationException($"--tolerance must be a positive angle in radians, not {tol.ToString(CultureInfo.InvariantCulture)}");
            long wanted = parse.GetValue(id);
            Core.Messages.EpisodeRecord episode;
            try
            {
                using var store = OpenRead(parse.GetValue(memory));
                episode = store.Get(wanted) ?? throw new ConfigurationException($"no episode {wanted} in {store.Location}");
            }
            catch (EpisodeStoreException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
            var options = new ReplayOptions
            {
                ToleranceRad = tol,
                ScenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene),
                PolicyPath = parse.GetValue(policy) is { } p ? Path.GetFullPath(p) : null,
            };
            var report = await EpisodeReplayer.ReplayAsync(episode, options, ct);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(report, MemoryRender.Json));
            else
                Render(report);
            return report.Diverged || !report.OutcomeMatches || report.Steps.Any(s => !s.Matches) ? 1 : 0;
        });
        return cmd;
    }

    private static IEpisodeStore OpenRead(string? option)
    {
        var where = option ?? SqliteEpisodeStore.DefaultPath;
        try
        {
            return MemoryStores.IsPostgres(where)
                ? new PostgresEpisodeStore(where)
                : new SqliteEpisodeStore(Path.GetFullPath(where), readOnly: true);
        }
        catch (EpisodeStoreException ex)
        {
            throw new ConfigurationException(ex.Message); // a --memory that names no usable memory is bad input
        }
    }

    private static void Render(ReplayReport r)
    {
        MemoryRender.FitWidth();
        var steps = new Table().Border(TableBorder.Rounded)
            .Title(new TableTitle(Markup.Escape($"replay of episode {r.EpisodeId}: \"{r.Instruction}\" (seed {r.Seed})")));
        steps.AddColumn("#", c => c.RightAligned());
        steps.AddColumn("skill");
        steps.AddColumn("start s", c => c.RightAligned());
        steps.AddColumn("recorded");
        steps.AddColumn("replayed");
        steps.AddColumn("replayed detail");
        foreach (var s in r.Steps)
        {
            steps.AddRow(new Text(s.Index.ToString(CultureInfo.InvariantCulture)), new Text(s.Skill),
                new Text(double.IsFinite(s.StartedAtS) ? s.StartedAtS.ToString("F3", CultureInfo.InvariantCulture) : "-"),
                new Text(s.RecordedOutcome), s.Matches ? new Markup($"[green]{s.ReplayedOutcome}[/]") : new Markup($"[red]{s.ReplayedOutcome}[/]"),
                new Text(s.ReplayedDetail ?? ""));
        }
        AnsiConsole.Write(steps);

        var grid = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("what").AddColumn("value");
        void Row(string k, string v) => grid.AddRow(new Text(k), new Text(v));
        string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
        if (r.FirstDivergence is { } d)
            grid.AddRow(new Text("first divergence"), new Markup(Markup.Escape(
                $"t = {F(d.RobotTimeS, "F3")} s (sample {d.Sample}), step {(d.Step is { } i ? $"{i} {d.StepSkill}" : "-")}: {d.Joint} recorded " +
                $"{F(d.RecordedRad, "F4")} rad, replayed {F(d.ReplayedRad, "F4")} rad (off by {F(d.DifferenceRad, "F4")} > {F(r.ToleranceRad, "F4")})")
                .Insert(0, "[red]") + "[/]"));
        else
            grid.AddRow(new Text("first divergence"), new Markup($"[green]none[/] (every joint within {F(r.ToleranceRad, "F4")} rad)"));
        Row("max joint deviation", $"{F(r.MaxDeviationRad, "F5")} rad" + (r.MaxDeviationJoint is { } j ? $" ({j} at {F(r.MaxDeviationAtS, "F3")} s)" : ""));
        Row("max gripper deviation", $"{F(r.MaxGripperDeviationM * 1000, "F2")} mm");
        Row("samples compared", $"{r.ComparedSamples} of {r.RecordedSamples} recorded, every {F(r.SamplePeriodS, "F3")} s");
        grid.AddRow(new Text("outcome"), new Markup(Markup.Escape(
            $"recorded {(r.RecordedSuccess ? "success" : "failure")}, replayed {(r.ReplayedSuccess ? "success" : "failure")}" +
            (r.ReplayedFailure is { } why ? $" ({why})" : "")).Insert(0, r.OutcomeMatches ? "[green]" : "[red]") + "[/]"));
        Row("perturbations", r.Perturbations.Count == 0 ? "(none)" : "re-applied: " + string.Join("; ", r.Perturbations.Select(p => p.ToString())));
        Row("replay time", $"{F(r.ReplayedRobotS, "F2")} s robot in {F(r.WallS, "F2")} s wall");
        foreach (var n in r.Notes)
            Row("note", n);
        AnsiConsole.Write(grid);
    }
}
