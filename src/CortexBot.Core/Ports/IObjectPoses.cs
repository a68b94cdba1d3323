using CortexBot.Core.Geometry;

namespace CortexBot.Core.Ports;

/// <summary>
/// Allocation-free read access to the latest poses of scene objects, for code on the control thread (a learned skill
/// observes its object every tick). Resolve a name to an index once, off the control thread; then read by index.
/// </summary>
public interface IObjectPoses
{
    /// <summary>The movable objects whose poses can be read (e.g. for the episode trace).</summary>
    IReadOnlyList<string> ObjectNames { get; }

    /// <summary>The index of the named object or container, or -1 when the scene has none by that name.</summary>
    int IndexOf(string name);

    /// <summary>The latest pose of the object at <paramref name="index"/>; false for an unknown index. Must not allocate.</summary>
    bool TryGetPose(int index, out Pose pose);

    /// <summary>
    /// Why the pose at <paramref name="index"/> cannot be read or trusted now, as an <see cref="Messages.AnomalyKinds"/>
    /// constant (perception stale, object vanished or jumped); null when <see cref="TryGetPose"/> gives a trustworthy pose
    /// or the source cannot tell. Control thread: must not allocate.
    /// </summary>
    string? PoseProblem(int index) => null;
}
