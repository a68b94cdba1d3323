namespace CortexBot.Core.Geometry;

/// <summary>A rigid transform: position in metres and orientation.</summary>
public readonly record struct Pose(Vec3 Position, Quat Orientation)
{
    public static readonly Pose Identity = new(Vec3.Zero, Quat.Identity);
    public Vec3 Transform(Vec3 p) => Position + Orientation.Rotate(p);
    public static Pose operator *(Pose a, Pose b) => new(a.Transform(b.Position), (a.Orientation * b.Orientation).Normalized());
}
