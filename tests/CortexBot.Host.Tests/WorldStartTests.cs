using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using CortexBot.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>
/// Episodes on an arm that cannot be reset: from the scene as it is, or after moving home through the skill path; and a
/// start refused, with the arm holding, while perception cannot be trusted.
/// </summary>
[Collection("end-to-end")]
public class WorldStartTests(ITestOutputHelper output)
{
    /// <summary>
    /// A simulated arm that offers no reset (a physical arm's ports). With <paramref name="awayFromHome"/> its servos are
    /// first driven there, so the episode starts away from home.
    /// </summary>
    private sealed class UnresettableArm(MuJoCoWorld inner, double[]? awayFromHome = null) : IRobotLink, IScenePerception, IObjectPoses
    {
        public MuJoCoWorld World => inner;
        public IReadOnlyList<string> JointNames => inner.JointNames;
        public void Start(double controlPeriodSeconds)
        {
            inner.Start(controlPeriodSeconds);
            if (awayFromHome is null) return;
            var c = new JointCommandBuffer(awayFromHome.Length);
            awayFromHome.CopyTo(c.Position);
            c.GripperOpening = inner.GripperRange.Upper;
            for (int i = 0; i < 1500; i++) inner.Write(c);
        }
        /// <summary>The arm as measured at the last tick (copied on the control thread, allocation-free).</summary>
        public readonly RobotStateBuffer LastRead = new(6);
        public bool Read(RobotStateBuffer state)
        {
            bool ok = inner.Read(state);
            state.CopyTo(LastRead);
            return ok;
        }
        public void Write(JointCommandBuffer command) => inner.Write(command);
        public SceneSnapshot Snapshot() => inner.Snapshot();
        public IReadOnlyList<string> ObjectNames => ((IObjectPoses)inner).ObjectNames;
        public int IndexOf(string name) => inner.IndexOf(name);
        public bool TryGetPose(int index, out Pose pose) => inner.TryGetPose(index, out pose);
        public void Dispose() => inner.Dispose();
    }

    /// <summary>A perception that sees nothing fresh (e.g. the perception node is down).</summary>
    private sealed class BlindPerception(IScenePerception inner) : IScenePerception
    {
        public int Asked;
        public SceneSnapshot Snapshot() => inner.Snapshot();
        public string? Problem()
        {
            Interlocked.Increment(ref Asked);
            return "perception stale: no detection frame accepted from detections on /detections";
        }
    }

    private static Action<IServiceCollection> With(UnresettableArm arm, WorldStart start, IScenePerception? perception = null) => s =>
    {
        if (perception is not null) s.AddSingleton(perception);
        s.AddRobot(_ => arm);
        s.AddSingleton(new WorldSetup(start, PerceptionSource.Sim, "test"));
    };

    [Fact]
    public async Task With_reset_none_an_episode_starts_from_the_scene_as_it_is_and_never_asks_for_a_reset()
    {
        using var arm = new UnresettableArm(MuJoCoWorld.OpenDefault());
        var start = arm.World.Snapshot().Find("red_cube")!.Pose.Position;
        var result = await CortexBotRunner.RunAsync(TestOptions.Fast(), "put the red cube in the bin", 1, 5, configure: With(arm, WorldStart.None));
        Assert.Null(result.Rejection);   // a reset would have been refused: this link has none
        var e = result.Report!.Episodes[0];
        output.WriteLine($"{e.Success} {e.Failure} [{string.Join(", ", e.Plan)}]");
        Assert.True(e.Success, e.Failure);
        Assert.Equal(new WorldReport("none", "sim", "test", null), result.Report.World);
        // the cube was where the scene file puts it (seed 5 would have scattered it elsewhere)
        Assert.Equal(new Vec3(0.40, 0.10, 0.02), new Vec3(Math.Round(start.X, 2), Math.Round(start.Y, 2), Math.Round(start.Z, 2)));
    }

    [Fact]
    public async Task With_reset_home_the_arm_moves_home_through_the_skill_path_before_the_episode()
    {
        using var probe = MuJoCoWorld.OpenDefault();
        var home = probe.HomePosition.ToArray();
        var away = (double[])home.Clone();
        away[0] += 0.6;   // shoulder pan turned away
        away[1] -= 0.3;
        using var arm = new UnresettableArm(MuJoCoWorld.OpenDefault(), away);
        EpisodeOutcome? outcome = null;
        var result = await CortexBotRunner.RunAsync(TestOptions.Fast(), "put the red cube in the bin", 1, 1, configure: With(arm, WorldStart.Home),
            onEpisode: o => outcome = o);
        Assert.Null(result.Rejection);
        var e = result.Report!.Episodes[0];
        Assert.True(e.Success, e.Failure);
        Assert.Equal("home", result.Report.World!.Reset);
        // the episode (and its trace) began at home, moved there by the control loop through the gate
        var trace = outcome!.Episode.Trace!;
        for (int j = 0; j < home.Length; j++)
            Assert.True(Math.Abs(trace.Joint(0, j) - home[j]) < 0.02, $"joint {j} at {trace.Joint(0, j)} at the episode's start, home {home[j]}");
        Assert.True(result.Report.Control.PeakToolSpeed > 0);
        // homing is not a step of the plan
        Assert.Equal(["pick(red_cube)", "place(red_cube, bin)"], e.Plan);
    }

    [Fact]
    public async Task When_perception_cannot_be_trusted_the_episode_is_refused_with_its_reason_and_the_arm_holds()
    {
        using var arm = new UnresettableArm(MuJoCoWorld.OpenDefault());
        var blind = new BlindPerception(arm);
        var before = new RobotStateBuffer(6);
        arm.World.Read(before);
        var options = TestOptions.Fast() with { Timeouts = EpisodeTimeouts.Default with { Reset = TimeSpan.FromSeconds(1) } };
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, 1, configure: With(arm, WorldStart.None, blind));
        output.WriteLine(result.Rejection);
        Assert.Equal("cannot start from the scene as it is: perception stale: no detection frame accepted from detections on /detections (waited 1 s)",
            result.Rejection);
        Assert.True(blind.Asked >= 3, $"asked {blind.Asked} times in a second");   // asked again while waiting
        // the last measured state of the run is the first: the arm held
        for (int j = 0; j < 6; j++) Assert.True(Math.Abs(arm.LastRead.Position[j] - before.Position[j]) < 2e-3, $"joint {j} moved");
        Assert.True(arm.LastRead.StampNs > before.StampNs);
    }

    /// <summary>
    /// Gazebo behind a ROS 2 link, simulated: a reset puts the world back to the same start (seed 3, whatever the episode's
    /// seed) and perception then needs a while (here 300 ms) before it sees the reset world, as detections of it arrive.
    /// </summary>
    private sealed class GazeboLikeWorld(MuJoCoWorld inner) : DelegatingWorld<MuJoCoWorld>(inner)
    {
        public int Resets, AskedWhileBlind;
        private long _blindUntil;
        public MuJoCoWorld World => Inner;
        public override void ResetScene(int seed)
        {
            Inner.ResetScene(3);
            Interlocked.Increment(ref Resets);
            Volatile.Write(ref _blindUntil, MonotonicClock.NowNs + 300_000_000);
        }
        public override string? Problem()
        {
            if (MonotonicClock.NowNs >= Volatile.Read(ref _blindUntil)) return null;
            Interlocked.Increment(ref AskedWhileBlind);
            return "perception stale: no detection frame stamped after the world reset";
        }
    }

    [Fact]
    public async Task With_reset_gazebo_each_episode_resets_the_world_then_waits_for_perception_of_it()
    {
        using var world = new GazeboLikeWorld(MuJoCoWorld.OpenDefault());
        var result = await CortexBotRunner.RunAsync(TestOptions.Fast(), "put the red cube in the bin", 2, 1, configure: s =>
        {
            s.AddRobot(_ => world);
            s.AddSingleton(new WorldSetup(WorldStart.Gazebo, PerceptionSource.Detections, "test"));
        });
        Assert.Null(result.Rejection);
        foreach (var e in result.Report!.Episodes)
        {
            output.WriteLine($"{e.Seed}: {e.Success} {e.Failure} [{string.Join(", ", e.Plan)}]");
            Assert.True(e.Success, e.Failure);
            Assert.Equal(["pick(red_cube)", "place(red_cube, bin)"], e.Plan);   // the cube was back on the table
        }
        Assert.Equal("gazebo", result.Report.World!.Reset);
        Assert.Equal(2, world.Resets);
        // each episode asked for the scene while perception of the reset world had not come yet, and waited
        Assert.True(world.AskedWhileBlind >= 2, $"asked {world.AskedWhileBlind} times while blind");
    }

    [Fact]
    public async Task With_reset_gazebo_and_no_perception_of_the_reset_world_the_episode_is_refused_saying_so()
    {
        using var world = new GazeboLikeWorld(MuJoCoWorld.OpenDefault());
        var blind = new BlindPerception(world);
        var options = TestOptions.Fast() with { Timeouts = EpisodeTimeouts.Default with { Reset = TimeSpan.FromSeconds(1) } };
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, 1, configure: s =>
        {
            s.AddSingleton<IScenePerception>(blind);
            s.AddRobot(_ => world);
            s.AddSingleton(new WorldSetup(WorldStart.Gazebo, PerceptionSource.Detections, "test"));
        });
        Assert.Equal("cannot start after Gazebo's world reset: perception stale: no detection frame accepted from detections on /detections (waited 1 s)",
            result.Rejection);
        Assert.Equal(1, world.Resets);
    }
}
