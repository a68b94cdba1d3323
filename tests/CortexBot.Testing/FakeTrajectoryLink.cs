using CortexBot.Core.Ports;
using CortexBot.Core.Robot;

namespace CortexBot.Testing;

/// <summary>
/// Test double: the ideal arm of <see cref="FakeArmLink"/> behind a trajectory controller. It records every trajectory it
/// is handed (a copy, in order) and every cancel, and a test can make the controller give up the motion in force
/// (<see cref="InjectFault"/>), as joint_trajectory_controller aborts a goal.
/// </summary>
public sealed class FakeTrajectoryLink(ArmModel arm) : IRobotLink, ITrajectoryLink
{
    public FakeArmLink Arm { get; } = new(arm);
    public bool TakesTrajectories { get; set; } = true;
    /// <summary>Copies of the trajectories executed, in order.</summary>
    public List<ArmTrajectory> Executed { get; } = [];
    public int Cancels { get; private set; }
    /// <summary>Trajectories executed and not yet cancelled when the next came.</summary>
    public bool MotionInForce { get; private set; }
    public long Faults { get; private set; }
    public TrajectoryFault? LastFault { get; private set; }
    /// <summary>Keep copies in <see cref="Executed"/> (false: only count, allocation-free).</summary>
    public bool Record { get; set; } = true;
    public int ExecutedCount { get; private set; }
    /// <summary>Refuse every trajectory with this reason (null: accept).</summary>
    public string? Refuse { get; set; }

    public IReadOnlyList<string> JointNames => Arm.JointNames;
    public void Start(double controlPeriodSeconds) => Arm.Start(controlPeriodSeconds);
    public bool Read(RobotStateBuffer state) => Arm.Read(state);
    public void Write(JointCommandBuffer command) => Arm.Write(command);

    public bool Execute(ArmTrajectory trajectory, out string? refusal)
    {
        refusal = Refuse;
        if (refusal is not null) return false;
        ExecutedCount++;
        MotionInForce = true;
        if (!Record) return true;
        var copy = new ArmTrajectory(trajectory.Joints, Math.Max(1, trajectory.Count), trajectory.Label) { Count = trajectory.Count, HasDerivatives = trajectory.HasDerivatives };
        Array.Copy(trajectory.TimeFromStart, copy.TimeFromStart, trajectory.Count);
        Array.Copy(trajectory.Position, copy.Position, trajectory.Count * trajectory.Joints);
        Array.Copy(trajectory.Velocity, copy.Velocity, trajectory.Count * trajectory.Joints);
        Array.Copy(trajectory.Acceleration, copy.Acceleration, trajectory.Count * trajectory.Joints);
        Executed.Add(copy);
        MotionInForce = true;
        return true;
    }

    public void Cancel()
    {
        Cancels++;
        MotionInForce = false;
    }

    /// <summary>The controller aborts the motion in force (as from its receiver thread).</summary>
    public void InjectFault(string kind, string detail)
    {
        LastFault = new TrajectoryFault(kind, detail);
        Faults++;
    }

    public void Dispose() { }
}
