using CortexBot.Core.Messages;

namespace CortexBot.Core.Ports;

/// <summary>
/// The hardware interface (ros2_control's sense): read state, write command. Implemented by the embedded
/// simulator and the ROS 2 link. Both calls are made from the control thread only and must not allocate.
/// </summary>
public interface IRobotLink : IDisposable
{
    /// <summary>Joint names in the order the buffers use.</summary>
    IReadOnlyList<string> JointNames { get; }

    /// <summary>Called once before the first tick with the control period.</summary>
    void Start(double controlPeriodSeconds);

    /// <summary>Fill <paramref name="state"/> with the latest measurement; false when none is available.</summary>
    bool Read(RobotStateBuffer state);

    /// <summary>Send one command. A simulator advances its physics by one control period here.</summary>
    void Write(JointCommandBuffer command);
}

/// <summary>What the robot sees of the world. Thread-safe: called from actors while the control thread runs.</summary>
public interface IScenePerception
{
    SceneSnapshot Snapshot();

    /// <summary>
    /// Why the scene cannot be trusted now (e.g. no fresh detections), in one line; null when it can. A simulator's
    /// scene always can. Thread-safe; not for the control tick.
    /// </summary>
    string? Problem() => null;
}

/// <summary>
/// A world that can be put back to a known start (the embedded simulator, or the ROS 2 simulator node's reset service).
/// A physical arm has none: the host then registers no reset, and episodes that need one fail clearly.
/// </summary>
public interface IWorldReset
{
    /// <summary>
    /// Put the arm at home and scatter the objects from <paramref name="seed"/>. Called on the control thread (between
    /// ticks); may wait for a remote simulator's acknowledgement and throws when the world cannot be reset.
    /// </summary>
    void ResetScene(int seed);
}

/// <summary>
/// A simulator whose object physics can differ from its scene file (perturbation scenarios). The brainstem reports them
/// with each reset so the episode is remembered with the conditions it ran under.
/// </summary>
public interface IPerturbedWorld
{
    /// <summary>Each object whose physics were changed, with the values the simulator now has. Not on the control thread's hot path.</summary>
    System.Collections.Immutable.ImmutableArray<AppliedPerturbation> AppliedPerturbations();
}
