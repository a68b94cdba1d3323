using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Sim.MuJoCo.Tests;

public sealed class SnapshotTests
{
    [Fact]
    public void A_cube_dropped_into_the_bin_is_inside_it_and_cubes_on_the_table_are_not()
    {
        using var world = TestWorld.Open(seed: 8);
        var snapshot = world.Snapshot();
        foreach (var name in world.ObjectNames) Assert.False(snapshot.IsInside(name, "bin"));

        world.SetObjectPose("red_cube", new Pose(new Vec3(0.26, -0.39, 0.07), Quat.FromAxisAngle(Vec3.UnitZ, 0.4)));
        TestWorld.Run(world, TestWorld.HomeCommand(world), 1.0);
        snapshot = world.Snapshot();
        var red = snapshot.Find("red_cube")!.Pose.Position;
        Assert.True(Math.Abs(red.Z - 0.02) < 1e-3, $"red cube settled at {red}");
        Assert.True(snapshot.IsInside("red_cube", "bin"));
        Assert.False(snapshot.IsInside("green_cube", "bin"));
        Assert.False(snapshot.IsInside("blue_cube", "bin"));

        // a cube resting on the table just outside the wall is not inside
        world.SetObjectPose("red_cube", new Pose(new Vec3(0.25, -0.28, 0.02), Quat.Identity));
        TestWorld.Run(world, TestWorld.HomeCommand(world), 0.2);
        Assert.False(world.Snapshot().IsInside("red_cube", "bin"));
    }

    [Fact]
    public void Snapshot_follows_the_simulation_and_is_cached_between_steps()
    {
        using var world = TestWorld.Open(seed: 9);
        var a = world.Snapshot();
        Assert.Same(a, world.Snapshot());
        world.Write(TestWorld.HomeCommand(world));
        var b = world.Snapshot();
        Assert.NotSame(a, b);
        Assert.True(b.StampNs > a.StampNs);
    }

    [Fact]
    public void Snapshot_is_safe_to_call_from_another_thread_while_the_control_thread_writes()
    {
        using var world = TestWorld.Open(seed: 10);
        var cmd = TestWorld.HomeCommand(world);
        using var started = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        int reads = 0;
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                long lastStamp = 0;
                started.Set();
                while (!stop.IsCancellationRequested)
                {
                    var s = world.Snapshot();
                    Assert.Equal(4, s.Objects.Length);
                    Assert.True(s.StampNs >= lastStamp);
                    lastStamp = s.StampNs;
                    foreach (var o in s.Objects)
                    {
                        Assert.True(o.Pose.Position.IsFinite && o.Pose.Orientation.IsFinite);
                        if (o.Kind == SceneKinds.Cube) Assert.InRange(o.Pose.Position.Z, 0.015, 0.025);
                    }
                    Interlocked.Increment(ref reads);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "snapshot reader" };
        reader.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        for (int t = 0; t < 1500 || (Volatile.Read(ref reads) < 100 && DateTime.UtcNow < deadline); t++)
        {
            world.Write(cmd);
            if (t == 500) world.ResetScene(12);
        }
        stop.Cancel();
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)));
        Assert.Null(failure);
        Assert.True(reads > 0);
    }
}
