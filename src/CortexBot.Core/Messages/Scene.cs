using System.Collections.Immutable;
using CortexBot.Core.Geometry;

namespace CortexBot.Core.Messages;

/// <summary>
/// Something the robot can see: a graspable object or a container.
/// For containers, <see cref="Pose"/> is the centre of the inner volume and <see cref="HalfSize"/> its inner half extents.
/// </summary>
public sealed record SceneObject(string Name, string Kind, string? Color, Pose Pose, Vec3 HalfSize)
{
    public bool IsContainer => Kind == SceneKinds.Bin;
}

public static class SceneKinds
{
    public const string Cube = "cube";
    public const string Bin = "bin";
}

/// <summary>What the robot perceives at one instant (monotonic nanoseconds).</summary>
public sealed record SceneSnapshot(long StampNs, ImmutableArray<SceneObject> Objects)
{
    public SceneObject? Find(string name) => Objects.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when the centre of <paramref name="objectName"/> lies within the inner volume of <paramref name="containerName"/>.</summary>
    public bool IsInside(string objectName, string containerName)
    {
        var o = Find(objectName);
        var c = Find(containerName);
        if (o is null || c is null || !o.Pose.Position.IsFinite) return false;
        var local = c.Pose.Orientation.Conjugate().Rotate(o.Pose.Position - c.Pose.Position);
        return Math.Abs(local.X) <= c.HalfSize.X && Math.Abs(local.Y) <= c.HalfSize.Y && Math.Abs(local.Z) <= c.HalfSize.Z;
    }

    public string Describe() => string.Join("; ", Objects.Select(o => $"{o.Name} ({o.Kind}) at {o.Pose.Position}"));
}
