using System.Collections.Immutable;
using System.Runtime.InteropServices;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>Resetting: the arm back to its home keyframe and the cubes scattered from a seed, deterministically.</summary>
public sealed unsafe partial class MuJoCoWorld
{
    public void ResetScene(int seed)
    {
        ThrowIfDisposed();
        ResetToHome();
        var placed = ScatterCubes(seed, _cubeQ.Length, _bin?.Pose.Position);
        for (int c = 0; c < _cubeQ.Length; c++)
        {
            var (x, y, yaw) = placed[c];
            double* q = _qpos + _cubeQ[c];
            q[0] = x;
            q[1] = y;
            q[2] = CubeHalfSize;
            q[3] = Math.Cos(yaw / 2);
            q[4] = 0;
            q[5] = 0;
            q[6] = Math.Sin(yaw / 2);
        }
        Check(Native.Forward(_h), "mj_forward");
        PublishPoses();
    }

    /// <summary>
    /// Cube placements for <paramref name="seed"/>: x in [0.32, 0.52], y in [-0.22, 0.28], yaw in [-pi, pi), at least
    /// 0.09 m apart and clear of the bin's outer walls (1 cm margin). Deterministic: System.Random(seed).
    /// </summary>
    public static (double X, double Y, double Yaw)[] ScatterCubes(int seed, int count, Vec3? binCentre)
    {
        var rng = new Random(seed);
        var result = new (double X, double Y, double Yaw)[count];
        double binOuter = BinInnerHalfSize.X + BinWallThickness;
        double clearance = CubeHalfSize * Math.Sqrt(2) + 0.01;
        for (int c = 0; c < count; c++)
        {
            for (int attempt = 0; ; attempt++)
            {
                if (attempt == 100_000) throw new InvalidOperationException($"Could not scatter {count} cubes {ScatterMinSeparation} m apart.");
                double x = ScatterMinX + (ScatterMaxX - ScatterMinX) * rng.NextDouble();
                double y = ScatterMinY + (ScatterMaxY - ScatterMinY) * rng.NextDouble();
                double yaw = (2 * rng.NextDouble() - 1) * Math.PI;
                bool ok = true;
                for (int k = 0; k < c && ok; k++)
                    ok = Math.Sqrt((x - result[k].X) * (x - result[k].X) + (y - result[k].Y) * (y - result[k].Y)) >= ScatterMinSeparation;
                if (ok && binCentre is { } b)
                {
                    double dx = Math.Max(Math.Abs(x - b.X) - binOuter, 0);
                    double dy = Math.Max(Math.Abs(y - b.Y) - binOuter, 0);
                    ok = Math.Sqrt(dx * dx + dy * dy) > clearance;
                }
                if (ok)
                {
                    result[c] = (x, y, yaw);
                    break;
                }
            }
        }
        return result;
    }

    // ------------------------------------------------------------------ internals

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
