using CortexBot.Core;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo.Tests;

internal static class TestWorld
{
    public const double Period = 0.002;

    /// <summary>Arm posture with the tcp at about (0.39, 0, 0.02), pointing down: a cube on the table sits between the pads.</summary>
    public static readonly double[] GraspPosture = [0, 0.6448, 1.8519, 0, 0.6449, 0];

    public static MuJoCoWorld Open(int seed = 1)
    {
        var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        try
        {
            world.Start(Period);
            world.ResetScene(seed);
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    public static JointCommandBuffer Command(ReadOnlySpan<double> position, double gripperOpening)
    {
        var cmd = new JointCommandBuffer(position.Length);
        position.CopyTo(cmd.Position);
        cmd.GripperOpening = gripperOpening;
        return cmd;
    }

    public static JointCommandBuffer HomeCommand(MuJoCoWorld world) =>
        Command(world.HomePosition.AsSpan(), world.GripperRange.Upper);

    public static void Run(MuJoCoWorld world, JointCommandBuffer command, double seconds)
    {
        int ticks = (int)Math.Round(seconds / world.ControlPeriod);
        for (int i = 0; i < ticks; i++) world.Write(command);
    }
}
