using CortexBot.Core.Ports;
using CortexBot.Core.Robot;

namespace CortexBot.Testing;

/// <summary>Test double: an ideal arm whose joints follow the command with a first-order lag, recording every command.</summary>
public sealed class FakeArmLink(ArmModel arm) : IRobotLink
{
    private readonly double[] _q = arm.Home.ToArray();
    private readonly double[] _v = new double[arm.Dof];
    private double _gripper = arm.GripperMaxOpening;
    public double? GripperBlockAt { get; set; }
    public double Period { get; private set; }
    public long Writes { get; private set; }
    public bool InjectNaN { get; set; }
    public bool Stale { get; set; }
    public double MaxLimitViolation { get; private set; }
    public double MaxStepRatio { get; private set; }
    public double[] LastCommand { get; } = new double[arm.Dof];
    private readonly double[] _prev = arm.Home.ToArray();

    public IReadOnlyList<string> JointNames { get; } = arm.JointNames;
    public void Start(double controlPeriodSeconds) => Period = controlPeriodSeconds;

    public bool Read(RobotStateBuffer state)
    {
        if (Stale) return false;
        for (int i = 0; i < _q.Length; i++) { state.Position[i] = InjectNaN && i == 2 ? double.NaN : _q[i]; state.Velocity[i] = _v[i]; }
        state.GripperOpening = _gripper;
        return true;
    }

    /// <summary>Called with every command the link receives (tests check each one, e.g. its forward kinematics).</summary>
    public Action<JointCommandBuffer>? OnWrite { get; set; }

    public void Write(JointCommandBuffer command)
    {
        Writes++;
        OnWrite?.Invoke(command);
        for (int i = 0; i < _q.Length; i++)
        {
            var j = arm.Joints[i];
            double c = command.Position[i];
            MaxLimitViolation = Math.Max(MaxLimitViolation, Math.Max(j.Lower - c, c - j.Upper));
            if (Period > 0) MaxStepRatio = Math.Max(MaxStepRatio, Math.Abs(c - _prev[i]) / (j.MaxVelocity * Period));
            _prev[i] = c;
            LastCommand[i] = c;
            // A first-order servo; it reports the speed it moved at, as a real arm's joint states do.
            double step = (c - _q[i]) * 0.5;
            _q[i] += step;
            _v[i] = Period > 0 ? step / Period : 0;
        }
        double g = command.GripperOpening;
        if (GripperBlockAt is { } block && g < block) g = block;
        _gripper += (g - _gripper) * 0.5;
    }

    public void Dispose() { }
}
