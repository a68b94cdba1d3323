using System.CommandLine;
using CortexBot.Cli.Commands;
using CortexBot.Core;

namespace CortexBot.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ParseResult parse;
        try
        {
            // flags, then CORTEXBOT_* environment variables, then --config FILE, then defaults
            parse = ConfigSources.Parse(CreateRoot(), args, ConfigSources.ProcessEnvironment());
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        if (parse.Errors.Count > 0)
        {
            // Bad flags are input errors: one clear line, exit code 2.
            Console.Error.WriteLine($"error: {parse.Errors[0].Message}");
            return 2;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            // Unwrap only the runtime's wrappers: our own exceptions' messages name the file or value at fault.
            var shown = e is AggregateException or System.Reflection.TargetInvocationException or TypeInitializationException && e.InnerException is not null ? e.InnerException! : e;
            Console.Error.WriteLine($"error: {shown.Message}");
            if (Environment.GetEnvironmentVariable("CORTEXBOT_TRACE") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }

    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("CortexBot: a brain-inspired robot arm controller (cortex, cerebellum, hippocampus, brainstem).");
        foreach (var o in GlobalOptions.Create()) root.Options.Add(o);
        // One file per command under Commands/.
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(RobotCommand.Create());
        root.Subcommands.Add(SceneCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(MemoryCommand.Create());
        root.Subcommands.Add(SimNodeCommand.CreateSim());
        root.Subcommands.Add(SimNodeCommand.CreateAlias());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DemosCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ScenarioCommand.Create());
        root.Subcommands.Add(ViewCommand.Create());
        return root;
    }

}
