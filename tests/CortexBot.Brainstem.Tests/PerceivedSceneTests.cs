using CortexBot.Brainstem.Perception;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Testing;

namespace CortexBot.Brainstem.Tests;

/// <summary>Every rule of the perceived scene, on a clock the test moves.</summary>
public class PerceivedSceneTests
{
    private const long Ms = 1_000_000;
    private long _now = 10_000 * Ms;
    private readonly List<Anomaly> _reported = [];

    /// <summary>Without smoothing unless asked: the other rules are tested on the raw sightings.</summary>
    private static PerceptionConfig Config(double staleMs = 500, double vanishMs = 1000, double jumpM = 0.05, int smoothing = 1) => new PerceptionConfig
    {
        TableHeight = 0,
        SmoothingFrames = smoothing,
        StillM = 0.015,
        StaleAfterMs = staleMs,
        VanishAfterMs = vanishMs,
        JumpM = jumpM,
        Classes = new()
        {
            ["red_cube"] = new() { Name = "red_cube", Kind = SceneKinds.Cube, Color = "red", Size = [0.04, 0.04, 0.04] },
            ["green_cube"] = new() { Name = "green_cube", Kind = SceneKinds.Cube, Color = "green" },
        },
        Fixtures = [new() { Name = "bin", Kind = SceneKinds.Bin, ClassId = "bin", Position = [0.25, -0.40, 0.04], InnerHalfSize = [0.08, 0.08, 0.04] }],
    };

    private PerceivedScene Scene(PerceptionConfig? config = null, double maxSpeed = 1.0) =>
        new(config ?? Config(), "detections on /detections", maxSpeed, _reported.Add, () => _now);

    private static Detection Det(string id, double x, double y, double z = 0.02, double score = 0.9, Vec3 size = default) =>
        new(id, score, new Pose(new Vec3(x, y, z), Quat.Identity), size);

    /// <summary>A frame taken <paramref name="ageMs"/> before now.</summary>
    private DetectionFrame Frame(double ageMs, params Detection[] d) => new(_now - (long)(ageMs * Ms), _now, [.. d]);

    [Fact]
    public void A_fresh_frame_puts_its_objects_in_the_scene_and_the_fixtures_are_always_there()
    {
        var scene = Scene();
        // before any frame: only the fixture, and the scene says why it cannot be trusted
        var empty = scene.Snapshot();
        Assert.Equal(["bin"], empty.Objects.Select(o => o.Name));
        Assert.Contains("no detection frame accepted from detections on /detections", scene.Problem());
        Assert.True(scene.TryGetPose(scene.IndexOf("bin"), out var bin));
        Assert.Equal(new Vec3(0.25, -0.40, 0.04), bin.Position);

        scene.Accept(Frame(20, Det("red_cube", 0.4, 0.1), Det("green_cube", 0.45, -0.05, size: new Vec3(0.03, 0.03, 0.03))));
        Assert.Null(scene.Problem());
        var s = scene.Snapshot();
        Assert.Equal(["red_cube", "green_cube", "bin"], s.Objects.Select(o => o.Name));
        var red = s.Find("red_cube")!;
        Assert.Equal(SceneKinds.Cube, red.Kind);
        Assert.Equal("red", red.Color);
        Assert.Equal(new Vec3(0.02, 0.02, 0.02), red.HalfSize);                   // the class's size: the detection had none
        Assert.Equal(new Vec3(0.015, 0.015, 0.015), s.Find("green_cube")!.HalfSize); // the detection's own size
        var binObject = s.Find("bin")!;
        Assert.True(binObject.IsContainer);
        Assert.Equal(new Vec3(0.08, 0.08, 0.04), binObject.HalfSize);
        Assert.Equal(_now - 20 * Ms, s.StampNs);
        Assert.Equal(1, scene.Counters.FramesAccepted);
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_frame_stamped_longer_ago_than_the_bound_is_refused_with_a_perception_stale_anomaly()
    {
        var scene = Scene();
        scene.Accept(Frame(600, Det("red_cube", 0.4, 0.1)));
        scene.Accept(Frame(700, Det("red_cube", 0.4, 0.1)));
        Assert.Equal(2, scene.Counters.FramesRefusedStale);
        Assert.Equal(0, scene.Counters.FramesAccepted);
        Assert.Null(scene.Snapshot().Find("red_cube"));
        var a = Assert.Single(_reported);    // reported once until a fresh frame comes
        Assert.Equal(AnomalyKinds.PerceptionStale, a.Kind);
        Assert.Contains("stamped 600 ms ago refused (stale_after_ms 500)", a.Detail);
        Assert.Contains("2 frame(s) refused as stamped more than 500 ms ago", scene.Problem());
        int red = scene.IndexOf("red_cube");
        Assert.False(scene.TryGetPose(red, out _));
        Assert.Equal(AnomalyKinds.PerceptionStale, scene.PoseProblem(red));

        scene.Accept(Frame(10, Det("red_cube", 0.4, 0.1)));
        Assert.True(scene.TryGetPose(red, out _));
        Assert.Null(scene.PoseProblem(red));
        scene.Accept(Frame(900, Det("red_cube", 0.4, 0.1)));
        Assert.Equal(2, _reported.Count);   // stale again after a fresh one: reported again
    }

    [Fact]
    public void When_frames_stop_the_scene_goes_stale_and_no_object_can_be_read()
    {
        var scene = Scene();
        scene.Accept(Frame(0, Det("red_cube", 0.4, 0.1)));
        _now += 499 * Ms;
        Assert.Null(scene.Problem());
        _now += 2 * Ms;
        Assert.Contains("the newest detection frame from detections on /detections is 501 ms old (stale_after_ms 500)", scene.Problem());
        Assert.Equal(AnomalyKinds.PerceptionStale, scene.PoseProblem(0));
        Assert.Equal(["bin"], scene.Snapshot().Objects.Select(o => o.Name));
    }

    [Fact]
    public void An_object_unseen_longer_than_the_vanish_bound_leaves_the_scene_and_comes_back_when_seen()
    {
        var scene = Scene();
        int green = scene.IndexOf("green_cube");
        var size = new Vec3(0.04, 0.04, 0.04);   // the green cube's class has no size of its own
        scene.Accept(Frame(0, Det("red_cube", 0.4, 0.1), Det("green_cube", 0.45, -0.05, size: size)));
        for (int t = 0; t < 11; t++)
        {
            _now += 100 * Ms;
            scene.Accept(Frame(0, Det("red_cube", 0.4, 0.1)));   // frames keep coming without the green cube
        }
        Assert.False(scene.TryGetPose(green, out _));
        Assert.Equal(AnomalyKinds.ObjectVanished, scene.PoseProblem(green));
        Assert.Null(scene.Snapshot().Find("green_cube"));
        Assert.NotNull(scene.Snapshot().Find("red_cube"));
        var a = Assert.Single(_reported);
        Assert.Equal(AnomalyKinds.ObjectVanished, a.Kind);
        Assert.Contains("green_cube has not been detected for 1100 ms (vanish_after_ms 1000)", a.Detail);
        Assert.Equal(["green_cube (object_vanished)"], scene.MissingObjects());

        _now += 100 * Ms;
        scene.Accept(Frame(0, Det("green_cube", 0.30, 0.20, size: size)));   // back, elsewhere: a new track, not a jump
        Assert.True(scene.TryGetPose(green, out var p));
        Assert.Equal(new Vec3(0.30, 0.20, 0.02), p.Position);
        Assert.Equal(1, scene.Counters.Vanished);
        Assert.Equal(0, scene.Counters.Jumps);
    }

    [Fact]
    public void A_never_seen_object_is_not_in_the_scene()
    {
        var scene = Scene();
        scene.Accept(Frame(0, Det("red_cube", 0.4, 0.1)));
        Assert.Equal(AnomalyKinds.ObjectVanished, scene.PoseProblem(scene.IndexOf("green_cube")));
        Assert.Null(scene.Snapshot().Find("green_cube"));
    }

    [Fact]
    public void A_jump_beyond_what_the_hand_could_do_is_reported_and_untrusted_until_confirmed()
    {
        var scene = Scene();
        int red = scene.IndexOf("red_cube");
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10)));
        // 100 ms later: 0.05 + 1.0 m/s x 0.1 s = 150 mm allowed; 140 mm is the hand carrying it fast: fine
        _now += 100 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.54, 0.10)));
        Assert.True(scene.TryGetPose(red, out var carried));
        Assert.Equal(0.54, carried.Position.X, 9);
        // 100 ms later, 300 mm away: a jump
        _now += 100 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.54, -0.20)));
        Assert.False(scene.TryGetPose(red, out _));
        Assert.Equal(AnomalyKinds.ObjectJumped, scene.PoseProblem(red));
        Assert.Null(scene.Snapshot().Find("red_cube"));
        var a = Assert.Single(_reported);
        Assert.Equal(AnomalyKinds.ObjectJumped, a.Kind);
        Assert.Contains("red_cube moved 300 mm between detections 100 ms apart (bound 150 mm: jump_m 50 mm + 1 m/s x 100 ms)", a.Detail);
        // a next sighting near the new place confirms it
        _now += 50 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.545, -0.20)));
        Assert.True(scene.TryGetPose(red, out var moved));
        Assert.Equal(-0.20, moved.Position.Y, 9);
        Assert.Null(scene.PoseProblem(red));
        Assert.Equal(1, scene.Counters.Jumps);
    }

    [Fact]
    public void After_a_world_reset_only_frames_stamped_after_it_count_and_the_objects_start_afresh_without_a_jump()
    {
        var scene = Scene();
        int red = scene.IndexOf("red_cube");
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10)));
        Assert.True(scene.TryGetPose(red, out _));
        _now += 50 * Ms;
        long reset = _now;
        scene.Forget(reset);
        // the old world is gone: nothing movable can be read, and the scene says it waits for the reset world
        Assert.False(scene.TryGetPose(red, out _));
        Assert.Equal(["bin"], scene.Snapshot().Objects.Select(o => o.Name));
        _now += 10 * Ms;
        // a frame captured before the reset (in flight while it happened) shows the old world: refused, counted
        scene.Accept(Frame(30, Det("red_cube", 0.40, 0.10)));
        Assert.False(scene.TryGetPose(red, out _));
        Assert.Equal("perception stale: no detection frame from detections on /detections stamped after the world reset 10 ms ago (1 frame(s) from before it refused)",
            scene.Problem());
        Assert.Equal(1, scene.Counters.FramesBeforeReset);
        // the first frame after it: the cube where the reset put it, 300 mm away, a new track and no jump
        scene.Accept(Frame(5, Det("red_cube", 0.40, -0.20)));
        Assert.Null(scene.Problem());
        Assert.True(scene.TryGetPose(red, out var after));
        Assert.Equal(-0.20, after.Position.Y, 9);
        Assert.Equal(0, scene.Counters.Jumps);
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_one_frame_misdetection_is_undone_by_the_next_sighting_where_the_object_was()
    {
        var scene = Scene();
        int red = scene.IndexOf("red_cube");
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10)));
        _now += 66 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.10, 0.30)));
        Assert.Equal(AnomalyKinds.ObjectJumped, scene.PoseProblem(red));
        _now += 66 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.401, 0.10)));
        Assert.True(scene.TryGetPose(red, out var p));
        Assert.Equal(0.401, p.Position.X, 9);
    }

    [Fact]
    public void With_the_hand_held_still_the_jump_bound_is_jump_m_alone()
    {
        var scene = Scene(maxSpeed: 0);
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10)));
        _now += 1000 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.449, 0.10)));
        Assert.Null(scene.PoseProblem(0));
        _now += 1000 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.50, 0.10)));
        Assert.Equal(AnomalyKinds.ObjectJumped, scene.PoseProblem(0));
    }

    [Fact]
    public void Unknown_classes_are_ignored_and_counted_fixture_detections_recognised_and_bad_ones_rejected()
    {
        var scene = Scene();
        scene.Accept(Frame(0,
            Det("person", 0.1, 0.1), Det("person", 0.2, 0.1), Det("mug", 0.3, 0.1),
            Det("bin", 0.9, 0.9),                                                   // the fixture keeps its surveyed pose
            new Detection("red_cube", 0.9, new Pose(new Vec3(double.NaN, 0, 0), Quat.Identity), default),
            Det("green_cube", 0.45, -0.05)));                                         // no size, and its class has none
        var c = scene.Counters;
        Assert.Equal(3, c.UnknownDetections);
        Assert.Equal(["person", "mug"], scene.UnknownClasses);
        Assert.Equal(1, c.FixtureDetections);
        Assert.Equal(2, c.RejectedDetections);
        Assert.Equal(6, c.Detections);
        var s = scene.Snapshot();
        Assert.Equal(["bin"], s.Objects.Select(o => o.Name));
        Assert.Equal(new Vec3(0.25, -0.40, 0.04), s.Find("bin")!.Pose.Position);
    }

    [Fact]
    public void Of_two_detections_of_one_class_the_higher_score_wins()
    {
        var scene = Scene();
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10, score: 0.3), Det("red_cube", 0.42, 0.12, score: 0.8)));
        Assert.True(scene.TryGetPose(0, out var p));
        Assert.Equal(0.42, p.Position.X, 9);
    }

    [Fact]
    public void A_frame_older_than_the_newest_accepted_is_ignored()
    {
        var scene = Scene();
        scene.Accept(Frame(10, Det("red_cube", 0.40, 0.10)));
        scene.Accept(Frame(50, Det("red_cube", 0.45, 0.10)));
        Assert.Equal(1, scene.Counters.FramesOutOfOrder);
        Assert.True(scene.TryGetPose(0, out var p));
        Assert.Equal(0.40, p.Position.X, 9);
    }

    [Fact]
    public void Object_poses_by_index_follow_the_frames_and_reading_them_allocates_nothing()
    {
        var scene = Scene();
        Assert.Equal(["red_cube", "green_cube"], scene.ObjectNames);
        Assert.Equal(0, scene.IndexOf("red_cube"));
        Assert.Equal(1, scene.IndexOf("green_cube"));
        Assert.Equal(2, scene.IndexOf("bin"));
        Assert.Equal(-1, scene.IndexOf("blue_cube"));
        Assert.False(scene.TryGetPose(3, out _));
        Assert.False(scene.TryGetPose(-1, out _));
        Assert.Null(scene.PoseProblem(2));   // a fixture is always trustworthy

        var q = Quat.FromAxisAngle(Vec3.UnitZ, 0.3);
        scene.Accept(new DetectionFrame(_now, _now, [new Detection("red_cube", 0.9, new Pose(new Vec3(0.4, 0.1, 0.02), new Quat(2 * q.W, 2 * q.X, 2 * q.Y, 2 * q.Z)), default)]));
        Assert.True(scene.TryGetPose(0, out var p));
        Assert.Equal(0.3, p.Orientation.Yaw, 9);                // normalised
        Assert.Equal(1.0, Math.Sqrt(p.Orientation.W * p.Orientation.W + p.Orientation.Z * p.Orientation.Z), 9);

        double sum = 0;
        long bytes = Allocations.SteadyState(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                if (scene.TryGetPose(i % 3, out var pose)) sum += pose.Position.X;
                if (scene.PoseProblem(i % 3) is { } problem) sum += problem.Length;
            }
        });
        Assert.Equal(0, bytes);
        Assert.True(sum > 0);
    }

    [Fact]
    public void The_learned_skill_and_the_planner_see_the_same_pose()
    {
        var scene = Scene();
        scene.Accept(Frame(0, Det("red_cube", 0.41, 0.11)));
        Assert.True(scene.TryGetPose(scene.IndexOf("red_cube"), out var p));
        Assert.Equal(p, scene.Snapshot().Find("red_cube")!.Pose);
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void The_noise_of_a_still_objects_sightings_is_averaged_out()
    {
        var scene = Scene(Config(smoothing: 8));
        var truth = new Vec3(0.40, 0.10, 0.02);
        var rng = new Random(7);
        double raw = 0, smoothed = 0;
        int n = 0;
        for (int k = 0; k < 200; k++)
        {
            _now += 66 * Ms;
            var seen = truth + new Vec3(Gaussian(rng), Gaussian(rng), Gaussian(rng)) * 0.005;   // 5 mm per axis
            scene.Accept(Frame(0, Det("red_cube", seen.X, seen.Y, seen.Z)));
            if (k < 20) continue;
            Assert.True(scene.TryGetPose(0, out var p));
            raw += (seen - truth).Norm;
            smoothed += (p.Position - truth).Norm;
            n++;
        }
        raw /= n;
        smoothed /= n;
        // a single sighting is about 8 mm off; the mean of eight about 3
        Assert.InRange(raw, 0.0065, 0.0095);
        Assert.True(smoothed < 0.45 * raw, $"smoothed error {smoothed * 1e3:F1} mm vs raw {raw * 1e3:F1} mm");
        Assert.Equal(0, scene.Counters.Jumps);
    }

    [Fact]
    public void One_sighting_outside_the_still_gate_is_held_back_and_two_in_a_row_are_followed()
    {
        var scene = Scene(Config(smoothing: 8));
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10)));
        _now += 66 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.43, 0.10)));   // 30 mm off once: an outlier
        Assert.True(scene.TryGetPose(0, out var p));
        Assert.Equal(0.40, p.Position.X, 9);
        _now += 66 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.401, 0.10)));  // back: averaged in
        Assert.True(scene.TryGetPose(0, out p));
        Assert.Equal(0.4005, p.Position.X, 9);

        // carried: the second sighting out of the gate is followed, and every one after it
        for (int k = 1; k <= 5; k++)
        {
            _now += 66 * Ms;
            scene.Accept(Frame(0, Det("red_cube", 0.40 + 0.03 * k, 0.10)));
            Assert.True(scene.TryGetPose(0, out p));
            Assert.Equal(k == 1 ? 0.4005 : 0.40 + 0.03 * k, p.Position.X, 9);
        }
        // set down: averaged again
        _now += 66 * Ms;
        scene.Accept(Frame(0, Det("red_cube", 0.552, 0.10)));
        Assert.True(scene.TryGetPose(0, out p));
        Assert.Equal(0.551, p.Position.X, 9);
        Assert.Equal(0, scene.Counters.Jumps);
    }

    [Fact]
    public void Jumps_are_judged_between_sightings_not_against_the_smoothed_pose()
    {
        var scene = Scene(Config(smoothing: 8));
        scene.Accept(Frame(0, Det("red_cube", 0.40, 0.10)));
        // carried at 0.9 m/s, 15 frames a second: 60 mm a frame, within 50 mm + 1 m/s x 66 ms; the filter holds the
        // first of them back, so the smoothed pose is 120 mm behind the second: still no jump
        for (int k = 1; k <= 6; k++)
        {
            _now += 66 * Ms;
            scene.Accept(Frame(0, Det("red_cube", 0.40 + 0.06 * k, 0.10)));
        }
        Assert.Equal(0, scene.Counters.Jumps);
        Assert.True(scene.TryGetPose(0, out var p));
        Assert.Equal(0.76, p.Position.X, 9);
    }
}
