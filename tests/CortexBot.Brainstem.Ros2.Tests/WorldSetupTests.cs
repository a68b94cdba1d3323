using System.Diagnostics;
using CortexBot.Brainstem.Perception;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2;
using Microsoft.Extensions.DependencyInjection;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>How a ROS 2 robot's episodes start and where its scene comes from: given, or found on the DDS graph.</summary>
public sealed class WorldSetupTests
{
    private static ServiceProvider Compose(CortexBotOptions options)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCortexBot(options);
        return services.BuildServiceProvider();
    }

    private static CortexBotOptions Ros2(int domain) => new() { Robot = RobotKind.Ros2, Ros2 = TestBus.Options(domain) };

    [Fact]
    public void With_the_simulator_node_on_the_graph_episodes_reset_it_and_read_its_scene()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d);
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1);
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            using var sp = Compose(Ros2(d));
            var setup = sp.GetRequiredService<WorldSetup>();
            Assert.Equal(new WorldSetup(WorldStart.Sim, PerceptionSource.Sim, $"simulator node discovered on ROS domain {d}"), setup);
            var link = sp.GetRequiredService<Ros2RobotLink>();
            Assert.Same(link, sp.GetRequiredService<IScenePerception>());
            Assert.Same(link, sp.GetRequiredService<IWorldReset>());
            Assert.Null(sp.GetService<IObjectPoses>());
            // an episode from the scene as it is (--reset none --perception sim) waits for the node's first scene status
            TestBus.WaitUntil(() => link.Problem() is null, "the simulator node's scene status");
            Assert.Contains("red_cube", link.Snapshot().Objects.Select(x => x.Name));
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
    }

    [Fact]
    public void Against_a_plain_ros2_control_robot_episodes_start_home_and_the_scene_comes_from_detections()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);   // joint states, a trajectory controller: no reset, no scene
        using var sp = Compose(Ros2(d));
        var sw = Stopwatch.StartNew();
        var setup = sp.GetRequiredService<WorldSetup>();
        Assert.Equal(WorldStart.Home, setup.Reset);
        Assert.Equal(PerceptionSource.Detections, setup.Perception);
        Assert.Contains($"no simulator node on ROS domain {d}: nothing reads /cortexbot/sim/reset or writes /cortexbot/sim/scene", setup.Reason);
        Assert.Contains("and no Gazebo world control service /world/cortexbot_tabletop/control", setup.Reason);
        // the robot's endpoints were discovered, so the search ended after the grace, not the start timeout
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"discovery took {sw.Elapsed}");
        var scene = Assert.IsType<PerceivedScene>(sp.GetRequiredService<IScenePerception>());
        Assert.Same(scene, sp.GetRequiredService<IObjectPoses>());
        Assert.Equal(["red_cube", "green_cube", "blue_cube"], scene.ObjectNames);
        Assert.Equal(["bin"], scene.Snapshot().Objects.Select(o => o.Name));   // nothing detected yet: the fixtures
        Assert.Contains("perception stale: no detection frame accepted", scene.Problem());
    }

    [Fact]
    public void With_gazebos_world_control_service_on_the_graph_episodes_reset_gazebo_and_forget_the_old_world()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d);
        using var world = MuJoCoWorld.OpenDefault();
        // a plain robot with detections, and Gazebo's /world/cortexbot_tabletop/control beside it
        using var node = new Ros2SimNode(world, o, 250, seed: 1, asRobot: new SimDetectionOptions { RateHz = 20 }, gazeboControl: "cortexbot_tabletop");
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            using var sp = Compose(Ros2(d));
            var setup = sp.GetRequiredService<WorldSetup>();
            Assert.Equal(new WorldSetup(WorldStart.Gazebo, PerceptionSource.Detections,
                $"Gazebo's world control service /world/cortexbot_tabletop/control discovered on ROS domain {d} (no simulator node)"), setup);
            var scene = Assert.IsType<PerceivedScene>(sp.GetRequiredService<IScenePerception>());
            var reset = Assert.IsType<GazeboWorldReset>(sp.GetRequiredService<IWorldReset>());
            TestBus.WaitUntil(() => scene.Problem() is null, "detections");
            var link = sp.GetRequiredService<Ros2RobotLink>();
            TestBus.WaitUntil(() => link.Counters.JointStatesAccepted > 0, "joint states");
            reset.ResetScene(7);
            Assert.Equal(1, node.GazeboControlCounters.Resets);
            Assert.Equal(1, link.GazeboResets);
            // what was perceived before the reset is void until a frame of the reset world arrives
            Assert.Contains("stamped after the world reset", scene.Problem() ?? "(the scene was trusted right after the reset)");
            TestBus.WaitUntil(() => scene.Problem() is null, "detections of the reset world");
            var truth = world.Snapshot();
            Assert.True(scene.TryGetPose(scene.IndexOf("red_cube"), out var red));
            Assert.True((red.Position - truth.Find("red_cube")!.Pose.Position).Norm < 1e-3);
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
    }

    [Fact]
    public void A_gazebo_reset_without_the_service_fails_naming_it()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        var o = TestBus.Options(d) with { ResetTimeout = TimeSpan.FromSeconds(1) };
        using var sp = Compose(new CortexBotOptions { Robot = RobotKind.Ros2, Ros2 = o, Reset = WorldStart.Gazebo });
        Assert.Equal(new WorldSetup(WorldStart.Gazebo, PerceptionSource.Detections, "as given"), sp.GetRequiredService<WorldSetup>());
        var e = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IWorldReset>().ResetScene(1));
        Assert.Equal($"no Gazebo world control service /world/cortexbot_tabletop/control (ros_gz_interfaces/srv/ControlWorld) on ROS domain {d} within 1 s: " +
            "is ros_gz_bridge bridging it, with RMW_IMPLEMENTATION=rmw_cyclonedds_cpp, and is the world named as --gazebo-world says?", e.Message);
    }

    [Fact]
    public void Given_a_reset_and_a_perception_nothing_is_searched_for()
    {
        int d = TestBus.NewDomain();   // nobody on it: a search would wait for the start timeout
        var sw = Stopwatch.StartNew();
        using var sp = Compose(Ros2(d) with { Reset = WorldStart.None, Perception = PerceptionSource.Detections });
        Assert.Equal(new WorldSetup(WorldStart.None, PerceptionSource.Detections, "as given"), sp.GetRequiredService<WorldSetup>());
        Assert.IsType<PerceivedScene>(sp.GetRequiredService<IObjectPoses>());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
    }

    [Fact]
    public void A_perception_file_for_another_table_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cortexbot-perception-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, File.ReadAllText(PerceptionConfig.DefaultPath).Replace("\"table_height\": 0.0", "\"table_height\": 0.75", StringComparison.Ordinal));
        try
        {
            using var sp = Compose(Ros2(TestBus.NewDomain()) with { Reset = WorldStart.None, Perception = PerceptionSource.Detections, PerceptionConfigPath = path });
            var e = Assert.Throws<CortexBot.Core.ConfigurationException>(() => sp.GetRequiredService<IScenePerception>());
            Assert.Contains("puts the table top at z = 0.75 m", e.Message);
            Assert.Contains("they describe different workcells", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void With_perception_tf_the_scene_comes_from_the_objects_transforms()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d);
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1);   // publishes each scene object's pose on /tf (child frame: its name)
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            using var sp = Compose(Ros2(d) with { Reset = WorldStart.Sim, Perception = PerceptionSource.Tf });
            var scene = Assert.IsType<PerceivedScene>(sp.GetRequiredService<IScenePerception>());
            Assert.Same(scene, sp.GetRequiredService<IObjectPoses>());
            Assert.Equal("object transforms on /tf", scene.Source);
            TestBus.WaitUntil(() => scene.Snapshot().Find("blue_cube") is not null, "the cubes from /tf");
            var truth = world.Snapshot();
            foreach (var name in new[] { "red_cube", "green_cube", "blue_cube" })
            {
                Assert.True(scene.TryGetPose(scene.IndexOf(name), out var p));
                Assert.True((p.Position - truth.Find(name)!.Pose.Position).Norm < 1e-3, $"{name} at {p.Position}, the simulator has it at {truth.Find(name)!.Pose.Position}");
                Assert.Equal(new Vec3(0.02, 0.02, 0.02), scene.Snapshot().Find(name)!.HalfSize);   // tf has no size: the perception file's
            }
            Assert.True(scene.Counters.FixtureDetections > 0);   // the bin's transform, recognised as the fixture
            Assert.Null(scene.Problem());
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
    }
}
