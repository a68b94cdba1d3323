using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

/// <summary>
/// Options every command takes (`--log-level`, `--quiet`). Logs and progress always go to stderr: stdout carries only a
/// command's result, so `--json` output parses whatever is logged.
/// </summary>
internal static class GlobalOptions
{
    public const string LogLevelName = "--log-level";
    public const string QuietName = "--quiet";
    public static readonly string[] Levels = ["trace", "debug", "information", "warning", "error", "none"];

    public static IEnumerable<Option> Create() =>
    [
        new Option<string>(LogLevelName)
        {
            Description = "Lowest level of log lines written to stderr (default: warning; information with -v where a command has it)",
            Recursive = true,
        }.Among(Levels),
        new Option<bool>(QuietName, "-q") { Description = "Only errors on stderr: no progress, notes or warnings", Recursive = true },
        ConfigSources.ConfigOption(),
    ];

    public static bool Quiet(ParseResult parse) => parse.GetValue<bool>(QuietName);

    /// <summary>--log-level when given; else --quiet (errors only); else -v (information); else warnings.</summary>
    public static LogLevel Level(ParseResult parse, Option<bool>? verbose = null)
    {
        if (parse.GetValue<string>(LogLevelName) is { } name)
            return Enum.Parse<LogLevel>(name, ignoreCase: true);
        if (Quiet(parse)) return LogLevel.Error;
        return verbose is not null && parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning;
    }

    /// <summary>A sink for progress and notes on stderr, or null when they are not wanted (--quiet).</summary>
    public static Action<string>? Progress(ParseResult parse) => Quiet(parse) ? null : Console.Error.WriteLine;
}
