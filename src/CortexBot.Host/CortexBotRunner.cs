using Akka.Actor;
using Akka.Hosting;
using CortexBot.Cluster.Nodes;
using CortexBot.Cluster.Remoting;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using CortexBot.Core.Stats;

namespace CortexBot.Host;

/// <summary>
/// The outcome of a run: a report, the reason the task was refused before anything moved (exit 2), or why the run could
/// not go on (<see cref="Fatal"/>: the robot node was lost; exit 1).
/// </summary>
public sealed record RunResult(RunReport? Report, string? Rejection)
{
    public string? Fatal { get; init; }
}

/// <summary>Where the robot part runs for a run: in this process, in a robot node at an address, or in a child robot node this run started.</summary>
public sealed record RobotPlacement(NodeEndpoint? RobotNode, bool Child = false)
{
    public static RobotPlacement InProcess { get; } = new(RobotNode: null);

    /// <summary>
    /// The brain's own transport towards <see cref="RobotNode"/> (bind address, TLS). Null: plain, bound to the local
    /// address that reaches the robot node (which the secure default allows on loopback only).
    /// </summary>
    public NodeTransport? Transport { get; init; }

    /// <summary>The brain's transport: <see cref="Transport"/>, or the plain default towards <paramref name="robot"/>.</summary>
    internal NodeTransport BrainTransport(NodeEndpoint robot) => Transport ?? NodeTransport.Create(NodeEndpoint.LocalTowards(robot), peer: robot);
}

/// <summary>
/// Starts the controller in a generic host, runs episodes of one task through the nervous system, and reports.
/// The CLI and the end-to-end tests share it, so the tests exercise exactly what users run.
/// </summary>
/// <remarks>
/// In-process or split, the run goes the same way: the nervous system attaches to the robot node (an actor beside it, or
/// on another node), the run asks the robot node for its status (control statistics, GC counts) at the start and the end.
/// </remarks>
public static class CortexBotRunner
{
    internal static HostApplicationBuilder HostBuilder(LogLevel logLevel)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        // Logs go to stderr so `--json` keeps stdout to the one JSON object.
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        return builder;
    }

    /// <summary>A robot node's host (`cortexbot robot serve`): the robot part on <paramref name="transport"/>.</summary>
    public static IHost BuildRobotNode(CortexBotOptions options, NodeTransport transport, LogLevel logLevel = LogLevel.Warning, Action<IServiceCollection>? configure = null)
    {
        var builder = HostBuilder(logLevel);
        configure?.Invoke(builder.Services);
        builder.Services.AddRobotNode(options, transport);
        return builder.Build();
    }

    public static IHost Build(CortexBotOptions options, Action<IServiceCollection>? configure = null, LogLevel logLevel = LogLevel.Warning,
        RobotPlacement? placement = null)
    {
        var builder = HostBuilder(logLevel);
        configure?.Invoke(builder.Services);
        if (placement?.RobotNode is { } robot) builder.Services.AddBrainNode(options, robot, placement.BrainTransport(robot));
        else builder.Services.AddCortexBot(options);
        return builder.Build();
    }

    /// <summary>The run's safety summary: the most severe verdict, and the counts of plans screened, escalated, refused and modified.</summary>
    private static RunSafetyReport RunSafety(List<Core.Safety.SafetyVerdict> verdicts, List<Core.Safety.SafetyVerdict> midPlan, Core.Safety.SafetyPolicy policy)
    {
        var all = SafetyReport.From(verdicts);
        return new RunSafetyReport(all?.Verdict ?? "allow", all?.Reasons ?? [], all?.Escalated ?? false, all?.ReviewMs ?? 0, verdicts.Count,
            verdicts.Count(v => v.Escalated), policy.Source)
        {
            Flags = all?.Flags ?? [], Modification = all?.Modification, ScreenUs = all?.ScreenUs ?? 0, Recalled = all?.Recalled ?? false, Reviews = all?.Reviews ?? [],
            RefusedPlans = verdicts.Count(v => v.Refused), ModifiedPlans = verdicts.Count(v => v.Decision == Core.Safety.SafetyDecision.Modify), RecalledPlans = verdicts.Count(v => v.Recalled),
            MidplanReviews = midPlan.Count, MidplanVerdicts = [.. midPlan.Select(v => v.ToString())],
        };
    }

    public static async Task<RunResult> RunAsync(CortexBotOptions options, string task, int episodes, int firstSeed,
        Action<IServiceCollection>? configure = null, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default,
        Action<EpisodeOutcome>? onEpisode = null, RobotPlacement? placement = null)
    {
        if (string.IsNullOrWhiteSpace(task)) throw new ConfigurationException("--task is empty");
        if (episodes < 1 || episodes > 100_000) throw new ConfigurationException($"--episodes must be between 1 and 100000, got {episodes}");
        options.Validate();
        placement ??= RobotPlacement.InProcess;

        using var host = Build(options, configure, logLevel, placement);
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CortexBot.Host.CortexBotRunner");
        // With the robot part in this process: load the compiler's plug-ins (a learned policy) now, so a bad policy is a
        // configuration error before anything starts, and decide how episodes start (a ROS 2 robot may look for the
        // simulator node here). A robot node did both when it started.
        if (host.Services.GetService<Cerebellum.Skills.SkillCompiler>() is not null) host.Services.GetRequiredService<WorldSetup>();
        // A malformed safety policy is refused before anything starts (key and reason, exit 2).
        host.Services.GetRequiredService<Core.Safety.SafetyPolicy>();
        // Open the memory now too (last, so a run refused for another reason creates no store): a corrupt or foreign
        // --memory file is a configuration error (one line, exit 2), not a failed actor-system start logged with stack traces.
        var store = host.Services.GetRequiredService<IEpisodeStore>();
        await host.StartAsync(cancellationToken);
        var ns = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<NervousSystem>(cancellationToken);
        try
        {
            var attachment = await ns.Ask<object>(GetAttachment.Instance, NervousSystemActor.AttachTimeout + TimeSpan.FromSeconds(10), cancellationToken);
            RobotAttached attached;
            switch (attachment)
            {
                case RobotAttached a: attached = a; break;
                case AttachRefused r: return new RunResult(null, r.Reason);
                case RobotNodeLost l: return new RunResult(null, null) { Fatal = l.Reason };
                default: throw new InvalidOperationException($"unexpected answer {attachment.GetType().Name}");
            }
            PolicyReport? policy = attached.Policy is { } p ? new PolicyReport(p.Path, p.Device, p.RequestedDevice, p.Fallback) : null;
            if (policy?.Fallback is { } why)
                log.LogWarning("--onnx-device {Requested}: not available ({Why}); the learned policy runs on the CPU", policy.RequestedDevice, why);
            var statusTimeout = TimeSpan.FromSeconds(10);
            var before = await ns.Ask<RobotStatus>(new GetRobotStatus(ResetControlStats: true), statusTimeout, cancellationToken);

            var reports = new List<EpisodeReport>();
            var planLatencies = new List<double>();
            string planner = options.Planner;
            int fastPlans = 0, slowPlans = 0;
            var verdicts = new List<Core.Safety.SafetyVerdict>();
            var midPlan = new List<Core.Safety.SafetyVerdict>();
            int stored = 0;
            var askTimeout = options.Timeouts.Reset + options.Timeouts.Recall + options.Timeouts.Plan + options.Timeouts.Store + TimeSpan.FromMinutes(5);
            for (int i = 0; i < episodes; i++)
            {
                int seed = firstSeed + i;
                var wall = System.Diagnostics.Stopwatch.StartNew();
                var answer = await ns.Ask<object>(new RunEpisode(task, seed), askTimeout, cancellationToken);
                switch (answer)
                {
                    case RobotNodeLost l:
                        return new RunResult(null, null) { Fatal = l.Reason };
                    case EpisodeRejected r:
                        // refused because the robot node was lost meanwhile: that is no refusal of the task
                        if (await ns.Ask<object>(GetAttachment.Instance, statusTimeout, cancellationToken) is RobotNodeLost lostMeanwhile)
                            return new RunResult(null, null) { Fatal = lostMeanwhile.Reason };
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
                        verdicts.AddRange(o.SafetyVerdicts);
                        midPlan.AddRange(o.MidPlanVerdicts);
                        if (o.StoredId > 0) stored++;
                        reports.Add(new EpisodeReport(seed, e.Success, e.DurationS, e.Plan, o.AnomalyCount,
                            e.FailureReason ?? (o.StoreError is null ? null : $"memory: {o.StoreError}"), o.StoredId, Math.Round(wall.Elapsed.TotalSeconds, 3))
                            { Goal = e.Goal.IsDefault ? [] : e.Goal, Unmet = e.Unmet.IsDefault ? [] : e.Unmet, Safety = SafetyReport.From(o.SafetyVerdicts, o.MidPlanVerdicts), Tree = e.Tree });
                        if (await ns.Ask<object>(GetAttachment.Instance, statusTimeout, cancellationToken) is RobotNodeLost lost)
                            return new RunResult(null, null)
                            {
                                Fatal = $"{lost.Reason}; episode {(o.StoredId > 0 ? $"#{o.StoredId} " : "")}(seed {seed}) stored as failed",
                            };
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected answer {answer.GetType().Name}");
                }
            }

            var after = await ns.Ask<RobotStatus>(new GetRobotStatus(ResetControlStats: false), statusTimeout, cancellationToken);
            var c = after.Control;
            planLatencies.Sort();
            var report = new RunReport(
                task, reports,
                Math.Round(reports.Count(r => r.Success) / (double)reports.Count, 4),
                new ControlReport(c.TargetHz, c.AchievedHz, c.JitterP50Us, c.JitterP99Us, c.JitterMaxUs, c.LateTicks, c.Ticks,
                    c.Pacing, c.RealtimePriority, c.ClampedCommands)
                {
                    EnvelopeHolds = c.EnvelopeHolds, SpeedScaledCommands = c.SpeedScaledCommands, ZoneHolds = c.ZoneHolds, MaxToolSpeed = c.MaxToolSpeed, PeakToolSpeed = c.PeakToolSpeed,
                    Trajectories = c.Trajectories, TrajectoriesRefused = c.TrajectoriesRefused, TrackingErrorP99 = c.TrackingErrorP99,
                    CommandsTimed = c.CommandsTimed, CommandLatencyP50Us = c.CommandLatencyP50Us, CommandLatencyP99Us = c.CommandLatencyP99Us,
                },
                new CortexReport(planner, planLatencies.Count, planLatencies.Count > 0 ? Math.Round(Percentiles.NearestRank(planLatencies, 0.5), 3) : 0)
                    { FastPlans = fastPlans, SlowPlans = slowPlans },
                new HippocampusReport(stored, store.Location))
            {
                Policy = policy,
                Safety = RunSafety(verdicts, midPlan, host.Services.GetRequiredService<Core.Safety.SafetyPolicy>()),
                World = new WorldReport(attached.Reset, attached.Perception, attached.WorldReason,
                    attached.Perception != WorldSetup.Name(PerceptionSource.Sim) ? options.EffectivePerceptionConfigPath : null)
                {
                    // the robot node's, in this process or across the wire; one that outlives this run (`robot serve`)
                    // reports since it started, so the run's share is the difference
                    Detections = placement.RobotNode is not null && !placement.Child && before.Perception is { } start
                        ? after.Perception?.Since(start) : after.Perception,
                },
                RobotNode = new RobotNodeReport(attached.RobotNode, attached.Pid, placement.Child, placement.RobotNode is not null,
                    new GcCounts(before.Gen0, before.Gen1, before.Gen2), new GcCounts(after.Gen0, after.Gen1, after.Gen2))
                {
                    InterruptedEpisodeStored = attached.Interrupted?.TaskId,
                },
            };
            return new RunResult(report, null);
        }
        finally
        {
            // the robot node is free for the next brain as soon as this run ends (and not only when this node leaves)
            ns.Tell(new DetachBrain("the run ended"));
            await host.StopAsync(CancellationToken.None);
        }
    }
}
