namespace CortexBot.Cli.Commands;

/// <summary>
/// Exit codes of every command that runs episodes (run, eval, scenario, demos record): 0 when all succeeded, 1 when
/// any failed, 2 for bad input (refused before anything ran).
/// </summary>
internal static class RunContract
{
    public const int AllSucceeded = 0;
    public const int SomeFailed = 1;
    public const int BadInput = 2;

    public static int ExitCode(IEnumerable<bool> successes) => successes.All(s => s) ? AllSucceeded : SomeFailed;
}
