using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary><c>sim serve</c>'s robot_description (transient local) and /tf with the scene objects' poses, read from the wire.</summary>
public sealed unsafe class RobotDescriptionAndTfTests
{
    private const string Urdf = "<?xml version=\"1.0\"?>\n<robot name=\"cortexbot_arm\"><link name=\"base_link\"/></robot>\n";

    [Fact]
    public void A_late_subscriber_gets_the_robot_description_and_tf_carries_every_scene_object_in_world()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d);
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1, robotDescription: Urdf);
        using var cts = new CancellationTokenSource();
        var thread = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        thread.Start();
        try
        {
            Thread.Sleep(300); // the description went out before this participant existed
            using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
            int desc = dds.Reader(RosType.String, "/robot_description", new RosQos(true, 1, TransientLocal: true));
            int tf = dds.Reader(RosType.TfMessage, "/tf", RosQos.Default with { Depth = 100 });
            int scene = dds.Reader(RosType.SceneStatus, o.SceneTopic, RosQos.Default);

            string? text = null;
            TestBus.WaitUntil(() =>
            {
                if (Native.Take(desc, out void* p, out _) != 1) return false;
                text = Native.ToManaged(((StringMsg*)p)->Data);
                Native.ReturnLoan(desc, p);
                return true;
            }, "the robot description (transient local)");
            Assert.Equal(Urdf, text);

            // a scene status and the /tf published with it (the objects rest on the table: their poses agree)
            Dictionary<string, double[]>? fromScene = null, fromTf = null;
            string? frame = null;
            TestBus.WaitUntil(() =>
            {
                while (Native.Take(scene, out void* p, out _) is int r && r > 0)
                {
                    if (r != 1) continue;
                    var m = (SceneStatusMsg*)p;
                    fromScene = [];
                    for (int i = 0; i < m->ObjectNames.Length; i++)
                        fromScene[Native.ToManaged(((byte**)m->ObjectNames.Buffer)[i])!] = new ReadOnlySpan<double>((double*)m->Poses.Buffer + 7 * i, 7).ToArray();
                    Native.ReturnLoan(scene, p);
                }
                while (Native.Take(tf, out void* p, out _) is int r && r > 0)
                {
                    if (r != 1) continue;
                    var m = (TfMessageMsg*)p;
                    fromTf = [];
                    for (int i = 0; i < m->Transforms.Length; i++)
                    {
                        var t = (TransformStampedMsg*)m->Transforms.Buffer + i;
                        frame = Native.ToManaged(t->Header.FrameId);
                        Assert.True(t->Header.Stamp.Sec > 0, "stamped with the wall time");
                        fromTf[Native.ToManaged(t->ChildFrameId)!] = [t->Tx, t->Ty, t->Tz, t->Qw, t->Qx, t->Qy, t->Qz];
                    }
                    Native.ReturnLoan(tf, p);
                }
                return fromScene is not null && fromTf is not null;
            }, "a scene status and a TFMessage");
            Assert.Equal("world", frame);
            Assert.NotEmpty(fromTf!);
            Assert.Equal(fromScene!.Keys.Order(), fromTf!.Keys.Order());
            foreach (var (name, pose) in fromTf!)
            {
                for (int k = 0; k < 3; k++) Assert.Equal(fromScene![name][k], pose[k], 0.002);
                double norm = Math.Sqrt(pose[3] * pose[3] + pose[4] * pose[4] + pose[5] * pose[5] + pose[6] * pose[6]);
                Assert.Equal(1.0, norm, 1e-6);
            }
        }
        finally
        {
            cts.Cancel();
            thread.Join();
        }
    }
}
