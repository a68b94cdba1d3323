using CortexBot.Brainstem.Perception;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Host.Tests;

/// <summary>sim/perception.json describes sim/scene.xml as the simulator itself reads it, so the two cannot drift.</summary>
public class PerceptionFileTests
{
    [Fact]
    public void The_default_perception_file_agrees_with_the_scene()
    {
        var config = PerceptionConfig.Load(PerceptionConfig.DefaultPath);
        using var world = MuJoCoWorld.OpenDefault();
        var scene = world.Snapshot();

        // every movable object of the scene has a class, named as the simulator node's detections name it, of its kind, colour and size
        var cubes = scene.Objects.Where(o => !o.IsContainer).ToList();
        Assert.Equal(cubes.Select(o => o.Name).Order(), config.Classes.Values.Select(c => c.Name!).Order());
        foreach (var cube in cubes)
        {
            var c = config.Classes[cube.Name];
            Assert.Equal(cube.Name, c.Name);
            Assert.Equal(cube.Kind, c.Kind);
            Assert.Equal(cube.Color, c.Color);
            Assert.Equal([cube.HalfSize.X * 2, cube.HalfSize.Y * 2, cube.HalfSize.Z * 2], c.Size!);
        }

        // every container is a fixture at the pose and inner size the simulator has
        var bins = scene.Objects.Where(o => o.IsContainer).ToList();
        Assert.Equal(bins.Select(b => b.Name), config.Fixtures.Select(f => f.Name!));
        foreach (var bin in bins)
        {
            var f = config.Fixtures.Single(x => x.Name == bin.Name).ToSceneObject();
            Assert.Equal(bin.Kind, f.Kind);
            Assert.True((bin.Pose.Position - f.Pose.Position).Norm < 1e-9, $"{bin.Name} at {bin.Pose.Position} in the scene, {f.Pose.Position} in the file");
            Assert.True((bin.HalfSize - f.HalfSize).Norm < 1e-9);
            Assert.Equal(bin.Pose.Orientation.Yaw, f.Pose.Orientation.Yaw, 9);
        }

        Assert.Equal(SafetyEnvelope.TableTop(world.ScenePath).Min.Z, config.TableHeight!.Value, 9);
    }
}
