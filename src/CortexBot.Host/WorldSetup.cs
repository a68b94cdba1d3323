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
        $"episodes start with reset {Name(Reset)}{(Reset == WorldStart.Gazebo ? " (then wait for perception of the reset world)" : "")}, the scene comes from {Perception switch { PerceptionSource.Sim => "the simulator's scene", PerceptionSource.Tf => "object transforms (tf)", _ => "detections" }} ({Reason})";

    internal static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>
    /// A ROS 2 robot's setup: what the options say, the rest by discovery. When a default must be chosen the link looks for
    /// what can reset the world (the simulator node's reset reader or scene writer, Gazebo's bridged world control service)
    /// until the robot's joint states are matched plus <see cref="DiscoveryGrace"/> (at most the link's start timeout): the
    /// simulator node found, reset sim and its scene; else Gazebo's service found, reset gazebo and detections; else reset
    /// home and detections. Gazebo's world has no scene topic: with reset gazebo the scene defaults to detections.
    /// </summary>
    public static WorldSetup ForRos2(CortexBotOptions options, Ros2RobotLink link)
    {
        (bool SimulatorNode, bool GazeboControl)? found = null;
        (bool SimulatorNode, bool GazeboControl) Found() => found ??= link.DiscoverWorld(options.Ros2.StartTimeout, DiscoveryGrace);
        var reset = options.Reset ?? (Found() switch
        {
            { SimulatorNode: true } => WorldStart.Sim,
            { GazeboControl: true } => WorldStart.Gazebo,
            _ => WorldStart.Home,
        });
        var perception = options.Perception ?? (reset != WorldStart.Gazebo && Found().SimulatorNode ? PerceptionSource.Sim : PerceptionSource.Detections);
        string why = (options.Reset, options.Perception, found) switch
        {
            (not null, not null, _) or (_, _, null) => "as given",
            (_, _, { SimulatorNode: true }) => $"simulator node discovered on ROS domain {options.Ros2.DomainId}",
            (_, _, { GazeboControl: true }) => $"Gazebo's world control service {options.Ros2.GazeboControlService} discovered on ROS domain {options.Ros2.DomainId} (no simulator node)",
            _ => $"no simulator node on ROS domain {options.Ros2.DomainId}: nothing reads {options.Ros2.ResetTopic} or writes {options.Ros2.SceneTopic}, " +
                 $"and no Gazebo world control service {options.Ros2.GazeboControlService}",
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

/// <summary>
/// A Gazebo world's reset (<see cref="WorldStart.Gazebo"/>): Gazebo's bridged world control service puts the world back
/// to its initial state (it takes no seed), then the perceived scene forgets what it saw before, so the episode plans only
/// on perception of the reset world.
/// </summary>
public sealed class GazeboWorldReset(Ros2RobotLink link, PerceivedScene scene) : Core.Ports.IWorldReset
{
    public void ResetScene(int seed) => scene.Forget(link.ResetGazeboWorld());
}
