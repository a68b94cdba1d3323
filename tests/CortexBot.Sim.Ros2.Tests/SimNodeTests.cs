using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>The simulator node and the link in one process (two participants on a loopback-only domain).</summary>
public sealed class SimNodeTests
{
    [Fact]
    public void The_link_resets_the_node_sees_its_scene_and_moves_its_arm()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d) with { StaleAfter = TimeSpan.FromMilliseconds(500) };
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1);
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, o);
            link.Start(0.004);
            link.ResetScene(3);
            var scene = link.Snapshot();
            using (var local = MuJoCoWorld.OpenDefault())
            {
                local.ResetScene(3);
                var expected = local.Snapshot();
                Assert.Equal(expected.Objects.Select(x => x.Name), scene.Objects.Select(x => x.Name));
                foreach (var e in expected.Objects)
                    Assert.True((scene.Find(e.Name)!.Pose.Position - e.Pose.Position).Norm < 0.01, $"{e.Name} is where seed 3 puts it");
            }
            Assert.Equal(1, node.Counters.Resets);

            // drive joint 0 by 0.2 rad over ~1 s through trajectories; the node's arm follows
            var s = new RobotStateBuffer(6);
            Assert.True(link.Read(s));
            var cmd = new JointCommandBuffer(6);
            for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i];
            cmd.GripperOpening = s.GripperOpening;
            double start = s.Position[0];
            for (int k = 1; k <= 250; k++)
            {
                cmd.Position[0] = start + 0.2 * k / 250.0;
                link.Read(s);
                link.Write(cmd);
                Thread.Sleep(4);
            }
            TestBus.WaitUntil(() => link.Read(s) && Math.Abs(s.Position[0] - (start + 0.2)) < 0.02, "the arm to follow");
            Assert.True(node.Counters.TrajectoriesApplied > 0);
            Assert.Equal(0, node.Counters.CommandsRejected);
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
    }
}
