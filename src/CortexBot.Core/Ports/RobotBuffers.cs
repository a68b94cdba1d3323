namespace CortexBot.Core.Ports;

/// <summary>
/// The arm's measured state, preallocated once and overwritten every tick so the control path allocates nothing.
/// Gripper opening is the distance between the fingers in metres.
/// </summary>
public sealed class RobotStateBuffer(int joints)
{
    public readonly double[] Position = new double[joints];
    public readonly double[] Velocity = new double[joints];
    public double GripperOpening;
    public long StampNs;

    public int Joints => Position.Length;

    public bool IsFinite()
    {
        for (int i = 0; i < Position.Length; i++)
            if (!double.IsFinite(Position[i]) || !double.IsFinite(Velocity[i])) return false;
        return double.IsFinite(GripperOpening);
    }

    public void CopyTo(RobotStateBuffer other)
    {
        Array.Copy(Position, other.Position, Position.Length);
        Array.Copy(Velocity, other.Velocity, Velocity.Length);
        other.GripperOpening = GripperOpening;
        other.StampNs = StampNs;
    }
}

/// <summary>The command sent to the arm each tick: joint position targets and the gripper opening target.</summary>
public sealed class JointCommandBuffer(int joints)
{
    public readonly double[] Position = new double[joints];
    public double GripperOpening;

    public int Joints => Position.Length;

    public void CopyFrom(JointCommandBuffer other)
    {
        Array.Copy(other.Position, Position, Position.Length);
        GripperOpening = other.GripperOpening;
    }
}
