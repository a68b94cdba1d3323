namespace CortexBot.Sim.MuJoCo;

/// <summary>Lower and upper limit of a joint (radians for hinges, metres for slides), as written in the MJCF.</summary>
public readonly record struct JointRange(double Lower, double Upper)
{
    public double Width => Upper - Lower;
    public bool Contains(double value) => value >= Lower && value <= Upper;
    public double Clamp(double value) => Math.Clamp(value, Lower, Upper);
}
