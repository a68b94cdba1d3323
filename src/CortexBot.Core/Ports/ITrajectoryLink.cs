namespace CortexBot.Core.Ports;

/// <summary>
/// A motion as a trajectory controller wants it: joint positions, velocities and accelerations at times from its start
/// (seconds), in the link's joint order, without the start itself (the controller starts from its setpoint in force).
/// Preallocated and filled off the control thread (a compiled skill's segment) or in place on it without allocating
/// (a learned-policy chunk); read by the safety gate and the link on the control thread.
/// </summary>
public sealed class ArmTrajectory
{
    public ArmTrajectory(int joints, int capacity, string label = "")
    {
        if (joints <= 0) throw new ArgumentOutOfRangeException(nameof(joints));
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        Joints = joints;
        Capacity = capacity;
        Label = label;
        TimeFromStart = new double[capacity];
        Position = new double[capacity * joints];
        Velocity = new double[capacity * joints];
        Acceleration = new double[capacity * joints];
    }

    /// <summary>The longest trajectory one message carries (the simulator node's and a sensible controller's bound).</summary>
    public const int MaxPoints = 256;

    public int Joints { get; }
    public int Capacity { get; }
    /// <summary>What the motion is (the skill segment's label), for reports.</summary>
    public string Label { get; set; }
    /// <summary>Points in use.</summary>
    public int Count { get; set; }
    /// <summary>Strictly increasing, above 0 (s).</summary>
    public readonly double[] TimeFromStart;
    /// <summary>Point k's joint j is at [k * Joints + j].</summary>
    public readonly double[] Position, Velocity, Acceleration;
    /// <summary>Whether the velocities and accelerations are meaningful (false: positions only, interpolated linearly).</summary>
    public bool HasDerivatives { get; set; } = true;

    public double Duration => Count == 0 ? 0 : TimeFromStart[Count - 1];

    /// <summary>Position of <paramref name="joint"/> at point <paramref name="point"/>.</summary>
    public double At(int point, int joint) => Position[point * Joints + joint];

    /// <summary>
    /// Samples the minimum-jerk motion from <paramref name="from"/> to <paramref name="to"/> over <paramref name="duration"/>
    /// every <paramref name="interval"/> seconds, plus the end point (so the last point is exactly <paramref name="to"/> at
    /// rest). The interval grows when the motion would need more than <see cref="MaxPoints"/> points. Off the control thread.
    /// </summary>
    public static ArmTrajectory MinimumJerk(double[] from, double[] to, double duration, double interval, string label)
    {
        if (from.Length != to.Length) throw new ArgumentException("from and to differ in joints");
        if (!(duration > 0) || !double.IsFinite(duration)) throw new ArgumentOutOfRangeException(nameof(duration), "a motion needs a positive duration");
        if (!(interval > 0)) throw new ArgumentOutOfRangeException(nameof(interval));
        double dt = interval;
        int steps = Math.Max(1, (int)Math.Ceiling(duration / dt - 1e-9));
        if (steps > MaxPoints) { steps = MaxPoints; dt = duration / steps; }
        var t = new ArmTrajectory(from.Length, steps, label);
        int n = from.Length;
        for (int k = 0; k < steps; k++)
        {
            // the end point lands exactly on the duration, so the last interval may be shorter
            double time = k == steps - 1 ? duration : (k + 1) * dt;
            double tau = time / duration;
            double s = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
            double ds = 30 * tau * tau * (1 - tau) * (1 - tau) / duration;
            double dds = 60 * tau * (1 - tau) * (1 - 2 * tau) / (duration * duration);
            t.TimeFromStart[k] = time;
            for (int j = 0; j < n; j++)
            {
                double d = to[j] - from[j];
                t.Position[k * n + j] = k == steps - 1 ? to[j] : from[j] + d * s;
                t.Velocity[k * n + j] = d * ds;
                t.Acceleration[k * n + j] = d * dds;
            }
        }
        t.Count = steps;
        return t;
    }
}

/// <summary>
/// A robot link whose controller takes whole trajectories (ros2_control's joint_trajectory_controller over its topic or
/// its FollowJointTrajectory action) instead of one setpoint a tick. The control loop hands it each motion segment once,
/// when the segment begins, sampled off the control thread (<see cref="ArmTrajectory"/>); it keeps calling
/// <see cref="IRobotLink.Write"/> every tick with the same motion sampled at the tick, and the link then sends only what
/// is not in the trajectory (the gripper, a changed hold target). Every member runs on the control thread and allocates
/// nothing, except a refusal's or a fault's reason (once per failed motion).
/// <para>Safety: the controller executes the whole trajectory on its own, so nothing can shape it tick by tick. The
/// safety gate therefore checks a trajectory whole (every point against the joint limits and the Cartesian envelope, the
/// speeds between points against the limits) before it passes it on, and refuses it rather than send a motion that
/// violates them; the control loop keeps screening the measured state every tick and cancels the trajectory on an
/// anomaly, an abort or an emergency stop.</para>
/// </summary>
public interface ITrajectoryLink
{
    /// <summary>
    /// Whether this link sends trajectories whole. False: it streams each tick's command (a forward position controller,
    /// the embedded simulator) and <see cref="Execute"/> is never called.
    /// </summary>
    bool TakesTrajectories { get; }

    /// <summary>
    /// Sends <paramref name="trajectory"/> to start now, replacing the one in force. False, with the reason, when it is
    /// refused (it violates a limit, or an emergency stop is in force); nothing is sent then.
    /// </summary>
    bool Execute(ArmTrajectory trajectory, out string? refusal);

    /// <summary>Stops the trajectory in force (a program failed or was aborted): the controller holds where the arm is.</summary>
    void Cancel();

    /// <summary>
    /// Counts the controller's reports that the trajectory in force failed (an aborted goal, a tolerance violated, a
    /// refused goal); <see cref="LastFault"/> says which. The loop compares the count each tick.
    /// </summary>
    long Faults { get; }

    /// <summary>The latest fault (null: none yet).</summary>
    TrajectoryFault? LastFault { get; }
}

/// <summary>Why the controller gave up a trajectory: an anomaly kind (<see cref="Messages.AnomalyKinds"/>) and its words.</summary>
public sealed record TrajectoryFault(string Kind, string Detail);
