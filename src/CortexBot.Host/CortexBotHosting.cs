using Akka.Actor;
using Akka.Hosting;
using CortexBot.Brainstem;
using CortexBot.Cerebellum;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Skills;
using CortexBot.Cluster.Nodes;
using CortexBot.Cluster.Remoting;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;
using CortexBot.Cortex;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Core.Skills;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Recall;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host;

public static class CortexBotHosting
{
    /// <summary>Slow organs get their own threads so a planner thinking for seconds, or a disk flush, shares nothing with control.</summary>
    public const string Hocon = """
        akka {
          loglevel = INFO
          stdout-loglevel = WARNING
          # Akka's start-up/shutdown logger writes to stderr, never stdout (stdout is a command's result, e.g. --json)
          stdout-logger-class = "CortexBot.Host.StandardErrorLogger, CortexBot.Host"
          # unhandled messages are logged as warnings by UnhandledMessageLog
          actor.debug.unhandled = off
        }
        cortexbot {
          cortex-dispatcher { type = PinnedDispatcher, executor = thread-pool-executor }
          memory-dispatcher { type = PinnedDispatcher, executor = thread-pool-executor }
        }
        """;

    /// <summary>
    /// The embedded simulator's servos track within about 7 mrad, so an error of 30 mrad for 6 ms means an obstruction.
    /// A robot behind a ROS 2 controller answers a round trip later and follows its own interpolation: wider bounds, and
    /// a stall must last longer and lag more.
    /// </summary>
    public static AnomalyLimits AnomalyLimitsFor(CortexBotOptions options, ArmModel arm)
    {
        var limits = new AnomalyLimits { JointRanges = [.. arm.Joints.Select(j => (j.Lower, j.Upper))] };
        return options.Robot == RobotKind.Ros2 ? limits with { TrackingLimit = 0.15, TrackingDwell = 0.1, StallDwell = 0.1, StallError = 0.008 } : limits;
    }

    private static MuJoCoWorld SimulatedWorld(CortexBotOptions options)
    {
        var world = new MuJoCoWorld(options.ScenePath);
        try
        {
            foreach (var p in options.Perturbations) p.ApplyTo(world);
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Registers a robot adapter and each capability port it implements, as separate services over the one instance:
    /// <see cref="IRobotLink"/> always, <see cref="IScenePerception"/>, <see cref="IWorldReset"/>, <see cref="IObjectPoses"/>
    /// and <see cref="IPerturbedWorld"/> where the adapter offers them. A port registered before is kept (a test's double,
    /// or another adapter for that capability, e.g. perception from a detection topic instead of the robot's own scene).
    /// </summary>
    public static IServiceCollection AddRobot<TRobot>(this IServiceCollection services, Func<IServiceProvider, TRobot> create)
        where TRobot : class, IRobotLink
    {
        services.AddSingleton(create);
        services.TryAddSingleton<IRobotLink>(sp => sp.GetRequiredService<TRobot>());
        Port<IScenePerception>();
        Port<IWorldReset>();
        Port<IObjectPoses>();
        Port<IPerturbedWorld>();
        return services;

        // The adapter's type, known here at composition, says what it offers; consumers never test an instance for it.
        void Port<TPort>() where TPort : class
        {
            if (typeof(TPort).IsAssignableFrom(typeof(TRobot)))
                services.TryAddSingleton(typeof(TPort), sp => sp.GetRequiredService<TRobot>());
        }
    }

    /// <summary>
    /// The live feed's camera: the cortex's when it has one, else a camera of its own on the embedded simulator. No GL on
    /// this machine only costs the feed its images (logged), never the run.
    /// </summary>
    private static ISceneCamera? LiveCamera(IServiceProvider sp, CortexBotOptions options)
    {
        if (options.Live.CameraRateHz <= 0) return null;
        if (sp.GetService<ISceneCamera>() is { } shared) return shared;
        if (sp.GetService<MuJoCoWorld>() is not { } world) return null;
        try
        {
            return new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = options.CameraWidth, Height = options.CameraHeight });
        }
        catch (Core.ConfigurationException e)
        {
            sp.GetRequiredService<ILogger<LiveEpisodeFeed>>().LogWarning("live feed without camera images: {Reason}", e.Message);
            return null;
        }
    }

    /// <summary>The control loop's state as /diagnostics reports it (called once a second off the control thread).</summary>
    private static Brainstem.Ros2.ControlLoopHealth LoopHealth(ControlLoop loop)
    {
        var s = loop.Stats();
        var a = loop.LastAnomaly;
        return new(s.TargetHz, s.AchievedHz, s.JitterP99Us, s.JitterMaxUs, s.LateTicks,
            a is null ? null : $"{a.AnomalyKind}: {a.Detail}", a is null ? 0 : (Core.MonotonicClock.NowNs - a.StampNs) / 1e9);
    }

    /// <summary>
    /// Registers the whole controller in one process (<c>--in-process</c>, and the tests): the robot part and the brain
    /// part (adapters unless already registered: tests put doubles in first) in one actor system, the brain attached to
    /// the robot node actor beside it, exactly as it attaches to a robot node in another process.
    /// </summary>
    public static IServiceCollection AddCortexBot(this IServiceCollection services, CortexBotOptions options)
    {
        services.AddRobotPart(options);
        services.AddBrainPart(options);
        Telemetry.MetricsExport.AddMetricsExport(services, options.Metrics);
        services.AddAkka(ClusterNodeConfig.SystemName, (builder, sp) =>
        {
            Configure(builder);
            builder.WithActors((system, registry, _) =>
            {
                UnhandledMessages.LogWarnings(system);
                StartRobot(system, registry, sp, options);
                StartBrain(system, registry, sp, options, $"/user/{ClusterNodeConfig.RobotNodeActorName}");
            });
        });
        return services;
    }

    /// <summary>
    /// A robot node (<c>cortexbot robot serve</c>): the robot part alone, a cluster node with the <c>robot</c> role on
    /// <paramref name="transport"/> (its bind address and TLS), joined to itself (the oldest member, the one the downing
    /// keeps). Brains attach to it.
    /// </summary>
    public static IServiceCollection AddRobotNode(this IServiceCollection services, CortexBotOptions options, NodeTransport transport)
    {
        services.AddRobotPart(options);
        services.AddAkka(ClusterNodeConfig.SystemName, (builder, sp) =>
        {
            Configure(builder);
            builder.AddCortexBotNode(NodeRole.Robot, transport);
            builder.WithActors((system, registry, _) =>
            {
                UnhandledMessages.LogWarnings(system);
                StartRobot(system, registry, sp, options);
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        });
        return services;
    }

    /// <summary>
    /// A brain (<c>cortexbot run --robot-node</c>): the brain part alone, a cluster node with the <c>brain</c> role on
    /// <paramref name="transport"/>, joined to the robot node's cluster at <paramref name="robot"/> in the transport's
    /// protocol (<c>akka.ssl.tcp</c> with TLS: both nodes must have it, or neither).
    /// </summary>
    public static IServiceCollection AddBrainNode(this IServiceCollection services, CortexBotOptions options, NodeEndpoint robot, NodeTransport transport)
    {
        services.AddBrainPart(options);
        services.AddAkka(ClusterNodeConfig.SystemName, (builder, sp) =>
        {
            Configure(builder);
            builder.AddCortexBotNode(NodeRole.Brain, transport);
            // Akka's logs without Akka.Remote's warning (with a stack trace) at each failed try to reach the robot node:
            // the run says what matters itself, in one line (see BrainNodeLogger).
            builder.AddSetup(new BrainNodeLoggerSetup(sp.GetRequiredService<ILoggerFactory>()));
            builder.ConfigureLoggers(l =>
            {
                l.ClearLoggers();
                l.AddLogger<BrainNodeLogger>();
            });
            var robotAddress = transport.AddressOf(ClusterNodeConfig.SystemName, robot);
            builder.WithActors((system, registry, _) =>
            {
                UnhandledMessages.LogWarnings(system);
                Akka.Cluster.Cluster.Get(system).Join(robotAddress);
                StartBrain(system, registry, sp, options, $"{robotAddress}/user/{ClusterNodeConfig.RobotNodeActorName}");
            });
        });
        return services;
    }

    internal static void Configure(AkkaConfigurationBuilder builder) => builder
        .AddHocon(Hocon, HoconAddMode.Prepend)
        .ConfigureLoggers(l =>
        {
            l.ClearLoggers();
            l.AddLoggerFactory();
        });

    /// <summary>The robot node's supervisor with the cerebellum and the brainstem, and the live feed (which samples the control loop).</summary>
    private static void StartRobot(ActorSystem system, IActorRegistry registry, IServiceProvider sp, CortexBotOptions options)
    {
        var loop = sp.GetRequiredService<ControlLoop>();
        var gate = sp.GetRequiredService<SafetyGate>();
        var perception = sp.GetRequiredService<IScenePerception>();
        var world = sp.GetRequiredService<WorldSetup>();
        // The policy's identity only when the compiler really serves it (see the SkillCompiler registration).
        var learned = sp.GetRequiredService<SkillCompiler>().Factories.OfType<LearnedSkillFactory>().FirstOrDefault();
        var parts = new RobotNodeParts(
            CerebellumActor.Props(loop, sp.GetRequiredService<SkillCompiler>(), perception, sp.GetRequiredService<SpeedCapping>()),
            BrainstemActor.Props(perception, sp.GetService<IWorldReset>(), sp.GetService<IPerturbedWorld>(), gate, loop),
            WorldSetup.Name(world.Reset), WorldSetup.Name(world.Perception), world.Reason,
            learned is null ? null : new RobotPolicy(learned.PolicyPath, learned.Device.ToLowerInvariant(), options.OnnxDevice.ToString().ToLowerInvariant(),
                learned.DeviceFallback, learned.Identity),
            reset => ControlCounters(loop, gate, reset),
            perception is Brainstem.Perception.PerceivedScene perceived ? () => perceived.Counters : null);
        registry.Register<RobotNode>(system.ActorOf(RobotNodeActor.Props(parts), ClusterNodeConfig.RobotNodeActorName));
        if (options.Live.Enabled) system.ActorOf(LiveFeedActor.Props(sp.GetRequiredService<LiveEpisodeFeed>()), "live-feed");
    }

    /// <summary>The control loop's statistics (started afresh first when <paramref name="reset"/>) and the safety gate's counters.</summary>
    private static ControlCounters ControlCounters(ControlLoop loop, SafetyGate gate, bool reset)
    {
        if (reset) loop.ResetStats();
        var s = loop.Stats();
        var latency = loop.CommandLatency();
        return new ControlCounters(s.TargetHz, s.AchievedHz, s.JitterP50Us, s.JitterP99Us, s.JitterMaxUs, s.LateTicks, s.Ticks, s.Pacing, s.RealtimePriority,
            gate.ClampedCommands, gate.EnvelopeHolds, gate.SpeedScaled, gate.Envelope?.MaxToolSpeed, Math.Round(gate.PeakToolSpeed, 4),
            loop.TrajectoriesSent, gate.TrajectoriesRefused, Math.Round(loop.TrackingErrorPercentile(99), 6))
        {
            ZoneHolds = gate.ZoneHolds,
            CommandsTimed = latency.Count, CommandLatencyP50Us = latency.P50Us, CommandLatencyP99Us = latency.P99Us, CommandLatencyMaxUs = latency.MaxUs,
        };
    }

    /// <summary>The brain's nervous system with the cortex and the hippocampus; it attaches to the robot node at <paramref name="robotNode"/>.</summary>
    private static void StartBrain(ActorSystem system, IActorRegistry registry, IServiceProvider sp, CortexBotOptions options, string robotNode)
    {
        var policy = sp.GetRequiredService<Core.Safety.SafetyPolicy>();
        var screener = new Core.Safety.PlanScreener(policy, options.AllowUnreviewed);
        var reviewer = SafetyReviewer(sp, options);
        var brain = new BrainProps(
            CortexActor.Props(sp.GetRequiredService<IPlanner>(), sp.GetRequiredService<SkillCatalogue>(), options.PlanTimeout, sp.GetService<ISceneCamera>(),
                screener, reviewer)
                .WithDispatcher("cortexbot.cortex-dispatcher"),
            HippocampusActor.Props(sp.GetRequiredService<IEpisodeStore>()).WithDispatcher("cortexbot.memory-dispatcher"))
        {
            // only a policy that can flag the scene (keep-out zones, required properties) costs a scene per step
            Safety = policy.KeepOutZones.IsEmpty && !policy.RequireProperties ? null : new Core.Safety.SafetyReviewFlow(screener, reviewer),
        };
        var ns = system.ActorOf(NervousSystemActor.Props(brain, robotNode, options.Timeouts, CortexBotOptions.ControllerVersion), "nervous-system");
        registry.Register<NervousSystem>(ns);
    }

    /// <summary>The slow safety reviewer the caller registered for --safety-model (a model adapter lives in its own assembly); null without one.</summary>
    private static Core.Safety.ISafetyReviewer? SafetyReviewer(IServiceProvider sp, CortexBotOptions options) =>
        sp.GetService<Core.Safety.ISafetyReviewer>() ?? (options.SafetyModelPath is null ? null
            : throw new Core.ConfigurationException($"safety model {options.SafetyModelPath} was configured but no safety reviewer was registered by the host"));

    /// <summary>The safety policy (agents/safety.json or --safety-policy): both parts read it, the brain to screen plans, the robot for its zones.</summary>
    private static IServiceCollection AddSafetyPolicy(this IServiceCollection services, CortexBotOptions options)
    {
        services.TryAddSingleton(sp =>
        {
            var policy = options.SafetyPolicy();
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<Core.Safety.SafetyPolicy>().LogInformation("{Policy}", policy);
            return policy;
        });
        return services;
    }

    /// <summary>
    /// The brain's adapters, unless already registered: the planner (a model planner is registered by the caller), the
    /// embedder and the memory store, the skill catalogue the cortex plans with and the safety policy it screens plans by.
    /// </summary>
    public static IServiceCollection AddBrainPart(this IServiceCollection services, CortexBotOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton(_ => SkillCatalogue.Load(options.SkillCataloguePath));
        services.AddSafetyPolicy(options);
        // Model planners (e.g. "llama") live in their own assemblies: the caller registers the IPlanner before this call.
        services.TryAddSingleton<IPlanner>(_ => options.Planner == RulePlanner.PlannerName
            ? new RulePlanner(options.PreferLearnedSkills)
            : throw new Core.ConfigurationException($"planner '{options.Planner}' was selected but not registered by the host"));
        // Likewise a model embedder (LLamaSharp) is registered by the caller; without one, recall uses the hashing embedder.
        services.TryAddSingleton<IEpisodeEmbedder>(_ => options.EmbeddingModelPath is null
            ? HashingEpisodeEmbedder.Default
            : throw new Core.ConfigurationException($"embedding model {options.EmbeddingModelPath} was configured but no embedder was registered by the host"));
        services.TryAddSingleton<IEpisodeStore>(sp => // SQLite file or postgres:// URL
            Hippocampus.Postgres.MemoryStores.OpenMemory(options.MemoryPath, embedder: sp.GetRequiredService<IEpisodeEmbedder>()));
        return services;
    }

    /// <summary>
    /// The robot's adapters (robot link or simulator, unless already registered), the safety gate, the control loop and
    /// its hosted service, the skill compiler with the learned expert, and the live feed.
    /// </summary>
    public static IServiceCollection AddRobotPart(this IServiceCollection services, CortexBotOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton(_ => ArmModel.FromMjcf(options.ScenePath));
        services.AddSafetyPolicy(options);
        // The robot adapter, unless the caller registered one: its ports are registered one by one (AddRobot), so each
        // consumer asks for exactly the capability it needs and an absent one (no reset on a physical arm) is absent.
        // A ROS 2 link subscribes the robot's image topic only for a planner that takes images (frames cost bandwidth).
        if (!services.Any(d => d.ServiceType == typeof(IRobotLink)))
        {
            if (options.Robot == RobotKind.Ros2)
            {
                // The scene (and per-tick object poses) from detections, or from the simulator node's scene topic: the
                // choice (WorldSetup) may need the link to look for the simulator node, so both ports are decided lazily,
                // registered before the link's own, which they replace.
                services.TryAddSingleton(sp =>
                {
                    // fed by the link's detection (or tf) receiver from the moment it exists (frames arrive on its thread)
                    var link = sp.GetRequiredService<Brainstem.Ros2.Ros2RobotLink>();
                    var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger<Brainstem.Perception.PerceivedScene>();
                    if (sp.GetRequiredService<WorldSetup>().Perception == PerceptionSource.Tf)
                    {
                        var tf = link.Transforms();
                        var fromTf = WorldSetup.CreatePerceivedScene(options, $"object transforms on {tf.Topic}", log);
                        tf.FrameReceived += fromTf.Accept;
                        return fromTf;
                    }
                    var receiver = link.Detections();
                    var scene = WorldSetup.CreatePerceivedScene(options, $"detections on {receiver.Topic}", log);
                    receiver.FrameReceived += scene.Accept;
                    if (receiver.Latest is { } first) scene.Accept(first);
                    return scene;
                });
                services.TryAddSingleton<IScenePerception>(sp => sp.GetRequiredService<WorldSetup>().Perception != PerceptionSource.Sim
                    ? sp.GetRequiredService<Brainstem.Perception.PerceivedScene>() : sp.GetRequiredService<Brainstem.Ros2.Ros2RobotLink>());
                // the simulator node's scene topic gives no per-tick poses: then there is none (a factory's null is "absent")
                services.TryAddSingleton<IObjectPoses>(sp => sp.GetRequiredService<WorldSetup>().Perception != PerceptionSource.Sim
                    ? sp.GetRequiredService<Brainstem.Perception.PerceivedScene>() : null!);
                // Gazebo's world is reset by its bridged control service, and what was perceived before is void; else the
                // link's own reset (the simulator node's), which AddRobot would register
                services.TryAddSingleton<IWorldReset>(sp => sp.GetRequiredService<WorldSetup>().Reset == WorldStart.Gazebo
                    ? new GazeboWorldReset(sp.GetRequiredService<Brainstem.Ros2.Ros2RobotLink>(), sp.GetRequiredService<Brainstem.Perception.PerceivedScene>())
                    : sp.GetRequiredService<Brainstem.Ros2.Ros2RobotLink>());
                services.AddRobot(sp =>
                {
                    var log = sp.GetRequiredService<ILogger<Brainstem.Ros2.Ros2RobotLink>>();
                    return new Brainstem.Ros2.Ros2RobotLink(sp.GetRequiredService<ArmModel>().JointNames,
                        options.Ros2 with { ReceiveImages = options.MmprojPath is not null }, warn: line => log.LogWarning("{Warning}", line));
                });
            }
            else services.AddRobot(_ => SimulatedWorld(options));
        }
        services.TryAddSingleton(sp =>
        {
            var setup = sp.GetService<Brainstem.Ros2.Ros2RobotLink>() is { } link ? WorldSetup.ForRos2(options, link)
                : options.Robot == RobotKind.Sim ? WorldSetup.Embedded
                : new WorldSetup(options.Reset ?? WorldStart.Sim, options.Perception ?? PerceptionSource.Sim, "the robot link registered by the host");
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<WorldSetup>().LogInformation("{Setup}", setup);
            return setup;
        });
        // The cortex sees the scene only when its planner can take images (an mmproj): the embedded simulator renders
        // them, a ROS 2 robot publishes them (the link hands over the newest frame).
        if (options.MmprojPath is not null)
            services.TryAddSingleton<ISceneCamera>(sp =>
                sp.GetService<MuJoCoWorld>() is { } world ? new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = options.CameraWidth, Height = options.CameraHeight })
                : sp.GetService<Brainstem.Ros2.Ros2RobotLink>() is { } link ? link
                : throw new Core.ConfigurationException("camera images need the embedded MuJoCo simulator (--robot sim) or a ROS 2 robot (--robot ros2)"));
        services.TryAddSingleton(sp =>
        {
            var envelope = options.SafetyEnvelope();
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<SafetyGate>().LogInformation("{Envelope}", envelope);
            var zones = Core.Safety.SafetyZones.From(sp.GetRequiredService<Core.Safety.SafetyPolicy>());
            if (zones is not null) sp.GetRequiredService<ILoggerFactory>().CreateLogger<SafetyGate>().LogInformation("{Zones}", zones);
            return new SafetyGate(sp.GetRequiredService<IRobotLink>(), sp.GetRequiredService<ArmModel>(), envelope, zones);
        });
        services.TryAddSingleton(sp =>
        {
            var loop = new ControlLoop(sp.GetRequiredService<SafetyGate>(),
                new ControlLoopOptions
                {
                    RateHz = options.RateHz, Pacing = options.Pacing, UseRealtimePriority = options.RealtimePriority,
                    Anomalies = AnomalyLimitsFor(options, sp.GetRequiredService<ArmModel>()),
                },
                sp.GetRequiredService<ILogger<ControlLoop>>(),
                // Trace the movable objects with the joints where their poses can be read per tick (replays, videos).
                sp.GetService<IObjectPoses>(), sp.GetService<IObjectPoses>()?.ObjectNames);
            // A ROS 2 link reports the loop on /diagnostics: it reads the loop through this function, not a reference.
            if (sp.GetService<Brainstem.Ros2.Ros2RobotLink>() is { } ros2) ros2.LoopHealth = () => LoopHealth(loop);
            return loop;
        });
        if (options.Live.Enabled)
        {
            services.TryAddSingleton(sp =>
            {
                var camera = LiveCamera(sp, options);
                return new LiveEpisodeFeed(sp.GetRequiredService<ControlLoop>(), sp.GetRequiredService<SafetyGate>(),
                    sp.GetRequiredService<IScenePerception>(), camera, sp.GetRequiredService<ArmModel>().JointNames,
                    options.Live, sp.GetRequiredService<ILogger<LiveEpisodeFeed>>(), ownsCamera: camera is not null && camera != sp.GetService<ISceneCamera>());
            });
            services.AddHostedService<LiveFeedService>();
        }
        // Learned skills plug into the compiler; the policy loads once, here, and serves every invocation. A default
        // policy is only served by a robot whose object poses can be read per tick; an explicit one must be.
        services.TryAddSingleton(sp => new LearnedSkillFactory(options.EffectivePolicyPath!, new ArmKinematics(sp.GetRequiredService<ArmModel>()),
            sp.GetService<IObjectPoses>()
                ?? throw new Core.ConfigurationException("the learned skill needs per-tick object poses, which this robot link does not provide"),
            sp.GetRequiredService<ControlLoop>().Options, options.OnnxDevice));
        services.TryAddSingleton(sp =>
        {
            var factories = sp.GetServices<ISkillFactory>().ToList();
            var poses = sp.GetService<IObjectPoses>();
            if (options.EffectivePolicyPath is not null && (options.PolicyPath is not null || poses is not null))
                factories.Add(sp.GetRequiredService<LearnedSkillFactory>());
            // Skills are timed for the envelope's tool speed limit, so the gate never slows them behind their own trajectories.
            var parameters = new SkillParameters { MaxToolSpeed = sp.GetRequiredService<SafetyGate>().Envelope?.MaxToolSpeed ?? double.PositiveInfinity };
            return new SkillCompiler(new ArmKinematics(sp.GetRequiredService<ArmModel>()), parameters, factories, poses);
        });
        // A safety speed cap (a modify verdict's) gets a compiler timed for it, with the same skills, and the gate's enforcement.
        services.TryAddSingleton(sp =>
        {
            var compiler = sp.GetRequiredService<SkillCompiler>();
            var arm = sp.GetRequiredService<ArmModel>();
            var poses = sp.GetService<IObjectPoses>();
            return SpeedCapping.For(sp.GetRequiredService<SafetyGate>(), p => new SkillCompiler(new ArmKinematics(arm), p, compiler.Factories, poses), compiler.Parameters);
        });
        services.AddHostedService<ControlLoopService>();
        return services;
    }
}

/// <summary>Starts the control loop before the actors and stops it after them; the arm is held from the first tick.</summary>
internal sealed class ControlLoopService(ControlLoop loop, ILogger<ControlLoopService> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop.Start();
        log.LogInformation("control loop started at {Rate} Hz ({Pacing})", loop.Options.RateHz, loop.Options.Pacing);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        loop.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Runs the live feed's sampler while the host runs; it ends after the actors (it only observes).</summary>
internal sealed class LiveFeedService(LiveEpisodeFeed feed) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        feed.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        feed.Dispose();
        return Task.CompletedTask;
    }
}
