using System.CommandLine;
using System.Text.Json;
using CortexBot.Core.Json;
using Spectre.Console;

namespace CortexBot.Cli.Commands;

/// <summary>
/// How commands write results: with --json one JSON document on stdout (snake_case) and everything else on stderr;
/// a live progress bar only when stdout is a terminal and neither --json nor --quiet is given.
/// </summary>
internal static class CliOutput
{
    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object on stdout and nothing else (progress and logs go to stderr)" };

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, CortexBotJson.Options));

    /// <summary>Whether a live progress bar may draw: stdout is a terminal, and neither --json nor --quiet was asked for.</summary>
    public static bool ShowProgress(ParseResult parse, bool json) =>
        !json && !GlobalOptions.Quiet(parse) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>
    /// Runs <paramref name="body"/> under a progress bar of <paramref name="total"/> units when <paramref name="show"/>;
    /// the body reports (units done, optional status). Without a bar, the reports go nowhere.
    /// </summary>
    public static async Task<T> WithProgressAsync<T>(bool show, string description, double total, Func<Action<double, string?>, Task<T>> body)
    {
        if (!show) return await body((_, _) => { });
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: total);
                result = await body((done, status) =>
                {
                    task.Value = Math.Min(done, total);
                    // short, so the bar keeps its width on an 80-column terminal
                    if (status is not null) task.Description = Markup.Escape($"{description}: {(status.Length > 36 ? status[..35] + "…" : status)}");
                });
                task.Value = total;
            });
        return result;
    }
}
