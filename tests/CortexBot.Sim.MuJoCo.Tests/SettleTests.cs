using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo.Tests;

public class SettleTests
{
    /// <summary>
    /// Regression: with the table as a large box, MuJoCo's box-box contact launched a rotated cube on about one seed in six.
    /// Every scattered scene must stay at rest while the arm holds home.
    /// </summary>
    [Fact]
    public void Scattered_cubes_stay_at_rest_on_every_seed()
    {
        using var world = new MuJoCoWorld(CortexBot.Core.RepoPaths.DefaultScene);
        world.Start(0.002);
        var state = new RobotStateBuffer(6);
        var cmd = new JointCommandBuffer(6);
        var moved = new List<string>();
        for (int seed = 0; seed < 300; seed++)
        {
            world.ResetScene(seed);
            var before = world.Snapshot().Objects.Where(o => o.Kind == "cube").ToDictionary(o => o.Name, o => o.Pose.Position);
            world.Read(state);
            for (int i = 0; i < 6; i++) cmd.Position[i] = state.Position[i];
            cmd.GripperOpening = 0.08;
            for (int k = 0; k < 250; k++) world.Write(cmd);
            foreach (var o in world.Snapshot().Objects.Where(o => o.Kind == "cube"))
                if ((o.Pose.Position - before[o.Name]).Norm > 0.005) moved.Add($"seed {seed}: {o.Name} {before[o.Name]} -> {o.Pose.Position}");
        }
        Assert.True(moved.Count == 0, string.Join("\n", moved.Take(10)));
    }
}
