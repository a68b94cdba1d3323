using System.CommandLine;
using System.Globalization;
using CortexBot.Cortex;
using CortexBot.Cortex.Llama;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

/// <summary>The planner flags shared by `run` and `plan`: `--planner rule|llama --model FILE.gguf [--mmproj FILE] [--ctx N] [--threads N] [--planner-seed N] [--plan-timeout S]`.</summary>
internal sealed class PlannerCliOptions
{
    public readonly Option<string> Planner = new Option<string>("--planner")
    {
        Description = "rule, or llama (a local GGUF model through LLamaSharp)", DefaultValueFactory = _ => RulePlanner.PlannerName,
    }.Among(RulePlanner.PlannerName, LlamaPlanner.PlannerName);
    public readonly Option<string?> Model = new("--model") { Description = "GGUF model file for --planner llama (generate a tiny test model with `cortexbot model tiny`)" };
    public readonly Option<string?> Mmproj = new("--mmproj") { Description = "Multimodal projector GGUF matching --model: the cortex then sees a camera image of the scene (generate a tiny one with `cortexbot model tiny --mmproj`)" };
    public readonly Option<uint> Ctx = new("--ctx") { Description = "Model context size in tokens", DefaultValueFactory = _ => 2048 };
    public readonly Option<int> Threads = new("--threads") { Description = "CPU threads for the model (0 = half the cores)", DefaultValueFactory = _ => 0 };
    public readonly Option<uint> PlannerSeed = new("--planner-seed") { Description = "Sampling seed of the model planner", DefaultValueFactory = _ => 42 };
    public readonly Option<int> GpuLayers = new("--gpu-layers") { Description = "Model layers offloaded to a GPU (needs a build with -p:LlamaBackend=Cuda12)", DefaultValueFactory = _ => 0 };
    public readonly Option<double> PlanTimeout = new("--plan-timeout") { Description = "Seconds the cortex may think per plan before it gives up", DefaultValueFactory = _ => 30 };

    public IEnumerable<Option> All => [Planner, Model, Mmproj, Ctx, Threads, PlannerSeed, GpuLayers, PlanTimeout];

    /// <summary>Copies the planner flags into <paramref name="options"/> (validated later by <see cref="CortexBotOptions.Validate"/>).</summary>
    public CortexBotOptions Apply(ParseResult parse, CortexBotOptions options)
    {
        double timeout = parse.GetValue(PlanTimeout);
        if (!double.IsFinite(timeout) || timeout <= 0 || timeout > 3600)
            throw new ConfigurationException($"--plan-timeout must be in (0, 3600] seconds, got {timeout.ToString(CultureInfo.InvariantCulture)}");
        var planTimeout = TimeSpan.FromSeconds(timeout);
        var timeouts = options.Timeouts;
        // The episode waits a little longer than the cortex, so the cortex's own timeout (a clear refusal) comes first.
        if (timeouts.Plan < planTimeout + TimeSpan.FromSeconds(5)) timeouts = timeouts with { Plan = planTimeout + TimeSpan.FromSeconds(5) };
        var model = parse.GetValue(Model);
        var mmproj = parse.GetValue(Mmproj);
        return options with
        {
            Planner = parse.GetValue(Planner)!,
            ModelPath = model is null ? null : Path.GetFullPath(model),
            MmprojPath = mmproj is null ? null : Path.GetFullPath(mmproj),
            ContextSize = parse.GetValue(Ctx),
            PlannerThreads = parse.GetValue(Threads),
            PlannerSeed = parse.GetValue(PlannerSeed),
            GpuLayers = parse.GetValue(GpuLayers),
            PlanTimeout = planTimeout,
            Timeouts = timeouts,
        };
    }

    /// <summary>
    /// The model planner for validated <paramref name="options"/>, loaded now (once, before anything moves), or null for
    /// the rule planner. Bad model files give a <see cref="ConfigurationException"/>.
    /// </summary>
    public static LlamaPlanner? CreateModelPlanner(CortexBotOptions options, ILoggerFactory loggers)
    {
        if (options.Planner != LlamaPlanner.PlannerName) return null;
        var planner = new LlamaPlanner(new LlamaPlannerOptions
        {
            ModelPath = options.ModelPath!,
            MmprojPath = options.MmprojPath,
            ContextSize = options.ContextSize,
            Threads = options.PlannerThreads,
            Seed = options.PlannerSeed,
            GpuLayerCount = options.GpuLayers,
        }, loggers.CreateLogger<LlamaPlanner>());
        try
        {
            planner.Load();
            return planner;
        }
        catch
        {
            planner.Dispose();
            throw;
        }
    }

    /// <summary>Logs to stderr (stdout stays for results).</summary>
    public static ILoggerFactory StderrLoggers(LogLevel level) => LoggerFactory.Create(b =>
    {
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.AddFilter((_, l) => l >= level);
        b.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });

    /// <summary>The planner port for a run: the model planner when one was made, else the rule planner.</summary>
    public static IPlanner Port(LlamaPlanner? model) => model is null ? new RulePlanner() : model;
}
