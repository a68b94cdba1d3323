using System.Collections.Immutable;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

using CortexBot.Recording.Mcap;

namespace CortexBot.Recording.Tests;

public sealed class EpisodeExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-mcap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ImmutableArray<string> Joints = ["shoulder_pan", "shoulder_lift", "elbow", "wrist_pitch", "wrist_roll", "wrist_roll2"];

    /// <summary>A 6 s episode: two steps, the second failed by an anomaly, a 25 Hz trace, objects at start and end.</summary>
    private static EpisodeRecord Episode()
    {
        const double period = 0.04;
        int n = 151;
        var samples = new float[n * 7];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 6; j++) samples[i * 7 + j] = (float)(0.1 * j + 0.2 * Math.Sin(i * period));
            samples[i * 7 + 6] = 0.08f - 0.0002f * i;
        }
        return new EpisodeRecord(Guid.NewGuid(), "put the red cube in the bin", 7, new DateTimeOffset(2026, 12, 6, 4, 0, 0, TimeSpan.Zero), 6.0,
            false, "object_dropped during place", "rule", ["pick(red_cube)", "place(red_cube, bin)"],
            [new StepRecord(0, "pick", SkillOutcome.Succeeded, null, 0.1, 2.9), new StepRecord(1, "place", SkillOutcome.Failed, "object_dropped", 3.0, 1.7)],
            ["object_dropped: gripper closed on nothing"], 0.4, "test")
        {
            Id = 42,
            SceneAtStart = [new ObjectPlacement("red_cube", "cube", 0.4, 0.1, 0.02, 0.3), new ObjectPlacement("bin", "bin", 0.3, -0.3, 0.05, 0)],
            SceneAtEnd = [new ObjectPlacement("red_cube", "cube", 0.35, -0.1, 0.02, 0.5), new ObjectPlacement("bin", "bin", 0.3, -0.3, 0.05, 0)],
            AnomalyEvents = [new AnomalyEvent("object_dropped", 4.7, "gripper closed on nothing", 1)],
            Trace = new EpisodeTrace(Joints, 500, period, samples),
        };
    }

    [Fact]
    public void A_stored_episode_exports_to_a_file_Foxglove_decodes_channel_by_channel()
    {
        var path = Path.Combine(_dir, "episode.mcap");
        var shapes = new Dictionary<string, SceneObject>
        {
            ["red_cube"] = new("red_cube", "cube", "red", default, new Vec3(0.02, 0.02, 0.02)),
            ["bin"] = new("bin", "bin", null, default, new Vec3(0.1, 0.1, 0.05)),
        };
        using (var file = File.Create(path)) EpisodeExport.Write(Episode(), file, shapes);

        var ix = McapReader.Check(path).GetProperty("indexed");
        var messages = ix.GetProperty("messages");
        Assert.Equal(151, messages.GetProperty(EpisodeRecording.JointStatesTopic).GetInt32());
        Assert.Equal(1, messages.GetProperty(EpisodeRecording.AnomaliesTopic).GetInt32());
        Assert.Equal(2, messages.GetProperty(EpisodeRecording.ObjectsTopic).GetInt32());
        Assert.Equal(2, messages.GetProperty(EpisodeRecording.EpisodeTopic).GetInt32());
        Assert.Equal(4, messages.GetProperty(EpisodeRecording.PlanTopic).GetInt32()); // t=0, each step's start and end (the first ends as the second starts)
        foreach (var channel in ix.GetProperty("monotonic").EnumerateObject()) Assert.True(channel.Value.GetBoolean(), channel.Name);
        Assert.Empty(ix.GetProperty("invalid").EnumerateObject());
        Assert.Equal("foxglove.JointStates", ix.GetProperty("channels").GetProperty(EpisodeRecording.JointStatesTopic).GetProperty("schema").GetString());
        Assert.Equal("foxglove.SceneUpdate", ix.GetProperty("channels").GetProperty(EpisodeRecording.ObjectsTopic).GetProperty("schema").GetString());

        var first = ix.GetProperty("first");
        var joints = first.GetProperty(EpisodeRecording.JointStatesTopic).GetProperty("joints");
        Assert.Equal(7, joints.GetArrayLength());
        Assert.Equal("shoulder_pan", joints[0].GetProperty("name").GetString());
        Assert.Equal("gripper_opening", joints[6].GetProperty("name").GetString());
        var cube = first.GetProperty(EpisodeRecording.ObjectsTopic).GetProperty("entities")[0].GetProperty("cubes")[0];
        Assert.Equal(0.04, cube.GetProperty("size").GetProperty("x").GetDouble(), 9);
        Assert.Equal(0.4, cube.GetProperty("pose").GetProperty("position").GetProperty("x").GetDouble(), 9);
        // 2026-12-06T04:00:00Z
        Assert.Equal(1796529600, first.GetProperty(EpisodeRecording.JointStatesTopic).GetProperty("timestamp").GetProperty("sec").GetInt64());
    }

    [Fact]
    public void Every_recorded_channel_validates_against_its_schema_including_camera_frames_and_clamps()
    {
        var path = Path.Combine(_dir, "live.mcap");
        using (var rec = new EpisodeRecording(File.Create(path), 1_800_000_000_000_000_000))
        {
            rec.Episode(0, "put the red cube in the bin", 3, "rule", null, null);
            double[] q = [0, 0.3, 1.6, 0, 1.24, 0];
            for (int i = 0; i < 50; i++)
            {
                rec.JointStates(i * 0.02, Joints, q, [0, 0, 0, 0, 0, 0], 0.08);
                rec.Commands(i * 0.02, Joints, q, 0.08);
                rec.Clamps(i * 0.02, i / 10, i % 10 == 0 ? 1 : 0, 0);
            }
            rec.Camera(0.5, 4, 3, new byte[4 * 3 * 3]);
            rec.Plan(0.6, "put the red cube in the bin", "running", [new PlanStepStatus(0, "pick", "running", 0.1)]);
            rec.Anomaly(new AnomalyEvent("tracking_error", 0.7, "shoulder_lift 31 mrad off", 0));
            rec.Objects(0.8, [new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.4, 0, 0.02), Quat.Identity), new Vec3(0.02, 0.02, 0.02))]);
            rec.Episode(1.0, "put the red cube in the bin", 3, "rule", true, null, 5);
            Assert.Throws<ArgumentException>(() => rec.Camera(1, 4, 3, new byte[5]));
        }
        var ix = McapReader.Check(path).GetProperty("indexed");
        Assert.Equal(EpisodeRecording.Schemas.Count, ix.GetProperty("channels").EnumerateObject().Count());
        Assert.Empty(ix.GetProperty("invalid").EnumerateObject());
        var image = ix.GetProperty("first").GetProperty(EpisodeRecording.CameraTopic);
        Assert.Equal(4, image.GetProperty("width").GetInt32());
        Assert.Equal(3, image.GetProperty("height").GetInt32());
        Assert.Equal(36, Convert.FromBase64String(image.GetProperty("data").GetString()!).Length);
    }

    [Fact]
    public void A_message_that_breaks_Foxglove_s_schema_is_caught()
    {
        // The schema check is real: a foxglove.Log with a level outside the enum is reported.
        var path = Path.Combine(_dir, "bad.mcap");
        using (var w = new McapWriter(File.Create(path)))
        {
            var s = w.AddSchema("foxglove.Log", "jsonschema", "{}"u8);
            var c = w.AddChannel(s, "/log", "json");
            w.Write(c, 1, 1, """{"timestamp":{"sec":1,"nsec":0},"level":9,"message":"x","name":"n","file":"","line":0}"""u8);
        }
        var ix = McapReader.Check(path).GetProperty("indexed");
        Assert.Equal(1, ix.GetProperty("invalid").GetProperty("/log").GetInt32());
    }

    [Fact]
    public void Traced_object_poses_become_a_moving_scene()
    {
        var e = Episode();
        var old = e.Trace!;
        var poses = new float[old.Count * EpisodeTrace.PoseWidth];
        for (int i = 0; i < old.Count; i++)
        {
            poses[i * 7] = 0.4f - 0.001f * i; poses[i * 7 + 1] = 0.1f; poses[i * 7 + 2] = 0.02f; poses[i * 7 + 3] = 1;
        }
        e = e with { Trace = new EpisodeTrace(old.JointNames, old.ControlRateHz, old.SamplePeriodS, old.CopySamples(), ["red_cube"], poses) };
        var path = Path.Combine(_dir, "moving.mcap");
        using (var file = File.Create(path)) EpisodeExport.Write(e, file);
        var ix = McapReader.Check(path).GetProperty("indexed");
        Assert.Equal(2 + old.Count, ix.GetProperty("messages").GetProperty(EpisodeRecording.ObjectsTopic).GetInt32());
        Assert.Empty(ix.GetProperty("invalid").EnumerateObject());
        Assert.True(ix.GetProperty("monotonic").GetProperty(EpisodeRecording.ObjectsTopic).GetBoolean());
    }
}
