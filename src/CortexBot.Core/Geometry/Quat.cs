namespace CortexBot.Core.Geometry;

/// <summary>Unit quaternion (w, x, y, z), MuJoCo's order.</summary>
public readonly record struct Quat(double W, double X, double Y, double Z)
{
    public static readonly Quat Identity = new(1, 0, 0, 0);

    public static Quat FromAxisAngle(Vec3 axis, double angle)
    {
        var a = axis.Normalized();
        double s = Math.Sin(angle / 2);
        return new Quat(Math.Cos(angle / 2), a.X * s, a.Y * s, a.Z * s);
    }

    public static Quat operator *(Quat a, Quat b) => new(
        a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z,
        a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
        a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
        a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W);

    public Quat Conjugate() => new(W, -X, -Y, -Z);

    public Quat Normalized()
    {
        double n = Math.Sqrt(W * W + X * X + Y * Y + Z * Z);
        return n > 0 ? new Quat(W / n, X / n, Y / n, Z / n) : Identity;
    }

    public Vec3 Rotate(Vec3 v)
    {
        var q = new Vec3(X, Y, Z);
        var t = 2.0 * q.Cross(v);
        return v + W * t + q.Cross(t);
    }

    /// <summary>Rotation about world z (yaw) of this orientation, in radians.</summary>
    public double Yaw => Math.Atan2(2 * (W * Z + X * Y), 1 - 2 * (Y * Y + Z * Z));

    public bool IsFinite => double.IsFinite(W) && double.IsFinite(X) && double.IsFinite(Y) && double.IsFinite(Z);
}
