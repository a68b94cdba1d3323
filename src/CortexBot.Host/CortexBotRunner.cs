using Akka.Actor;
using Akka.Hosting;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using CortexBot.Core.Stats;

namespace CortexBot.Host;

/// <summary>The outcome of a run: a report, or the reason the task was refused before anything moved.</summary>
public sealed record RunResult(RunReport? Report, string? Rejection);

/// <summary>
/// Starts the controller in a generic host, runs episodes of one task through the nervous system, and reports.
/// The CLI and the end-to-end tests share it, so the tests exercise exactly what users run.
/// </summary>
public static class CortexBotRunner
{
    public static IHost Build(CortexBotOptions options, Action<IServiceCollection>? configure = null, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        // Logs go to stderr so `--json` keeps stdout to the one JSON object.
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        configure?.Invoke(builder.Services);
        builder.Services.AddCortexBot(options);
        return builder.Build();
    }

    public static async Task<RunResult> RunAsync(CortexBotOptions options, string task, int episodes, int firstSeed,
        Action<IServiceCollection>? configure = null, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default,
        Action<EpisodeOutcome>? onEpisode = null)
    {
        if (string.IsNullOrWhiteSpace(task)) throw new ConfigurationException("--task is empty");
        if (episodes < 1 || episodes > 100_000) throw new ConfigurationException($"--episodes must be between 1 and 100000, got {episodes}");
        options.Validate();

        using var host = Build(options, configure, logLevel);
        // Load the compiler's plug-ins (a learned policy) now, so a bad policy is a configuration error before anything starts.
        var compiler = host.Services.GetRequiredService<Cerebellum.Skills.SkillCompiler>();
        var learned = compiler.Factories.OfType<Cerebellum.Learning.Runtime.LearnedSkillFactory>().FirstOrDefault();
        PolicyReport? policy = learned is null ? null : new PolicyReport(learned.PolicyPath, learned.Device.ToLowerInvariant(),
            options.OnnxDevice.ToString().ToLowerInvariant(), learned.DeviceFallback);
        if (policy?.Fallback is { } why)
            host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CortexBot.Host.CortexBotRunner")
                .LogWarning("--onnx-device {Requested}: not available ({Why}); the learned policy runs on the CPU", policy.RequestedDevice, why);
        // Open the memory now too (last, so a run refused for another reason creates no store): a corrupt or foreign
        // --memory file is a configuration error (one line, exit 2), not a failed actor-system start logged with stack traces.
        host.Services.GetRequiredService<IEpisodeStore>();
        // How episodes start and where the scene comes from (a ROS 2 robot may look for the simulator node here).
        var world = host.Services.GetRequiredService<WorldSetup>();
        await host.StartAsync(cancellationToken);
        try
        {
            var sp = host.Services;
            var loop = sp.GetRequiredService<ControlLoop>();
            var gate = sp.GetRequiredService<SafetyGate>();
            var ns = await sp.GetRequiredService<ActorRegistry>().GetAsync<NervousSystem>(cancellationToken);
            var store = sp.GetRequiredService<IEpisodeStore>();
            loop.ResetStats();

            var reports = new List<EpisodeReport>();
            var planLatencies = new List<double>();
            string planner = options.Planner;
            int fastPlans = 0, slowPlans = 0;
            int stored = 0;
            var askTimeout = options.Timeouts.Reset + options.Timeouts.Recall + options.Timeouts.Plan + options.Timeouts.Store + TimeSpan.FromMinutes(5);
            for (int i = 0; i < episodes; i++)
            {
                int seed = firstSeed + i;
                var wall = System.Diagnostics.Stopwatch.StartNew();
                var answer = await ns.Ask<object>(new RunEpisode(task, seed), askTimeout, cancellationToken);
                switch (answer)
                {
                    case EpisodeRejected r:
                        return new RunResult(null, r.Reason);
                    case EpisodeOutcome o:
                        onEpisode?.Invoke(o);
                        var e = o.Episode;
                        // The configured planner's name: plans from memory and local repairs carry their own.
                        if (e.Planner is not (Cortex.CortexActor.MemoryPlannerName or Cortex.CortexActor.RepairPlannerName)) planner = e.Planner;
                        fastPlans += o.FastPlans;
                        slowPlans += o.SlowPlans;
                        // Every plan counts, replans after anomalies included; the latency percentile is per plan.
                        planLatencies.AddRange(o.PlanLatenciesMs);
                        if (o.StoredId > 0) stored++;
                        reports.Add(new EpisodeReport(seed, e.Success, e.DurationS, e.Plan, o.AnomalyCount,
                            e.FailureReason ?? (o.StoreError is null ? null : $"memory: {o.StoreError}"), o.StoredId, Math.Round(wall.Elapsed.TotalSeconds, 3))
                            { Goal = e.Goal.IsDefault ? [] : e.Goal, Unmet = e.Unmet.IsDefault ? [] : e.Unmet });
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected answer {answer.GetType().Name}");
                }
            }

            var stats = loop.Stats();
            planLatencies.Sort();
            var report = new RunReport(
                task, reports,
                Math.Round(reports.Count(r => r.Success) / (double)reports.Count, 4),
                new ControlReport(stats.TargetHz, stats.AchievedHz, stats.JitterP50Us, stats.JitterP99Us, stats.JitterMaxUs, stats.LateTicks, stats.Ticks,
                    stats.Pacing, stats.RealtimePriority, gate.ClampedCommands)
                {
                    EnvelopeHolds = gate.EnvelopeHolds, SpeedScaledCommands = gate.SpeedScaled, MaxToolSpeed = gate.Envelope?.MaxToolSpeed, PeakToolSpeed = Math.Round(gate.PeakToolSpeed, 4),
                    Trajectories = loop.TrajectoriesSent, TrajectoriesRefused = gate.TrajectoriesRefused, TrackingErrorP99 = Math.Round(loop.TrackingErrorPercentile(99), 6),
                },
                new CortexReport(planner, planLatencies.Count, planLatencies.Count > 0 ? Math.Round(Percentiles.NearestRank(planLatencies, 0.5), 3) : 0)
                    { FastPlans = fastPlans, SlowPlans = slowPlans },
                new HippocampusReport(stored, store.Location))
            {
                Policy = policy,
                World = new WorldReport(WorldSetup.Name(world.Reset), WorldSetup.Name(world.Perception), world.Reason,
                    world.Perception != PerceptionSource.Sim ? options.EffectivePerceptionConfigPath : null)
                {
                    Detections = (sp.GetService<IScenePerception>() as Brainstem.Perception.PerceivedScene)?.Counters,
                },
            };
            return new RunResult(report, null);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
