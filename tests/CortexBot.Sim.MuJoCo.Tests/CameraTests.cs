using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Imaging;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo.Tests;

public sealed class CameraTests
{
    private static CameraFrame Capture(ISceneCamera camera) =>
        camera.CaptureAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();

    private static int ChangedPixels(CameraFrame a, CameraFrame b)
    {
        int changed = 0;
        for (int p = 0; p < a.Rgb.Length; p += 3)
            if (Math.Abs(a.Rgb[p] - b.Rgb[p]) + Math.Abs(a.Rgb[p + 1] - b.Rgb[p + 1]) + Math.Abs(a.Rgb[p + 2] - b.Rgb[p + 2]) > 30)
                changed++;
        return changed;
    }

    [Fact]
    public void A_frame_shows_the_scene_with_its_red_cube()
    {
        using var world = TestWorld.Open(seed: 3);
        using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 160, Height = 120 });
        var frame = Capture(camera);
        Assert.Equal(160, frame.Width);
        Assert.Equal(120, frame.Height);
        Assert.Equal(160 * 120 * 3, frame.Rgb.Length);

        var distinct = new HashSet<int>();
        int reddish = 0;
        for (int p = 0; p < frame.Rgb.Length; p += 3)
        {
            int r = frame.Rgb[p], g = frame.Rgb[p + 1], b = frame.Rgb[p + 2];
            distinct.Add(r << 16 | g << 8 | b);
            if (r > 120 && r > 2 * g && r > 2 * b) reddish++;
        }
        Assert.True(distinct.Count > 100, $"only {distinct.Count} distinct colours: the frame is blank");
        Assert.True(reddish > 10, $"{reddish} red pixels: the red cube is not in view");
    }

    [Fact]
    public void Moving_a_cube_changes_the_frame_where_the_cube_was_and_is()
    {
        using var world = TestWorld.Open(seed: 3);
        using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 160, Height = 120 });
        var before = Capture(camera);
        Assert.Equal(0, ChangedPixels(before, Capture(camera)));

        var red = world.Snapshot().Find("red_cube")!.Pose;
        world.SetObjectPose("red_cube", new Pose(red.Position + new Vec3(0, 0.12, 0), red.Orientation));
        var after = Capture(camera);
        int changed = ChangedPixels(before, after);
        Assert.True(changed > 20, $"only {changed} pixels changed after moving the red cube 12 cm");
        Assert.True(after.StampNs > before.StampNs);
    }

    [Fact]
    public void Frames_are_deterministic_for_a_seed_and_differ_between_seeds()
    {
        CameraFrame Render(int seed)
        {
            using var world = TestWorld.Open(seed);
            using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 160, Height = 120 });
            return Capture(camera);
        }
        var a = Render(5);
        var b = Render(5);
        var c = Render(6);
        Assert.Equal(a.Rgb, b.Rgb);
        Assert.True(ChangedPixels(a, c) > 20, "seeds 5 and 6 place the cubes differently but the frames match");
    }

    [Fact]
    public void Capture_does_not_touch_the_world_and_runs_on_the_camera_thread()
    {
        using var world = TestWorld.Open(seed: 2);
        using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 64, Height = 48 });
        var command = TestWorld.HomeCommand(world);
        // the control thread keeps stepping while frames are rendered elsewhere
        var frames = Enumerable.Range(0, 3).Select(_ => camera.CaptureAsync()).ToArray();
        TestWorld.Run(world, command, 0.5);
        Assert.True(Task.WaitAll(frames, TimeSpan.FromSeconds(60)));
        Assert.All(frames, f => Assert.Equal(64 * 48 * 3, f.Result.Rgb.Length));
        Assert.Equal(0, world.WarningCount);
    }

    [Fact]
    public void Without_GL_the_camera_fails_with_a_clear_message()
    {
        using var world = TestWorld.Open();
        var e = Assert.Throws<ConfigurationException>(() =>
            new MuJoCoCamera(world, new MuJoCoCameraOptions { EglLibrary = "libEGL-not-installed.so.1" }));
        Assert.Contains("no GL available", e.Message);
        Assert.Contains("libEGL-not-installed.so.1", e.Message);
        Assert.Contains("apt-get install", e.Message);
    }

    [Fact]
    public void An_unknown_camera_or_an_oversized_frame_is_named_in_the_error()
    {
        using var world = TestWorld.Open();
        var e = Assert.Throws<ConfigurationException>(() => new MuJoCoCamera(world, new MuJoCoCameraOptions { Camera = "overhead" }));
        Assert.Contains("no camera named 'overhead'", e.Message);
        e = Assert.Throws<ConfigurationException>(() => new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 4000, Height = 3000 }));
        Assert.Contains("4000x3000", e.Message);
        Assert.Contains("offwidth", e.Message);
    }

    [Fact]
    public void A_disposed_camera_refuses_captures()
    {
        using var world = TestWorld.Open();
        var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 32, Height = 24 });
        camera.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = camera.CaptureAsync(); });
    }

    [Fact]
    public void A_frame_encodes_as_a_png_of_its_size()
    {
        using var world = TestWorld.Open();
        using var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = 64, Height = 48 });
        var png = PngEncoder.Encode(Capture(camera));
        Assert.Equal(0x89, png[0]);
        Assert.Equal("PNG"u8.ToArray(), png[1..4]);
        Assert.Equal(64, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(48, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
