using CortexBot.Core;
using CortexBot.Core.Geometry;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// Reset and seeding: the arm back to its home keyframe and the movable objects scattered for a seed, clear of each
/// other and of the containers, within the scene's scatter region.
/// </summary>
public sealed unsafe partial class MuJoCoWorld
{
    public void ResetScene(int seed)
    {
        ThrowIfDisposed();
        ResetToHome();
        var placed = ScatterObjects(seed, _cubeHalf, [.. _containers.Select((c, k) => (c.Pose, _containerOuterHalf[k]))], ScatterRegion);
        for (int c = 0; c < _cubeQ.Length; c++)
        {
            var (x, y, yaw) = placed[c];
            double* q = _qpos + _cubeQ[c];
            q[0] = x;
            q[1] = y;
            q[2] = _cubeHalf[c].Z;
            q[3] = Math.Cos(yaw / 2);
            q[4] = 0;
            q[5] = 0;
            q[6] = Math.Sin(yaw / 2);
        }
        Check(Native.Forward(_h), "mj_forward");
        PublishPoses();
    }

    /// <summary>
    /// Placements of <paramref name="count"/> cubes of the default scene for <paramref name="seed"/>, with the default
    /// scene's bin at <paramref name="binCentre"/>: see <see cref="ScatterObjects"/>.
    /// </summary>
    public static (double X, double Y, double Yaw)[] ScatterCubes(int seed, int count, Vec3? binCentre)
    {
        var half = Enumerable.Repeat(new Vec3(CubeHalfSize, CubeHalfSize, CubeHalfSize), count).ToArray();
        (Pose, Vec3)[] bins = binCentre is { } b
            ? [(new Pose(b, Quat.Identity), new Vec3(BinInnerHalfSize.X + BinWallThickness, BinInnerHalfSize.Y + BinWallThickness, 0))]
            : [];
        return ScatterObjects(seed, half, bins, ScatterRegion.Default);
    }

    /// <summary>
    /// Object placements for <paramref name="seed"/>, in order: x and y in <paramref name="region"/>, yaw in [-pi, pi);
    /// two objects' centres at least <see cref="ScatterMinSeparation"/> apart, and at least <see cref="OpenFingerClearance"/>
    /// plus the larger one's half diagonal, so the open fingers fit beside either; each clear of every container's outer
    /// walls by its half diagonal + 1 cm. Deterministic: one System.Random(seed) drawing x, y, yaw per attempt (with three
    /// 4 cm cubes and one bin it gives the placements it always gave). When an object finds no room the whole draw starts
    /// over from where the generator is.
    /// </summary>
    /// <param name="containers">Each container's pose (its centre) and the half extents of its outer walls in its frame.</param>
    public static (double X, double Y, double Yaw)[] ScatterObjects(int seed, IReadOnlyList<Vec3> halfSizes,
        IReadOnlyList<(Pose Pose, Vec3 OuterHalf)> containers, ScatterRegion region)
    {
        var rng = new Random(seed);
        int count = halfSizes.Count;
        var result = new (double X, double Y, double Yaw)[count];
        var radius = halfSizes.Select(h => Math.Sqrt(h.X * h.X + h.Y * h.Y)).ToArray();
        for (int restart = 0; restart < 100; restart++)
        {
            int c = 0;
            for (; c < count; c++)
            {
                bool placed = false;
                for (int attempt = 0; attempt < 20_000 && !placed; attempt++)
                {
                    double x = region.MinX + (region.MaxX - region.MinX) * rng.NextDouble();
                    double y = region.MinY + (region.MaxY - region.MinY) * rng.NextDouble();
                    double yaw = (2 * rng.NextDouble() - 1) * Math.PI;
                    bool ok = true;
                    for (int k = 0; k < c && ok; k++)
                    {
                        double separation = Math.Max(ScatterMinSeparation, OpenFingerClearance + Math.Max(radius[c], radius[k]));
                        ok = Math.Sqrt((x - result[k].X) * (x - result[k].X) + (y - result[k].Y) * (y - result[k].Y)) >= separation;
                    }
                    for (int k = 0; k < containers.Count && ok; k++)
                    {
                        var (pose, outer) = containers[k];
                        var local = pose.Orientation.Conjugate().Rotate(new Vec3(x, y, pose.Position.Z) - pose.Position);
                        double dx = Math.Max(Math.Abs(local.X) - outer.X, 0);
                        double dy = Math.Max(Math.Abs(local.Y) - outer.Y, 0);
                        ok = Math.Sqrt(dx * dx + dy * dy) > radius[c] + 0.01;
                    }
                    if (ok)
                    {
                        result[c] = (x, y, yaw);
                        placed = true;
                    }
                }
                if (!placed) break;
            }
            if (c == count) return result;
        }
        throw new InvalidOperationException($"Could not scatter {count} objects apart and clear of the containers in {region}.");
    }

    private ScatterRegion ReadScatterRegion()
    {
        var v = new double[4];
        int n;
        fixed (double* p = v) n = Native.Numeric(_h, ScatterRegionNumeric, p, 4);
        if (n <= 0) return ScatterRegion.Default;
        if (n != 4 || !(v[0] < v[1]) || !(v[2] < v[3]))
            throw new ConfigurationException($"MuJoCo scene {ScenePath}: <numeric name=\"{ScatterRegionNumeric}\"> needs min x < max x, min y < max y (4 values).");
        return new ScatterRegion(v[0], v[1], v[2], v[3]);
    }

    private void ResetToHome()
    {
        Check(Native.ResetKeyframe(_h, _homeKey), "mj_resetDataKeyframe");
        ReleaseAllJoints();
        for (int i = 0; i < Dof; i++)
        {
            _qpos[_armQ[i]] = _home[i];
            _ctrl[_armAct[i]] = _home[i];
            _prevCmd[i] = _home[i];
            _ff[i] = 0;
        }
        for (int f = 0; f < 2; f++)
        {
            _qpos[_fingerQ[f]] = _fingerHi[f];
            _ctrl[_fingerAct[f]] = _fingerHi[f];
        }
    }
}

/// <summary>Where a scene's movable objects are scattered on reset (world frame, metres).</summary>
public sealed record ScatterRegion(double MinX, double MaxX, double MinY, double MaxY)
{
    public static readonly ScatterRegion Default = new(MuJoCoWorld.ScatterMinX, MuJoCoWorld.ScatterMaxX, MuJoCoWorld.ScatterMinY, MuJoCoWorld.ScatterMaxY);
}
