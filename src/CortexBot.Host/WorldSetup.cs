using CortexBot.Brainstem.Perception;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Robot;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host;

/// <summary>How this process's episodes start and where its scene comes from, with why (logged at start and reported).</summary>
public sealed record WorldSetup(WorldStart Reset, PerceptionSource Perception, string Reason)
{
    /// <summary>After the robot's joint states are matched, how long more the simulator node's endpoints may take to show.</summary>
    public static readonly TimeSpan DiscoveryGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>The embedded simulator: it resets, and its scene is its own.</summary>
    public static WorldSetup Embedded { get; } = new(WorldStart.Sim, PerceptionSource.Sim, "the embedded simulator");

    public override string ToString() =>
        $"episodes start with reset {Name(Reset)}, the scene comes from {Perception switch { PerceptionSource.Sim => "the simulator's scene", PerceptionSource.Tf => "object transforms (tf)", _ => "detections" }} ({Reason})";

    internal static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>
    /// A ROS 2 robot's setup: what the options say, the rest by discovery. When a default must be chosen the link looks for
    /// the simulator node (its reset reader or scene writer) until the robot's joint states are matched plus
    /// <see cref="DiscoveryGrace"/> (at most the link's start timeout): found, reset sim and its scene; else reset home
    /// and detections.
    /// </summary>
    public static WorldSetup ForRos2(CortexBotOptions options, Ros2RobotLink link)
    {
        bool? discovered = null;
        bool Discovered() => discovered ??= link.DiscoverSimulatorNode(options.Ros2.StartTimeout, DiscoveryGrace);
        var reset = options.Reset ?? (Discovered() ? WorldStart.Sim : WorldStart.Home);
        var perception = options.Perception ?? (Discovered() ? PerceptionSource.Sim : PerceptionSource.Detections);
        string why = (options.Reset, options.Perception) switch
        {
            (not null, not null) => "as given",
            _ when discovered == true => $"simulator node discovered on ROS domain {options.Ros2.DomainId}",
            _ => $"no simulator node on ROS domain {options.Ros2.DomainId}: nothing reads {options.Ros2.ResetTopic} or writes {options.Ros2.SceneTopic}",
        };
        return new WorldSetup(reset, perception, why);
    }

    /// <summary>
    /// The perceived scene of a robot whose scene comes from detections: the perception file, checked against the scene
    /// file's table (two files describing different workcells would put objects at the wrong height), with the tool speed
    /// limit as the fastest the robot can move an object.
    /// </summary>
    public static PerceivedScene CreatePerceivedScene(CortexBotOptions options, string source, ILogger log)
    {
        var config = PerceptionConfig.Load(options.EffectivePerceptionConfigPath);
        double table = SafetyEnvelope.TableTop(options.ScenePath).Min.Z;
        if (Math.Abs(config.TableHeight!.Value - table) > 0.005)
            throw new ConfigurationException($"perception file {options.EffectivePerceptionConfigPath} puts the table top at z = {config.TableHeight:0.###} m, " +
                $"the scene {options.ScenePath} at z = {table:0.###} m: they describe different workcells");
        return new PerceivedScene(config, source, options.SafetyEnvelope().MaxToolSpeed,
            report: a => log.LogWarning("perception: {Kind}: {Detail}", a.Kind, a.Detail));
    }
}
