using System.Xml.Linq;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Sim.MuJoCo.Tests;

/// <summary>
/// Every scene in sim/ (scene.xml, sort.xml, mixed.xml) is read from its compiled model: objects with their own sizes and
/// colours, containers with their inner volumes and colours, seeded placements apart and clear of every container.
/// </summary>
public sealed class SceneVariantsTests : IDisposable
{
    private readonly string _tempDir = Directory.CreateTempSubdirectory("cortexbot-scenes-").FullName;

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    public static TheoryData<string> Scenes() => ["scene.xml", "sort.xml", "mixed.xml"];

    private static string PathOf(string file) => Path.Combine(RepoPaths.Sim, file);

    private static readonly string[] ColourWords = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink"];

    [Theory]
    [MemberData(nameof(Scenes))]
    public void Every_scene_loads_with_named_coloured_objects_and_closed_containers(string file)
    {
        using var world = new MuJoCoWorld(PathOf(file));
        var scene = world.Snapshot();
        var objects = scene.Objects.Where(o => !o.IsContainer).ToList();
        var containers = scene.Objects.Where(o => o.IsContainer).ToList();
        Assert.InRange(objects.Count, 3, 6);
        Assert.InRange(containers.Count, 1, 3);
        Assert.Equal(world.ObjectNames, objects.Select(o => o.Name));
        Assert.Equal(scene.Objects.Length, scene.Objects.Select(o => o.Name).Distinct().Count());
        foreach (var o in objects)
        {
            Assert.Equal(SceneKinds.Cube, o.Kind);
            // a colour word in the name is the colour it is drawn in
            var word = o.Name.Split('_').Single(w => ColourWords.Contains(w));
            Assert.Equal(word, o.Color);
            Assert.Equal(o.HalfSize.X, o.HalfSize.Y, 12);
            Assert.Equal(o.HalfSize.X, o.HalfSize.Z, 12);
            Assert.True(world.IndexOf(o.Name) >= 0 && world.TryGetPose(world.IndexOf(o.Name), out _));
        }
        foreach (var c in containers)
        {
            Assert.Equal(SceneKinds.Bin, c.Kind);
            Assert.True(c.Name == "bin" || c.Name.EndsWith("_bin", StringComparison.Ordinal));
            Assert.Equal(new Vec3(0.08, 0.08, 0.04), c.HalfSize);
            Assert.Equal(0.04, c.Pose.Position.Z, 9);  // the inner volume's centre: floor at the table, rim 8 cm up
            Assert.True(world.TryGetPose(world.IndexOf(c.Name), out var p) && p == c.Pose);
        }
        Assert.Equal(containers, world.Containers);
    }

    [Fact]
    public void Sort_scene_has_a_red_a_green_and_a_blue_bin_and_cubes_of_those_colours()
    {
        using var world = new MuJoCoWorld(PathOf("sort.xml"));
        var scene = world.Snapshot();
        var bins = scene.Objects.Where(o => o.IsContainer).ToDictionary(o => o.Name, o => o.Color);
        Assert.Equal(new Dictionary<string, string?> { ["red_bin"] = "red", ["green_bin"] = "green", ["blue_bin"] = "blue" }, bins);
        var cubes = scene.Objects.Where(o => !o.IsContainer).ToList();
        Assert.Equal(["red_cube", "red_cube_2", "green_cube", "blue_cube"], cubes.Select(c => c.Name));
        Assert.All(cubes, c => Assert.Contains(c.Color, bins.Values));
        Assert.All(cubes, c => Assert.Equal(new Vec3(0.02, 0.02, 0.02), c.HalfSize));
    }

    [Fact]
    public void Mixed_scene_has_six_cubes_of_two_sizes_and_four_colours_and_two_bins()
    {
        using var world = new MuJoCoWorld(PathOf("mixed.xml"));
        var scene = world.Snapshot();
        var cubes = scene.Objects.Where(o => !o.IsContainer).ToList();
        Assert.Equal(6, cubes.Count);
        Assert.Equal([0.02, 0.025], cubes.Select(c => c.HalfSize.X).Distinct().Order().Select(h => Math.Round(h, 6)));
        Assert.Equal(0.025, scene.Find("big_red_cube")!.HalfSize.Z, 12);
        Assert.Equal(4, cubes.Select(c => c.Color).Distinct().Count());
        Assert.Equal([("bin", null), ("yellow_bin", "yellow")], scene.Objects.Where(o => o.IsContainer).Select(o => (o.Name, o.Color)));
        // the big cube fits the open gripper with room on both sides
        Assert.True(2 * 0.025 + 0.02 < world.GripperRange.Upper);
    }

    [Theory]
    [MemberData(nameof(Scenes))]
    public void Reset_places_every_object_flat_in_the_region_apart_and_clear_of_every_container(string file)
    {
        using var world = new MuJoCoWorld(PathOf(file));
        var region = world.ScatterRegion;
        for (int seed = 0; seed < 60; seed++)
        {
            world.ResetScene(seed);
            var scene = world.Snapshot();
            var objects = scene.Objects.Where(o => !o.IsContainer).ToArray();
            foreach (var o in objects)
            {
                var p = o.Pose.Position;
                Assert.InRange(p.X, region.MinX, region.MaxX);
                Assert.InRange(p.Y, region.MinY, region.MaxY);
                Assert.Equal(o.HalfSize.Z, p.Z, 9);
                Assert.True(Math.Abs(o.Pose.Orientation.Rotate(Vec3.UnitZ).Z - 1) < 1e-9, "rests flat");
                double r = Math.Sqrt(o.HalfSize.X * o.HalfSize.X + o.HalfSize.Y * o.HalfSize.Y);
                foreach (var c in world.Containers)
                {
                    Assert.False(scene.IsInside(o.Name, c.Name));
                    // the walls are 1 cm thick around the inner volume
                    double dx = Math.Max(Math.Abs(p.X - c.Pose.Position.X) - c.HalfSize.X - 0.01, 0);
                    double dy = Math.Max(Math.Abs(p.Y - c.Pose.Position.Y) - c.HalfSize.Y - 0.01, 0);
                    Assert.True(Math.Sqrt(dx * dx + dy * dy) > r + 0.01 - 1e-9, $"{file} seed {seed}: {o.Name} at {p} is too close to {c.Name}");
                }
            }
            for (int i = 0; i < objects.Length; i++)
                for (int j = i + 1; j < objects.Length; j++)
                {
                    var d = objects[i].Pose.Position - objects[j].Pose.Position;
                    double ri = objects[i].HalfSize.X * Math.Sqrt(2), rj = objects[j].HalfSize.X * Math.Sqrt(2);
                    double need = Math.Max(MuJoCoWorld.ScatterMinSeparation, MuJoCoWorld.OpenFingerClearance + Math.Max(ri, rj));
                    Assert.True(Math.Sqrt(d.X * d.X + d.Y * d.Y) >= need - 1e-9, $"{file} seed {seed}: {objects[i].Name} and {objects[j].Name} too close");
                }
        }
    }

    [Fact]
    public void The_default_scene_scatters_as_it_always_did()
    {
        // ScatterCubes (the default scene's cubes and bin) and the world's own placement agree for every seed
        using var world = MuJoCoWorld.OpenDefault();
        for (int seed = 0; seed < 30; seed++)
        {
            world.ResetScene(seed);
            var expected = MuJoCoWorld.ScatterCubes(seed, 3, new Vec3(0.25, -0.40, 0.04));
            var scene = world.Snapshot();
            for (int c = 0; c < 3; c++)
            {
                var p = scene.Find(MuJoCoWorld.Cubes[c].Name)!.Pose;
                Assert.Equal(expected[c].X, p.Position.X, 12);
                Assert.Equal(expected[c].Y, p.Position.Y, 12);
                Assert.Equal(Math.IEEERemainder(expected[c].Yaw, 2 * Math.PI), p.Orientation.Yaw, 9);
            }
        }
    }

    [Theory]
    [InlineData(0.85, 0.12, 0.10, "red")]
    [InlineData(0.12, 0.70, 0.20, "green")]
    [InlineData(0.12, 0.25, 0.85, "blue")]
    [InlineData(0.90, 0.80, 0.10, "yellow")]
    [InlineData(0.35, 0.38, 0.45, null)]  // the default bin's grey
    [InlineData(0.95, 0.95, 0.95, null)]
    [InlineData(0.05, 0.02, 0.02, null)]
    public void Colours_are_named_by_hue_and_greys_have_none(double r, double g, double b, string? expected) =>
        Assert.Equal(expected, MuJoCoWorld.ColorName(r, g, b));

    [Theory]
    [MemberData(nameof(Scenes))]
    public void Every_scene_exports_to_a_gazebo_world_with_its_objects_and_bins(string file)
    {
        using var world = new MuJoCoWorld(PathOf(file));
        var sdf = XDocument.Parse(SdfWorldExporter.Export(PathOf(file)));
        var models = sdf.Root!.Element("world")!.Elements("model").ToDictionary(m => (string)m.Attribute("name")!);
        foreach (var o in world.Snapshot().Objects)
        {
            Assert.True(models.ContainsKey(o.Name), $"{file}: no model {o.Name} in the exported world");
            Assert.Equal(o.IsContainer, models[o.Name].Element("static") is not null);
        }
    }

    [Fact]
    public void A_container_without_walls_is_a_configuration_error_naming_it()
    {
        var text = File.ReadAllText(RepoPaths.DefaultScene);
        var path = Path.Combine(_tempDir, "open_bin.xml");
        // one wall drawn as a site only: the bin is open on that side
        File.WriteAllText(path, text.Replace("<geom name=\"bin_wall_px\"", "<site name=\"no_wall_px\""));
        var e = Assert.Throws<ConfigurationException>(() => new MuJoCoWorld(path));
        Assert.Contains("'bin'", e.Message);
    }

    [Fact]
    public void A_bad_scatter_region_is_a_configuration_error()
    {
        var text = File.ReadAllText(RepoPaths.DefaultScene);
        var path = Path.Combine(_tempDir, "bad_region.xml");
        File.WriteAllText(path, text.Replace("<custom>", "<custom>\n    <numeric name=\"cortexbot_scatter_region\" data=\"0.5 0.3 -0.2 0.2\"/>"));
        var e = Assert.Throws<ConfigurationException>(() => new MuJoCoWorld(path));
        Assert.Contains(MuJoCoWorld.ScatterRegionNumeric, e.Message);
    }
}
