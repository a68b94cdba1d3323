using CortexBot.Core.Geometry;
using CortexBot.Core.Robot;

namespace CortexBot.Cerebellum.Kinematics;

/// <summary>Forward kinematics and damped-least-squares inverse kinematics of a serial revolute chain.</summary>
public sealed class ArmKinematics(ArmModel arm)
{
    public ArmModel Arm { get; } = arm;
    public int Dof => Arm.Dof;

    /// <summary>Pose of the tool centre point for joint positions <paramref name="q"/>.</summary>
    public Pose Forward(ReadOnlySpan<double> q) => Arm.ToolPose(q);

    /// <summary>Geometric Jacobian (rows: vx vy vz wx wy wz) and the tool pose.</summary>
    public Pose Jacobian(ReadOnlySpan<double> q, double[,] jac)
    {
        Span<Vec3> origins = stackalloc Vec3[Arm.Dof];
        Span<Vec3> axes = stackalloc Vec3[Arm.Dof];
        var pose = new Pose(Arm.BaseOffset, Quat.Identity);
        for (int i = 0; i < Arm.Dof; i++)
        {
            var j = Arm.Joints[i];
            pose = pose * new Pose(j.Offset, Quat.Identity);
            origins[i] = pose.Position;
            axes[i] = pose.Orientation.Rotate(j.Axis);
            pose = pose * new Pose(Vec3.Zero, Quat.FromAxisAngle(j.Axis, q[i]));
        }
        var tool = pose * new Pose(Arm.ToolOffset, Quat.Identity);
        for (int i = 0; i < Arm.Dof; i++)
        {
            var v = axes[i].Cross(tool.Position - origins[i]);
            jac[0, i] = v.X; jac[1, i] = v.Y; jac[2, i] = v.Z;
            jac[3, i] = axes[i].X; jac[4, i] = axes[i].Y; jac[5, i] = axes[i].Z;
        }
        return tool;
    }

    /// <summary>Orientation error (axis * angle, world frame) that rotates <paramref name="current"/> onto <paramref name="target"/>.</summary>
    public static Vec3 OrientationError(Quat target, Quat current)
    {
        var d = (target * current.Conjugate()).Normalized();
        if (d.W < 0) d = new Quat(-d.W, -d.X, -d.Y, -d.Z);
        var v = new Vec3(d.X, d.Y, d.Z);
        double s = v.Norm;
        if (s < 1e-12) return Vec3.Zero;
        double angle = 2 * Math.Atan2(s, d.W);
        return v * (angle / s);
    }

    /// <summary>
    /// Solve for joints reaching <paramref name="target"/>, starting from <paramref name="seed"/> and, failing that, from
    /// the home posture and a few deterministic perturbations. Joint limits are respected. Returns null when unreachable.
    /// </summary>
    /// <summary>
    /// Solutions keep this far (rad) inside each joint's range, clear of the control loop's joint-limit screen (10 mrad by
    /// default), so a planned motion never ends where that screen would stop it.
    /// </summary>
    public double LimitMargin { get; init; } = 0.02;

    public double[]? Inverse(Pose target, ReadOnlySpan<double> seed, double positionTolerance = 5e-4, double orientationTolerance = 5e-3)
    {
        var seeds = new List<double[]> { seed.ToArray(), Arm.Home.ToArray() };
        var rng = new Random(12345);
        for (int k = 0; k < 8; k++)
            seeds.Add(Arm.Joints.Select((j, i) => Math.Clamp(Arm.Home[i] + (rng.NextDouble() - 0.5) * 2.0, j.Lower + LimitMargin, j.Upper - LimitMargin)).ToArray());

        double[]? best = null;
        double bestCost = double.MaxValue;
        foreach (var s in seeds)
        {
            var q = Solve(target, s, out double posErr, out double oriErr);
            if (posErr <= positionTolerance && oriErr <= orientationTolerance)
            {
                // Prefer the solution that moves least from the caller's seed.
                double cost = 0;
                for (int i = 0; i < q.Length; i++) cost += Math.Abs(q[i] - seed[i]);
                if (cost < bestCost) { bestCost = cost; best = q; }
                if (s == seeds[0]) break;
            }
        }
        return best;
    }

    internal double[] Solve(Pose target, double[] start, out double posErr, out double oriErr)
    {
        int n = Arm.Dof;
        var q = (double[])start.Clone();
        var jac = new double[6, n];
        Span<double> e = stackalloc double[6];
        var a = new double[6, 6];
        Span<double> y = stackalloc double[6];
        Span<double> dq = stackalloc double[n];
        posErr = oriErr = double.MaxValue;
        for (int iter = 0; iter < 300; iter++)
        {
            var tool = Jacobian(q, jac);
            var dp = target.Position - tool.Position;
            var dr = OrientationError(target.Orientation, tool.Orientation);
            posErr = dp.Norm; oriErr = dr.Norm;
            if (posErr < 1e-5 && oriErr < 1e-4) break;
            e[0] = dp.X; e[1] = dp.Y; e[2] = dp.Z;
            // Weight orientation less so position converges first on long moves.
            e[3] = 0.5 * dr.X; e[4] = 0.5 * dr.Y; e[5] = 0.5 * dr.Z;
            for (int r = 3; r < 6; r++) for (int c = 0; c < n; c++) jac[r, c] *= 0.5;
            const double lambda2 = 1e-4;
            // (J J^T + λ² I) y = e ;  dq = J^T y
            for (int r = 0; r < 6; r++)
                for (int c = 0; c < 6; c++)
                {
                    double sum = r == c ? lambda2 : 0;
                    for (int k = 0; k < n; k++) sum += jac[r, k] * jac[c, k];
                    a[r, c] = sum;
                }
            if (!SolveLinear(a, e, y)) break;
            double maxStep = 0;
            for (int k = 0; k < n; k++)
            {
                double sum = 0;
                for (int r = 0; r < 6; r++) sum += jac[r, k] * y[r];
                dq[k] = sum;
                maxStep = Math.Max(maxStep, Math.Abs(sum));
            }
            double scale = maxStep > 0.3 ? 0.3 / maxStep : 1.0;
            for (int k = 0; k < n; k++)
                q[k] = Math.Clamp(q[k] + dq[k] * scale, Arm.Joints[k].Lower + LimitMargin, Arm.Joints[k].Upper - LimitMargin);
        }
        return q;
    }

    /// <summary>Gaussian elimination with partial pivoting on a 6x6 system (a is overwritten).</summary>
    private static bool SolveLinear(double[,] a, ReadOnlySpan<double> b, Span<double> x)
    {
        const int n = 6;
        Span<double> rhs = stackalloc double[n];
        b.CopyTo(rhs);
        for (int col = 0; col < n; col++)
        {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[piv, col])) piv = r;
            if (Math.Abs(a[piv, col]) < 1e-14) return false;
            if (piv != col)
            {
                for (int c = 0; c < n; c++) (a[col, c], a[piv, c]) = (a[piv, c], a[col, c]);
                (rhs[col], rhs[piv]) = (rhs[piv], rhs[col]);
            }
            for (int r = col + 1; r < n; r++)
            {
                double f = a[r, col] / a[col, col];
                for (int c = col; c < n; c++) a[r, c] -= f * a[col, c];
                rhs[r] -= f * rhs[col];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            double sum = rhs[r];
            for (int c = r + 1; c < n; c++) sum -= a[r, c] * x[c];
            x[r] = sum / a[r, r];
        }
        return true;
    }

    /// <summary>The tool orientation for a top-down grasp: tool z pointing down (a half turn about y), then turned by <paramref name="yaw"/> about the vertical; the fingers close along (-sin yaw, cos yaw).</summary>
    public static Quat TopDown(double yaw) => Quat.FromAxisAngle(Vec3.UnitZ, yaw) * new Quat(0, 0, 1, 0);
}
