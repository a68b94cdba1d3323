using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Testing;

/// <summary>
/// Test double base: a world (the simulator, usually) behind every port the host takes from it (robot link, perception,
/// reset, object poses), each passed to <see cref="Inner"/>. A fault-injecting world overrides only what it changes
/// (mostly <see cref="Write"/> or <see cref="ResetScene"/>) and reaches the simulator's own helpers through
/// <see cref="Inner"/>.
/// </summary>
public abstract class DelegatingWorld<TWorld>(TWorld inner) : IRobotLink, IScenePerception, IWorldReset, IObjectPoses
    where TWorld : IRobotLink, IScenePerception, IWorldReset, IObjectPoses
{
    protected TWorld Inner { get; } = inner;

    public IReadOnlyList<string> JointNames => Inner.JointNames;
    public virtual void Start(double controlPeriodSeconds) => Inner.Start(controlPeriodSeconds);
    public virtual bool Read(RobotStateBuffer state) => Inner.Read(state);
    public virtual void Write(JointCommandBuffer command) => Inner.Write(command);
    public virtual SceneSnapshot Snapshot() => Inner.Snapshot();
    public virtual string? Problem() => Inner.Problem();
    public virtual void ResetScene(int seed) => Inner.ResetScene(seed);
    public IReadOnlyList<string> ObjectNames => Inner.ObjectNames;
    public int IndexOf(string name) => Inner.IndexOf(name);
    public bool TryGetPose(int index, out Pose pose) => Inner.TryGetPose(index, out pose);
    public void Dispose()
    {
        Inner.Dispose();
        GC.SuppressFinalize(this);
    }
}
